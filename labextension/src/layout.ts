/**
 * Automatic layout of a DAG: dagre, top-down or left-right, keeping the
 * positions the user saved; the fast layered layout of `layered.ts` beyond
 * what dagre lays out quickly (pure, no React).
 */
import * as dagre from '@dagrejs/dagre';

import { NODE_HEIGHT, NODE_WIDTH } from './graph';
import { layeredLayout, rankNodes } from './layered';

export type LayoutDirection = 'TB' | 'LR';

export type Point = { x: number; y: number };

/**
 * Layout options.
 */
export interface ILayoutOptions {
  /**
   * Direction of the ranks: `TB` (top-down, default) or `LR`.
   */
  direction?: LayoutDirection;
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
   * `dagre`, `layered`, or `auto` (default): dagre while the graph with its
   * long edges split per rank stays within `dagreBudget` nodes.
   */
  engine?: 'auto' | 'dagre' | 'layered';
  dagreBudget?: number;
  /**
   * Only used by `layoutGraph`: keep stored positions (default true).
   */
  keepStoredPositions?: boolean;
}

/**
 * What dagre lays out in well under a second here: nodes plus the dummy
 * nodes of edges spanning several ranks.
 */
export const DAGRE_BUDGET = 900;

export interface ILayoutNode {
  id: string;
  width?: number;
  height?: number;
}

export interface ILayoutEdge {
  source: string;
  target: string;
  id?: string;
}

export interface ILayoutResult {
  /**
   * Top-left corner of each node.
   */
  positions: Map<string, Point>;
  engine: 'dagre' | 'layered' | 'stored' | 'none' | 'elk';
  /**
   * Milliseconds spent.
   */
  ms: number;
  /**
   * dagre's route of each edge with bends (by edge id), around the nodes in
   * between: the view draws long edges through these points.
   */
  routes?: Map<string, Point[]>;
  /**
   * Boxes of the expanded markdown sections (by heading cell id), when the
   * layout draws sections as containers (`elklayout.ts`).
   */
  groups?: Map<string, { x: number; y: number; width: number; height: number }>;
}

/**
 * The size of the graph dagre would lay out: nodes plus one dummy node per
 * rank crossed by a long edge (ranks by longest path).
 */
export function dagreSize(
  nodes: ReadonlyArray<ILayoutNode>,
  edges: ReadonlyArray<ILayoutEdge>
): number {
  const index = new Map<string, number>();
  nodes.forEach((node, i) => index.set(node.id, i));
  const pairs: Array<[number, number]> = [];
  for (const edge of edges) {
    const s = index.get(edge.source);
    const t = index.get(edge.target);
    if (s !== undefined && t !== undefined) {
      pairs.push([s, t]);
    }
  }
  const { rank, kept } = rankNodes(nodes.length, pairs);
  let dummies = 0;
  for (const [s, t] of kept) {
    dummies += Math.max(0, rank[t] - rank[s] - 1);
  }
  return nodes.length + dummies;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function dagreLayout(
  nodes: ReadonlyArray<ILayoutNode>,
  edges: ReadonlyArray<ILayoutEdge>,
  options: ILayoutOptions,
  width: number,
  height: number,
  routes?: Map<string, Point[]>
): Map<string, Point> {
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
  edges.forEach((edge, i) => {
    if (
      known.has(edge.source) &&
      known.has(edge.target) &&
      edge.source !== edge.target
    ) {
      graph.setEdge(edge.source, edge.target, {}, edge.id ?? `e${i}`);
    }
  });
  dagre.layout(graph);
  const positions = new Map<string, Point>();
  for (const node of nodes) {
    const placed = graph.node(node.id);
    const w = node.width ?? width;
    const h = node.height ?? height;
    positions.set(node.id, { x: placed.x - w / 2, y: placed.y - h / 2 });
  }
  if (routes) {
    for (const e of graph.edges()) {
      const points = (graph.edge(e) as { points?: Point[] }).points;
      if (e.name && points && points.length > 3) {
        routes.set(
          e.name,
          points.map(p => ({ x: p.x, y: p.y }))
        );
      }
    }
  }
  return positions;
}

/**
 * Positions of every node: the stored one when there is one, the automatic
 * layout's otherwise.
 */
export function computeLayout(
  nodes: ReadonlyArray<ILayoutNode>,
  edges: ReadonlyArray<ILayoutEdge>,
  options: ILayoutOptions = {},
  stored: { readonly [id: string]: Point | null | undefined } = {}
): ILayoutResult {
  const start = now();
  const width = options.nodeWidth ?? NODE_WIDTH;
  const height = options.nodeHeight ?? NODE_HEIGHT;
  if (nodes.length === 0) {
    return { positions: new Map(), engine: 'none', ms: 0 };
  }
  const positions = new Map<string, Point>();
  if (nodes.every(node => !!stored[node.id])) {
    for (const node of nodes) {
      positions.set(node.id, { ...stored[node.id]! });
    }
    return { positions, engine: 'stored', ms: now() - start };
  }
  let engine: 'dagre' | 'layered' =
    options.engine === 'dagre' || options.engine === 'layered'
      ? options.engine
      : 'dagre';
  if (!options.engine || options.engine === 'auto') {
    const budget = options.dagreBudget ?? DAGRE_BUDGET;
    engine =
      nodes.length > budget || dagreSize(nodes, edges) > budget
        ? 'layered'
        : 'dagre';
  }
  const routes = new Map<string, Point[]>();
  const laidOutRoutes = routes;
  const laidOut =
    engine === 'dagre'
      ? dagreLayout(nodes, edges, options, width, height, routes)
      : layeredLayout(
          nodes.map(node => ({
            id: node.id,
            width: node.width ?? width,
            height: node.height ?? height
          })),
          edges,
          {
            direction: options.direction ?? 'TB',
            rankSep: options.rankSep ?? 70,
            nodeSep: options.nodeSep ?? 40
          }
        );
  for (const node of nodes) {
    positions.set(node.id, {
      ...(stored[node.id] ?? laidOut.get(node.id) ?? { x: 0, y: 0 })
    });
  }
  // Routes to or from a saved position no longer fit.
  for (const edge of edges) {
    if (edge.id && (stored[edge.source] || stored[edge.target])) {
      laidOutRoutes.delete(edge.id);
    }
  }
  return { positions, engine, ms: now() - start, routes };
}

/**
 * Give every node a position (React Flow nodes or anything with an id and a
 * size); returns new node objects, the input is not mutated.
 */
export function layoutGraph<N extends ILayoutNode & { position?: Point }>(
  nodes: N[],
  edges: ReadonlyArray<ILayoutEdge>,
  options: ILayoutOptions = {},
  stored: { readonly [id: string]: Point | null | undefined } = {}
): N[] {
  const keep = options.keepStoredPositions ?? true;
  const { positions } = computeLayout(
    nodes,
    edges,
    options,
    keep ? stored : {}
  );
  return nodes.map(node => ({
    ...node,
    position: positions.get(node.id) ?? { x: 0, y: 0 }
  }));
}
