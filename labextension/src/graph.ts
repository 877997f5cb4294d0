/**
 * Conversion of the view graph into React Flow nodes and edges (pure).
 */
import type { Edge, Node } from '@xyflow/react';

import { markdownToText } from './plaintext';
import { aggregateStatus } from './sections';
import { IDag, IDagNode } from './types';
import { buildViewGraph, IViewEdge, IViewGraph, IViewNode } from './viewgraph';

/**
 * React Flow node types.
 */
export const DAG_NODE_TYPE = 'dagCell';
export const DATASET_NODE_TYPE = 'dagDataset';
/**
 * An expanded markdown section drawn as a box around its cells, titled by
 * its heading (the heading cell's node).
 */
export const SECTION_NODE_TYPE = 'dagSection';

/**
 * React Flow edge type: a bezier curve, or dagre's route for long edges.
 */
export const ROUTED_EDGE_TYPE = 'dagRouted';

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
  /**
   * `code`, `markdown`, `raw`, or `dataset`.
   */
  cellType: string;
  index: number;
  /**
   * Last (or live) run status of the block.
   */
  status: string;
  /**
   * `up_to_date`, `stale` or `never_run` in the project kernel.
   */
  state: string;
  /**
   * What the node shows: the status, or `stale` when an edit upstream made a
   * finished block out of date.
   */
  display: string;
  source: string;
  parseError: string;
  /**
   * Names the kernel holds at a later cell's value (see `IDagNode.later_changes`).
   */
  laterChanges: string[];
  /**
   * Seconds of the block's most recent run.
   */
  duration: number | null;
  direction: 'TB' | 'LR';
  /**
   * A markdown heading opening a section: its level, whether it is collapsed
   * and how many cells it holds.
   */
  heading: { level: number; collapsed: boolean; count: number } | null;
  /**
   * Dataset nodes: format, version and rows.
   */
  dataset: {
    format: string;
    version: number | null;
    rows: number | null;
  } | null;
};

export type DagFlowNode = Node<DagNodeData>;

/**
 * Data carried by a DAG edge.
 */
export type DagEdgeData = {
  kind: string;
  names: string[];
  serverId: string | null;
  merged: number;
  /**
   * dagre's route (long edges), when the layout made one.
   */
  points?: { x: number; y: number }[];
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
  // Markdown titles read as plain text: no `**`, links or raw `$\phi_k$`.
  const plain = (text: string) =>
    node.cell_type === 'markdown' ? markdownToText(text) : text.trim();
  const title = node.title ? plain(node.title) : '';
  if (title) {
    return title;
  }
  const firstLine = (node.source || '')
    .split('\n')
    .map(line => plain(line))
    .find(line => line.length > 0);
  return firstLine || `${node.cell_type} cell ${node.index + 1}`;
}

/**
 * What a node shows, from its run status and its state in the kernel.
 */
export function displayStatus(
  status: string | null | undefined,
  state: string | null | undefined
): string {
  const current = status || 'never_run';
  if (
    state === 'stale' &&
    (current === 'succeeded' || current === 'up_to_date')
  ) {
    return 'stale';
  }
  return current;
}

export interface IFlowOptions {
  positions?: ReadonlyMap<string, { x: number; y: number }>;
  /**
   * Live statuses and states by cell id (fall back to the DAG's).
   */
  statuses?: { readonly [cellId: string]: string };
  states?: { readonly [cellId: string]: string };
  selectedId?: string | null;
  direction?: 'TB' | 'LR';
  /**
   * Whether block states apply: they are the project kernel's, so not while
   * runs go to another kernel (default true).
   */
  useStates?: boolean;
  /**
   * Boxes of the sections drawn as containers, by heading cell id.
   */
  groups?: ReadonlyMap<
    string,
    { x: number; y: number; width: number; height: number }
  >;
}

function cellData(
  node: IDagNode,
  options: IFlowOptions
): Pick<DagNodeData, 'status' | 'state' | 'display'> {
  const status = options.statuses?.[node.id] ?? node.status ?? 'never_run';
  if (options.useStates === false) {
    return { status, state: '', display: displayStatus(status, null) };
  }
  const state = options.states?.[node.id] ?? node.state ?? 'never_run';
  return { status, state, display: displayStatus(status, state) };
}

