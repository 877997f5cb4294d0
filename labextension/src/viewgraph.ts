/**
 * The graph a DAG view draws (pure): the project's cells, minus the cells of
 * collapsed markdown sections, plus dataset nodes when shown; edges redirected
 * to what stands for their ends and merged when they coincide.
 */
import {
  collapsedRepresentatives,
  computeSections,
  ISection
} from './sections';
import { transitiveReduction } from './reduction';
import { IDag, IDagEdge, IDagNode, IDatasetNode } from './types';

/**
 * A node of the view: a cell (possibly a collapsed section heading) or a
 * dataset.
 */
export interface IViewNode {
  id: string;
  kind: 'cell' | 'dataset';
  cell?: IDagNode;
  dataset?: IDatasetNode;
  /**
   * For a markdown heading cell opening a section: the section.
   */
  section?: ISection;
  /**
   * Whether that section is collapsed into this node.
   */
  collapsed?: boolean;
}

/**
 * An edge of the view.
 */
export interface IViewEdge {
  /**
   * Unique id among the view's edges.
   */
  id: string;
  source: string;
  target: string;
  kind: string;
  names: string[];
  /**
   * The server's id (manual edges), `null` for inferred ones.
   */
  serverId: string | null;
  /**
   * How many edges of the DAG this one stands for (> 1 when a collapsed
   * section merged several).
   */
  merged: number;
  /**
   * Whether an end is a collapsed section standing for the real cell.
   */
  folded: boolean;
  /**
   * The DAG edges it stands for.
   */
  original: IDagEdge[];
  /**
   * Names of implied edges hidden by the transitive reduction whose path
   * goes along this edge.
   */
  carried?: string[];
}

export interface IViewGraph {
  nodes: IViewNode[];
  edges: IViewEdge[];
  /**
   * Visible node ids and edges: layouts are keyed by it.
   */
  structureKey: string;
  /**
   * Hidden cell id → the collapsed heading standing for it.
   */
  hiddenBy: Map<string, string>;
  sections: Map<string, ISection>;
  /**
   * Inferred edges hidden because a longer path implies them (0 when every
   * edge is shown).
   */
  impliedHidden: number;
  /**
   * Every cell of the DAG (hidden ones included), by id.
   */
  cells: Map<string, IDagNode>;
}

export interface IViewOptions {
  /**
   * Heading cell ids whose sections are collapsed.
   */
  collapsed?: Iterable<string>;
  /**
   * Draw dataset nodes (when the DAG has them).
   */
  showDatasets?: boolean;
  /**
   * Draw every edge; by default an inferred edge implied by a longer path of
   * drawn edges is hidden (transitive reduction, see `reduction.ts`).
   */
  allEdges?: boolean;
}

/**
 * Build the view graph of a DAG.
 */
export function buildViewGraph(
  dag: IDag,
  options: IViewOptions = {}
): IViewGraph {
  const cells = [...dag.nodes].sort((a, b) => a.index - b.index);
  const sections = computeSections(cells);
  const hiddenBy = collapsedRepresentatives(sections, options.collapsed ?? []);
  const collapsedSet = new Set<string>();
  for (const rep of hiddenBy.values()) {
    collapsedSet.add(rep);
  }

  const nodes: IViewNode[] = [];
  for (const cell of cells) {
    if (hiddenBy.has(cell.id)) {
      continue;
    }
    const section = sections.get(cell.id);
    nodes.push({
      id: cell.id,
      kind: 'cell',
      cell,
      ...(section ? { section, collapsed: collapsedSet.has(cell.id) } : {})
    });
  }
  const datasets =
    options.showDatasets && dag.datasets
      ? dag.datasets
      : ([] as IDatasetNode[]);
  for (const dataset of datasets) {
    nodes.push({ id: dataset.id, kind: 'dataset', dataset });
  }

  const visible = new Set(nodes.map(node => node.id));
  const merged = new Map<string, IViewEdge>();
  for (const edge of dag.edges) {
    const source = hiddenBy.get(edge.source) ?? edge.source;
    const target = hiddenBy.get(edge.target) ?? edge.target;
    if (source === target || !visible.has(source) || !visible.has(target)) {
      continue;
    }
    const redirected = source !== edge.source || target !== edge.target;
    // Edges folded into a section merge by ends. Otherwise a manual edge and
    // an inferred one between the same cells (an accepted inference) are one
    // dependency, drawn once as manual with the inferred names.
    const family =
      edge.kind === 'manual' || edge.kind === 'inferred' ? 'dep' : edge.kind;
    const key = redirected
      ? `section:${source}->${target}`
      : `${family}:${source}->${target}`;
    const existing = merged.get(key);
    if (existing) {
      if (redirected) {
        existing.merged += 1;
      }
      existing.original.push(edge);
      for (const name of edge.names ?? []) {
        if (!existing.names.includes(name)) {
          existing.names.push(name);
        }
      }
      if (edge.kind === 'manual') {
        existing.kind = 'manual';
        if (!redirected) {
          existing.serverId = edge.id;
        }
      }
      continue;
    }
    merged.set(key, {
      id: '',
      source,
      target,
      kind: edge.kind,
      names: [...(edge.names ?? [])],
      serverId: redirected ? null : edge.id,
      merged: 1,
      folded: redirected,
      original: [edge]
    });
  }

  let candidates: Array<[string, IViewEdge]> = [...merged.entries()];
  let impliedHidden = 0;
  if (!options.allEdges) {
    const isDep = (edge: IViewEdge) =>
      edge.kind === 'manual' || edge.kind === 'inferred';
    const deps = candidates.filter(([, edge]) => isDep(edge));
    const { kept, hidden } = transitiveReduction(
      deps.map(([key, edge]) => ({ ...edge, key })),
      edge => edge.kind === 'inferred'
    );
    impliedHidden = hidden.length;
    const keptByKey = new Map(kept.map(edge => [edge.key, edge]));
    candidates = candidates
      .filter(([key, edge]) => !isDep(edge) || keptByKey.has(key))
      .map(([key, edge]) => {
        const carried = keptByKey.get(key)?.carried;
        return [key, carried ? { ...edge, carried } : edge];
      });
  }

  const used = new Set<string>();
  const edges: IViewEdge[] = [];
  for (const [key, edge] of candidates) {
    const base = edge.serverId && edge.merged === 1 ? edge.serverId : key;
    let id = base;
    for (let n = 2; used.has(id); n++) {
      id = `${base}#${n}`;
    }
    used.add(id);
    edges.push({ ...edge, id });
  }

  const structureKey =
    nodes.map(node => node.id).join(',') +
    '|' +
    edges.map(edge => `${edge.source}>${edge.target}`).join(',');
  return {
    nodes,
    edges,
    structureKey,
    hiddenBy,
    sections,
    impliedHidden,
    cells: new Map(cells.map(cell => [cell.id, cell]))
  };
}

