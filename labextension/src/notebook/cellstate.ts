/**
 * The DAG state of each code cell of an open notebook (pure): what the badge
 * beside a cell's prompt shows.
 */
import { IDag } from '../types';

/**
 * States a cell badge can show.
 */
export type CellDagState =
  | 'never_run'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'up_to_date'
  | 'stale';

/**
 * Label and tooltip of each state.
 */
export const CELL_STATE_INFO: {
  readonly [state in CellDagState]: { label: string; title: string };
} = {
  never_run: {
    label: 'never run',
    title: 'DAG: never run (no run of the DAG executed this cell)'
  },
  queued: { label: 'queued', title: 'DAG: queued in a run' },
  running: { label: 'running', title: 'DAG: running' },
  succeeded: {
    label: 'succeeded',
    title: 'DAG: succeeded, and up to date in the kernel'
  },
  failed: { label: 'failed', title: 'DAG: failed in its last run' },
  up_to_date: {
    label: 'up to date',
    title: 'DAG: up to date in the kernel (nothing it depends on changed)'
  },
  stale: {
    label: 'stale',
    title:
      'DAG: stale: the cell or something it depends on changed since it ran (Run stale cells)'
  }
};

/**
 * The CSS class of a state's badge.
 */
export function badgeClass(state: CellDagState): string {
  return `jp-NotebookDag-cellState-${state.replace(/_/g, '-')}`;
}

/**
 * The badge of one state: class, label and tooltip.
 */
export function badgeInfo(state: CellDagState): {
  className: string;
  label: string;
  title: string;
} {
  return { className: badgeClass(state), ...CELL_STATE_INFO[state] };
}

const FRESH = ['succeeded', 'up_to_date'];

/**
 * One cell's state from its last run status (`status`, live while a run is
 * under way), its state in the kernel (`state`: `up_to_date`, `stale` or
 * `never_run`) and whether it, or a cell it depends on, was edited since
 * the server read the notebook.
 */
export function cellState(
  status: string | null | undefined,
  state: string | null | undefined,
  edited = false
): CellDagState {
  const current = status || 'never_run';
  if (current === 'queued' || current === 'running') {
    return current;
  }
  if (current === 'failed') {
    return edited ? 'stale' : 'failed';
  }
  if (FRESH.includes(current)) {
    if (edited || state === 'stale') {
      return 'stale';
    }
    if (state === 'never_run') {
      return 'never_run';
    }
    return current as CellDagState;
  }
  // never run, skipped, cancelled, interrupted: what the kernel holds
  if (state === 'up_to_date') {
    return edited ? 'stale' : 'up_to_date';
  }
  if (state === 'stale') {
    return 'stale';
  }
  return 'never_run';
}

/**
 * The cells downstream of `start` (themselves included) along the DAG's
 * edges between cells.
 */
export function downstreamOf(dag: IDag, start: Iterable<string>): Set<string> {
  const next = new Map<string, string[]>();
  for (const edge of dag.edges) {
    const targets = next.get(edge.source) ?? [];
    targets.push(edge.target);
    next.set(edge.source, targets);
  }
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) {
      continue;
    }
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return seen;
}

function normalize(source: string): string {
  return source.replace(/\r\n/g, '\n');
}

/**
 * The state of every code cell of the DAG.
 *
 * @param live - statuses of the blocks in the run under way (they win)
 * @param sources - the sources the open notebook has now, by cell id: a
 *   cell whose source differs from the DAG's was edited since the server
 *   read the notebook, and it and its dependents show `stale`
 */
export function cellStates(
  dag: IDag,
  live: { readonly [cellId: string]: string } = {},
  sources: { readonly [cellId: string]: string } = {}
): { [cellId: string]: CellDagState } {
  const edited: string[] = [];
  for (const node of dag.nodes) {
    const source = sources[node.id];
    if (
      node.cell_type === 'code' &&
      source !== undefined &&
      normalize(source) !== normalize(node.source ?? '')
    ) {
      edited.push(node.id);
    }
  }
  const affected = edited.length ? downstreamOf(dag, edited) : new Set();
  const result: { [cellId: string]: CellDagState } = {};
  for (const node of dag.nodes) {
    if (node.cell_type !== 'code') {
      continue;
    }
    const status = live[node.id] ?? node.status;
    result[node.id] = cellState(status, node.state, affected.has(node.id));
  }
  return result;
}
