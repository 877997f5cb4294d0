import type { Edge } from '@xyflow/react';

import { NODE_HEIGHT, NODE_WIDTH, toFlowEdges, toFlowNodes } from '../graph';
import { computeLayout, dagreSize, layoutGraph } from '../layout';
import { layeredLayout, rankNodes } from '../layered';
import { sampleDag } from './fixtures';

function overlaps(
  a: { x: number; y: number },
  b: { x: number; y: number }
): boolean {
  return Math.abs(a.x - b.x) < NODE_WIDTH && Math.abs(a.y - b.y) < NODE_HEIGHT;
}

describe('layoutGraph', () => {
  it('places every node, top-down along the edges, without overlap', () => {
    const dag = sampleDag();
    const nodes = toFlowNodes(dag);
    const edges = toFlowEdges(dag);
    const laidOut = layoutGraph(nodes, edges);
    expect(laidOut).toHaveLength(nodes.length);
    const pos = Object.fromEntries(laidOut.map(n => [n.id, n.position]));
    for (const node of laidOut) {
      expect(Number.isFinite(node.position.x)).toBe(true);
      expect(Number.isFinite(node.position.y)).toBe(true);
    }
    for (const edge of edges) {
      expect(pos[edge.target].y).toBeGreaterThan(pos[edge.source].y);
    }
    for (let i = 0; i < laidOut.length; i++) {
      for (let j = i + 1; j < laidOut.length; j++) {
        expect(overlaps(laidOut[i].position, laidOut[j].position)).toBe(false);
      }
    }
    // plot and stats share a rank
    expect(pos.plot.y).toBe(pos.stats.y);
  });

  it('does not mutate its input', () => {
    const nodes = toFlowNodes(sampleDag());
    const before = JSON.stringify(nodes);
    layoutGraph(nodes, toFlowEdges(sampleDag()));
    expect(JSON.stringify(nodes)).toBe(before);
  });

  it('lays out left to right on request', () => {
    const dag = sampleDag();
    const laidOut = layoutGraph(toFlowNodes(dag), toFlowEdges(dag), {
      direction: 'LR'
    });
    const pos = Object.fromEntries(laidOut.map(n => [n.id, n.position]));
    expect(pos.clean.x).toBeGreaterThan(pos.load.x);
  });

  it('ignores edges to unknown nodes and handles isolated nodes', () => {
    const nodes = toFlowNodes(sampleDag());
    const edges: Edge[] = [{ id: 'x', source: 'ghost', target: 'load' }];
    const laidOut = layoutGraph(nodes, edges);
    expect(laidOut).toHaveLength(5);
    expect(layoutGraph([], [])).toEqual([]);
  });

  it('keeps stored positions, laying out only the other nodes', () => {
    const dag = sampleDag();
    const nodes = toFlowNodes(dag);
    const stored = Object.fromEntries(
      nodes.map((n, i) => [n.id, { x: i * 5, y: i * 7 }])
    );
    const kept = layoutGraph(nodes, [], { keepStoredPositions: true }, stored);
    expect(kept.map(n => n.position)).toEqual(
      nodes.map((_, i) => ({ x: i * 5, y: i * 7 }))
    );
    delete stored.md;
    const auto = layoutGraph(nodes, [], { keepStoredPositions: true }, stored);
    // The pinned nodes stay, the other one is laid out.
    expect(auto[1].position).toEqual({ x: 5, y: 7 });
    expect(auto[0].position).not.toEqual({ x: 0, y: 0 });
    const ignored = layoutGraph(
      nodes,
      [],
      { keepStoredPositions: false },
      stored
    );
    expect(ignored[1].position).not.toEqual({ x: 5, y: 7 });
  });
});

/**
 * A notebook-like DAG: each cell reads one or two names of the cells just
 * before it, and a few read the first (imports) cell.
 */
function notebookGraph(n: number, m: number) {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const nodes = Array.from({ length: n }, (_, i) => ({ id: `c${i}` }));
  const edges: { id: string; source: string; target: string }[] = [];
  const seen = new Set<string>();
  const add = (a: number, b: number) => {
    const key = `${a}>${b}`;
    if (a < b && !seen.has(key)) {
      seen.add(key);
      edges.push({ id: key, source: `c${a}`, target: `c${b}` });
    }
  };
  for (let i = 1; i < n; i++) {
    add(Math.max(0, i - 1 - Math.floor(random() * 6)), i);
  }
  while (edges.length < m) {
    const b = 1 + Math.floor(random() * (n - 1));
    add(
      random() < 0.05 ? 0 : Math.max(0, b - 1 - Math.floor(random() * 12)),
      b
    );
  }
  return { nodes, edges };
}

