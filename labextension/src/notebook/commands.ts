/**
 * The notebook commands of notebook_dag: run the active cell with its
 * upstream or downstream, run the stale cells, show the cell in the DAG view,
 * show the last runs' outputs in the notebook. Menus and shortcuts come from
 * the plugin's settings schema (labextension/schema/notebook.json).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import {
  fastForwardIcon,
  refreshIcon,
  runIcon,
  stepIntoIcon
} from '@jupyterlab/ui-components';

import { describeError } from '../handler';
import { dagIcon } from '../icons';
import type { IDagViews } from '../tokens';
import { plannedBlocks } from '../viewgraph';
import {
  ICommandContext,
  isCommandEnabled,
  NotebookCommand,
  NotebookCommandIDs,
  runRequestFor
} from './commandsstate';
import type { NotebookDagLink } from './kernellink';

export const PALETTE_CATEGORY = 'Notebook DAG';

export interface ICommandsOptions {
  app: JupyterFrontEnd;
  notebooks: INotebookTracker;
  views: IDagViews;
  /**
   * The link of an open notebook.
   */
  linkOf: (panel: NotebookPanel) => NotebookDagLink | undefined;
  palette?: ICommandPalette | null;
}

/**
 * The current notebook's context for the commands.
 */
function contextOf(
  panel: NotebookPanel | null,
  link: NotebookDagLink | undefined
): ICommandContext | null {
  if (!panel || !link) {
    return null;
  }
  const cell = panel.content.activeCell;
  return {
    projectId: link.project?.id ?? null,
    cellId: cell?.model.id ?? null,
    cellType: cell?.model.type ?? null,
    kernelId: link.kernelId
  };
}

export function addNotebookCommands(options: ICommandsOptions): void {
  const { app, notebooks, views, linkOf, palette } = options;
  const current = () => {
    const panel = notebooks.currentWidget;
    const link = panel ? linkOf(panel) : undefined;
    return { panel, link, context: contextOf(panel, link) };
  };
  const enabled = (command: NotebookCommand) => () =>
    isCommandEnabled(command, current().context);

  const run = async (command: NotebookCommand, title: string) => {
    const { panel, link, context } = current();
    if (!panel || !link || !context) {
      return;
    }
    if (!context.kernelId) {
      // A notebook whose kernel is starting: wait for it (runs go there).
      await panel.sessionContext.ready;
      context.kernelId = link.kernelId;
    }
    const request = runRequestFor(command, context);
    if (!request) {
      return;
    }
    try {
      const created = await link.startRun(request);
      // An open DAG view of the project follows the run at once.
      const view = views.tracker.find(
        p => p.content.model.projectId === context.projectId
      );
      const model = view?.content.model;
      if (model) {
        const planned = model.dag
          ? plannedBlocks(model.dag, request.mode, request.block_id)
          : [];
        model.follow(created.id, created.status, planned);
      }
    } catch (error) {
      await showErrorMessage(title, describeError(error));
    }
  };

  const add = (
    id: string,
    command: NotebookCommand,
    spec: {
      label: string;
      caption: string;
      icon?: typeof runIcon;
      execute: () => Promise<unknown>;
    }
  ) => {
    app.commands.addCommand(id, {
      label: spec.label,
      caption: spec.caption,
      icon: args => (args.isPalette ? undefined : spec.icon),
      isEnabled: enabled(command),
      execute: spec.execute
    });
    palette?.addItem({ command: id, category: PALETTE_CATEGORY });
  };

  add(NotebookCommandIDs.runUpstream, 'run-cell-upstream', {
    label: 'Run Cell with Upstream (DAG)',
    caption:
      'Run the active cell with every cell it depends on (up-to-date ones are skipped), on the notebook kernel',
    icon: runIcon,
    execute: () => run('run-cell-upstream', 'Run cell with upstream')
  });
  add(NotebookCommandIDs.runDownstream, 'run-cell-downstream', {
    label: 'Run Cell and Downstream (DAG)',
    caption:
      'Run the active cell and every cell that depends on it, on the notebook kernel',
    icon: fastForwardIcon,
    execute: () => run('run-cell-downstream', 'Run cell and downstream')
  });
  add(NotebookCommandIDs.runStale, 'run-stale', {
    label: 'Run Stale Cells (DAG)',
    caption:
      'Run the cells that are not up to date in the notebook kernel, in the DAG order',
    icon: refreshIcon,
    execute: () => run('run-stale', 'Run stale cells')
  });
  add(NotebookCommandIDs.showInDag, 'show-in-dag', {
    label: 'Show Cell in DAG View',
    caption: "Open the notebook's DAG view and select the active cell's node",
    icon: dagIcon,
    execute: async () => {
      const { panel: notebook, context } = current();
      if (!context?.projectId) {
        return;
      }
      const panel = await views.open(context.projectId, notebook?.context.path);
      if (panel && context.cellId) {
        const model = panel.content.model;
        if (!model.dag) {
          await model.refresh();
        }
        model.select(context.cellId);
      }
    }
  });
  add(NotebookCommandIDs.showOutputs, 'show-outputs', {
    label: 'Show DAG Outputs in Notebook',
    caption:
      "Write each code cell's outputs and execution count from its last DAG run into the notebook (e.g. runs on the project kernel)",
    icon: stepIntoIcon,
    execute: async () => {
      const { link } = current();
      if (!link) {
        return;
      }
      try {
        await link.showLastOutputs();
      } catch (error) {
        await showErrorMessage(
          'Show outputs in notebook',
          describeError(error)
        );
      }
    }
  });
}
