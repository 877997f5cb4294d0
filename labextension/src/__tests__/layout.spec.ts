import type { Edge } from '@xyflow/react';

import { NODE_HEIGHT, NODE_WIDTH, toFlowEdges, toFlowNodes } from '../graph';
import { layoutGraph } from '../layout';
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

  it('keeps stored positions when every node has one', () => {
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
    expect(auto[1].position).not.toEqual({ x: 5, y: 7 });
  });
});
