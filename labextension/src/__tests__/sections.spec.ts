import {
  aggregateStatus,
  collapsedRepresentatives,
  computeSections,
  headingOf
} from '../sections';
import { viewToFlowEdges, viewToFlowNodes } from '../graph';
import {
  buildViewGraph,
  plannedBlocks,
  sectionLayoutEdges
} from '../viewgraph';
import { sampleDag, sectionDag } from './fixtures';

describe('headingOf', () => {
  it('reads ATX and setext headings on the first non-blank line', () => {
    expect(headingOf('# Title\nmore')).toEqual({ level: 1, title: 'Title' });
    expect(headingOf('\n\n### Deep ###')).toEqual({ level: 3, title: 'Deep' });
    expect(headingOf('Title\n=====')).toEqual({ level: 1, title: 'Title' });
    expect(headingOf('Sub\n---')).toEqual({ level: 2, title: 'Sub' });
    expect(headingOf('text\n# later heading')).toBeNull();
    expect(headingOf('#hashtag')).toBeNull();
    expect(headingOf('')).toBeNull();
    expect(headingOf('####### seven')).toBeNull();
  });
});

describe('computeSections', () => {
  it('nests sections by heading level, up to the next heading as high', () => {
    const sections = computeSections(sectionDag().nodes);
    expect([...sections.keys()]).toEqual(['h1', 'h2a', 'h2b', 'h1b']);
    expect(sections.get('h1')!.members).toEqual([
      'imp',
      'h2a',
      'load',
      'clean',
      'h2b',
      'plot',
      'stats'
    ]);
    expect(sections.get('h2a')!.members).toEqual(['load', 'clean']);
    expect(sections.get('h2b')).toMatchObject({
      level: 2,
      title: 'Report',
      members: ['plot', 'stats']
    });
    expect(sections.get('h1b')!.members).toEqual(['extra']);
  });

  it('leaves out headings with nothing under them and plain markdown', () => {
    const dag = sampleDag(); // '# Example' is followed by code cells
    expect([...computeSections(dag.nodes).keys()]).toEqual(['md']);
    const empty = computeSections([
      { ...dag.nodes[0], source: '# A' },
      { ...dag.nodes[1], cell_type: 'markdown', source: '# B', index: 1 }
    ]);
    expect([...empty.keys()]).toEqual([]);
  });
});

describe('collapsedRepresentatives', () => {
  it('maps hidden cells to the outermost collapsed section', () => {
    const sections = computeSections(sectionDag().nodes);
    const inner = collapsedRepresentatives(sections, ['h2a']);
    expect(Object.fromEntries(inner)).toEqual({ load: 'h2a', clean: 'h2a' });
    const both = collapsedRepresentatives(sections, ['h2a', 'h1']);
    expect(both.get('load')).toBe('h1');
    expect(both.get('h2a')).toBe('h1');
    expect(both.has('extra')).toBe(false);
    expect(collapsedRepresentatives(sections, ['unknown']).size).toBe(0);
  });
});

describe('aggregateStatus', () => {
  it('shows what matters most', () => {
    expect(aggregateStatus(['succeeded', 'running', 'failed'])).toBe('running');
    expect(aggregateStatus(['succeeded', 'failed'])).toBe('failed');
    expect(aggregateStatus(['up_to_date', 'stale'])).toBe('stale');
    expect(aggregateStatus(['up_to_date', 'succeeded'])).toBe('succeeded');
    expect(aggregateStatus(['weird'])).toBe('weird');
    expect(aggregateStatus([])).toBe('never_run');
  });
});

