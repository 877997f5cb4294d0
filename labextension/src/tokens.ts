/**
 * What the main plugin shares with the feature plugins (notebook, projects,
 * datasets, AI, notifications): its DAG views, its API client, the open
 * notebooks, and the views' mount points.
 */
import type { IWidgetTracker, MainAreaWidget } from '@jupyterlab/apputils';
import { Token } from '@lumino/coreutils';

import type { DagApi } from './api';
import type { DagViewMounts } from './mounts';
import type { IOpenNotebooks } from './notebook/docedits';
import type { DagWidget } from './widget';

/**
 * A DAG view in the main area.
 */
export type DagPanel = MainAreaWidget<DagWidget>;

export interface IDagViews {
  /**
   * The REST API client of the server extension.
   */
  readonly api: DagApi;
  /**
   * The open DAG views (one per project).
   */
  readonly tracker: IWidgetTracker<DagPanel>;
  /**
   * Open (or reveal) the DAG view of a project (beside its notebook when
   * `notebookPath` is open); `undefined` when it failed (the user was told
   * why).
   */
  open(projectId: string, notebookPath?: string): Promise<DagPanel | undefined>;
  /**
   * The notebooks open in JupyterLab (edits of an open notebook go into its
   * model, unsaved); null without the notebook tracker.
   */
  readonly notebooks: IOpenNotebooks | null;
}

export const IDagViews = new Token<IDagViews>(
  'notebook_dag:IDagViews',
  'The DAG views of notebook_dag and its API client.'
);

/**
 * The mount points of the DAG views, filled by the datasets and AI plugins.
 */
export const IDagViewMounts = new Token<DagViewMounts>(
  'notebook_dag:IDagViewMounts',
  'Mount points of the DAG view (datasets tab, AI actions) filled by feature plugins.'
);
