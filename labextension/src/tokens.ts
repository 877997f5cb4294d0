/**
 * What the main plugin shares with the notebook plugins: its DAG views and
 * its API client.
 */
import type { IWidgetTracker, MainAreaWidget } from '@jupyterlab/apputils';
import { Token } from '@lumino/coreutils';

import type { DagApi } from './api';
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
}

export const IDagViews = new Token<IDagViews>(
  'notebook_dag:IDagViews',
  'The DAG views of notebook_dag and its API client.'
);
