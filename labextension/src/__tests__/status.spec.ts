import {
  FINISHED_RUNS_KEPT,
  INITIAL_STATUS_STATE,
  IStatusState,
  StatusAction,
  statusReducer
} from '../status';
import { IRunEvent } from '../types';
import { sampleDag, sampleRun } from './fixtures';

function ev(partial: Partial<IRunEvent>): StatusAction {
  return {
    type: 'event',
    event: {
      run_id: 'run-1',
      project_id: 'p1',
      kind: 'block',
      block_id: '',
      status: 'running',
      message: '',
      ...partial
    }
  };
}

function fold(
  actions: StatusAction[],
  state = INITIAL_STATUS_STATE
): IStatusState {
  return actions.reduce(statusReducer, state);
}

describe('statusReducer', () => {
  it('starts from the DAG snapshot', () => {
    const state = fold([{ type: 'dag', dag: sampleDag() }]);
    expect(state.blocks).toEqual({
      md: 'never_run',
      load: 'never_run',
      clean: 'succeeded',
      plot: 'never_run',
      stats: 'failed'
    });
    expect(state.runId).toBeNull();
  });

  it('never mutates the previous state', () => {
    const s0 = fold([{ type: 'dag', dag: sampleDag() }]);
    const frozen = JSON.stringify(s0);
    fold(
      [
        ev({ kind: 'run', status: 'running' }),
        ev({ block_id: 'load', status: 'succeeded' }),
        { type: 'reconcile', run: sampleRun() }
      ],
      s0
    );
    expect(JSON.stringify(s0)).toBe(frozen);
  });

  it('follows a run through its events', () => {
    const state = fold([
      { type: 'dag', dag: sampleDag() },
      {
        type: 'run-started',
        runId: 'run-1',
        status: 'queued',
        blockIds: ['load', 'clean', 'plot', 'stats']
      },
      ev({ kind: 'run', status: 'running' }),
      ev({ block_id: 'load', status: 'running' }),
      ev({ block_id: 'load', status: 'succeeded' }),
      ev({ block_id: 'clean', status: 'running' })
    ]);
    expect(state.runId).toBe('run-1');
    expect(state.runStatus).toBe('running');
    expect(state.blocks).toMatchObject({
      md: 'never_run',
      load: 'succeeded',
      clean: 'running',
      plot: 'queued',
      stats: 'queued'
    });
    expect(state.eventCount).toBe(4);
  });

  it('ends a run on a terminal run event and drops its late events', () => {
    const state = fold([
      ev({ kind: 'run', status: 'running' }),
      ev({ block_id: 'stats', status: 'failed' }),
      ev({ kind: 'run', status: 'failed', message: 'stats failed' }),
      ev({ block_id: 'stats', status: 'running' })
    ]);
    expect(state.runStatus).toBe('failed');
    expect(state.message).toBe('stats failed');
    expect(state.blocks.stats).toBe('failed');
    expect(state.finishedRuns).toEqual(['run-1']);
    expect(state.eventCount).toBe(3);
  });

  it('adopts a new run from its events', () => {
    const state = fold([
      ev({ kind: 'run', status: 'succeeded' }),
      ev({ run_id: 'run-2', block_id: 'load', status: 'queued' })
    ]);
    expect(state.runId).toBe('run-2');
    expect(state.runStatus).toBe('running');
    expect(state.blocks.load).toBe('queued');
  });

  it('lets early events win over the POST answer', () => {
    const started: StatusAction = {
      type: 'run-started',
      runId: 'run-1',
      status: 'queued',
      blockIds: ['load']
    };
    const early = fold([
      ev({ kind: 'run', status: 'running' }),
      ev({ block_id: 'load', status: 'succeeded' })
    ]);
    expect(statusReducer(early, started)).toBe(early);
    const done = fold([ev({ kind: 'run', status: 'succeeded' })]);
    expect(statusReducer(done, started)).toBe(done);
  });

  it('queues the planned blocks the early events did not mention yet', () => {
    const early = fold([
      ev({ kind: 'run', status: 'queued' }),
      ev({ block_id: 'clean', status: 'running' })
    ]);
    const state = statusReducer(early, {
      type: 'run-started',
      runId: 'run-1',
      status: 'queued',
      blockIds: ['clean', 'plot', 'stats']
    });
    expect(state.blocks).toMatchObject({
      clean: 'running',
      plot: 'queued',
      stats: 'queued'
    });
    expect(state.reported).toEqual(['clean']);
  });

  it('reconciles final statuses from the run (missed events)', () => {
    const state = fold([
      { type: 'dag', dag: sampleDag() },
      {
        type: 'run-started',
        runId: 'run-1',
        status: 'queued',
        blockIds: ['load', 'clean', 'plot', 'stats']
      },
      ev({ block_id: 'load', status: 'running' }),
      { type: 'reconcile', run: sampleRun('succeeded') }
    ]);
    expect(state.runStatus).toBe('succeeded');
    expect(state.blocks).toMatchObject({
      md: 'never_run',
      load: 'succeeded',
      clean: 'succeeded',
      plot: 'succeeded',
      stats: 'succeeded'
    });
    expect(state.finishedRuns).toContain('run-1');
  });

  it('does not let an old run overwrite a run under way', () => {
    const state = fold([
      ev({ run_id: 'run-2', kind: 'run', status: 'running' }),
      ev({ run_id: 'run-2', block_id: 'load', status: 'running' }),
      { type: 'reconcile', run: sampleRun('succeeded') }
    ]);
    expect(state.runId).toBe('run-2');
    expect(state.blocks.load).toBe('running');
    expect(state.finishedRuns).toContain('run-1');
  });

  it('keeps live statuses over a DAG snapshot while a run is under way', () => {
    const running = fold([
      { type: 'dag', dag: sampleDag() },
      ev({ kind: 'run', status: 'running' }),
      ev({ block_id: 'load', status: 'running' }),
      { type: 'dag', dag: sampleDag() }
    ]);
    expect(running.blocks.load).toBe('running');
    const over = fold(
      [
        ev({ kind: 'run', status: 'cancelled' }),
        { type: 'dag', dag: sampleDag() }
      ],
      running
    );
    expect(over.blocks.load).toBe('never_run');
  });

  it('keeps known statuses when the DAG route gives none', () => {
    const bare = sampleDag();
    bare.nodes.forEach(n => delete n.status);
    const state = fold([
      { type: 'dag', dag: bare },
      { type: 'reconcile', run: sampleRun('succeeded') },
      { type: 'dag', dag: bare }
    ]);
    expect(state.blocks).toEqual({
      md: 'never_run',
      load: 'succeeded',
      clean: 'succeeded',
      plot: 'succeeded',
      stats: 'succeeded'
    });
  });

  it('ignores block events without a block id and remembers few finished runs', () => {
    const state = fold([ev({ block_id: '', status: 'succeeded' })]);
    expect(state.blocks).toEqual({});
    let many = INITIAL_STATUS_STATE;
    for (let i = 0; i < FINISHED_RUNS_KEPT + 5; i++) {
      many = statusReducer(
        many,
        ev({ run_id: `r${i}`, kind: 'run', status: 'succeeded' })
      );
    }
    expect(many.finishedRuns).toHaveLength(FINISHED_RUNS_KEPT);
    expect(many.finishedRuns[FINISHED_RUNS_KEPT - 1]).toBe(
      `r${FINISHED_RUNS_KEPT + 4}`
    );
  });
});

