import { groupBoxes, GROUP_PADDING, notebookLayout } from '../elklayout';
import {
  DAG_NODE_TYPE,
  NODE_HEIGHT,
  NODE_WIDTH,
  nodeTitle,
  SECTION_NODE_TYPE,
  viewToFlowEdges,
  viewToFlowNodes
} from '../graph';
import { latexToText, markdownToText } from '../plaintext';
import { transitiveReduction } from '../reduction';
import { IDag } from '../types';
import { fitViewport, fitZoom, READABLE_ZOOM } from '../viewfit';
import { buildViewGraph, notebookGraph } from '../viewgraph';
import { MemoryViewOptionsStore, setViewOptionsStore } from '../viewoptions';
import { DagViewState } from '../viewstate';
import { searchNodes } from '../nodesearch';
import { sampleDag, sectionDag } from './fixtures';

type E = {
  source: string;
  target: string;
  names: string[];
  kind?: string;
  carried?: string[];
};
const e = (
  source: string,
  target: string,
  names: string[] = [],
  kind = 'inferred'
): E => ({
  source,
  target,
  names,
  kind
});
const pairs = (edges: E[]) => edges.map(x => `${x.source}>${x.target}`);

describe('transitiveReduction', () => {
  it('hides an edge a longer path implies and moves its names onto the path', () => {
    const { kept, hidden } = transitiveReduction([
      e('a', 'b', ['x']),
      e('b', 'c', ['y']),
      e('a', 'c', ['x', 'z'])
    ]);
    expect(pairs(kept)).toEqual(['a>b', 'b>c']);
    expect(pairs(hidden)).toEqual(['a>c']);
    // x already on a>b; z rides along the whole path.
    expect(kept[0].carried).toEqual(['z']);
    expect(kept[1].carried).toEqual(['x', 'z']);
  });

  it('reduces a diamond with a shortcut and keeps the diamond', () => {
    const { kept, hidden } = transitiveReduction([
      e('a', 'b'),
      e('a', 'c'),
      e('b', 'd'),
      e('c', 'd'),
      e('a', 'd')
    ]);
    expect(pairs(hidden)).toEqual(['a>d']);
    expect(kept).toHaveLength(4);
  });

  it('never hides what is not removable, but uses it as a path', () => {
    const edges = [
      e('a', 'b', [], 'manual'),
      e('b', 'c'),
      e('a', 'c', ['v'], 'manual')
    ];
    const { kept, hidden } = transitiveReduction(
      edges,
      x => x.kind === 'inferred'
    );
    expect(hidden).toEqual([]);
    expect(kept).toHaveLength(3);
    const second = transitiveReduction(
      [
        e('a', 'b', [], 'manual'),
        e('b', 'c', [], 'manual'),
        e('a', 'c', ['v'])
      ],
      x => x.kind === 'inferred'
    );
    expect(pairs(second.hidden)).toEqual(['a>c']);
  });

  it('leaves cycles alone and keeps input order', () => {
    const { kept, hidden } = transitiveReduction([
      e('a', 'b'),
      e('b', 'a'),
      e('a', 'c')
    ]);
    expect(hidden).toEqual([]);
    expect(pairs(kept)).toEqual(['a>b', 'b>a', 'a>c']);
  });
});

