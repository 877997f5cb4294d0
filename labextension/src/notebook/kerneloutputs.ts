/**
 * Run results written into the open notebook's cells, as if the user had
 * run the cells there in the DAG's order: outputs and execution counts of
 * the blocks a run executed (blocks it did not execute keep theirs).
 */
import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookModel } from '@jupyterlab/notebook';

import { IOutput, IRun, IRunBlock } from '../types';

/**
 * What one cell receives.
 */
export interface ICellUpdate {
  cellId: string;
  outputs: nbformat.IOutput[];
  executionCount: number | null;
}

/**
 * Statuses of blocks whose execution ended (succeeded, failed, or was cut
 * short: what it printed is kept).
 */
const ENDED = ['succeeded', 'failed', 'cancelled', 'interrupted'];

/**
 * Whether a run executed the block in its kernel (up-to-date, skipped and
 * queued blocks were not).
 */
export function wasExecuted(block: IRunBlock): boolean {
  return ENDED.includes(block.status) && !!block.started_at;
}

function text(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map(item => String(item)).join('');
  }
  return typeof value === 'string' ? value : '';
}

/**
 * A stored output as a valid nbformat output (the fields each type needs,
 * nothing else).
 */
export function toNbOutput(
  output: IOutput,
  executionCount: number | null
): nbformat.IOutput {
  switch (output.output_type) {
    case 'stream':
      return {
        output_type: 'stream',
        name: output.name === 'stderr' ? 'stderr' : 'stdout',
        text: text(output.text)
      };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count:
          typeof output.execution_count === 'number'
            ? output.execution_count
            : executionCount,
        data: (output.data ?? {}) as nbformat.IMimeBundle,
        metadata: (output.metadata ?? {}) as nbformat.OutputMetadata
      };
    case 'display_data':
    case 'update_display_data':
      return {
        output_type: 'display_data',
        data: (output.data ?? {}) as nbformat.IMimeBundle,
        metadata: (output.metadata ?? {}) as nbformat.OutputMetadata
      };
    case 'error':
      return {
        output_type: 'error',
        ename: output.ename ?? 'Error',
        evalue: output.evalue ?? '',
        traceback: output.traceback ?? []
      };
    default:
      return { ...output } as nbformat.IOutput;
  }
}

/**
 * The cell updates of a run: one per block it executed, in the order they
 * started (the DAG's order for a sequential run), leaving out `done` (block
 * ids already written) and blocks not in `only` when given.
 */
export function cellUpdates(
  run: IRun,
  done: ReadonlySet<string> = new Set(),
  only?: ReadonlySet<string>
): ICellUpdate[] {
  const blocks = (run.blocks ?? []).filter(
    block =>
      wasExecuted(block) &&
      !done.has(block.block_id) &&
      (!only || only.has(block.block_id))
  );
  blocks.sort((a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? ''));
  return blocks.map(block => ({
    cellId: block.block_id,
    outputs: (block.outputs ?? []).map(output =>
      toNbOutput(output, block.execution_count)
    ),
    executionCount: block.execution_count ?? null
  }));
}

/**
 * Write updates into the notebook's code cells (found by id) in one
 * transaction of its shared model, which the notebook shows at once and
 * the user saves. Cells the user edited since (`executedSources` differs)
 * stay marked as changed since they ran.
 *
 * @returns the ids of the cells written
 */
export function writeCellUpdates(
  model: INotebookModel,
  updates: ICellUpdate[],
  executedSources: { readonly [cellId: string]: string } = {}
): string[] {
  const written: string[] = [];
  if (!updates.length) {
    return written;
  }
  const shared = model.sharedModel;
  shared.transact(() => {
    for (const update of updates) {
      const cell = shared.cells.find(c => c.id === update.cellId);
      if (!cell || cell.cell_type !== 'code') {
        continue;
      }
      const code = cell as unknown as {
        setOutputs(outputs: nbformat.IOutput[]): void;
        execution_count: number | null;
      };
      code.setOutputs(update.outputs);
      code.execution_count = update.executionCount;
      written.push(update.cellId);
    }
  }, false);
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    const ran = executedSources[cell.id];
    if (
      written.includes(cell.id) &&
      ran !== undefined &&
      ran === cell.sharedModel.getSource() &&
      'isDirty' in cell
    ) {
      (cell as unknown as { isDirty: boolean }).isDirty = false;
    }
  }
  return written;
}
