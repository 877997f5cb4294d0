/**
 * Edits of a project from its DAG view: draw, delete, hide and accept edges,
 * save a block's source, add a block. Each reports to the view's notice and reloads the
 * DAG on success.
 */
import {
  ApiError,
  describeCycle,
  describeError,
  isCycleError
} from './handler';
import type { DagModel, IDagModelApi } from './model';
import type { IOpenNotebooks } from './notebook/docedits';
import { IDagEdge } from './types';
import { IViewEdge } from './viewgraph';

/**
 * Whether the server refused a block edit because the notebook is open in
 * JupyterLab (the edit belongs in the open notebook).
 */
export function isOpenInEditor(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.status === 409 &&
    error.reason === 'open_in_editor'
  );
}

export class DagEditor {
  constructor(
    model: DagModel,
    api: IDagModelApi,
    notebooks: IOpenNotebooks | null = null
  ) {
    this._model = model;
    this._api = api;
    this._notebooks = notebooks;
  }

  /**
   * Draw a manual edge; a cycle is refused with the server's message naming
   * it.
   */
  async addEdge(source: string, target: string): Promise<boolean> {
    const model = this._model;
    if (
      source === target ||
      source.startsWith('dataset:') ||
      target.startsWith('dataset:')
    ) {
      return false;
    }
    try {
      await this._api.addEdge(model.projectId, source, target);
      model.notify(
        'info',
        `Added an edge from ${model.titleOf(source)} to ${model.titleOf(target)}.`
      );
      await model.refresh();
      return true;
    } catch (error) {
      if (isCycleError(error)) {
        model.notify(
          'error',
          `Edge refused — ${describeCycle(error, id => model.titleOf(id))}`
        );
      } else {
        model.notify('error', `Cannot add the edge: ${describeError(error)}`);
      }
      return false;
    }
  }

  /**
   * Remove an edge of the view: delete a manual edge, hide an inferred one.
   */
  removeEdge(edge: IViewEdge): Promise<boolean> {
    if (edge.folded) {
      this._model.notify(
        'error',
        'This edge goes to a collapsed section: expand the section to remove it.'
      );
      return Promise.resolve(false);
    }
    if (edge.kind === 'manual' && edge.serverId) {
      return this._call(
        () => this._api.deleteEdge(this._model.projectId, edge.serverId!),
        `Deleted the edge from ${this._ends(edge)}.`
      );
    }
    if (edge.kind === 'inferred') {
      return this.hideEdge(edge);
    }
    this._model.notify(
      'error',
      'Edges to datasets come from the code: they cannot be removed here.'
    );
    return Promise.resolve(false);
  }

  /**
   * Hide an inferred edge (it no longer orders runs).
   */
  hideEdge(edge: { source: string; target: string }): Promise<boolean> {
    return this._call(
      () => this._api.hideEdge(this._model.projectId, edge.source, edge.target),
      `Hid the inferred edge from ${this._ends(edge)}.`
    );
  }

  /**
   * Accept an inferred edge: keep it as a manual one.
   */
  acceptEdge(edge: { source: string; target: string }): Promise<boolean> {
    return this._call(
      () => this._api.addEdge(this._model.projectId, edge.source, edge.target),
      `Accepted the edge from ${this._ends(edge)} as a manual edge.`
    );
  }

  /**
   * Show a hidden inferred edge again.
   */
  unhideEdge(edge: IDagEdge): Promise<boolean> {
    if (!edge.id) {
      return Promise.resolve(false);
    }
    return this._call(
      () => this._api.deleteEdge(this._model.projectId, edge.id!),
      `The edge from ${this._ends(edge)} is shown again.`
    );
  }