describe('the view graph', () => {
  it('hides implied edges by default and shows them all on request', () => {
    const reduced = buildViewGraph(sectionDag());
    // imp → stats is implied by imp → load → clean → stats (m1 is manual).
    expect(pairs(reduced.edges)).not.toContain('imp>stats');
    expect(reduced.impliedHidden).toBe(1);
    const onPath = reduced.edges.find(
      x => x.source === 'clean' && x.target === 'stats'
    )!;
    expect(onPath.carried).toEqual(['math']);
    const label = viewToFlowEdges(reduced).find(x => x.id === onPath.id)!.label;
    expect(label).toBe('clean, math');
    const all = buildViewGraph(sectionDag(), { allEdges: true });
    expect(pairs(all.edges)).toContain('imp>stats');
    expect(all.impliedHidden).toBe(0);
    expect(all.edges.length).toBe(reduced.edges.length + 1);
  });

  it('merges the parallel edges of a collapsed section into one', () => {
    const dag = sectionDag();
    // A second edge into the Report section, from the same source.
    dag.edges.push({
      id: null,
      source: 'load',
      target: 'plot',
      kind: 'inferred',
      names: ['data']
    });
    const view = buildViewGraph(dag, { collapsed: ['h2b'], allEdges: true });
    const intoReport = view.edges.filter(x => x.target === 'h2b');
    const bySource = new Map<string, number>();
    for (const edge of intoReport) {
      bySource.set(edge.source, (bySource.get(edge.source) ?? 0) + 1);
    }
    expect([...bySource.values()].every(n => n === 1)).toBe(true);
    const fromClean = intoReport.find(x => x.source === 'clean')!;
    expect(fromClean.merged).toBe(2); // clean → plot and clean → stats
    // Reduced: load → h2b is implied by load → clean → h2b.
    const reduced = buildViewGraph(dag, { collapsed: ['h2b'] });
    expect(pairs(reduced.edges)).not.toContain('load>h2b');
    expect(pairs(reduced.edges)).toContain('clean>h2b');
  });

  it('makes expanded sections boxes of their innermost cells and hints prose', () => {
    const dag = sectionDag();
    dag.nodes.push({
      id: 'prose',
      index: 10,
      cell_type: 'markdown',
      source: 'Some words',
      title: '',
      position: null
    });
    dag.nodes.push({
      id: 'last',
      index: 11,
      cell_type: 'code',
      source: 'print(1)',
      title: '',
      position: null
    });
    const graph = notebookGraph(buildViewGraph(dag));
    expect([...graph.groups].sort()).toEqual(['h1', 'h1b', 'h2a', 'h2b']);
    expect(graph.parents.get('load')).toBe('h2a');
    expect(graph.parents.get('h2a')).toBe('h1');
    expect(graph.parents.get('imp')).toBe('h1');
    expect(graph.parents.get('last')).toBe('h1b');
    expect(graph.hints).toEqual([
      { source: 'prose', target: 'last', id: 'hint:prose' }
    ]);
    const collapsed = notebookGraph(
      buildViewGraph(dag, { collapsed: ['h2a'] })
    );
    expect(collapsed.groups.has('h2a')).toBe(false);
    expect(collapsed.parents.get('h2a')).toBe('h1');
  });
});

function inside(
  inner: { x: number; y: number; width: number; height: number },
  outer: { x: number; y: number; width: number; height: number }
): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

function sized(graph: ReturnType<typeof notebookGraph>) {
  return {
    ...graph,
    nodes: graph.nodes.map(n => ({
      ...n,
      width: NODE_WIDTH,
      height: NODE_HEIGHT
    }))
  };
}

