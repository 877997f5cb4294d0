/**
 * Transitive reduction of the edges a DAG view draws (pure).
 *
 * An inferred edge `a → c` is implied when a longer path `a → b → … → c`
 * exists: the dependency is already visible, and drawn edges of a notebook
 * whose first cell feeds every other one cross the whole canvas. Such edges
 * are hidden; the names they carry move to the edges of one path that
 * implies them (`carried`), so every name stays on screen.
 */

export interface IReducibleEdge {
  source: string;
  target: string;
  names: string[];
  /**
   * Names of hidden edges this edge is on the path of (set by the reduction).
   */
  carried?: string[];
}

export interface IReduction<E> {
  /**
   * Edges kept, in input order (new objects where names were added).
   */
  kept: E[];
  /**
   * Edges hidden as implied by a path of kept edges.
   */
  hidden: E[];
}

/**
 * Reduce `edges` over the nodes they name.
 *
 * Only edges for which `removable` returns true may be hidden (default:
 * all); the others (manual edges, dataset edges) stay and still count as
 * paths. Cycles (which a DAG should not have) leave their edges alone.
 * O(V·E/32) with reachability bitsets.
 *
 * @returns the kept and hidden edges; a kept edge that carries names of
 * hidden ones is a copy with them in `carried`
 */
export function transitiveReduction<E extends IReducibleEdge>(
  edges: ReadonlyArray<E>,
  removable: (edge: E) => boolean = () => true
): IReduction<E> {
  const index = new Map<string, number>();
  for (const edge of edges) {
    for (const id of [edge.source, edge.target]) {
      if (!index.has(id)) {
        index.set(id, index.size);
      }
    }
  }
  const n = index.size;
  const succ: number[][] = Array.from({ length: n }, () => []);
  const indeg = new Int32Array(n);
  for (const edge of edges) {
    const s = index.get(edge.source)!;
    const t = index.get(edge.target)!;
    if (s !== t) {
      succ[s].push(t);
      indeg[t]++;
    }
  }
  // Topological order (Kahn); nodes on a cycle are left out of it.
  const order: number[] = [];
  for (let v = 0; v < n; v++) {
    if (indeg[v] === 0) {
      order.push(v);
    }
  }
  for (let i = 0; i < order.length; i++) {
    for (const w of succ[order[i]]) {
      if (--indeg[w] === 0) {
        order.push(w);
      }
    }
  }
  const ordered = new Uint8Array(n);
  const topo = new Int32Array(n).fill(-1);
  order.forEach((v, i) => {
    ordered[v] = 1;
    topo[v] = i;
  });
  // reach[v]: nodes reachable from v by a path of one edge or more.
  const words = Math.ceil(n / 32);
  const reach = new Uint32Array(n * words);
  const has = (v: number, w: number) =>
    (reach[v * words + (w >>> 5)] & (1 << (w & 31))) !== 0;
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    for (const w of succ[v]) {
      reach[v * words + (w >>> 5)] |= 1 << (w & 31);
      for (let k = 0; k < words; k++) {
        reach[v * words + k] |= reach[w * words + k];
      }
    }
  }
  // a → c is implied when some other successor b of a reaches c.
  const implied = (s: number, t: number) =>
    succ[s].some(b => b !== t && has(b, t));
  const kept: E[] = [];
  const hidden: E[] = [];
  const keptIndex = new Map<string, number>();
  for (const edge of edges) {
    const s = index.get(edge.source)!;
    const t = index.get(edge.target)!;
    if (
      s !== t &&
      ordered[s] &&
      ordered[t] &&
      removable(edge) &&
      implied(s, t)
    ) {
      hidden.push(edge);
    } else {
      keptIndex.set(`${s}>${t}`, kept.length);
      kept.push(edge);
    }
  }
  // Names of hidden edges onto a path of kept edges: from the source, always
  // the kept successor that reaches the target and comes first in topological
  // order (the shortest detour in notebook terms).
  const keptSucc: number[][] = Array.from({ length: n }, () => []);
  for (const edge of kept) {
    keptSucc[index.get(edge.source)!].push(index.get(edge.target)!);
  }
  for (const edge of hidden) {
    if (!edge.names.length) {
      continue;
    }
    let v = index.get(edge.source)!;
    const t = index.get(edge.target)!;
    for (let step = 0; v !== t && step < n; step++) {
      let next = -1;
      for (const w of keptSucc[v]) {
        if ((w === t || has(w, t)) && (next < 0 || topo[w] < topo[next])) {
          next = w;
        }
      }
      if (next < 0) {
        break;
      }
      const at = keptIndex.get(`${v}>${next}`)!;
      const carried = kept[at];
      const already = carried.carried ?? [];
      const missing = edge.names.filter(
        name => !carried.names.includes(name) && !already.includes(name)
      );
      if (missing.length) {
        kept[at] = { ...carried, carried: [...already, ...missing] };
      }
      v = next;
    }
  }
  return { kept, hidden };
}
