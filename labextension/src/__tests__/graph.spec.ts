import {
  DAG_NODE_TYPE,
  edgeLabel,
  EDGE_LABEL_MAX,
  nodeTitle,
  toFlow,
  toFlowEdges,
  toFlowNodes
} from '../graph';
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
  it('labels and dashes inferred edges only', () => {
    const edges = toFlowEdges(sampleDag());
    expect(edges).toHaveLength(4);
    const inferred = edges.filter(e => e.data?.kind === 'inferred');
    const manual = edges.filter(e => e.data?.kind === 'manual');
    expect(inferred).toHaveLength(3);
    expect(manual).toHaveLength(1);
    for (const edge of inferred) {
      expect(edge.style?.strokeDasharray).toBeTruthy();
      expect(edge.className).toContain('jp-NotebookDag-edge-inferred');
      expect(typeof edge.label).toBe('string');
    }
    expect(manual[0].style?.strokeDasharray).toBeUndefined();
    expect(manual[0].label).toBeUndefined();
    expect(manual[0].className).toContain('jp-NotebookDag-edge-manual');

    const long = inferred.find(e => e.target === 'stats')!;
    expect((long.label as string).length).toBeLessThanOrEqual(EDGE_LABEL_MAX);
    expect(long.label as string).toMatch(/^clean, data, .*…$/);
    expect(long.data?.names).toHaveLength(4);
  });

  it('gives unique ids, generated when the API has none', () => {
    const dag = sampleDag();
    dag.edges.push({ ...dag.edges[0] });
    const ids = toFlowEdges(dag).map(e => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('inferred:load->clean');
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
