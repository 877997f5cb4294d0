/**
 * Selection sync between a notebook and the DAG view of its project: the
 * active cell selects its node, a selected node becomes the active cell
 * (without taking the focus from the DAG view).
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { Cell } from '@jupyterlab/cells';
import { IDisposable } from '@lumino/disposable';

import type { DagModel } from '../model';
import { cellIndexOf } from '../notebooknav';
import type { DagPanel, IDagViews } from '../tokens';

/**
 * Make `cellId` the active cell of a notebook, scrolled into view, without
 * moving the focus (a no-op when it already is, or has no such cell).
 *
 * @returns whether the active cell changed
 */
export function activateCell(panel: NotebookPanel, cellId: string): boolean {
  const notebook = panel.content;
  const index = cellIndexOf(panel, cellId);
  if (index < 0 || notebook.activeCellIndex === index) {
    return false;
  }
  if (notebook.mode === 'edit') {
    notebook.mode = 'command';
  }
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  void notebook.scrollToItem(index, 'smart');
  return true;
}

export class SelectionSync implements IDisposable {
  constructor(views: IDagViews, notebooks: INotebookTracker) {
    this._views = views;
    this._notebooks = notebooks;
    views.tracker.forEach(panel => this._watch(panel));
    views.tracker.widgetAdded.connect((_, panel) => this._watch(panel), this);
    notebooks.activeCellChanged.connect(this._onActiveCell, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._notebooks.activeCellChanged.disconnect(this._onActiveCell, this);
    this._views.tracker.forEach(panel =>
      panel.content.model.changed.disconnect(this._onDagChanged, this)
    );
  }

  private _watch(panel: DagPanel): void {
    const model = panel.content.model;
    this._selected.set(model, model.selectedId);
    model.changed.connect(this._onDagChanged, this);
  }

  /**
   * A node selected in a DAG view: its cell becomes the notebook's active one.
   */
  private _onDagChanged(model: DagModel): void {
    const selected = model.selectedId;
    if (this._selected.get(model) === selected) {
      return;
    }
    this._selected.set(model, selected);
    const path = model.project?.notebook_path;
    if (!selected || !path) {
      return;
    }
    this._notebooks.forEach(panel => {
      if (panel.context.path === path) {
        activateCell(panel, selected);
      }
    });
  }

  /**
   * The notebook's active cell: select its node in the DAG views of its
   * project.
   */
  private _onActiveCell(_: unknown, cell: Cell | null): void {
    const panel = this._notebooks.currentWidget;
    if (!cell || !panel) {
      return;
    }
    const path = panel.context.path;
    const cellId = cell.model.id;
    this._views.tracker.forEach(dagPanel => {
      const model = dagPanel.content.model;
      if (
        model.project?.notebook_path === path &&
        model.selectedId !== cellId &&
        model.dag?.nodes.some(node => node.id === cellId)
      ) {
        this._selected.set(model, cellId); // (no echo back to the notebook)
        model.select(cellId);
      }
    });
  }

  private _views: IDagViews;
  private _notebooks: INotebookTracker;
  private _selected = new WeakMap<DagModel, string | null>();
  private _isDisposed = false;
}