/**
 * Edges only the layout sees: each (expanded) markdown heading before the
 * first cell of its section, so that headings sit above what they introduce
 * instead of all on the first rank.
 */
export function sectionLayoutEdges(
  view: IViewGraph
): Array<{ source: string; target: string; id: string }> {
  const visible = new Set(view.nodes.map(node => node.id));
  const edges: Array<{ source: string; target: string; id: string }> = [];
  for (const node of view.nodes) {
    if (!node.section || node.collapsed) {
      continue;
    }
    const first = node.section.members.find(id => visible.has(id));
    if (first) {
      edges.push({ source: node.id, target: first, id: `layout:${node.id}` });
    }
  }
  return edges;
}

/**
 * The view as the notebook layout sees it (`elklayout.ts`): expanded
 * sections as boxes holding their visible cells, and each markdown cell
 * without edges hinted above the next code cell of its section (below the
 * previous one at a section's end), instead of in a row at the top.
 */
export function notebookGraph(view: IViewGraph): {
  nodes: Array<{ id: string }>;
  edges: Array<{ source: string; target: string; id: string }>;
  parents: Map<string, string>;
  groups: Set<string>;
  hints: Array<{ source: string; target: string; id: string }>;
} {
  const visible = new Set(view.nodes.map(node => node.id));
  const groups = new Set<string>();
  const parents = new Map<string, string>();
  // Sections come in notebook order: inner sections overwrite outer ones.
  for (const section of view.sections.values()) {
    const node = view.nodes.find(n => n.id === section.id);
    const members = section.members.filter(id => visible.has(id));
    if (!node || node.collapsed || members.length === 0) {
      continue;
    }
    groups.add(section.id);
    for (const member of members) {
      parents.set(member, section.id);
    }
  }
  const linked = new Set<string>();
  for (const edge of view.edges) {
    linked.add(edge.source);
    linked.add(edge.target);
  }
  const cells = view.nodes.filter(node => node.kind === 'cell');
  const hints: Array<{ source: string; target: string; id: string }> = [];
  cells.forEach((node, i) => {
    if (
      node.cell!.cell_type !== 'markdown' ||
      groups.has(node.id) ||
      linked.has(node.id)
    ) {
      return;
    }
    const parent = parents.get(node.id);
    const sameSection = (other: IViewNode) =>
      other.cell!.cell_type === 'code' && parents.get(other.id) === parent;
    const next = cells.slice(i + 1).find(sameSection);
    if (next) {
      hints.push({ source: node.id, target: next.id, id: `hint:${node.id}` });
      return;
    }
    const previous = cells.slice(0, i).reverse().find(sameSection);
    if (previous) {
      hints.push({
        source: previous.id,
        target: node.id,
        id: `hint:${node.id}`
      });
    }
  });
  return {
    nodes: view.nodes.map(node => ({ id: node.id })),
    edges: view.edges.map(e => ({
      id: e.id,
      source: e.source,
      target: e.target
    })),
    parents,
    groups,
    hints
  };
}

/**
 * Code cells a run of `mode` plans, in notebook order (mirrors the server's
 * planning, to mark them queued at once; events correct any difference).
 */
export function plannedBlocks(
  dag: IDag,
  mode: string,
  blockId?: string | null
): string[] {
  const runnable = (node: IDagNode) =>
    node.cell_type === 'code' && !!(node.source ?? '').trim();
  const cells = [...dag.nodes].sort((a, b) => a.index - b.index);
  if (mode === 'all' || mode === 'stale') {
    return cells
      .filter(runnable)
      .filter(node => mode === 'all' || node.state !== 'up_to_date')
      .map(node => node.id);
  }
  if (!blockId) {
    return [];
  }
  let wanted: Set<string>;
  if (mode === 'block') {
    wanted = new Set([blockId]);
  } else {
    const forward = mode === 'downstream';
    const next = new Map<string, string[]>();
    for (const edge of dag.edges) {
      if (edge.kind !== 'manual' && edge.kind !== 'inferred') {
        continue;
      }
      const [from, to] = forward
        ? [edge.source, edge.target]
        : [edge.target, edge.source];
      const list = next.get(from) ?? [];
      list.push(to);
      next.set(from, list);
    }
    wanted = new Set([blockId]);
    const stack = [blockId];
    while (stack.length) {
      for (const other of next.get(stack.pop()!) ?? []) {
        if (!wanted.has(other)) {
          wanted.add(other);
          stack.push(other);
        }
      }
    }
  }
  return cells
    .filter(node => wanted.has(node.id) && runnable(node))
    .map(node => node.id);
}
