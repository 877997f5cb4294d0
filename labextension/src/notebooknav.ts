/**
 * Jump from the DAG view to the notebook: open it with the document manager,
 * find a cell by its id, scroll to it and make it the active cell.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import { NotebookPanel } from '@jupyterlab/notebook';
import type { Session } from '@jupyterlab/services';

import { IKernelChoice } from './services';

/**
 * Index of the cell with id `cellId` in a notebook panel, or -1.
 */
export function cellIndexOf(panel: NotebookPanel, cellId: string): number {
  return panel.content.widgets.findIndex(cell => cell.model.id === cellId);
}

/**
 * Open `path` (or reveal it), scroll to the cell `cellId` and activate it.
 *
 * @returns whether the cell was found
 */
export async function openCellInNotebook(
  app: JupyterFrontEnd,
  docManager: IDocumentManager | null,
  path: string,
  cellId: string
): Promise<boolean> {
  const widget = docManager
    ? docManager.openOrReveal(path)
    : await app.commands.execute('docmanager:open', { path });
  if (!(widget instanceof NotebookPanel)) {
    return false;
  }
  await widget.context.ready;
  await widget.revealed;
  app.shell.activateById(widget.id);
  const notebook = widget.content;
  const index = cellIndexOf(widget, cellId);
  if (index < 0) {
    return false;
  }
  notebook.mode = 'command';
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  await notebook.scrollToItem(index, 'center');
  notebook.activeCell?.node.focus();
  return true;
}

/**
 * The kernels of the live sessions of a notebook (what "the notebook's
 * kernel" means for a run).
 */
export async function notebookKernels(
  sessions: Session.IManager,
  path: string
): Promise<IKernelChoice[]> {
  const found = await sessions.findByPath(path);
  const models: Session.IModel[] = found ? [found] : [];
  for (const model of sessions.running()) {
    if (model.path === path && !models.some(m => m.id === model.id)) {
      models.push(model);
    }
  }
  const choices: IKernelChoice[] = [];
  for (const model of models) {
    if (model.kernel && !choices.some(c => c.id === model.kernel!.id)) {
      choices.push({
        id: model.kernel.id,
        label: `Notebook kernel (${model.kernel.name}, ${model.kernel.id.slice(0, 8)})`
      });
    }
  }
  return choices;
}
