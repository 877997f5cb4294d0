/**
 * The status reducer: a pure function folding DAG snapshots, run events and
 * run details into the statuses the DAG view paints.
 */
import {
  IDag,
  IRun,
  IRunEvent,
  isActiveStatus,
  isTerminalRunStatus
} from './types';

/**
 * How many finished run ids are remembered (to drop their late events).
 */
export const FINISHED_RUNS_KEPT = 32;

/**
 * Block statuses after which the block is current in the kernel.
 */
export const FRESH_STATUSES: ReadonlyArray<string> = [
  'succeeded',
  'up_to_date'
];

function withState(
  states: { readonly [cellId: string]: string },
  blockId: string,
  status: string
): { readonly [cellId: string]: string } {
  if (!FRESH_STATUSES.includes(status) || states[blockId] === 'up_to_date') {
    return states;
  }
  return { ...states, [blockId]: 'up_to_date' };
}

/**
 * Statuses shown by a DAG view.
 */
export interface IStatusState {
  /**
   * Status of each block (DAG node), by cell id.
   */
  readonly blocks: { readonly [cellId: string]: string };
  /**
   * State of each code block in the kernel (`up_to_date`, `stale`,
   * `never_run`), from the DAG route, updated as blocks finish.
   */
  readonly states: { readonly [cellId: string]: string };
  /**
   * The run the view follows, if any.
   */
  readonly runId: string | null;
  /**
   * Status of that run.
   */
  readonly runStatus: string | null;
  /**
   * Last message of that run (e.g. why it failed).
   */
  readonly message: string;
  /**
   * Blocks the followed run sent events about.
   */
  readonly reported: ReadonlyArray<string>;
  /**
   * Runs known to be over: their late events are ignored.
   */
  readonly finishedRuns: ReadonlyArray<string>;
  /**
   * Number of run events applied (for diagnostics and UI tests).
   */
  readonly eventCount: number;
}

/**
 * What can change the statuses.
 */
export type StatusAction =
  | { type: 'dag'; dag: IDag }
  | { type: 'run-started'; runId: string; status: string; blockIds?: string[] }
  | { type: 'event'; event: IRunEvent }
  | { type: 'reconcile'; run: IRun };

/**
 * The statuses before anything is known.
 */
export const INITIAL_STATUS_STATE: IStatusState = {
  blocks: {},
  states: {},
  runId: null,
  runStatus: null,
  message: '',
  reported: [],
  finishedRuns: [],
  eventCount: 0
};

function markFinished(
  finished: ReadonlyArray<string>,
  runId: string
): ReadonlyArray<string> {
  if (finished.includes(runId)) {
    return finished;
  }
  return [...finished, runId].slice(-FINISHED_RUNS_KEPT);
}

/**
 * Fold one action into the statuses. Never mutates `state`.
 */
export function statusReducer(
  state: IStatusState,
  action: StatusAction
): IStatusState {
  switch (action.type) {
    case 'dag': {
      // The DAG route may give the last known status of each node. While a
      // run is followed, or when the route gives none, live statuses win.
      const following = isActiveStatus(state.runStatus);
      const blocks: { [cellId: string]: string } = {};
      const states: { [cellId: string]: string } = {};
      for (const node of action.dag.nodes) {
        const live = state.blocks[node.id];
        if (live !== undefined && (following || !node.status)) {
          blocks[node.id] = live;
        } else {
          blocks[node.id] = node.status || 'never_run';
        }
        if (following && live !== undefined && FRESH_STATUSES.includes(live)) {
          states[node.id] = 'up_to_date';
        } else {
          states[node.id] = node.state || state.states[node.id] || 'never_run';
        }
      }
      return { ...state, blocks, states };
    }
    case 'run-started': {
      if (state.finishedRuns.includes(action.runId)) {
        return state; // over already (a very short run)
      }
      if (action.runId === state.runId) {
        // Its first events arrived before the answer to the POST: they know
        // better, but blocks they did not mention yet are queued.
        const waiting = (action.blockIds ?? []).filter(
          id => !state.reported.includes(id) && state.blocks[id] !== 'queued'
        );
        if (!waiting.length) {
          return state;
        }
        const blocks = { ...state.blocks };
        for (const id of waiting) {
          blocks[id] = 'queued';
        }
        return { ...state, blocks };
      }
      const blocks = { ...state.blocks };
      for (const id of action.blockIds ?? []) {
        blocks[id] = 'queued';
      }
      return {
        ...state,
        blocks,
        runId: action.runId,
        runStatus: action.status || 'queued',
        message: '',
        reported: []
      };
    }
    case 'event':
      return applyEvent(state, action.event);
    case 'reconcile':
      return reconcile(state, action.run);
    default:
      return state;
  }
}

function applyEvent(state: IStatusState, event: IRunEvent): IStatusState {
  if (state.finishedRuns.includes(event.run_id)) {
    // A late event of a run already reconciled or finished.
    return state;
  }
  let next: IStatusState = { ...state, eventCount: state.eventCount + 1 };
  if (event.run_id !== state.runId) {
    // Another run (started here, elsewhere, or before a missed end event).
    next = {
      ...next,
      runId: event.run_id,
      runStatus: event.kind === 'run' ? event.status : 'running',
      message: '',
      reported: []
    };
  }
  if (event.kind === 'block') {
    if (event.block_id) {
      next = {
        ...next,
        blocks: { ...next.blocks, [event.block_id]: event.status },
        states: withState(next.states, event.block_id, event.status),
        reported: next.reported.includes(event.block_id)
          ? next.reported
          : [...next.reported, event.block_id]
      };
    }
    if (next.runStatus === 'queued' && event.status === 'running') {
      next = { ...next, runStatus: 'running' };
    }
    return next;
  }
  next = {
    ...next,
    runStatus: event.status,
    message: event.message || next.message
  };
  if (isTerminalRunStatus(event.status)) {
    next = {
      ...next,
      finishedRuns: markFinished(next.finishedRuns, event.run_id)
    };
  }
  return next;
}

function reconcile(state: IStatusState, run: IRun): IStatusState {
  const followed = state.runId === null || state.runId === run.id;
  if (!followed && !isTerminalRunStatus(state.runStatus)) {
    // The view follows another run still under way: keep its statuses.
    return {
      ...state,
      finishedRuns: isTerminalRunStatus(run.status)
        ? markFinished(state.finishedRuns, run.id)
        : state.finishedRuns
    };
  }
  // States are left to the DAG route (refreshed when a run ends): an old
  // run's success says nothing of edits made since.
  const blocks = { ...state.blocks };
  for (const block of run.blocks ?? []) {
    blocks[block.block_id] = block.status;
  }
  return {
    ...state,
    blocks,
    runId: run.id,
    runStatus: run.status,
    finishedRuns: isTerminalRunStatus(run.status)
      ? markFinished(state.finishedRuns, run.id)
      : state.finishedRuns
  };
}
