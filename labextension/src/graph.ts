/**
 * Conversion of the API's DAG into React Flow nodes and edges (pure).
 */
import type { Edge, Node } from '@xyflow/react';

import { IDag, IDagEdge, IDagNode } from './types';

/**
 * React Flow node type used for DAG cells.
 */
export const DAG_NODE_TYPE = 'dagCell';

/**
 * Default size of a node, used by the layout too.
 */
export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 64;

/**
 * Longest label drawn on an inferred edge.
 */
export const EDGE_LABEL_MAX = 28;

/**
 * Data carried by a DAG node.
 */
export type DagNodeData = {
  cellId: string;
  title: string;
  cellType: string;
  index: number;
  status: string;
  source: string;
  parseError: string;
};

export type DagFlowNode = Node<DagNodeData, typeof DAG_NODE_TYPE>;

/**
 * Data carried by a DAG edge.
 */
export type DagEdgeData = {
  kind: 'manual' | 'inferred';
  names: string[];
};

export type DagFlowEdge = Edge<DagEdgeData>;

/**
 * Label of an inferred edge: its names joined, truncated with an ellipsis.
 */
export function edgeLabel(names: string[], max = EDGE_LABEL_MAX): string {
  const text = names.filter(name => !!name).join(', ');
  if (text.length <= max) {
    return text;
  }
  return text.slice(0, Math.max(0, max - 1)).replace(/\s+$/, '') + '…';
}

/**
 * A title for a node, falling back to the first source line or its kind.
 */
export function nodeTitle(node: IDagNode): string {
  if (node.title && node.title.trim()) {
    return node.title.trim();
  }
  const firstLine = (node.source || '')
    .split('\n')
    .map(line => line.trim())
    .find(line => line.length > 0);
  return firstLine || `${node.cell_type} cell ${node.index + 1}`;
}

/**
 * React Flow nodes of a DAG, in notebook order.
 *
 * @param statuses live statuses by cell id (fall back to the node's own status)
 * @param selectedId the selected cell, if any
 */
export function toFlowNodes(
  dag: IDag,
  statuses: { readonly [cellId: string]: string } = {},
  selectedId: string | null = null
): DagFlowNode[] {
  return [...dag.nodes]
    .sort((a, b) => a.index - b.index)
    .map(node => ({
      id: node.id,
      type: DAG_NODE_TYPE,
      position: node.position
        ? { x: node.position.x, y: node.position.y }
        : { x: 0, y: 0 },
      selected: node.id === selectedId,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      data: {
        cellId: node.id,
        title: nodeTitle(node),
        cellType: node.cell_type,
        index: node.index,
        status: statuses[node.id] ?? node.status ?? 'never_run',
        source: node.source ?? '',
        parseError: node.parse_error ?? ''
      }
    }));
}

function baseEdgeId(edge: IDagEdge): string {
  return edge.id || `${edge.kind}:${edge.source}->${edge.target}`;
}

/**
 * React Flow edges of a DAG. Edges whose ends are unknown are dropped;
 * inferred edges are dashed and labelled with the names they carry.
 */
export function toFlowEdges(dag: IDag): DagFlowEdge[] {
  const known = new Set(dag.nodes.map(node => node.id));
  const used = new Set<string>();
  const edges: DagFlowEdge[] = [];
  for (const edge of dag.edges) {
    if (!known.has(edge.source) || !known.has(edge.target)) {
      continue;
    }
    let id = baseEdgeId(edge);
    for (let n = 2; used.has(id); n++) {
      id = `${baseEdgeId(edge)}#${n}`;
    }
    used.add(id);
    const inferred = edge.kind === 'inferred';
    const names = edge.names ?? [];
    const label = inferred ? edgeLabel(names) : '';
    edges.push({
      id,
      source: edge.source,
      target: edge.target,
      type: 'default',
      className: inferred
        ? 'jp-NotebookDag-edge jp-NotebookDag-edge-inferred'
        : 'jp-NotebookDag-edge jp-NotebookDag-edge-manual',
      style: inferred
        ? { strokeDasharray: '6 4', strokeWidth: 1.5 }
        : { strokeWidth: 2 },
      markerEnd: { type: 'arrowclosed' },
      ...(label
        ? {
            label,
            labelShowBg: true,
            labelBgPadding: [4, 2] as [number, number],
            labelBgBorderRadius: 3
          }
        : {}),
      data: { kind: inferred ? 'inferred' : 'manual', names }
    });
  }
  return edges;
}

/**
 * React Flow nodes and edges of a DAG.
 */
export function toFlow(
  dag: IDag,
  statuses: { readonly [cellId: string]: string } = {},
  selectedId: string | null = null
): { nodes: DagFlowNode[]; edges: DagFlowEdge[] } {
  return {
    nodes: toFlowNodes(dag, statuses, selectedId),
    edges: toFlowEdges(dag)
  };
}
