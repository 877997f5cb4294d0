/**
 * The notebook layout of a DAG view: elkjs's layered algorithm with the
 * expanded markdown sections as compound nodes holding their cells, and
 * orthogonal edge routes; the synchronous layouts of `layout.ts` beyond
 * what elk lays out quickly.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';

import { NODE_HEIGHT, NODE_WIDTH } from './graph';
import {
  computeLayout,
  dagreSize,
  ILayoutEdge,
  ILayoutNode,
  ILayoutResult,
  LayoutDirection,
  Point
} from './layout';

/**
 * Graphs larger than this — nodes plus one dummy node per rank crossed by a
 * long edge (`dagreSize`), what layered layouts spend their time on — skip
 * elk and use dagre or the fast layered layout (elk takes seconds on a
 * 1,000-node notebook; see benchmarks/bench_dag_layout.mjs).
 */
export const ELK_BUDGET = 400;

/**
 * Space inside a section's box: room for its title above its cells.
 */
export const GROUP_PADDING = { top: 44, side: 14, bottom: 14 };

export type Box = { x: number; y: number; width: number; height: number };

/**
 * What the notebook layout lays out.
 */
export interface INotebookGraph {
  /**
   * Leaf nodes (cells, collapsed sections, datasets) and section nodes.
   */
  nodes: ReadonlyArray<ILayoutNode>;
  /**
   * Edges drawn (routed by elk, by id).
   */
  edges: ReadonlyArray<ILayoutEdge>;
  /**
   * Node id → id of the innermost section holding it.
   */
  parents: ReadonlyMap<string, string>;
  /**
   * Ids of the nodes that are sections (boxes holding other nodes).
   */
  groups: ReadonlySet<string>;
  /**
   * Edges only the layout sees (a markdown cell above the cell it
   * introduces).
   */
  hints?: ReadonlyArray<ILayoutEdge>;
}

export interface INotebookLayoutOptions {
  direction?: LayoutDirection;
  /**
   * `auto` (default): elk within `ELK_BUDGET`, `layout.ts`'s otherwise.
   */
  engine?: 'auto' | 'elk' | 'classic';
  elkBudget?: number;
}

let elkInstance: Promise<{ layout(graph: ElkNode): Promise<ElkNode> }> | null =
  null;

function elk(): Promise<{ layout(graph: ElkNode): Promise<ElkNode> }> {
  if (!elkInstance) {
    // Loaded on first use: elk is large and only the DAG view needs it.
    elkInstance = import('elkjs/lib/elk.bundled.js').then(module => {
      const ELK = (module as any).default ?? module;
      return new ELK();
    });
  }
  return elkInstance;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Boxes of the sections around their members' final positions (nested
 * sections first), so that a box follows cells the user moved.
 *
 * @returns the box of each section with at least one placed member
 */
export function groupBoxes(
  graph: Pick<INotebookGraph, 'nodes' | 'parents' | 'groups'>,
  positions: ReadonlyMap<string, Point>
): Map<string, Box> {
  const size = new Map(
    graph.nodes.map(node => [
      node.id,
      { width: node.width ?? NODE_WIDTH, height: node.height ?? NODE_HEIGHT }
    ])
  );
  const depth = (id: string) => {
    let d = 0;
    for (let p = graph.parents.get(id); p; p = graph.parents.get(p)) {
      d++;
    }
    return d;
  };
  const boxes = new Map<string, Box>();
  const extent = new Map<string, [number, number, number, number]>();
  const grow = (group: string, b: Box) => {
    const e = extent.get(group) ?? [Infinity, Infinity, -Infinity, -Infinity];
    extent.set(group, [
      Math.min(e[0], b.x),
      Math.min(e[1], b.y),
      Math.max(e[2], b.x + b.width),
      Math.max(e[3], b.y + b.height)
    ]);
  };
  for (const node of graph.nodes) {
    const parent = graph.parents.get(node.id);
    const at = positions.get(node.id);
    if (parent && at && !graph.groups.has(node.id)) {
      grow(parent, { ...at, ...size.get(node.id)! });
    }
  }
  const groups = [...graph.groups].sort((a, b) => depth(b) - depth(a));
  for (const group of groups) {
    const e = extent.get(group);
    if (!e) {
      continue;
    }
    const box = {
      x: e[0] - GROUP_PADDING.side,
      y: e[1] - GROUP_PADDING.top,
      width: e[2] - e[0] + 2 * GROUP_PADDING.side,
      height: e[3] - e[1] + GROUP_PADDING.top + GROUP_PADDING.bottom
    };
    boxes.set(group, box);
    const parent = graph.parents.get(group);
    if (parent) {
      grow(parent, box);
    }
  }
  return boxes;
}

