import {
  DAG_NODE_TYPE,
  displayStatus,
  edgeLabel,
  EDGE_LABEL_MAX,
  mergeFlowNodes,
  nodeTitle,
  sameData,
  toFlow,
  toFlowEdges,
  toFlowNodes,
  viewToFlowEdges,
  viewToFlowNodes
} from '../graph';
import { laterChangesHint } from '../nodes';
import { buildViewGraph } from '../viewgraph';
import { sampleDag } from './fixtures';

describe('edgeLabel', () => {
  it('joins names', () => {
    expect(edgeLabel(['a', 'b'])).toBe('a, b');
    expect(edgeLabel([])).toBe('');
  });

  it('truncates long labels with an ellipsis', () => {
    const label = edgeLabel(['alpha', 'beta', 'gamma', 'delta', 'epsilon'], 12);
    expect(label.length).toBeLessThanOrEqual(12);
    expect(label.endsWith('…')).toBe(true);
    expect(label.startsWith('alpha, beta')).toBe(true);
  });
});

describe('nodeTitle', () => {
  it('falls back to the first source line, then the kind', () => {
    const dag = sampleDag();
    expect(nodeTitle(dag.nodes[1])).toBe('Load data');
    expect(nodeTitle(dag.nodes[3])).toBe('print(clean)');
    expect(nodeTitle({ ...dag.nodes[3], source: '' })).toBe('code cell 4');
  });
});

