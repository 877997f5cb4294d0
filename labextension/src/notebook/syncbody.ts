/**
 * What `PUT projects/{id}/document` sends for an open notebook: its cells'
 * ids, types, sources and metadata, and the notebook's metadata (the
 * kernelspec picks the kernel of runs) — no outputs.
 */
import { IDocumentAnswer, IDocumentBody, IDocumentCell } from '../types';

/**
 * A cell as the notebook model has it (`ISharedCell` or nbformat JSON).
 */
export interface ICellLike {
  id?: string;
  cell_type: string;
  source: string | string[];
  metadata?: { [key: string]: unknown };
}

/**
 * Notebook metadata left out: widget states can weigh megabytes and the
 * server has no use for them.
 */
export const SKIPPED_NOTEBOOK_METADATA = ['widgets'];

const CELL_TYPES = new Set(['code', 'markdown', 'raw']);

/**
 * A cell's source as one string (nbformat allows a list of lines).
 */
export function sourceText(source: string | string[] | undefined): string {
  if (Array.isArray(source)) {
    return source.join('');
  }
  return source ?? '';
}

/**
 * One cell of the body; `null` for a cell without id (the model always has
 * ids; a cell without one cannot be addressed and is left out).
 */
export function documentCell(cell: ICellLike): IDocumentCell | null {
  if (!cell.id) {
    return null;
  }
  const out: IDocumentCell = {
    id: cell.id,
    cell_type: (CELL_TYPES.has(cell.cell_type)
      ? cell.cell_type
      : 'raw') as IDocumentCell['cell_type'],
    source: sourceText(cell.source)
  };
  if (cell.metadata && Object.keys(cell.metadata).length > 0) {
    out.metadata = cell.metadata;
  }
  return out;
}

/**
 * The body of `PUT projects/{id}/document` for a notebook's cells and
 * metadata.
 */
export function documentBody(
  cells: Iterable<ICellLike>,
  metadata?: { [key: string]: unknown } | null
): IDocumentBody {
  const body: IDocumentBody = { cells: [] };
  for (const cell of cells) {
    const out = documentCell(cell);
    if (out) {
      body.cells.push(out);
    }
  }
  if (metadata) {
    const kept: { [key: string]: unknown } = {};
    for (const [key, value] of Object.entries(metadata)) {
      if (!SKIPPED_NOTEBOOK_METADATA.includes(key) && value !== undefined) {
        kept[key] = value;
      }
    }
    if (Object.keys(kept).length > 0) {
      body.metadata = kept;
    }
  }
  return body;
}

/**
 * Whether the server reads jupyter-collaboration's shared document instead
 * (sending is then useless).
 */
export function isCollaboration(answer: IDocumentAnswer | unknown): boolean {
  return (
    !!answer &&
    typeof answer === 'object' &&
    (answer as { live?: unknown }).live === 'collaboration'
  );
}

/**
 * The cell index at which a cell inserted after `afterId` goes: right after
 * it, or at the end when `afterId` is null or not found.
 */
export function insertionIndex(
  cellIds: readonly string[],
  afterId: string | null | undefined
): number {
  const at = afterId ? cellIds.indexOf(afterId) : -1;
  return at >= 0 ? at + 1 : cellIds.length;
}
