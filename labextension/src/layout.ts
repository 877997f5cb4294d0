/**
 * Automatic top-down layout of a DAG with dagre.
 */
import * as dagre from '@dagrejs/dagre';
import type { Edge, Node } from '@xyflow/react';

import { NODE_HEIGHT, NODE_WIDTH } from './graph';

/**
 * Layout options.
 */
export interface ILayoutOptions {
  /**
   * Direction of the ranks: `TB` (top-down, default) or `LR`.
   */
  direction?: 'TB' | 'LR';
  nodeWidth?: number;
  nodeHeight?: number;
  /**
   * Space between ranks.
   */
  rankSep?: number;
  /**
   * Space between nodes of the same rank.
   */
  nodeSep?: number;
  /**
   * Keep the given positions when every node has a stored one.
   */
  keepStoredPositions?: boolean;
}

/**
 * Give every node a position, top-down following the edges.
 *
 * Returns new node objects (positions are their top-left corners, as React
 * Flow wants them); the input is not mutated.
 */
export function layoutGraph<N extends Node>(
  nodes: N[],
  edges: Edge[],
  options: ILayoutOptions = {},
  stored: { [id: string]: { x: number; y: number } | null } = {}
): N[] {
  const width = options.nodeWidth ?? NODE_WIDTH;
  const height = options.nodeHeight ?? NODE_HEIGHT;
  if (
    options.keepStoredPositions &&
    nodes.length > 0 &&
    nodes.every(node => !!stored[node.id])
  ) {
    return nodes.map(node => ({ ...node, position: { ...stored[node.id]! } }));
  }

  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({
    rankdir: options.direction ?? 'TB',
    ranksep: options.rankSep ?? 70,
    nodesep: options.nodeSep ?? 40,
    edgesep: 20,
    marginx: 20,
    marginy: 20
  });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    graph.setNode(node.id, {
      width: node.width ?? width,
      height: node.height ?? height
    });
  }
  const known = new Set(nodes.map(node => node.id));
  for (const edge of edges) {
    if (known.has(edge.source) && known.has(edge.target)) {
      graph.setEdge(edge.source, edge.target, {}, edge.id);
    }
  }
  dagre.layout(graph);

  return nodes.map(node => {
    const placed = graph.node(node.id);
    const w = node.width ?? width;
    const h = node.height ?? height;
    return {
      ...node,
      position: { x: placed.x - w / 2, y: placed.y - h / 2 }
    };
  });
}