function viewNodeData(
  view: IViewNode,
  byId: Map<string, IDagNode>,
  options: IFlowOptions
): DagNodeData {
  const direction = options.direction ?? 'TB';
  if (view.kind === 'dataset' && view.dataset) {
    const dataset = view.dataset;
    return {
      cellId: view.id,
      title: dataset.name,
      cellType: 'dataset',
      index: -1,
      status: 'never_run',
      state: 'never_run',
      display: 'dataset',
      source: '',
      parseError: '',
      laterChanges: [],
      duration: null,
      direction,
      heading: null,
      dataset: {
        format: dataset.format ?? '',
        version: dataset.version ?? null,
        rows: dataset.rows ?? null
      }
    };
  }
  const cell = view.cell!;
  let { status, state, display } = cellData(cell, options);
  let heading: DagNodeData['heading'] = null;
  if (view.section) {
    heading = {
      level: view.section.level,
      collapsed: !!view.collapsed,
      count: view.section.members.length
    };
    if (view.collapsed) {
      const code = view.section.members
        .map(id => byId.get(id))
        .filter((member): member is IDagNode => member?.cell_type === 'code');
      const shown = code.map(member => cellData(member, options).display);
      display = aggregateStatus(shown);
      status = display;
    }
  }
  return {
    cellId: cell.id,
    title: nodeTitle(cell),
    cellType: cell.cell_type,
    index: cell.index,
    status,
    state,
    display,
    source: cell.source ?? '',
    parseError: cell.parse_error ?? '',
    laterChanges: options.useStates === false ? [] : (cell.later_changes ?? []),
    duration: typeof cell.duration === 'number' ? cell.duration : null,
    direction,
    heading,
    dataset: null
  };
}

/**
 * React Flow nodes of a view graph (cells in notebook order, then datasets).
 */
export function viewToFlowNodes(
  view: IViewGraph,
  options: IFlowOptions = {}
): DagFlowNode[] {
  return view.nodes.map(node => {
    const stored = node.cell?.position ?? null;
    const position =
      options.positions?.get(node.id) ??
      (stored ? { x: stored.x, y: stored.y } : { x: 0, y: 0 });
    const data = viewNodeData(node, view.cells, options);
    const box = options.groups?.get(node.id);
    if (box) {
      // Behind the cells it holds; it follows them, it is not dragged, and
      // not selected either (React Flow would raise it above its cells).
      return {
        id: node.id,
        type: SECTION_NODE_TYPE,
        position: { x: box.x, y: box.y },
        selected: false,
        selectable: false,
        width: box.width,
        height: box.height,
        zIndex: -1,
        draggable: false,
        deletable: false,
        connectable: true,
        ariaLabel: `Section ${data.title} (${data.heading?.count ?? 0} cells)`,
        data
      };
    }
    return {
      id: node.id,
      type: node.kind === 'dataset' ? DATASET_NODE_TYPE : DAG_NODE_TYPE,
      position: { x: position.x, y: position.y },
      selected: node.id === (options.selectedId ?? null),
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      deletable: false,
      connectable: node.kind !== 'dataset',
      ariaLabel: nodeAriaLabel(data),
      data
    };
  });
}

/**
 * What a screen reader says of a node.
 */
export function nodeAriaLabel(data: DagNodeData): string {
  if (data.cellType === 'dataset') {
    return `Dataset ${data.title}`;
  }
  const kind = data.heading?.collapsed
    ? `collapsed section of ${data.heading.count} cells`
    : `${data.cellType} cell ${data.index + 1}`;
  const status =
    data.cellType === 'code' || data.heading?.collapsed
      ? `, ${data.display.replace(/_/g, ' ')}`
      : '';
  return `${data.title} (${kind}${status})`;
}

/**
 * React Flow edges of a view graph. Inferred edges are dashed and labelled
 * with the names they carry, manual edges solid, dataset edges dotted.
 */
export function viewToFlowEdges(
  view: IViewGraph,
  selectedEdgeId: string | null = null,
  options: IEdgeOptions = {}
): DagFlowEdge[] {
  const near = options.labelsNear ?? null;
  return view.edges.map(edge => {
    const flow = toFlowEdge(
      edge,
      edge.id === selectedEdgeId,
      !options.labelsOnlyNear ||
        edge.id === selectedEdgeId ||
        (!!near && (edge.source === near || edge.target === near))
    );
    const points = options.routes?.get(edge.id);
    if (points) {
      flow.data = { ...flow.data!, points };
    }
    return flow;
  });
}

export interface IEdgeOptions {
  /**
   * Label only the selected edge and the edges of `labelsNear` (large
   * graphs: hundreds of labels are unreadable, and each costs a measure).
   */
  labelsOnlyNear?: boolean;
  labelsNear?: string | null;
  /**
   * dagre's routes of long edges, by edge id.
   */
  routes?: ReadonlyMap<string, { x: number; y: number }[]>;
}

