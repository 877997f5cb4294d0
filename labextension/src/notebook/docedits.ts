/**
 * Edits made from a DAG view go into the open notebook: the cell's source is
 * set (or a cell inserted) in the notebook's shared model, as if the user had
 * typed it; nothing is saved (the notebook turns dirty and the user saves as
 * usual), and the new content is sent to the server at once.
 */
import { insertionIndex } from './syncbody';

/**
 * Edits of the notebooks open in this JupyterLab, as the DAG view uses them.
 */
export interface IOpenNotebooks {
  /**
   * Whether `notebookPath` is open (and loaded) in this JupyterLab.
   */
  isOpen(notebookPath: string): boolean;
  /**
   * Set a cell's source in the open notebook and send the notebook.
   *
   * @returns `false` when the notebook is not open or has no such cell
   */
  setSource(
    notebookPath: string,
    cellId: string,
    source: string
  ): Promise<boolean>;
  /**
   * Insert a code cell after `afterId` (at the end when `null` or not found)
   * and send the notebook.
   *
   * @returns the new cell's id, `null` when the notebook is not open
   */
  insertCode(
    notebookPath: string,
    afterId: string | null,
    source: string
  ): Promise<string | null>;
}

/**
 * The part of a notebook's shared model (`ISharedNotebook`) edits need.
 */
export interface ISharedNotebookLike {
  readonly cells: readonly {
    readonly id: string;
    setSource(source: string): void;
  }[];
  transact(f: () => void): void;
  insertCell(
    index: number,
    cell: { cell_type: 'code'; source: string }
  ): { readonly id: string };
}

/**
 * Set the source of the cell `cellId` in one transaction.
 *
 * @returns whether the cell exists
 */
export function setCellSource(
  notebook: ISharedNotebookLike,
  cellId: string,
  source: string
): boolean {
  const cell = notebook.cells.find(c => c.id === cellId);
  if (!cell) {
    return false;
  }
  notebook.transact(() => cell.setSource(source));
  return true;
}

/**
 * Insert a code cell after `afterId` (at the end when absent).
 *
 * @returns the new cell's id
 */
export function insertCodeCell(
  notebook: ISharedNotebookLike,
  afterId: string | null,
  source: string
): string {
  const index = insertionIndex(
    notebook.cells.map(c => c.id),
    afterId
  );
  // `insertCell` is a transaction of its own.
  return notebook.insertCell(index, { cell_type: 'code', source }).id;
}

/**
 * What `OpenNotebookEdits` needs of the sync manager.
 */
export interface INotebookSource {
  /**
   * The shared model of the open notebook at `path`, or `null`.
   */
  sharedModelOf(path: string): ISharedNotebookLike | null;
  /**
   * Send the notebook at `path` at once.
   */
  push(path: string): Promise<boolean>;
}

/**
 * `IOpenNotebooks` over the notebooks the sync manager follows.
 */
export class OpenNotebookEdits implements IOpenNotebooks {
  constructor(source: INotebookSource) {
    this._source = source;
  }

  isOpen(notebookPath: string): boolean {
    return this._source.sharedModelOf(notebookPath) !== null;
  }

  async setSource(
    notebookPath: string,
    cellId: string,
    source: string
  ): Promise<boolean> {
    const notebook = this._source.sharedModelOf(notebookPath);
    if (!notebook || !setCellSource(notebook, cellId, source)) {
      return false;
    }
    await this._push(notebookPath);
    return true;
  }

  async insertCode(
    notebookPath: string,
    afterId: string | null,
    source: string
  ): Promise<string | null> {
    const notebook = this._source.sharedModelOf(notebookPath);
    if (!notebook) {
      return null;
    }
    const id = insertCodeCell(notebook, afterId, source);
    await this._push(notebookPath);
    return id;
  }

  private async _push(path: string): Promise<void> {
    try {
      await this._source.push(path);
    } catch (error) {
      // The edit is in the notebook; the next send carries it.
      console.warn(`notebook_dag: cannot send ${path}`, error);
    }
  }

  private _source: INotebookSource;
}
