/**
 * Focus mode of the DAG view: with a node selected, its upstream (every
 * ancestor) and downstream (every descendant) stay lit and the rest fades, so
 * the lineage of one cell reads at a glance in a large DAG.
 */
import type { IViewGraph } from './viewgraph';

export interface IFocus {
  /**
   * The selected node.
   */
  center: string;
  upstream: ReadonlySet<string>;
  downstream: ReadonlySet<string>;
  /**
   * Edges on a path into or out of the center.
   */
  edges: ReadonlySet<string>;
}

function reach(
  start: string,
  next: ReadonlyMap<string, string[]>
): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    for (const other of next.get(stack.pop()!) ?? []) {
      if (!seen.has(other) && other !== start) {
        seen.add(other);
        stack.push(other);
      }
    }
  }
  return seen;
}

/**
 * The focus around `selectedId` in `view` (null: nothing selected, or the
 * selection is not a node of the view). O(V + E).
 */
export function focusOf(
  view: IViewGraph,
  selectedId: string | null
): IFocus | null {
  if (!selectedId || !view.nodes.some(node => node.id === selectedId)) {
    return null;
  }
  const out = new Map<string, string[]>();
  const into = new Map<string, string[]>();
  for (const edge of view.edges) {
    out.set(edge.source, [...(out.get(edge.source) ?? []), edge.target]);
    into.set(edge.target, [...(into.get(edge.target) ?? []), edge.source]);
  }
  const upstream = reach(selectedId, into);
  const downstream = reach(selectedId, out);
  const up = (id: string) => id === selectedId || upstream.has(id);
  const down = (id: string) => id === selectedId || downstream.has(id);
  const edges = new Set(
    view.edges
      .filter(
        e =>
          (upstream.has(e.source) && up(e.target)) ||
          (down(e.source) && downstream.has(e.target))
      )
      .map(e => e.id)
  );
  return { center: selectedId, upstream, downstream, edges };
}

/**
 * The CSS class of a node under `focus`: `jp-mod-upstream`,
 * `jp-mod-downstream`, `jp-mod-focus` (the center) or `jp-mod-faded`; empty
 * without focus. Sections (containers) never fade.
 */
export function focusClass(
  focus: IFocus | null,
  id: string,
  isSection = false
): string {
  if (!focus || isSection) {
    return '';
  }
  if (id === focus.center) {
    return 'jp-mod-focus';
  }
  if (focus.upstream.has(id)) {
    return 'jp-mod-upstream';
  }
  return focus.downstream.has(id) ? 'jp-mod-downstream' : 'jp-mod-faded';
}
