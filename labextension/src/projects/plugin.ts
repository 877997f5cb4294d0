/**
 * `notebook_dag:projects`: the Projects panel of the left sidebar and the
 * "Show DAG Projects" command, over the DAG views of `IDagViews`.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker } from '@jupyterlab/notebook';

import { DatasetsApi } from '../datasets';
import { dagIcon } from '../icons';
import { IDagViews } from '../tokens';
import { ProjectsModel } from './model';
import { ProjectsPanel } from './panel';

/**
 * Id of the Projects panel in the left sidebar.
 */
export const PROJECTS_PANEL_ID = 'notebook-dag-projects';

export const SHOW_PROJECTS = 'notebook-dag:show-projects';

export const projectsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'notebook_dag:projects',
  description:
    'The Projects panel: search, tags, favourites, create (also from a template), rename, duplicate, delete, open.',
  autoStart: true,
  requires: [IDagViews],
  optional: [
    ICommandPalette,
    INotebookTracker,
    ILayoutRestorer,
    IDocumentManager,
    ILabShell
  ],
  activate: (
    app: JupyterFrontEnd,
    views: IDagViews,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    restorer: ILayoutRestorer | null,
    docManager: IDocumentManager | null,
    labShell: ILabShell | null
  ) => {
    const api = views.api;
    const projects = new ProjectsModel(api);
    const panel = new ProjectsPanel(projects, {
      openDag: project => void views.open(project.id),
      openNotebook: path =>
        void (docManager
          ? docManager.openOrReveal(path)
          : app.commands.execute('docmanager:open', { path })),
      confirmDelete: async project => {
        const result = await showDialog({
          title: 'Delete project',
          body: `Delete the project "${project.name}"? Its runs and manual edges are deleted; the notebook ${project.notebook_path} is kept.`,
          buttons: [
            Dialog.cancelButton(),
            Dialog.warnButton({ label: 'Delete' })
          ]
        });
        if (result.button.accept) {
          views.tracker
            .find(p => p.content.model.projectId === project.id)
            ?.dispose();
        }
        return result.button.accept;
      },
      currentNotebookPath: () => notebooks?.currentWidget?.context.path ?? null,
      templates: {
        listTemplates: () => api.listTemplates(),
        listDatasets: async () =>
          (await new DatasetsApi(api.settings).list({ limit: 1000 })).datasets
      }
    });
    panel.id = PROJECTS_PANEL_ID;
    panel.title.icon = dagIcon;
    panel.title.caption = 'DAG projects';
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, PROJECTS_PANEL_ID);
    void projects.load();
    // A view opened for a project the list does not show yet (e.g. created
    // by "Open DAG view" on a notebook): list again.
    views.tracker.widgetAdded.connect((_, view) => {
      const projectId = view.content.model.projectId;
      if (!projects.projects.some(p => p.id === projectId)) {
        void projects.load();
      }
    });

    app.commands.addCommand(SHOW_PROJECTS, {
      label: 'Show DAG Projects',
      caption: 'Show the Projects panel of notebook_dag',
      execute: () => (labShell ?? app.shell).activateById(PROJECTS_PANEL_ID)
    });
    palette?.addItem({ command: SHOW_PROJECTS, category: 'Notebook DAG' });
  }
};