describe('statusReducer: states and newer statuses', () => {
  it('takes block states from the DAG', () => {
    const dag = sampleDag();
    dag.nodes[1].state = 'up_to_date';
    dag.nodes[2].state = 'stale';
    const state = fold([{ type: 'dag', dag }]);
    expect(state.states).toMatchObject({
      md: 'never_run',
      load: 'up_to_date',
      clean: 'stale'
    });
  });

  it('marks blocks up to date as they succeed or are found fresh', () => {
    const dag = sampleDag();
    dag.nodes[1].state = 'stale';
    dag.nodes[2].state = 'stale';
    const state = fold([
      { type: 'dag', dag },
      {
        type: 'run-started',
        runId: 'run-1',
        status: 'queued',
        blockIds: ['load', 'clean']
      },
      ev({ block_id: 'load', status: 'up_to_date' }),
      ev({ block_id: 'clean', status: 'running' })
    ]);
    expect(state.blocks.load).toBe('up_to_date');
    expect(state.states.load).toBe('up_to_date');
    expect(state.states.clean).toBe('stale');
    const after = fold([ev({ block_id: 'clean', status: 'succeeded' })], state);
    expect(after.states.clean).toBe('up_to_date');
    // a failure leaves the state to the next DAG snapshot
    const failed = fold([ev({ block_id: 'stats', status: 'failed' })], after);
    expect(failed.states.stats).toBe(state.states.stats);
  });

  it('keeps live freshness over an older DAG snapshot during a run', () => {
    const dag = sampleDag();
    dag.nodes[1].state = 'stale';
    const state = fold([
      { type: 'dag', dag },
      {
        type: 'run-started',
        runId: 'run-1',
        status: 'queued',
        blockIds: ['load']
      },
      ev({ block_id: 'load', status: 'succeeded' }),
      { type: 'dag', dag }
    ]);
    expect(state.states.load).toBe('up_to_date');
  });

  it('ends a run on interrupted and ignores its late events', () => {
    const state = fold([
      {
        type: 'run-started',
        runId: 'run-1',
        status: 'queued',
        blockIds: ['load']
      },
      ev({ block_id: 'load', status: 'running' }),
      ev({
        kind: 'run',
        status: 'interrupted',
        message: 'the server restarted'
      })
    ]);
    expect(state.runStatus).toBe('interrupted');
    expect(state.message).toBe('the server restarted');
    expect(state.finishedRuns).toContain('run-1');
    const late = fold([ev({ block_id: 'load', status: 'succeeded' })], state);
    expect(late).toBe(state);
  });

  it('does not take freshness from an old run it reconciles', () => {
    const dag = sampleDag();
    dag.nodes[1].state = 'stale';
    const state = fold([
      { type: 'dag', dag },
      { type: 'reconcile', run: sampleRun('succeeded') }
    ]);
    expect(state.blocks.load).toBe('succeeded');
    expect(state.states.load).toBe('stale');
  });
});
