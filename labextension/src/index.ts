import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, ToolbarButton } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import { AddBlockCommandIDs, registerAddBlockCommands } from './addblock';
import { DagApi } from './api';
import { dagIcon } from './icons';
import { DatasetsApi } from './datasets';
import { aiPlugin, datasetsPlugin, mountsPlugin } from './features';
import type { DagViewMounts } from './mounts';
import { OpenNotebookEdits } from './notebook/docedits';
import { NotebookSync } from './notebook/sync';
import {
  PROJECTS_PANEL_ID,
  projectsPlugin,
  SHOW_PROJECTS
} from './projects/plugin';
import { notebookPlugin } from './notebook/plugin';
import { notificationsPlugin } from './notifications/plugin';
import { IDagViewServices } from './services';
import { IDagViewMounts, IDagViews } from './tokens';
import {
  EXPORT_ITEMS,
  PALETTE_COMMANDS,
  registerViewCommands,
  ViewCommandIDs
} from './viewcommands';
import { exportProjectFile } from './toolbar';
import { SchedulesApi } from './schedules/api';
import { showScheduleDialog } from './schedules/dialog';

import { setViewOptionsStore } from './viewoptions';
import { DagPanel, DagViewPanels, TRACKER_NAMESPACE } from './viewpanels';
import { createViewServices, projectDatasetsOf } from './viewservices';
import { createViewOptionsStore } from './viewsettings';

/**
 * jupyter-scheduler's command that shows its "Notebook Jobs" list.
 */
const SCHEDULER_JOBS_COMMAND = 'scheduling:list-jobs-from-launcher';

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const open = 'notebook-dag:open';
  export const showProjects = SHOW_PROJECTS;
}

export { PROJECTS_PANEL_ID, TRACKER_NAMESPACE };

/**
 * Adds an "Open DAG view" button to every notebook's toolbar.
 */
export class DagButtonExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(private _app: JupyterFrontEnd) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'jp-NotebookDag-toolbarButton',
      icon: dagIcon,
      label: 'DAG',
      tooltip: 'Open DAG view',
      onClick: () => {
        void this._app.commands.execute(CommandIDs.open, {
          notebookPath: panel.context.path
        });
      }
    });
    panel.toolbar.insertItem(10, 'notebookDag', button);
    return new DisposableDelegate(() => button.dispose());
  }
}

/**
 * "Open DAG view", the view commands and their palette items.
 */
function registerCommands(
  app: JupyterFrontEnd,
  panels: DagViewPanels,
  services: IDagViewServices,
  mounts: DagViewMounts,
  notebooks: INotebookTracker | null,
  palette: ICommandPalette | null
): void {
  app.commands.addCommand(CommandIDs.open, {
    label: 'Open DAG view',
    caption: 'Show the notebook as a DAG of its cells and run it',
    icon: args => (args.isPalette ? undefined : dagIcon),
    isEnabled: args =>
      typeof args.projectId === 'string' ||
      typeof args.notebookPath === 'string' ||
      !!notebooks?.currentWidget,
    execute: args => panels.open(args),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          projectId: {
            type: 'string',
            description: 'Id of the notebook_dag project to show'
          },
          notebookPath: {
            type: 'string',
            description:
              'Path of the notebook (its project is found or created)'
          }
        }
      }
    }
  });
  const findModel = (projectId: string | null) => panels.modelOf(projectId);
  registerAddBlockCommands(app.commands, {
    findModel,
    datasets: services.datasets!
  });
  registerViewCommands(app.commands, {
    findModel,
    contextNode: () =>
      app
        .contextMenuHitTest(node => node.hasAttribute('data-cell-id'))
        ?.getAttribute('data-cell-id') ?? null,
    exportProject: (model, format) =>
      exportProjectFile(model, services, format),
    hasDatasetsTab: () => !!mounts.datasetsTab,
    schedule: model =>
      showScheduleDialog({
        api: new SchedulesApi(services.serverSettings),
        projectId: model.projectId,
        projectName: model.project?.name ?? model.projectId,
        openJobs: app.commands.hasCommand(SCHEDULER_JOBS_COMMAND)
          ? () => void app.commands.execute(SCHEDULER_JOBS_COMMAND)
          : undefined
      })
  });
  for (const command of [
    ...PALETTE_COMMANDS,
    AddBlockCommandIDs.addCode,
    AddBlockCommandIDs.addSql
  ]) {
    palette?.addItem({ command, category: 'Notebook DAG' });
  }
  for (const { format } of EXPORT_ITEMS) {
    palette?.addItem({
      command: ViewCommandIDs.exportAs,
      args: { format },
      category: 'Notebook DAG'
    });
  }
  palette?.addItem({ command: CommandIDs.open, category: 'Notebook DAG' });
}

const plugin: JupyterFrontEndPlugin<IDagViews> = {
  id: 'notebook_dag:plugin',
  description:
    'A DAG view of a notebook: its cells as nodes, run on kernels with live statuses.',
  autoStart: true,
  provides: IDagViews,
  requires: [IDagViewMounts],
  optional: [
    ICommandPalette,
    INotebookTracker,
    ILayoutRestorer,
    IRenderMimeRegistry,
    IEditorServices,
    IDocumentManager,
    ISettingRegistry,
    IStateDB
  ],
  activate: (
    app: JupyterFrontEnd,
    mounts: DagViewMounts,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    restorer: ILayoutRestorer | null,
    rendermime: IRenderMimeRegistry | null,
    editorServices: IEditorServices | null,
    docManager: IDocumentManager | null,
    settingRegistry: ISettingRegistry | null,
    stateDB: IStateDB | null
  ) => {
    // The views' options: the user's defaults in the settings registry,
    // each project's collapsed sections in the state database.
    const ready = createViewOptionsStore(
      settingRegistry,
      stateDB,
      plugin.id
    ).then(setViewOptionsStore);
    const api = new DagApi(app.serviceManager.serverSettings);
    const sync = notebooks
      ? new NotebookSync({
          notebooks,
          api,
          views: { refresh: path => panels.refreshNotebook(path) }
        })
      : null;
    const openNotebooks = sync ? new OpenNotebookEdits(sync) : null;
    const services = createViewServices(app, {
      mounts,
      rendermime,
      editorServices,
      docManager,
      datasets: projectDatasetsOf(
        new DatasetsApi(app.serviceManager.serverSettings)
      )
    });
    const panels = new DagViewPanels({
      app,
      api,
      services,
      notebooks,
      sync,
      openNotebooks,
      ready
    });
    registerCommands(app, panels, services, mounts, notebooks, palette);
    app.docRegistry.addWidgetExtension('Notebook', new DagButtonExtension(app));
    if (restorer) {
      void restorer.restore(panels.tracker, {
        command: CommandIDs.open,
        args: panel => ({ projectId: panel.content.model.projectId }),
        name: panel => panel.content.model.projectId
      });
    }
    return {
      api,
      tracker: panels.tracker,
      notebooks: openNotebooks,
      open: (projectId, notebookPath) =>
        app.commands.execute(CommandIDs.open, {
          projectId,
          ...(notebookPath ? { notebookPath } : {})
        }) as Promise<DagPanel | undefined>
    };
  }
};

export default [
  mountsPlugin,
  plugin,
  projectsPlugin,
  datasetsPlugin,
  aiPlugin,
  notebookPlugin,
  notificationsPlugin
];