describe('later changes', () => {
  it('carries the names a block would read at a later value, unless another kernel is chosen', () => {
    const dag = sampleDag();
    dag.nodes = dag.nodes.map(n =>
      n.id === 'clean' ? { ...n, later_changes: ['df', '<random>'] } : n
    );
    const view = buildViewGraph(dag);
    const byId = Object.fromEntries(
      viewToFlowNodes(view).map(n => [n.id, n.data])
    );
    expect(byId.clean.laterChanges).toEqual(['df', '<random>']);
    expect(byId.load.laterChanges).toEqual([]);
    const other = viewToFlowNodes(view, { useStates: false });
    expect(other.every(n => n.data.laterChanges.length === 0)).toBe(true);
  });

  it('explains them in words', () => {
    const hint = laterChangesHint(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(hint).toContain('Depends on later changes');
    expect(hint).toContain('a, b, c, d, e…');
  });
});

describe('toFlowNodes', () => {
  it('makes one node per cell in notebook order', () => {
    const dag = sampleDag();
    dag.nodes.reverse();
    const nodes = toFlowNodes(dag);
    expect(nodes.map(n => n.id)).toEqual([
      'md',
      'load',
      'clean',
      'plot',
      'stats'
    ]);
    expect(nodes.every(n => n.type === DAG_NODE_TYPE)).toBe(true);
    expect(nodes[0].data).toMatchObject({
      cellId: 'md',
      title: 'Example',
      cellType: 'markdown',
      index: 0,
      status: 'never_run'
    });
    expect(nodes[3].data.title).toBe('print(clean)');
  });

  it('prefers live statuses and marks the selected node', () => {
    const nodes = toFlowNodes(sampleDag(), { load: 'running' }, 'clean');
    const byId = Object.fromEntries(nodes.map(n => [n.id, n]));
    expect(byId.load.data.status).toBe('running');
    expect(byId.clean.data.status).toBe('succeeded');
    expect(byId.stats.data.status).toBe('failed');
    expect(byId.clean.selected).toBe(true);
    expect(byId.load.selected).toBe(false);
  });

  it('keeps stored positions', () => {
    const dag = sampleDag();
    dag.nodes[1].position = { x: 10, y: 20 };
    const nodes = toFlowNodes(dag);
    expect(nodes[1].position).toEqual({ x: 10, y: 20 });
  });
});

describe('toFlowEdges', () => {
  it('labels inferred edges only and styles them apart', () => {
    const edges = toFlowEdges(sampleDag());
    expect(edges).toHaveLength(4);
    const inferred = edges.filter(e => e.data?.kind === 'inferred');
    const manual = edges.filter(e => e.data?.kind === 'manual');
    expect(inferred).toHaveLength(3);
    expect(manual).toHaveLength(1);
    for (const edge of inferred) {
      // dashed by the stylesheet, thinner than manual edges
      expect(edge.style).toEqual({ strokeWidth: 1.5 });
      expect(edge.className).toContain('jp-NotebookDag-edge-inferred');
      expect(typeof edge.label).toBe('string');
    }
    expect(manual[0].style).toEqual({ strokeWidth: 2.25 });
    expect(manual[0].label).toBeUndefined();
    expect(manual[0].className).toContain('jp-NotebookDag-edge-manual');

    const long = inferred.find(e => e.target === 'stats')!;
    expect((long.label as string).length).toBeLessThanOrEqual(EDGE_LABEL_MAX);
    expect(long.label as string).toMatch(/^clean, data, .*…$/);
    expect(long.data?.names).toHaveLength(4);
  });

  it('gives unique ids, generated when the API has none', () => {
    const dag = sampleDag();
    dag.edges.push({ ...dag.edges[0] }); // a repeated edge is drawn once
    const ids = toFlowEdges(dag).map(e => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(4);
    expect(ids).toContain('dep:load->clean');
    expect(ids).toContain('e-clean-plot');
  });

  it('drops edges with unknown ends', () => {
    const dag = sampleDag();
    dag.edges.push({
      id: 'x',
      source: 'ghost',
      target: 'load',
      kind: 'manual',
      names: []
    });
    expect(toFlowEdges(dag).map(e => e.id)).not.toContain('x');
  });
});

describe('toFlow', () => {
  it('converts both', () => {
    const flow = toFlow(sampleDag());
    expect(flow.nodes).toHaveLength(5);
    expect(flow.edges).toHaveLength(4);
  });
});

describe('displayStatus', () => {
  it('shows stale for finished blocks made out of date', () => {
    expect(displayStatus('succeeded', 'stale')).toBe('stale');
    expect(displayStatus('up_to_date', 'stale')).toBe('stale');
    expect(displayStatus('succeeded', 'up_to_date')).toBe('succeeded');
    expect(displayStatus('running', 'stale')).toBe('running');
    expect(displayStatus('failed', 'stale')).toBe('failed');
    expect(displayStatus(undefined, undefined)).toBe('never_run');
  });
});

describe('viewToFlowNodes', () => {
  it('places nodes from the layout, with states and the direction', () => {
    const dag = sampleDag();
    dag.nodes[2].state = 'stale';
    dag.nodes[2].duration = 1.5;
    const view = buildViewGraph(dag);
    const nodes = viewToFlowNodes(view, {
      positions: new Map([['clean', { x: 5, y: 6 }]]),
      direction: 'LR'
    });
    const clean = nodes.find(n => n.id === 'clean')!;
    expect(clean.position).toEqual({ x: 5, y: 6 });
    expect(clean.data).toMatchObject({
      status: 'succeeded',
      state: 'stale',
      display: 'stale',
      duration: 1.5,
      direction: 'LR'
    });
    expect(clean.deletable).toBe(false);
    expect(clean.ariaLabel).toBe('Clean (code cell 3, stale)');
    expect(nodes.find(n => n.id === 'md')!.ariaLabel).toBe(
      'Example (markdown cell 1)'
    );
  });
});

describe('viewToFlowEdges', () => {
  it('styles manual, inferred and selected edges apart', () => {
    const edges = viewToFlowEdges(buildViewGraph(sampleDag()), 'm1');
    const manual = edges.find(e => e.id === 'm1')!;
    expect(manual.selected).toBe(true);
    expect(manual.className).toContain('jp-NotebookDag-edge-manual');
    expect(manual.style).toEqual({ strokeWidth: 2.25 });
    expect(manual.data).toMatchObject({ kind: 'manual', serverId: 'm1' });
    const inferred = edges.find(e => e.source === 'load')!;
    expect(inferred.selected).toBe(false);
    expect(inferred.ariaLabel).toBe(
      'inferred edge from load to clean carrying data'
    );
  });
});

describe('mergeFlowNodes', () => {
  it('drops a class the fresh node no longer has (focus mode cleared)', () => {
    const plain = toFlowNodes(sampleDag());
    const focused = plain.map(n =>
      n.id === 'load' ? { ...n, className: 'jp-mod-upstream' } : n
    );
    const merged = mergeFlowNodes(focused, plain);
    expect(merged.find(n => n.id === 'load')!.className).toBeUndefined();
  });

  it('keeps unchanged node objects and measures', () => {
    const first = toFlowNodes(sampleDag());
    const measured = first.map(n => ({
      ...n,
      measured: { width: 1, height: 2 }
    }));
    const again = mergeFlowNodes(measured, toFlowNodes(sampleDag()));
    expect(again).toBe(measured); // nothing changed: same array
    const changed = mergeFlowNodes(
      measured,
      toFlowNodes(sampleDag(), { load: 'running' })
    );
    expect(changed).not.toBe(measured);
    const index = changed.findIndex(n => n.id === 'load');
    expect(changed[index].data.status).toBe('running');
    expect(changed[index].measured).toEqual({ width: 1, height: 2 });
    // the others are the very same objects (memoised nodes do not re-render)
    changed.forEach((node, i) => {
      if (i !== index) {
        expect(node).toBe(measured[i]);
      }
    });
  });

  it('leaves a dragged node where the user holds it', () => {
    const first = toFlowNodes(sampleDag());
    first[1] = { ...first[1], dragging: true, position: { x: 99, y: 98 } };
    const merged = mergeFlowNodes(
      first,
      toFlowNodes(sampleDag(), { load: 'queued' })
    );
    expect(merged[1].position).toEqual({ x: 99, y: 98 });
    expect(merged[1].data.status).toBe('queued');
  });

  it('adds and drops nodes', () => {
    const first = toFlowNodes(sampleDag());
    const dag = sampleDag();
    dag.nodes = dag.nodes.slice(0, 3);
    expect(mergeFlowNodes(first, toFlowNodes(dag))).toHaveLength(3);
    expect(mergeFlowNodes([], first)).toHaveLength(5);
  });
});

describe('sameData', () => {
  it('compares one level deep', () => {
    const [a] = toFlowNodes(sampleDag());
    expect(sameData(a.data, { ...a.data })).toBe(true);
    expect(sameData(a.data, { ...a.data, title: 'x' })).toBe(false);
    const withHeading = {
      ...a.data,
      heading: { level: 1, collapsed: false, count: 2 }
    };
    expect(
      sameData(withHeading, {
        ...withHeading,
        heading: { level: 1, collapsed: false, count: 2 }
      })
    ).toBe(true);
    expect(
      sameData(withHeading, {
        ...withHeading,
        heading: { level: 1, collapsed: true, count: 2 }
      })
    ).toBe(false);
  });
});

describe('viewToFlowEdges on large graphs', () => {
  it('labels only the edges around the selection', () => {
    const view = buildViewGraph(sampleDag());
    const all = viewToFlowEdges(view);
    expect(all.filter(e => e.label)).toHaveLength(3);
    const near = viewToFlowEdges(view, null, {
      labelsOnlyNear: true,
      labelsNear: 'clean'
    });
    expect(
      near
        .filter(e => e.label)
        .map(e => `${e.source}>${e.target}`)
        .sort()
    ).toEqual(['clean>plot', 'clean>stats', 'load>clean']);
    const none = viewToFlowEdges(view, null, { labelsOnlyNear: true });
    expect(none.filter(e => e.label)).toHaveLength(0);
    const selected = viewToFlowEdges(view, 'e-clean-plot', {
      labelsOnlyNear: true
    });
    expect(selected.filter(e => e.label).map(e => e.id)).toEqual([
      'e-clean-plot'
    ]);
  });
});

describe('viewToFlowNodes on another kernel', () => {
  it('leaves the project kernel states out', () => {
    const dag = sampleDag();
    dag.nodes[2].state = 'stale';
    const nodes = viewToFlowNodes(buildViewGraph(dag), { useStates: false });
    expect(nodes[2].data).toMatchObject({
      status: 'succeeded',
      state: '',
      display: 'succeeded'
    });
  });
});