describe('buildViewGraph', () => {
  it('draws every cell when nothing is collapsed', () => {
    // Every edge: the reduction of implied edges is notebooklayout.spec's.
    const view = buildViewGraph(sectionDag(), { allEdges: true });
    expect(view.nodes.map(n => n.id)).toHaveLength(10);
    expect(view.edges).toHaveLength(6);
    expect(view.nodes.find(n => n.id === 'h2a')).toMatchObject({
      collapsed: false
    });
  });

  it('folds a collapsed section into its heading, redirecting edges', () => {
    const view = buildViewGraph(sectionDag(), {
      collapsed: ['h2a'],
      allEdges: true
    });
    const ids = view.nodes.map(n => n.id);
    expect(ids).not.toContain('load');
    expect(ids).not.toContain('clean');
    const ends = view.edges.map(e => `${e.source}>${e.target}`).sort();
    // imp -> load (manual) becomes imp -> h2a; clean -> plot / stats start
    // at h2a; load -> clean is inside the section and disappears.
    expect(ends).toEqual([
      'h2a>plot',
      'h2a>stats',
      'imp>h2a',
      'imp>stats',
      'stats>extra'
    ]);
    const manual = view.edges.find(e => e.target === 'h2a')!;
    expect(manual.kind).toBe('manual');
    expect(manual.serverId).toBeNull(); // not deletable as such
    expect(manual.folded).toBe(true);
  });

  it('draws an accepted inference once, as a manual edge with its names', () => {
    const dag = sampleDag();
    dag.edges.push({
      id: 'acc',
      source: 'load',
      target: 'clean',
      kind: 'manual',
      names: []
    });
    const view = buildViewGraph(dag);
    const accepted = view.edges.filter(
      e => e.source === 'load' && e.target === 'clean'
    );
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({
      id: 'acc',
      kind: 'manual',
      names: ['data'],
      serverId: 'acc',
      merged: 1,
      folded: false
    });
    expect(viewToFlowEdges(view).find(e => e.id === 'acc')!.label).toBe('data');
  });

  it('merges edges that coincide once redirected', () => {
    const view = buildViewGraph(sectionDag(), { collapsed: ['h1'] });
    expect(view.nodes.map(n => n.id)).toEqual(['h1', 'h1b', 'extra']);
    expect(view.edges).toHaveLength(1);
    expect(view.edges[0]).toMatchObject({
      source: 'h1',
      target: 'extra',
      names: ['stats'],
      merged: 1
    });
    const two = buildViewGraph(
      {
        ...sectionDag(),
        edges: [
          ...sectionDag().edges,
          {
            id: null,
            source: 'clean',
            target: 'extra',
            kind: 'inferred',
            names: ['clean']
          }
        ]
      },
      { collapsed: ['h1'] }
    );
    expect(two.edges).toHaveLength(1);
    expect(two.edges[0].merged).toBe(2);
    expect(two.edges[0].names).toEqual(['stats', 'clean']);
  });

  it('gives collapsed headings the status of their code cells', () => {
    const view = buildViewGraph(sectionDag(), { collapsed: ['h2b', 'h2a'] });
    const nodes = viewToFlowNodes(view, {
      positions: new Map(),
      statuses: { plot: 'running' }
    });
    const byId = Object.fromEntries(nodes.map(n => [n.id, n.data]));
    expect(byId.h2a).toMatchObject({
      display: 'failed',
      heading: { level: 2, collapsed: true, count: 2 }
    });
    expect(byId.h2b.display).toBe('running');
    expect(byId.h1.heading).toEqual({ level: 1, collapsed: false, count: 7 });
    expect(nodes.find(n => n.id === 'h2a')!.ariaLabel).toContain(
      'collapsed section of 2 cells'
    );
  });

  it('adds dataset nodes and their edges only when asked', () => {
    const dag = {
      ...sampleDag(),
      datasets: [
        {
          id: 'dataset:d1',
          kind: 'dataset' as const,
          dataset_id: 'd1',
          name: 'sales.csv',
          format: 'csv',
          version: 2,
          rows: 500
        }
      ],
      edges: [
        ...sampleDag().edges,
        {
          id: null,
          source: 'dataset:d1',
          target: 'load',
          kind: 'reads',
          names: ['sales.csv']
        }
      ]
    };
    expect(buildViewGraph(dag).nodes.map(n => n.id)).not.toContain(
      'dataset:d1'
    );
    const view = buildViewGraph(dag, { showDatasets: true });
    const dataset = viewToFlowNodes(view).find(n => n.id === 'dataset:d1')!;
    expect(dataset.type).toBe('dagDataset');
    expect(dataset.data).toMatchObject({
      cellType: 'dataset',
      title: 'sales.csv',
      dataset: { format: 'csv', version: 2, rows: 500 }
    });
    const edge = viewToFlowEdges(view).find(e => e.source === 'dataset:d1')!;
    expect(edge.className).toContain('jp-NotebookDag-edge-reads');
    expect(edge.label).toBe('sales.csv');
  });
});

describe('plannedBlocks', () => {
  it('mirrors the server: code cells with code, in notebook order', () => {
    const dag = sectionDag();
    expect(plannedBlocks(dag, 'all')).toEqual([
      'imp',
      'load',
      'clean',
      'plot',
      'stats',
      'extra'
    ]);
    expect(plannedBlocks(dag, 'block', 'clean')).toEqual(['clean']);
    expect(plannedBlocks(dag, 'upstream', 'stats')).toEqual([
      'imp',
      'load',
      'clean',
      'stats'
    ]);
    expect(plannedBlocks(dag, 'downstream', 'clean')).toEqual([
      'clean',
      'plot',
      'stats',
      'extra'
    ]);
    expect(plannedBlocks(dag, 'downstream')).toEqual([]);
  });

  it('plans only what is not up to date for a stale run', () => {
    const dag = sectionDag();
    dag.nodes.forEach(n => (n.state = 'up_to_date'));
    dag.nodes.find(n => n.id === 'plot')!.state = 'stale';
    expect(plannedBlocks(dag, 'stale')).toEqual(['plot']);
  });
});

describe('sectionLayoutEdges', () => {
  it('puts each expanded heading before the first visible cell of its section', () => {
    const edges = sectionLayoutEdges(
      buildViewGraph(sectionDag(), { collapsed: ['h2a'] })
    );
    expect(edges.map(e => `${e.source}>${e.target}`)).toEqual([
      'h1>imp',
      'h2b>plot',
      'h1b>extra'
    ]);
  });
});
