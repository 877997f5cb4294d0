import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  showErrorMessage,
  ToolbarButton,
  WidgetTracker
} from '@jupyterlab/apputils';
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
import { describeError } from './handler';
import { dagIcon } from './icons';
import { DagModel, EventStream } from './model';
import { DatasetsApi } from './datasets';
import { aiPlugin, datasetsPlugin, mountsPlugin } from './features';
import type { DagViewMounts } from './mounts';
import { notebookKernels, openCellInNotebook } from './notebooknav';
import { OpenNotebookEdits } from './notebook/docedits';
import { resolveProject } from './notebook/projectchoice';
import { askProject } from './notebook/projectdialog';
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
import { IProject } from './types';
import {
  EXPORT_ITEMS,
  PALETTE_COMMANDS,
  registerViewCommands,
  ViewCommandIDs
} from './viewcommands';
import { exportProjectFile } from './toolbar';
import { SchedulesApi } from './schedules/api';
import { showScheduleDialog } from './schedules/dialog';

/**
 * jupyter-scheduler's command that shows its "Notebook Jobs" list.
 */
const SCHEDULER_JOBS_COMMAND = 'scheduling:list-jobs-from-launcher';
import { setViewOptionsStore } from './viewoptions';
import { createViewOptionsStore } from './viewsettings';
import { DagWidget } from './widget';

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const open = 'notebook-dag:open';
  export const showProjects = SHOW_PROJECTS;
}

/**
 * Tracker namespace (also the restorer's).
 */
export const TRACKER_NAMESPACE = 'notebook-dag';

export { PROJECTS_PANEL_ID };

type DagPanel = MainAreaWidget<DagWidget>;

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