function toFlowEdge(
  edge: IViewEdge,
  selected: boolean,
  withLabel = true
): DagFlowEdge {
  const kind = edge.kind;
  const names = edge.names;
  const labelled = withLabel && (kind !== 'manual' || names.length > 0);
  const carried = edge.carried ?? [];
  let label = labelled ? edgeLabel([...names, ...carried]) : '';
  if (edge.merged > 1 && withLabel) {
    label = label ? `${label} (×${edge.merged})` : `×${edge.merged}`;
  }
  // Dashes come from the stylesheet (`nodes.css`): large graphs draw their
  // inferred edges solid, as dashing long paths is slow to rasterise.
  const style =
    kind === 'manual' ? { strokeWidth: 2.25 } : { strokeWidth: 1.5 };
  return {
    id: edge.id,
    source: edge.source,
    target: edge.target,
    type: ROUTED_EDGE_TYPE,
    selected,
    className: `jp-NotebookDag-edge jp-NotebookDag-edge-${kind}`,
    style,
    markerEnd: { type: 'arrowclosed' },
    ariaLabel: `${kind} edge from ${edge.source} to ${edge.target}${
      names.length ? ` carrying ${names.join(', ')}` : ''
    }${carried.length ? `, and on the path of ${carried.join(', ')}` : ''}`,
    domAttributes: { 'data-edge-kind': kind } as never,
    ...(label
      ? {
          label,
          labelShowBg: true,
          labelBgPadding: [4, 2] as [number, number],
          labelBgBorderRadius: 3
        }
      : {}),
    data: { kind, names, serverId: edge.serverId, merged: edge.merged }
  };
}

/**
 * Shallow equality of node data (arrays and objects by value, one level).
 */
export function sameData(a: DagNodeData, b: DagNodeData): boolean {
  const keys = Object.keys(a) as Array<keyof DagNodeData>;
  if (keys.length !== Object.keys(b).length) {
    return false;
  }
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    if (x === y) {
      continue;
    }
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      const ox = x as { [k: string]: unknown };
      const oy = y as { [k: string]: unknown };
      const kx = Object.keys(ox);
      if (
        kx.length !== Object.keys(oy).length ||
        kx.some(k => ox[k] !== oy[k])
      ) {
        return false;
      }
      continue;
    }
    return false;
  }
  return true;
}

/**
 * Merge freshly computed nodes into the current ones, keeping the objects
 * (and React Flow's measures) of nodes that did not change, so memoised node
 * components do not re-render; a node being dragged keeps its position.
 */
export function mergeFlowNodes(
  previous: ReadonlyArray<DagFlowNode>,
  fresh: ReadonlyArray<DagFlowNode>
): DagFlowNode[] {
  const byId = new Map(previous.map(node => [node.id, node]));
  let changed = previous.length !== fresh.length;
  const result = fresh.map((node, i) => {
    const old = byId.get(node.id);
    if (!old || old.type !== node.type) {
      // New, or turned from a section box into a node (or back): nothing of
      // the old one applies (a box is not selectable, draggable, nor on top).
      changed = true;
      return node;
    }
    const position = old.dragging ? old.position : node.position;
    const samePosition =
      old.position.x === position.x && old.position.y === position.y;
    const selected = !!node.selected;
    if (
      samePosition &&
      !!old.selected === selected &&
      old.type === node.type &&
      (old.className ?? '') === (node.className ?? '') &&
      sameData(old.data, node.data)
    ) {
      if (previous[i] !== old) {
        changed = true;
      }
      return old;
    }
    changed = true;
    return {
      ...old,
      ...node,
      // a class the fresh node no longer has (focus cleared) must go too
      className: node.className,
      position,
      measured: old.measured,
      data: sameData(old.data, node.data) ? old.data : node.data
    };
  });
  return changed ? result : (previous as DagFlowNode[]);
}

/**
 * React Flow nodes of a DAG (no collapsed section, no datasets): a shortcut
 * for tests and simple callers.
 */
export function toFlowNodes(
  dag: IDag,
  statuses: { readonly [cellId: string]: string } = {},
  selectedId: string | null = null
): DagFlowNode[] {
  return viewToFlowNodes(buildViewGraph(dag), { statuses, selectedId });
}

/**
 * React Flow edges of a DAG (see `toFlowNodes`).
 */
export function toFlowEdges(dag: IDag): DagFlowEdge[] {
  return viewToFlowEdges(buildViewGraph(dag));
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
