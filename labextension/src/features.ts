/**
 * The feature plugins around the DAG view, each wired through tokens:
 *
 * - `notebook_dag:mounts` provides the views' mount points (`IDagViewMounts`);
 * - `notebook_dag:datasets` mounts the datasets panel as the views' "Datasets" tab;
 * - `notebook_dag:ai` mounts "Ask AI to add a block" and "Fix with AI".
 *
 * The Projects panel is `projects/plugin.ts`, the notebook integration
 * `notebook/plugin.ts`, the notifications `notifications/plugin.ts`.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { createReportWidget } from './datasets';
import { DagViewMounts } from './mounts';
import { aiMounts, datasetsMounts, IMountOptions } from './mountregistry';
import { IDagViewMounts, IDagViews } from './tokens';

export const mountsPlugin: JupyterFrontEndPlugin<DagViewMounts> = {
  id: 'notebook_dag:mounts',
  description: 'Mount points of the DAG view, filled by the feature plugins.',
  autoStart: true,
  provides: IDagViewMounts,
  activate: () => new DagViewMounts()
};

function mountOptions(app: JupyterFrontEnd, views: IDagViews): IMountOptions {
  return {
    serverSettings: app.serviceManager.serverSettings,
    notebooks: views.notebooks,
    events: app.serviceManager.events.stream as never,
    openDag: projectId => void views.open(projectId),
    openReport: (url, title) => {
      const report = createReportWidget(url, title);
      app.shell.add(report, 'main');
      app.shell.activateById(report.id);
    }
  };
}

export const datasetsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'notebook_dag:datasets',
  description:
    'Datasets in the DAG view: upload, import, preview, profile, analysis, charts.',
  autoStart: true,
  requires: [IDagViews, IDagViewMounts],
  activate: (app: JupyterFrontEnd, views: IDagViews, mounts: DagViewMounts) => {
    mounts.add(datasetsMounts(mountOptions(app, views)));
  }
};

export const aiPlugin: JupyterFrontEndPlugin<void> = {
  id: 'notebook_dag:ai',
  description:
    'AI generation in the DAG view: add a block from a prompt, fix a failed one.',
  autoStart: true,
  requires: [IDagViews, IDagViewMounts],
  activate: (app: JupyterFrontEnd, views: IDagViews, mounts: DagViewMounts) => {
    mounts.add(aiMounts(mountOptions(app, views)));
  }
};
