import { Stream } from '@lumino/signaling';

import { ApiError } from '../handler';
import { DagModel, IDagModelApi } from '../model';
import { RUN_EVENT_SCHEMA, parseRunEvent } from '../types';
import { makeApi, sampleDag, sampleRun } from './fixtures';

type Emission = { [key: string]: unknown };

function event(data: Emission): Emission {
  return {
    schema_id: RUN_EVENT_SCHEMA,
    run_id: 'run-1',
    project_id: 'p1',
    block_id: '',
    message: '',
    ...data
  };
}

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('parseRunEvent', () => {
  it('reads run events and ignores others', () => {
    expect(
      parseRunEvent(event({ kind: 'block', block_id: 'a', status: 'running' }))
    ).toEqual({
      run_id: 'run-1',
      project_id: 'p1',
      kind: 'block',
      block_id: 'a',
      status: 'running',
      message: ''
    });
    expect(parseRunEvent({ schema_id: 'other', kind: 'run' })).toBeNull();
    expect(parseRunEvent(event({ kind: 'weird', status: 'x' }))).toBeNull();
    expect(parseRunEvent(event({ kind: 'run' }))).toBeNull();
  });
});

describe('DagModel', () => {
  let stream: Stream<unknown, Emission>;
  let api: jest.Mocked<IDagModelApi>;
  let model: DagModel;

  beforeEach(() => {
    stream = new Stream<unknown, Emission>({});
    api = makeApi();
    model = new DagModel({
      projectId: 'p1',
      api,
      events: stream,
      silentCheckMs: 0,
      layoutDelay: -1
    });
  });

  afterEach(() => model.dispose());

  it('loads the project and its DAG', async () => {
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.refresh();
    expect(model.project?.name).toBe('example');
    expect(model.dag?.nodes).toHaveLength(5);
    expect(model.statuses.blocks.clean).toBe('succeeded');
    expect(model.error).toBeNull();
    expect(model.loading).toBe(false);
    expect(changes).toBeGreaterThan(0);
  });

  it('takes statuses and outputs from the last run', async () => {
    api.listRuns.mockResolvedValueOnce([
      { ...sampleRun('failed'), blocks: [] }
    ]);
    api.getRun.mockResolvedValueOnce(sampleRun('failed'));
    await model.refresh();
    expect(api.listRuns).toHaveBeenCalledWith('p1', 1);
    expect(api.getRun).toHaveBeenCalledWith('run-1');
    expect(model.statuses.runId).toBe('run-1');
    expect(model.statuses.runStatus).toBe('failed');
    expect(model.statuses.blocks.stats).toBe('succeeded');
    expect(model.blockResult('plot')?.outputs).toHaveLength(1);
    // a second refresh does not look again
    await model.refresh();
    expect(api.listRuns).toHaveBeenCalledTimes(1);
  });

  it('reports API errors', async () => {
    api.getDag.mockRejectedValueOnce(
      new ApiError(409, 'Cycle', { message: 'Cycle', cycle: ['a', 'b'] })
    );
    await model.refresh();
    expect(model.error).toBe('Cycle (HTTP 409) — cycle: a → b');
  });

  it('runs all, follows events and reconciles at the end', async () => {
    await model.refresh();
    await model.runAll();
    expect(api.startRun).toHaveBeenCalledWith('p1', { mode: 'all' });
    expect(model.statuses.runId).toBe('run-1');
    expect(model.statuses.blocks.load).toBe('queued');
    expect(model.statuses.blocks.md).toBe('never_run');

    stream.emit(event({ kind: 'block', block_id: 'load', status: 'running' }));
    expect(model.statuses.blocks.load).toBe('running');
    // Events of other projects and other schemas are ignored
    stream.emit(
      event({
        project_id: 'p2',
        kind: 'block',
        block_id: 'load',
        status: 'failed'
      })
    );
    stream.emit({
      schema_id: 'x',
      kind: 'block',
      block_id: 'load',
      status: 'failed'
    });
    expect(model.statuses.blocks.load).toBe('running');
    expect(api.getRun).not.toHaveBeenCalled();

    stream.emit(event({ kind: 'run', status: 'succeeded' }));
    await flush();
    await flush();
    expect(api.getRun).toHaveBeenCalledWith('run-1');
    expect(model.statuses.runStatus).toBe('succeeded');
    expect(model.statuses.blocks.stats).toBe('succeeded');
    expect(model.blockResult('plot')?.outputs).toHaveLength(1);
    expect(api.getDag).toHaveBeenCalledTimes(1);
  });

  it('fetches the run when a node is selected', async () => {
    await model.refresh();
    await model.runAll();
    model.select('plot');
    expect(model.selectedId).toBe('plot');
    await flush();
    expect(api.getRun).toHaveBeenCalledWith('run-1');
    expect(model.blockResult('plot')?.execution_count).toBe(3);
    model.select(null);
    expect(model.selectedId).toBeNull();
  });

  it("loads a block's own last run for its outputs", async () => {
    const dag = sampleDag();
    dag.nodes.find(n => n.id === 'plot')!.last_run_id = 'run-0';
    api.getDag.mockResolvedValueOnce(dag);
    api.getRun.mockResolvedValueOnce({
      ...sampleRun('succeeded'),
      id: 'run-0'
    });
    await model.refresh();
    expect(model.blockResult('plot')).toBeNull();
    model.select('plot');
    await flush();
    expect(api.getRun).toHaveBeenCalledWith('run-0');
    expect(model.blockResult('plot')?.outputs).toHaveLength(1);
    // statuses are not taken from that run
    expect(model.statuses.runId).toBeNull();
    // and it is fetched once
    model.select(null);
    model.select('plot');
    await flush();
    expect(api.getRun).toHaveBeenCalledTimes(1);
  });

  it('reports a refused run', async () => {
    await model.refresh();
    api.startRun.mockRejectedValueOnce(
      new ApiError(409, 'A run is already under way', {
        message: 'A run is already under way'
      })
    );
    await expect(model.runAll()).resolves.toBe(false);
    expect(model.notice).toMatchObject({
      kind: 'error',
      text: 'Cannot start the run: A run is already under way (HTTP 409)'
    });
  });

  it('asks the server for a silent run', async () => {
    jest.useFakeTimers();
    const silent = new DagModel({
      projectId: 'p1',
      api,
      events: stream,
      silentCheckMs: 1000
    });
    try {
      await silent.runAll();
      expect(api.getRun).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1001);
      expect(api.getRun).toHaveBeenCalledWith('run-1');
    } finally {
      silent.dispose();
      jest.useRealTimers();
    }
  });

  it('stops listening once disposed', async () => {
    model.dispose();
    stream.emit(event({ kind: 'block', block_id: 'load', status: 'running' }));
    expect(model.statuses.blocks.load).toBeUndefined();
    expect(model.isDisposed).toBe(true);
  });
});
