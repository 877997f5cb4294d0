import {
  badgeInfo,
  CELL_STATE_INFO,
  CellDagState,
  cellState,
  cellStates,
  downstreamOf
} from '../notebook/cellstate';
import { paintBadge } from '../notebook/cellstateview';
import { sampleDag } from './fixtures';

describe('cell states', () => {
  it('maps run statuses and kernel states to badge states', () => {
    expect(cellState(undefined, undefined)).toBe('never_run');
    expect(cellState('never_run', 'never_run')).toBe('never_run');
    expect(cellState('queued', 'stale')).toBe('queued');
    expect(cellState('running', 'up_to_date')).toBe('running');
    expect(cellState('succeeded', 'up_to_date')).toBe('succeeded');
    expect(cellState('up_to_date', 'up_to_date')).toBe('up_to_date');
    expect(cellState('succeeded', 'stale')).toBe('stale');
    expect(cellState('failed', 'stale')).toBe('failed');
    // edited since it ran
    expect(cellState('succeeded', 'up_to_date', true)).toBe('stale');
    expect(cellState('failed', 'never_run', true)).toBe('stale');
    // never ran anywhere: an edit changes nothing
    expect(cellState('never_run', 'never_run', true)).toBe('never_run');
    // skipped or cancelled: what the kernel holds
    expect(cellState('skipped', 'up_to_date')).toBe('up_to_date');
    expect(cellState('cancelled', 'stale')).toBe('stale');
    expect(cellState('cancelled', 'never_run')).toBe('never_run');
  });

  it('follows edges downstream', () => {
    const dag = sampleDag();
    expect([...downstreamOf(dag, ['clean'])].sort()).toEqual([
      'clean',
      'plot',
      'stats'
    ]);
    expect([...downstreamOf(dag, ['plot'])]).toEqual(['plot']);
  });

  it('gives every code cell a state, live statuses first', () => {
    const dag = sampleDag();
    dag.nodes.find(n => n.id === 'load')!.status = 'succeeded';
    for (const node of dag.nodes) {
      node.state = node.cell_type === 'code' ? 'up_to_date' : undefined;
    }
    dag.nodes.find(n => n.id === 'plot')!.status = 'succeeded';
    const states = cellStates(dag, { plot: 'running' });
    expect(states).toEqual({
      load: 'succeeded',
      clean: 'succeeded',
      plot: 'running',
      stats: 'failed'
    });
    expect(states.md).toBeUndefined(); // markdown: no badge
  });

  it('marks an edited cell and its dependents stale', () => {
    const dag = sampleDag();
    for (const node of dag.nodes) {
      node.status = 'succeeded';
      node.state = 'up_to_date';
    }
    const sources = {
      load: 'data = [1, 2, 3]', // unchanged
      clean: 'clean = [x * 3 for x in data]' // edited in the notebook
    };
    expect(cellStates(dag, {}, sources)).toEqual({
      load: 'succeeded',
      clean: 'stale',
      plot: 'stale',
      stats: 'stale'
    });
    // Windows line ends are not an edit.
    expect(
      cellStates(
        dag,
        {},
        { stats: 'total = sum(clean)\r\nmean = total / len(data)' }
      ).stats
    ).toBe('succeeded');
  });

  it('paints badges with a class, a tooltip and data-dag-state', () => {
    const badge = document.createElement('span');
    const states = Object.keys(CELL_STATE_INFO) as CellDagState[];
    expect(states).toHaveLength(7);
    for (const state of states) {
      paintBadge(badge, state);
      expect(badge.dataset.dagState).toBe(state);
      expect(badge.classList).toContain('jp-NotebookDag-cellState');
      expect(badge.classList).toContain(badgeInfo(state).className);
      expect(badge.title).toBe(CELL_STATE_INFO[state].title);
    }
    expect(badgeInfo('up_to_date').className).toBe(
      'jp-NotebookDag-cellState-up-to-date'
    );
    expect(new Set(states.map(s => badgeInfo(s).className)).size).toBe(7);
  });
});