describe('notebookLayout', () => {
  it('lays sections out as boxes holding their cells, edges downwards', async () => {
    const view = buildViewGraph(sectionDag());
    const graph = sized(notebookGraph(view));
    const layout = await notebookLayout(graph);
    expect(layout.engine).toBe('elk');
    const groups = layout.groups!;
    const box = (id: string) =>
      groups.get(id) ?? {
        ...layout.positions.get(id)!,
        width: NODE_WIDTH,
        height: NODE_HEIGHT
      };
    for (const [child, parent] of graph.parents) {
      expect(inside(box(child), box(parent))).toBe(true);
    }
    expect(inside(box('h2a'), box('h1'))).toBe(true);
    // Cells never overlap.
    const cells = graph.nodes
      .filter(n => !graph.groups.has(n.id))
      .map(n => box(n.id));
    for (let i = 0; i < cells.length; i++) {
      for (let j = i + 1; j < cells.length; j++) {
        const [a, b] = [cells[i], cells[j]];
        const apart =
          a.x + a.width <= b.x ||
          b.x + b.width <= a.x ||
          a.y + a.height <= b.y ||
          b.y + b.height <= a.y;
        expect(apart).toBe(true);
      }
    }
    for (const edge of view.edges) {
      if (!graph.groups.has(edge.source) && !graph.groups.has(edge.target)) {
        expect(layout.positions.get(edge.target)!.y).toBeGreaterThan(
          layout.positions.get(edge.source)!.y
        );
      }
    }
    // Orthogonal routes are in absolute coordinates: they start under the source.
    for (const [id, route] of layout.routes!) {
      const edge = view.edges.find(x => x.id === id)!;
      const s = box(edge.source);
      expect(route[0].x).toBeGreaterThanOrEqual(s.x - 1);
      expect(route[0].x).toBeLessThanOrEqual(s.x + s.width + 1);
      expect(Math.abs(route[0].y - (s.y + s.height))).toBeLessThan(2);
    }
  });

  it('gives React Flow the sections as boxes behind their cells', async () => {
    const view = buildViewGraph(sectionDag());
    const layout = await notebookLayout(sized(notebookGraph(view)));
    const nodes = viewToFlowNodes(view, {
      positions: layout.positions,
      groups: layout.groups,
      selectedId: 'h2a'
    });
    const h2a = nodes.find(n => n.id === 'h2a')!;
    const box = layout.groups!.get('h2a')!;
    expect(h2a).toMatchObject({
      type: SECTION_NODE_TYPE,
      position: { x: box.x, y: box.y },
      width: box.width,
      height: box.height,
      zIndex: -1,
      selected: false,
      selectable: false,
      draggable: false
    });
    expect(nodes.find(n => n.id === 'load')!.type).toBe(DAG_NODE_TYPE);
  });

  it('lays out left to right on request', async () => {
    const graph = sized(notebookGraph(buildViewGraph(sampleDag())));
    const layout = await notebookLayout(graph, { direction: 'LR' });
    expect(layout.positions.get('clean')!.x).toBeGreaterThan(
      layout.positions.get('load')!.x
    );
  });

  it('honours saved positions, the box following its cells', async () => {
    const graph = sized(notebookGraph(buildViewGraph(sectionDag())));
    const layout = await notebookLayout(
      graph,
      {},
      { load: { x: 5000, y: 4000 } }
    );
    expect(layout.positions.get('load')).toEqual({ x: 5000, y: 4000 });
    const h2a = layout.groups!.get('h2a')!;
    expect(h2a.x + h2a.width).toBe(5000 + NODE_WIDTH + GROUP_PADDING.side);
    expect(
      inside(
        { x: 5000, y: 4000, width: NODE_WIDTH, height: NODE_HEIGHT },
        layout.groups!.get('h1')!
      )
    ).toBe(true);
  });

  it('falls back to the synchronous layout beyond its budget', async () => {
    const graph = sized(notebookGraph(buildViewGraph(sectionDag())));
    const layout = await notebookLayout(graph, { elkBudget: 3 });
    expect(layout.engine).toBe('dagre');
    expect(layout.groups).toBeUndefined();
    expect(layout.positions.size).toBe(graph.nodes.length);
    // Headings still sit above their sections.
    const y = (id: string) => layout.positions.get(id)!.y;
    expect(y('h2a')).toBeLessThan(y('load'));
    expect(y('h2b')).toBeLessThan(y('plot'));
  });

  it('computes boxes bottom-up', () => {
    const boxes = groupBoxes(
      {
        nodes: [{ id: 'g' }, { id: 'h' }, { id: 'a' }, { id: 'b' }],
        parents: new Map([
          ['h', 'g'],
          ['a', 'h'],
          ['b', 'g']
        ]),
        groups: new Set(['g', 'h'])
      },
      new Map([
        ['a', { x: 0, y: 0 }],
        ['b', { x: 300, y: 200 }]
      ])
    );
    const h = boxes.get('h')!;
    expect(h).toEqual({
      x: -GROUP_PADDING.side,
      y: -GROUP_PADDING.top,
      width: NODE_WIDTH + 2 * GROUP_PADDING.side,
      height: NODE_HEIGHT + GROUP_PADDING.top + GROUP_PADDING.bottom
    });
    const g = boxes.get('g')!;
    expect(inside(h, g)).toBe(true);
    expect(g.x + g.width).toBe(300 + NODE_WIDTH + GROUP_PADDING.side);
  });
});