function panelLabel(project: IProject | null): string {
  return project?.name ? `DAG: ${project.name}` : 'DAG';
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
    const viewOptionsReady = createViewOptionsStore(
      settingRegistry,
      stateDB,
      plugin.id
    ).then(setViewOptionsStore);
    const settings = app.serviceManager.serverSettings;
    const api = new DagApi(settings);
    const tracker = new WidgetTracker<DagPanel>({
      namespace: TRACKER_NAMESPACE
    });
    const pending = new Map<string, Promise<DagPanel | undefined>>();
    // The open notebooks' content, sent to the server as typed; DAG-view
    // edits of an open notebook go into it.
    const sync = notebooks
      ? new NotebookSync({
          notebooks,
          api,
          views: {
            refresh: path =>
              tracker.forEach(panel => {
                const model = panel.content.model;
                if (model.project?.notebook_path === path) {
                  void model.refresh();
                }
              })
          }
        })
      : null;
    const openNotebooks = sync ? new OpenNotebookEdits(sync) : null;
    const openNotebook = (path: string) =>
      docManager
        ? docManager.openOrReveal(path)
        : app.commands.execute('docmanager:open', { path });

    const datasetsApi = new DatasetsApi(settings);
    // The datasets a project's SQL blocks read: its own, else the shared ones.
    const projectDatasets = async (projectId: string) => {
      const own = await datasetsApi.list({ project_id: projectId, limit: 20 });
      if (own.datasets.length) {
        return own.datasets;
      }
      return (await datasetsApi.list({ limit: 100 })).datasets;
    };

    const services: IDagViewServices = {
      serverSettings: settings,
      commands: app.commands,
      datasets: projectDatasets,
      rendermime,
      editorServices,
      openCell: async (path, cellId) => {
        try {
          const found = await openCellInNotebook(app, docManager, path, cellId);
          if (!found) {
            await showErrorMessage(
              'Open in notebook',
              `No cell with id ${cellId} in ${path}.`
            );
          }
        } catch (error) {
          await showErrorMessage('Open in notebook', describeError(error));
        }
      },
      openFile: async path => openNotebook(path),
      kernelChoices: path => notebookKernels(app.serviceManager.sessions, path),
      mounts
    };

    const findPanel = (projectId: string): DagPanel | undefined =>
      tracker.find(panel => panel.content.model.projectId === projectId);

    const openPanel = async (
      projectId: string,
      project: IProject | null,
      ref: string | null
    ): Promise<DagPanel> => {
      const existing = findPanel(projectId);
      if (existing) {
        if (!existing.isAttached) {
          app.shell.add(existing, 'main');
        }
        app.shell.activateById(existing.id);
        void api.markOpened(projectId).catch(() => undefined);
        return existing;
      }
      if (!project) {
        project = await api.getProject(projectId).catch(() => null);
      }
      await viewOptionsReady;
      const model = new DagModel({
        notebooks: openNotebooks,
        projectId,
        api,
        events: app.serviceManager.events.stream as unknown as EventStream,
        project
      });
      const panel = new MainAreaWidget({
        content: new DagWidget(model, services)
      });
      panel.id = `notebook-dag-${projectId}`;
      panel.addClass('jp-NotebookDag-panelWidget');
      panel.title.icon = dagIcon;
      panel.title.closable = true;
      panel.title.label = panelLabel(project);
      panel.title.caption = project?.notebook_path ?? projectId;
      model.changed.connect(() => {
        panel.title.label = panelLabel(model.project);
        if (model.project?.notebook_path) {
          panel.title.caption = `DAG of ${model.project.notebook_path}`;
        }
      });
      await tracker.add(panel);
      app.shell.add(
        panel,
        'main',
        ref ? { ref, mode: 'split-right' } : undefined
      );
      app.shell.activateById(panel.id);
      if (sync && project?.notebook_path) {
        // An open notebook is sent first: the first load shows the editor's.
        await sync.prepare(projectId, project.notebook_path);
      }
      void model.refresh();
      void api
        .markOpened(projectId)
        .catch(error =>
          console.warn('notebook_dag: cannot record the opening', error)
        );
      return panel;
    };

    const open = async (
      args: Record<string, unknown>
    ): Promise<DagPanel | undefined> => {
      const projectId =
        typeof args.projectId === 'string' ? args.projectId : null;
      let notebookPath =
        typeof args.notebookPath === 'string' ? args.notebookPath : null;
      let ref: string | null = null;
      if (!projectId && !notebookPath && notebooks?.currentWidget) {
        notebookPath = notebooks.currentWidget.context.path;
      }
      if (notebookPath && notebooks) {
        const nb = notebooks.find(p => p.context.path === notebookPath);
        ref = nb?.id ?? null;
      }
      if (!projectId && !notebookPath) {
        await showErrorMessage(
          'Open DAG view',
          'Open or select a notebook first.'
        );
        return undefined;
      }
      try {
        if (projectId) {
          return await openPanel(projectId, null, ref);
        }
        const project = await resolveProject(api, notebookPath!, askProject);
        if (!project) {
          return undefined; // the user cancelled the choice
        }
        return await openPanel(project.id, project, ref);
      } catch (error) {
        console.error('notebook_dag: cannot open the DAG view', error);
        await showErrorMessage(
          'Cannot open the DAG view',
          describeError(error)
        );
        return undefined;
      }
    };

    app.commands.addCommand(CommandIDs.open, {
      label: 'Open DAG view',
      caption: 'Show the notebook as a DAG of its cells and run it',
      icon: args => (args.isPalette ? undefined : dagIcon),
      isEnabled: args =>
        typeof args.projectId === 'string' ||
        typeof args.notebookPath === 'string' ||
        !!notebooks?.currentWidget,
      execute: args => {
        const key = String(
          args.projectId ??
            args.notebookPath ??
            notebooks?.currentWidget?.context.path ??
            ''
        );
        const running = pending.get(key);
        if (running) {
          return running;
        }
        const promise = open(args as Record<string, unknown>).finally(() =>
          pending.delete(key)
        );
        pending.set(key, promise);
        return promise;
      },
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

    registerAddBlockCommands(app.commands, {
      findModel: projectId =>
        (projectId ? findPanel(projectId) : tracker.currentWidget)?.content
          .model ?? null,
      datasets: projectDatasets
    });
    registerViewCommands(app.commands, {
      findModel: projectId =>
        (projectId ? findPanel(projectId) : tracker.currentWidget)?.content
          .model ?? null,
      contextNode: () =>
        app
          .contextMenuHitTest(node => node.hasAttribute('data-cell-id'))
          ?.getAttribute('data-cell-id') ?? null,
      exportProject: (model, format) =>
        exportProjectFile(model, services, format),
      hasDatasetsTab: () => !!mounts.datasetsTab,
      schedule: model =>
        showScheduleDialog({
          api: new SchedulesApi(settings),
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

    app.docRegistry.addWidgetExtension('Notebook', new DagButtonExtension(app));

    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.open,
        args: panel => ({ projectId: panel.content.model.projectId }),
        name: panel => panel.content.model.projectId
      });
    }

    return {
      api,
      tracker,
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