describe('computeLayout', () => {
  it('uses dagre for small graphs and the layered layout beyond its budget', () => {
    const dag = sampleDag();
    const small = computeLayout(toFlowNodes(dag), toFlowEdges(dag));
    expect(small.engine).toBe('dagre');
    const { nodes, edges } = notebookGraph(60, 120);
    expect(computeLayout(nodes, edges, { dagreBudget: 50 }).engine).toBe(
      'layered'
    );
    expect(computeLayout(nodes, edges, { engine: 'layered' }).engine).toBe(
      'layered'
    );
    expect(computeLayout([], []).engine).toBe('none');
  });

  it('skips the layout when every node has a saved position', () => {
    const stored = { a: { x: 1, y: 2 }, b: { x: 3, y: 4 } };
    const result = computeLayout([{ id: 'a' }, { id: 'b' }], [], {}, stored);
    expect(result.engine).toBe('stored');
    expect(result.positions.get('b')).toEqual({ x: 3, y: 4 });
    // copies, not the stored objects
    expect(result.positions.get('a')).not.toBe(stored.a);
  });

  it('counts the dummy nodes dagre would add for long edges', () => {
    // a -> b -> c plus a -> c: a -> c spans two ranks (one dummy)
    const nodes = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const edges = [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
      { source: 'a', target: 'c' }
    ];
    expect(dagreSize(nodes, edges)).toBe(4);
  });
});

describe('layeredLayout', () => {
  const check = (direction: 'TB' | 'LR') => {
    const { nodes, edges } = notebookGraph(300, 600);
    const sized = nodes.map(n => ({
      ...n,
      width: NODE_WIDTH,
      height: NODE_HEIGHT
    }));
    const pos = layeredLayout(sized, edges, {
      direction,
      rankSep: 70,
      nodeSep: 40
    });
    expect(pos.size).toBe(300);
    const along = (id: string) =>
      direction === 'TB' ? pos.get(id)!.y : pos.get(id)!.x;
    for (const edge of edges) {
      expect(along(edge.target)).toBeGreaterThan(along(edge.source));
    }
    // No two nodes overlap.
    const boxes = [...pos.values()].sort((a, b) => a.y - b.y || a.x - b.x);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        if (boxes[j].y - boxes[i].y >= NODE_HEIGHT && direction === 'TB') {
          break;
        }
        expect(overlaps(boxes[i], boxes[j])).toBe(false);
      }
    }
  };

  it('places ranks along the edges, top-down, without overlap', () =>
    check('TB'));
  it('and left to right', () => check('LR'));

  it('breaks cycles instead of looping', () => {
    const nodes = ['a', 'b', 'c'].map(id => ({ id, width: 10, height: 10 }));
    const edges = [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
      { source: 'c', target: 'a' },
      { source: 'a', target: 'a' }
    ];
    const pos = layeredLayout(nodes, edges, {
      direction: 'TB',
      rankSep: 10,
      nodeSep: 10
    });
    expect(pos.size).toBe(3);
    const { rank } = rankNodes(3, [
      [0, 1],
      [1, 2],
      [2, 0]
    ]);
    expect(Array.from(rank)).toEqual([0, 1, 2]);
  });

  it('pulls a source down next to its first consumer', () => {
    const { rank } = rankNodes(4, [
      [0, 1],
      [1, 2],
      [3, 2]
    ]);
    expect(rank[3]).toBe(1);
  });

  it('lays out 1,000 nodes and 2,000 edges quickly', () => {
    const { nodes, edges } = notebookGraph(1000, 2000);
    expect(edges).toHaveLength(2000);
    const start = Date.now();
    const result = computeLayout(nodes, edges);
    const elapsed = Date.now() - start;
    expect(result.engine).toBe('layered');
    expect(result.positions.size).toBe(1000);
    expect(elapsed).toBeLessThan(1000);
  });
});