describe('DagViewState', () => {
  it('lays out with elk in the background, then moves boxes with their cells', async () => {
    setViewOptionsStore(new MemoryViewOptionsStore());
    const state = new DagViewState('layout-test');
    try {
      state.setDag(sectionDag());
      expect(state.layout).toBeNull();
      await state.laidOut();
      expect(state.layout!.engine).toBe('elk');
      expect(state.layout!.groups!.has('h2a')).toBe(true);
      state.move({ clean: { x: 9000, y: 9000 } });
      const h2a = state.layout!.groups!.get('h2a')!;
      expect(h2a.x + h2a.width).toBe(9000 + NODE_WIDTH + GROUP_PADDING.side);
      state.setShowAllEdges(true);
      expect(state.view!.edges.map(x => `${x.source}>${x.target}`)).toContain(
        'imp>stats'
      );
      await state.laidOut();
      expect(state.layout!.positions.get('clean')).toEqual({
        x: 9000,
        y: 9000
      });
    } finally {
      state.dispose();
    }
  });
});

describe('plain-text titles', () => {
  it('renders LaTeX and markdown as text', () => {
    expect(latexToText('\\phi_k')).toBe('φ_k');
    expect(latexToText('\\hat{\\beta}_{t} \\leq 1')).toBe('β_t ≤ 1');
    expect(markdownToText('Estimating $\\phi_k$ with **AR** models')).toBe(
      'Estimating φ_k with AR models'
    );
    expect(
      markdownToText('## See [the docs](https://x.org) and `fit()` ##')
    ).toBe('See the docs and fit()');
    expect(markdownToText('<b>Bold</b> &amp; _it_ ![img](a.png)')).toBe(
      'Bold & it img'
    );
    expect(markdownToText('snake_case_name stays')).toBe(
      'snake_case_name stays'
    );
  });

  it('titles markdown nodes without markup, code nodes as they are', () => {
    const dag: IDag = sampleDag();
    const md = { ...dag.nodes[0], title: '**The $\\alpha$ model**' };
    expect(nodeTitle(md)).toBe('The α model');
    const code = { ...dag.nodes[1], title: '**kept**' };
    expect(nodeTitle(code)).toBe('**kept**');
  });
});

describe('fit at a readable zoom', () => {
  const small = { x: 0, y: 0, width: 400, height: 300 };
  const tall = { x: 0, y: 0, width: 2000, height: 8000 };

  it('fits a small graph whole, centred', () => {
    const view = fitViewport(small, 1440, 900);
    expect(view.zoom).toBe(1.1);
    expect(view.x).toBeCloseTo(720 - 200 * 1.1);
  });

  it('never goes below the readable zoom: shows the top of a large graph', () => {
    expect(fitZoom(tall, 720, 900)).toBeLessThan(0.1);
    const view = fitViewport(tall, 720, 900);
    expect(view.zoom).toBe(READABLE_ZOOM);
    expect(view.y).toBe(24);
    expect(view.x).toBe(24);
    expect(13 * view.zoom).toBeGreaterThanOrEqual(10);
  });
});

describe('searchNodes', () => {
  const nodes = [
    { id: 'a', data: { title: 'Load the data', index: 0 } },
    { id: 'b', data: { title: 'Plot data by region', index: 1 } },
    { id: 'c', data: { title: 'Data cleaning', index: 11 } }
  ];

  it('finds titles with every word, those starting with the query first', () => {
    expect(searchNodes(nodes, 'data')).toEqual(['c', 'a', 'b']);
    expect(searchNodes(nodes, 'plot REGION')).toEqual(['b']);
    expect(searchNodes(nodes, 'nothing')).toEqual([]);
    expect(searchNodes(nodes, '  ')).toEqual([]);
  });

  it('finds a cell by its number', () => {
    expect(searchNodes(nodes, '#12')).toEqual(['c']);
    expect(searchNodes(nodes, '2')).toEqual(['b']);
  });
});