function elkGraph(graph: INotebookGraph, direction: LayoutDirection): ElkNode {
  const elkNodes = new Map<string, ElkNode>();
  for (const node of graph.nodes) {
    const group = graph.groups.has(node.id);
    elkNodes.set(node.id, {
      id: node.id,
      ...(group
        ? {
            children: [],
            layoutOptions: {
              'elk.padding': `[top=${GROUP_PADDING.top},left=${GROUP_PADDING.side},bottom=${GROUP_PADDING.bottom},right=${GROUP_PADDING.side}]`
            }
          }
        : {
            width: node.width ?? NODE_WIDTH,
            height: node.height ?? NODE_HEIGHT
          })
    });
  }
  const root: ElkNode = {
    id: '__root__',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': direction === 'LR' ? 'RIGHT' : 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeNode': '18',
      'elk.spacing.edgeEdge': '10',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.padding': '[top=20,left=20,bottom=20,right=20]'
    },
    children: [],
    edges: []
  };
  for (const node of graph.nodes) {
    const parent = graph.parents.get(node.id);
    const holder = (parent && elkNodes.get(parent)) || root;
    holder.children!.push(elkNodes.get(node.id)!);
  }
  // Edges touching a section box itself are drawn by the view, not routed.
  const usable = (edge: ILayoutEdge) =>
    elkNodes.has(edge.source) &&
    elkNodes.has(edge.target) &&
    edge.source !== edge.target &&
    !graph.groups.has(edge.source) &&
    !graph.groups.has(edge.target);
  const seen = new Set<string>();
  const add = (edge: ILayoutEdge, id: string) => {
    if (usable(edge) && !seen.has(id)) {
      seen.add(id);
      root.edges!.push({ id, sources: [edge.source], targets: [edge.target] });
    }
  };
  graph.edges.forEach((edge, i) => add(edge, edge.id ?? `e${i}`));
  (graph.hints ?? []).forEach((edge, i) => add(edge, `hint:${i}`));
  return root;
}

/**
 * Absolute positions of elk's nodes and routes of its edges (elk gives
 * coordinates relative to the parent node, and edge points relative to the
 * edge's `container`).
 */
function readElk(
  laidOut: ElkNode,
  positions: Map<string, Point>,
  routes: Map<string, Point[]>
): void {
  const origin = new Map<string, Point>([['__root__', { x: 0, y: 0 }]]);
  const visit = (node: ElkNode, at: Point) => {
    for (const child of node.children ?? []) {
      const p = { x: at.x + (child.x ?? 0), y: at.y + (child.y ?? 0) };
      positions.set(child.id, p);
      origin.set(child.id, p);
      visit(child, p);
    }
  };
  visit(laidOut, { x: 0, y: 0 });
  for (const edge of (laidOut.edges ?? []) as Array<
    ElkExtendedEdge & { container?: string }
  >) {
    const section = edge.sections?.[0];
    if (!section || edge.id.startsWith('hint:')) {
      continue;
    }
    const o = origin.get(edge.container ?? '__root__') ?? { x: 0, y: 0 };
    const points = [
      section.startPoint,
      ...(section.bendPoints ?? []),
      section.endPoint
    ].map(p => ({ x: p.x + o.x, y: p.y + o.y }));
    if (points.length > 2) {
      routes.set(edge.id, points);
    }
  }
}

/**
 * Lay out a notebook graph: top-left position of every node, boxes of the
 * sections (`groups`) and edge routes; saved positions (`stored`) win over
 * the layout's, for cells (a section's box follows its cells).
 *
 * Resolves to `engine: 'elk'` with `groups`, or to `layout.ts`'s result
 * (no boxes: sections drawn as heading nodes) beyond the budget.
 */
export async function notebookLayout(
  graph: INotebookGraph,
  options: INotebookLayoutOptions = {},
  stored: { readonly [id: string]: Point | null | undefined } = {}
): Promise<ILayoutResult> {
  const start = now();
  const direction = options.direction ?? 'TB';
  const budget = options.elkBudget ?? ELK_BUDGET;
  const useElk =
    options.engine === 'elk' ||
    (options.engine !== 'classic' &&
      graph.nodes.length <= budget &&
      dagreSize(graph.nodes, [...graph.edges, ...(graph.hints ?? [])]) <=
        budget);
  if (!useElk || graph.nodes.length === 0) {
    // No boxes: each heading sits above the first cell of its section.
    const firsts = new Map<string, string>();
    for (const node of graph.nodes) {
      const parent = graph.parents.get(node.id);
      if (parent && !firsts.has(parent)) {
        firsts.set(parent, node.id);
      }
    }
    const headings = [...firsts].map(([source, target]) => ({
      source,
      target,
      id: `layout:${source}`
    }));
    return computeLayout(
      graph.nodes,
      [...graph.edges, ...(graph.hints ?? []), ...headings],
      { direction },
      stored
    );
  }
  const positions = new Map<string, Point>();
  const routes = new Map<string, Point[]>();
  readElk(
    await (await elk()).layout(elkGraph(graph, direction)),
    positions,
    routes
  );
  let moved = false;
  for (const node of graph.nodes) {
    const saved = stored[node.id];
    if (saved && !graph.groups.has(node.id)) {
      positions.set(node.id, { ...saved });
      moved = true;
    } else if (!positions.has(node.id)) {
      positions.set(node.id, { x: 0, y: 0 });
    }
  }
  if (moved) {
    for (const edge of graph.edges) {
      if (edge.id && (stored[edge.source] || stored[edge.target])) {
        routes.delete(edge.id);
      }
    }
  }
  const groups = groupBoxes(graph, positions);
  for (const [id, box] of groups) {
    positions.set(id, { x: box.x, y: box.y });
  }
  return { positions, engine: 'elk', ms: now() - start, routes, groups };
}
