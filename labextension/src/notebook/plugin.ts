/**
 * The notebook side of notebook_dag: one kernel (DAG views run on the
 * notebook's session kernel by default, and runs there write their outputs
 * into the notebook's cells), DAG state badges on the cells, notebook
 * commands and selection sync with the DAG view.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import type { EventStream } from '../model';
import { IDagViews } from '../tokens';
import { CellStateBadges } from './cellstateview';
import { addNotebookCommands } from './commands';
import { KernelFollower } from './kernelfollow';
import { NotebookDagLink } from './kernellink';
import { SelectionSync } from './selection';

export const notebookPlugin: JupyterFrontEndPlugin<void> = {
  id: 'notebook_dag:notebook',
  description:
    "The DAG in the notebook: runs on the notebook's kernel with their outputs in its cells, cell state badges, notebook commands, selection sync.",
  autoStart: true,
  requires: [IDagViews, INotebookTracker],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    views: IDagViews,
    notebooks: INotebookTracker,
    palette: ICommandPalette | null
  ) => {
    const events = app.serviceManager.events.stream as unknown as EventStream;
    const links = new Map<NotebookPanel, NotebookDagLink>();

    const attach = (panel: NotebookPanel) => {
      if (links.has(panel)) {
        return;
      }
      const link = new NotebookDagLink({ panel, api: views.api, events });
      links.set(panel, link);
      let badges: CellStateBadges | null = null;
      void panel.context.ready.then(() => {
        if (!link.isDisposed) {
          badges = new CellStateBadges(link);
        }
      });
      link.changed.connect(() => app.commands.notifyCommandChanged());
      panel.disposed.connect(() => {
        badges?.dispose();
        link.dispose();
        links.delete(panel);
      });
    };
    notebooks.forEach(attach);
    notebooks.widgetAdded.connect((_, panel) => attach(panel));
    notebooks.activeCellChanged.connect(() =>
      app.commands.notifyCommandChanged()
    );

    // A DAG view opened for a notebook may have created its project; runs
    // of the view may change the notebook's states.
    views.tracker.widgetAdded.connect((_, dagPanel) => {
      const model = dagPanel.content.model;
      const relink = () => {
        const path = model.project?.notebook_path;
        if (!path) {
          return false;
        }
        for (const [panel, link] of links) {
          if (panel.context.path === path && !link.project) {
            void link.lookup();
          }
        }
        return true;
      };
      if (!relink()) {
        const onChange = () => {
          if (relink() || model.isDisposed) {
            model.changed.disconnect(onChange);
          }
        };
        model.changed.connect(onChange);
      }
    });

    new KernelFollower(views, app.serviceManager.sessions);
    new SelectionSync(views, notebooks);
    addNotebookCommands({
      app,
      notebooks,
      views,
      palette,
      linkOf: panel => links.get(panel)
    });
  }
};
