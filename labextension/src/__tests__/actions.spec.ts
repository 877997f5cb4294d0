import { Stream } from '@lumino/signaling';

import { ApiError } from '../handler';
import { DagModel, IDagModelApi } from '../model';
import { RUN_EVENT_SCHEMA } from '../types';
import {
  loadViewOptions,
  MemoryViewOptionsStore,
  setViewOptionsStore,
  viewDefaults
} from '../viewoptions';
import { makeApi, sampleDag, sectionDag } from './fixtures';

type Emission = { [key: string]: unknown };

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('DagModel actions', () => {
  let stream: Stream<unknown, Emission>;
  let api: jest.Mocked<IDagModelApi>;
  let model: DagModel;

  beforeEach(async () => {
    setViewOptionsStore(new MemoryViewOptionsStore());
    stream = new Stream<unknown, Emission>({});
    api = makeApi();
    model = new DagModel({
      projectId: 'p1',
      api,
      events: stream,
      silentCheckMs: 0,
      layoutDelay: -1
    });
    await model.refresh();
  });

  afterEach(() => model.dispose());

  describe('runs', () => {
    it('runs a block downstream on the chosen kernel, queuing what it plans', async () => {
      model.runner.kernelId = 'kernel-7';
      model.runner.force = true;
      await expect(model.runner.run('downstream', 'clean')).resolves.toBe(true);
      expect(api.startRun).toHaveBeenCalledWith('p1', {
        mode: 'downstream',
        block_id: 'clean',
        kernel_id: 'kernel-7',
        force: true
      });
      expect(model.statuses.blocks).toMatchObject({
        clean: 'queued',
        plot: 'queued',
        stats: 'queued',
        load: 'never_run'
      });
      // Live events then move the nodes on.
      stream.emit({
        schema_id: RUN_EVENT_SCHEMA,
        run_id: 'run-1',
        project_id: 'p1',
        kind: 'block',
        block_id: 'clean',
        status: 'running',
        message: ''
      });
      expect(model.statuses.blocks.clean).toBe('running');
      expect(model.isRunning).toBe(true);
    });

    it('shows block states in the chosen kernel', async () => {
      model.runner.kernelId = 'kernel-7';
      await new Promise(resolve => setTimeout(resolve, 0));
      expect(api.getDag).toHaveBeenLastCalledWith('p1', false, 'kernel-7');
      model.runner.force = true; // not a kernel change: no reload
      const calls = api.getDag.mock.calls.length;
      await new Promise(resolve => setTimeout(resolve, 0));
      expect(api.getDag.mock.calls.length).toBe(calls);
      model.runner.force = false;
      model.runner.kernelId = null;
      await new Promise(resolve => setTimeout(resolve, 0));
      expect(api.getDag).toHaveBeenLastCalledWith('p1', false, null);
    });

    it('asks for parallel runs on the project kernel only', async () => {
      model.runner.parallel = 2;
      await model.runner.run('all');
      expect(api.startRun).toHaveBeenLastCalledWith('p1', {
        mode: 'all',
        max_parallel: 2
      });
      // A chosen kernel runs sequentially: the option is not sent.
      model.runner.kernelId = 'kernel-7';
      await model.runner.run('all');
      expect(api.startRun).toHaveBeenLastCalledWith('p1', {
        mode: 'all',
        kernel_id: 'kernel-7'
      });
      model.runner.kernelId = null;
      model.runner.parallel = 0;
      expect(model.runner.parallel).toBeNull();
      await model.runner.run('all');
      expect(api.startRun).toHaveBeenLastCalledWith('p1', { mode: 'all' });
    });

    it('goes back to the project kernel and cancels the followed run', async () => {
      model.runner.kernelId = '';
      expect(model.runner.kernelId).toBeNull();
      await model.runner.run('stale');
      expect(api.startRun).toHaveBeenCalledWith('p1', { mode: 'stale' });
      await model.runner.cancel();
      expect(api.cancelRun).toHaveBeenCalledWith('run-1');
      expect(model.notice?.text).toBe('Cancelling the run…');
      api.cancelRun.mockRejectedValueOnce(
        new ApiError(409, 'run run-1 already ended', {
          message: 'run run-1 already ended'
        })
      );
      await model.runner.cancel();
      expect(model.notice).toMatchObject({
        kind: 'error',
        text: 'Cannot cancel the run: run run-1 already ended (HTTP 409)'
      });
    });

    it('re-runs what failed and follows the new run', async () => {
      await expect(model.runner.retry('run-1')).resolves.toBe(true);
      expect(api.retryRun).toHaveBeenCalledWith('run-1');
      expect(model.statuses.runId).toBe('run-2');
      expect(model.statuses.runStatus).toBe('queued');
    });

    it('refreshes the DAG (states, durations) once a run ends', async () => {
      jest.useFakeTimers();
      try {
        await model.runAll();
        stream.emit({
          schema_id: RUN_EVENT_SCHEMA,
          run_id: 'run-1',
          project_id: 'p1',
          kind: 'run',
          block_id: '',
          status: 'succeeded',
          message: ''
        });
        await Promise.resolve();
        await Promise.resolve();
        await Promise.resolve();
        jest.advanceTimersByTime(250);
        expect(api.getDag).toHaveBeenCalledTimes(2);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('edges', () => {
    it('draws an edge and reloads the DAG', async () => {
      await expect(model.editor.addEdge('plot', 'stats')).resolves.toBe(true);
      expect(api.addEdge).toHaveBeenCalledWith('p1', 'plot', 'stats');
      expect(api.getDag).toHaveBeenCalledTimes(2);
      expect(model.notice).toMatchObject({
        kind: 'info',
        text: 'Added an edge from print(clean) to Stats.'
      });
      await expect(model.editor.addEdge('plot', 'plot')).resolves.toBe(false);
      expect(api.addEdge).toHaveBeenCalledTimes(1);
    });

    it('refuses a cycle with the message naming it', async () => {
      api.addEdge.mockRejectedValueOnce(
        new ApiError(
          409,
          'adding this edge would create a cycle: stats → load → clean → stats',
          {
            message:
              'adding this edge would create a cycle: stats → load → clean → stats',
            reason: 'cycle',
            cycle: ['stats', 'load', 'clean', 'stats']
          }
        )
      );
      await expect(model.editor.addEdge('stats', 'load')).resolves.toBe(false);
      expect(model.notice).toEqual({
        kind: 'error',
        serial: expect.any(Number),
        text:
          'Edge refused — adding this edge would create a cycle: stats → load → clean → stats' +
          ' (Stats → Load data → Clean → Stats)'
      });
      expect(api.getDag).toHaveBeenCalledTimes(1);
    });

    it('deletes a manual edge, hides or accepts an inferred one', async () => {
      const view = model.viewState.view!;
      const manual = view.edges.find(e => e.kind === 'manual')!;
      const inferred = view.edges.find(e => e.source === 'load')!;
      model.selectEdge(manual.id);
      expect(model.selectedEdge).toBe(manual);
      expect(model.selectedId).toBeNull();
      await model.editor.removeEdge(manual);
      expect(api.deleteEdge).toHaveBeenCalledWith('p1', 'm1');
      expect(model.selectedEdgeId).toBeNull();
      await model.editor.removeEdge(inferred);
      expect(api.hideEdge).toHaveBeenCalledWith('p1', 'load', 'clean');
      await model.editor.acceptEdge(inferred);
      expect(api.addEdge).toHaveBeenCalledWith('p1', 'load', 'clean');
      await model.editor.unhideEdge({
        id: 'h9',
        source: 'load',
        target: 'clean',
        kind: 'hidden',
        names: []
      });
      expect(api.deleteEdge).toHaveBeenLastCalledWith('p1', 'h9');
      api.hideEdge.mockRejectedValueOnce(new Error('nope'));
      await expect(model.editor.hideEdge(inferred)).resolves.toBe(false);
      expect(model.notice).toMatchObject({ kind: 'error', text: 'nope' });
    });

    it('does not remove dataset edges or merged section edges', async () => {
      const edge = {
        id: 'x',
        source: 'dataset:d',
        target: 'load',
        kind: 'reads',
        names: [],
        serverId: null,
        merged: 1,
        folded: false,
        original: []
      };
      await expect(model.editor.removeEdge(edge)).resolves.toBe(false);
      await expect(
        model.editor.removeEdge({
          ...edge,
          kind: 'inferred',
          merged: 2,
          folded: true
        })
      ).resolves.toBe(false);
      expect(model.notice?.text).toContain('collapsed section');
      expect(api.hideEdge).not.toHaveBeenCalled();
    });
  });

  describe('sources', () => {
    it('saves a source with the ETag it was read at', async () => {
      const dag = sampleDag();
      dag.nodes[1].etag = '"block-load-v3.0a1b2c3d"';
      api.getDag.mockResolvedValueOnce(dag);
      await model.refresh();
      await expect(model.editor.saveSource('load', 'data = [4]')).resolves.toBe(
        true
      );
      expect(api.updateBlock).toHaveBeenCalledWith(
        'p1',
        'load',
        { source: 'data = [4]' },
        '"block-load-v3.0a1b2c3d"'
      );
      expect(model.notice?.text).toBe('Saved Load data.');
    });

    it('explains a conflicting edit', async () => {
      api.updateBlock.mockRejectedValueOnce(
        new ApiError(412, 'the block changed since you read it', {
          message: 'the block changed since you read it',
          reason: 'precondition_failed'
        })
      );
      await expect(model.editor.saveSource('load', 'x')).resolves.toBe(false);
      expect(model.notice?.text).toBe(
        'Load data changed since it was loaded (the block changed since you read it (HTTP 412)); refresh to see its current source.'
      );
    });
  });

  describe('layout', () => {
    it('lays the DAG out and saves moved nodes in one call', async () => {
      const layout = model.viewState.layout!;
      expect(layout.engine).toBe('dagre');
      expect(layout.positions.size).toBe(5);
      await model.moveNodes({
        load: { x: 10.4, y: 20.6 },
        clean: { x: -3, y: 4 },
        'dataset:d': { x: 1, y: 1 }
      });
      expect(api.savePositions).toHaveBeenCalledTimes(1);
      expect(api.savePositions).toHaveBeenCalledWith('p1', {
        load: { x: 10, y: 21 },
        clean: { x: -3, y: 4 }
      });
      expect(model.viewState.layout!.positions.get('load')).toEqual({
        x: 10,
        y: 21
      });
      // Moving does not lay the graph out again.
      expect(model.viewState.layout).toBe(layout);
    });

    it('keeps saved positions and forgets them on "auto layout"', async () => {
      const dag = sampleDag();
      dag.nodes[1].position = { x: 500, y: 600 };
      api.getDag.mockResolvedValueOnce(dag);
      await model.refresh();
      expect(model.viewState.layout!.positions.get('load')).toEqual({
        x: 500,
        y: 600
      });
      await model.resetLayout();
      expect(api.savePositions).toHaveBeenCalledWith('p1', { load: null });
      expect(model.viewState.layout!.positions.get('load')).not.toEqual({
        x: 500,
        y: 600
      });
    });

    it("changes direction and remembers it as the user's default", () => {
      const before = model.viewState.layout!.positions;
      model.viewState.setDirection('LR');
      const after = model.viewState.layout!.positions;
      expect(after.get('clean')!.x).toBeGreaterThan(after.get('load')!.x);
      expect(after).not.toBe(before);
      expect(viewDefaults().direction).toBe('LR');
      expect(loadViewOptions('p2').direction).toBe('LR');
    });

    it('collapses every section of a project opened for the first time when the setting says so', async () => {
      setViewOptionsStore(
        new MemoryViewOptionsStore({ collapseSections: true })
      );
      const fresh = new DagModel({
        projectId: 'p-new',
        api,
        events: stream,
        silentCheckMs: 0,
        layoutDelay: -1
      });
      api.getDag.mockResolvedValue(sectionDag());
      await fresh.refresh();
      expect(fresh.viewState.view!.nodes.map(n => n.id)).toEqual(['h1', 'h1b']);
      expect(loadViewOptions('p-new').collapsed.length).toBeGreaterThan(0);
      // Expanded by the user: remembered for the project, not collapsed again.
      fresh.viewState.setAllCollapsed(false);
      expect(loadViewOptions('p-new')).toMatchObject({
        collapsed: [],
        collapseAll: false
      });
      fresh.dispose();
    });

    it('collapses and expands sections', async () => {
      api.getDag.mockResolvedValue(sectionDag());
      await model.refresh();
      expect(model.viewState.view!.nodes).toHaveLength(10);
      model.viewState.toggleSection('h2a');
      expect(model.viewState.view!.nodes.map(n => n.id)).not.toContain('load');
      expect(model.viewState.layout!.positions.has('load')).toBe(false);
      expect(loadViewOptions('p1').collapsed).toEqual(['h2a']);
      model.viewState.setAllCollapsed(true);
      expect(model.viewState.view!.nodes.map(n => n.id)).toEqual(['h1', 'h1b']);
      model.viewState.setAllCollapsed(false);
      expect(model.viewState.view!.nodes).toHaveLength(10);
    });

    it('shows datasets, falling back to the plain DAG when they fail', async () => {
      model.setShowDatasets(true);
      await flush();
      expect(api.getDag).toHaveBeenLastCalledWith('p1', true, null);
      api.getDag.mockRejectedValueOnce(
        new ApiError(503, 'the datasets service is not configured', {
          message: 'the datasets service is not configured'
        })
      );
      await model.refresh();
      expect(api.getDag).toHaveBeenLastCalledWith('p1', false, null);
      expect(model.notice?.text).toBe(
        'Datasets cannot be shown: the datasets service is not configured (HTTP 503)'
      );
      expect(model.dag).not.toBeNull();
      expect(model.error).toBeNull();
    });

    it('shows a minimap for large graphs unless told otherwise', () => {
      expect(model.viewState.minimapShown).toBe(false);
      model.viewState.setShowMinimap(true);
      expect(model.viewState.minimapShown).toBe(true);
      expect(loadViewOptions('p1').showMinimap).toBe(true);
    });

    it('lays out in a task of its own by default', async () => {
      const later = new DagModel({ projectId: 'p3', api, silentCheckMs: 0 });
      try {
        await later.refresh();
        expect(later.viewState.view).not.toBeNull();
        expect(later.viewState.layout).toBeNull();
        // The notebook layout (elk) resolves in the background.
        await later.viewState.laidOut();
        expect(later.viewState.layout?.engine).toBe('elk');
        expect(later.viewState.layout?.positions.size).toBe(5);
        expect(later.dagAt).toBeGreaterThan(0);
        expect(later.viewState.layoutAt).toBeGreaterThanOrEqual(later.dagAt);
      } finally {
        later.dispose();
      }
    });
  });
});