  /**
   * Save a block's new source: into the open notebook when it is open in
   * this JupyterLab (unsaved, as if typed there), else by the server into the
   * notebook file.
   */
  async saveSource(cellId: string, source: string): Promise<boolean> {
    const model = this._model;
    const node = model.dag?.nodes.find(n => n.id === cellId);
    const title = model.titleOf(cellId);
    const path = model.project?.notebook_path ?? '';
    if (path && this._notebooks?.isOpen(path)) {
      return this._saveInNotebook(path, cellId, source);
    }
    try {
      await this._api.updateBlock(
        model.projectId,
        cellId,
        { source },
        node?.etag
      );
      model.notify('info', `Saved ${title}.`);
      await model.refresh();
      return true;
    } catch (error) {
      if (path && this._notebooks && isOpenInEditor(error)) {
        // Opened meanwhile (here, or the server thinks so).
        return this._saveInNotebook(path, cellId, source);
      }
      const conflict =
        error instanceof ApiError &&
        (error.status === 412 || error.status === 409);
      model.notify(
        'error',
        conflict
          ? `${title} changed since it was loaded (${describeError(error)}); refresh to see its current source.`
          : `Cannot save ${title}: ${describeError(error)}`
      );
      return false;
    }
  }

  /**
   * Add a code cell with `source` after the cell `afterId` (at the end when
   * `null`): into the open notebook when it is open in this JupyterLab
   * (unsaved, as if typed there), else by the server into the notebook file.
   * The DAG is reloaded.
   *
   * @param what - how the notices name the block (e.g. "a SQL block")
   * @returns the new cell's id, `null` when it could not be added (the
   *   notice says why)
   */
  async addBlock(
    afterId: string | null,
    source: string,
    what = 'a code block'
  ): Promise<string | null> {
    const model = this._model;
    const path = model.project?.notebook_path ?? '';
    const where = afterId ? `after ${model.titleOf(afterId)}` : 'at the end';
    const inNotebook = async (): Promise<string | null> => {
      const id = await this._notebooks!.insertCode(path, afterId, source);
      if (id === null) {
        model.notify(
          'error',
          `Cannot add ${what}: ${path} is open in another window; add it there.`
        );
        return null;
      }
      model.notify(
        'info',
        `Added ${what} ${where} in the open notebook ${path} (unsaved: save the notebook to keep it).`
      );
      await model.refresh();
      return id;
    };
    if (path && this._notebooks?.isOpen(path)) {
      return inNotebook();
    }
    try {
      const block = await this._api.insertBlock(model.projectId, {
        source,
        cell_type: 'code',
        after: afterId
      });
      model.notify('info', `Added ${what} ${where}.`);
      await model.refresh();
      return block.id;
    } catch (error) {
      if (path && this._notebooks && isOpenInEditor(error)) {
        return inNotebook();
      }
      model.notify('error', `Cannot add ${what}: ${describeError(error)}`);
      return null;
    }
  }

  private async _saveInNotebook(
    path: string,
    cellId: string,
    source: string
  ): Promise<boolean> {
    const model = this._model;
    const title = model.titleOf(cellId);
    if (!(await this._notebooks!.setSource(path, cellId, source))) {
      model.notify(
        'error',
        this._notebooks!.isOpen(path)
          ? `Cannot save ${title}: the open notebook ${path} has no such cell.`
          : `Cannot save ${title}: ${path} is open in another window; edit it there.`
      );
      return false;
    }
    model.notify(
      'info',
      `Changed ${title} in the open notebook ${path} (unsaved: save the notebook to keep it).`
    );
    await model.refresh();
    return true;
  }

  private _ends(edge: { source: string; target: string }): string {
    const model = this._model;
    return `${model.titleOf(edge.source)} to ${model.titleOf(edge.target)}`;
  }

  private async _call(
    call: () => Promise<unknown>,
    success: string
  ): Promise<boolean> {
    const model = this._model;
    try {
      await call();
      model.selectEdge(null);
      model.notify('info', success);
      await model.refresh();
      return true;
    } catch (error) {
      model.notify('error', describeError(error));
      return false;
    }
  }

  private _model: DagModel;
  private _api: IDagModelApi;
  private _notebooks: IOpenNotebooks | null;
}
