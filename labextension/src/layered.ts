/**
 * A fast layered (Sugiyama-style) layout for large DAGs (pure, O(V + E) per
 * pass).
 *
 * dagre's network-simplex ranking and crossing minimisation over dummy nodes
 * take seconds on a 1,000-node notebook whose import cell feeds every other
 * cell; this layout gives the same kind of picture — ranks along the edges,
 * barycentre ordering, nodes pulled towards their neighbours — in
 * milliseconds. `layout.ts` uses it only beyond dagre's budget.
 */

export interface ILayeredNode {
  id: string;
  width: number;
  height: number;
}

export interface ILayeredEdge {
  source: string;
  target: string;
}

export interface ILayeredOptions {
  direction: 'TB' | 'LR';
  /**
   * Space between ranks.
   */
  rankSep: number;
  /**
   * Space between nodes of a rank.
   */
  nodeSep: number;
  /**
   * Barycentre sweeps for crossing reduction.
   */
  sweeps?: number;
}

/**
 * Ranks of a graph: longest path from the sources, then each source moved
 * down next to its first consumer. Edges closing a cycle are ignored.
 *
 * @returns the rank of each node (by index) and the edges kept (as index
 * pairs, duplicates and self loops removed)
 */
export function rankNodes(
  count: number,
  edges: ReadonlyArray<[number, number]>
): { rank: Int32Array; kept: Array<[number, number]> } {
  const succ: number[][] = Array.from({ length: count }, () => []);
  const indeg = new Int32Array(count);
  const seen = new Set<number>();
  const kept: Array<[number, number]> = [];
  for (const [s, t] of edges) {
    const key = s * count + t;
    if (s === t || seen.has(key)) {
      continue;
    }
    seen.add(key);
    succ[s].push(t);
    indeg[t]++;
    kept.push([s, t]);
  }
  // Kahn's algorithm; when stuck on a cycle, release the first remaining node.
  const order: number[] = [];
  const done = new Uint8Array(count);
  const queue: number[] = [];
  for (let v = 0; v < count; v++) {
    if (indeg[v] === 0) {
      queue.push(v);
    }
  }
  let head = 0;
  let next = 0;
  const rank = new Int32Array(count);
  while (order.length < count) {
    if (head === queue.length) {
      while (done[next]) {
        next++;
      }
      queue.push(next);
    }
    const v = queue[head++];
    if (done[v]) {
      continue;
    }
    done[v] = 1;
    order.push(v);
    for (const w of succ[v]) {
      if (done[w]) {
        continue; // an edge closing a cycle
      }
      if (rank[w] < rank[v] + 1) {
        rank[w] = rank[v] + 1;
      }
      if (--indeg[w] === 0) {
        queue.push(w);
      }
    }
  }
  const forward = kept.filter(([s, t]) => rank[s] < rank[t]);
  // Sources sit just above their nearest consumer.
  const hasPred = new Uint8Array(count);
  for (const [, t] of forward) {
    hasPred[t] = 1;
  }
  for (let v = 0; v < count; v++) {
    if (hasPred[v] || succ[v].length === 0) {
      continue;
    }
    let min = Infinity;
    for (const w of succ[v]) {
      if (rank[w] > rank[v]) {
        min = Math.min(min, rank[w]);
      }
    }
    if (min !== Infinity && min - 1 > rank[v]) {
      rank[v] = min - 1;
    }
  }
  return { rank, kept: forward };
}

/**
 * Place the nodes; returns top-left positions by id.
 */
export function layeredLayout(
  nodes: ReadonlyArray<ILayeredNode>,
  edges: ReadonlyArray<ILayeredEdge>,
  options: ILayeredOptions
): Map<string, { x: number; y: number }> {
  const count = nodes.length;
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
  const { rank, kept } = rankNodes(count, pairs);
  const preds: number[][] = Array.from({ length: count }, () => []);
  const succs: number[][] = Array.from({ length: count }, () => []);
  for (const [s, t] of kept) {
    succs[s].push(t);
    preds[t].push(s);
  }

  // Layers in notebook order first.
  let maxRank = 0;
  for (let v = 0; v < count; v++) {
    maxRank = Math.max(maxRank, rank[v]);
  }
  const layers: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (let v = 0; v < count; v++) {
    layers[rank[v]].push(v);
  }
  const pos = new Float64Array(count);
  const setPositions = (layer: number[]) => {
    const n = layer.length;
    layer.forEach((v, i) => (pos[v] = (i + 0.5) / n));
  };
  layers.forEach(setPositions);

  // Barycentre sweeps, neighbours weighted by the inverse of the edge span.
  const sweeps = options.sweeps ?? 4;
  const keys = new Float64Array(count);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    const down = sweep % 2 === 0;
    const neighbours = down ? preds : succs;
    const start = down ? 1 : maxRank - 1;
    for (let r = start; down ? r <= maxRank : r >= 0; r += down ? 1 : -1) {
      const layer = layers[r];
      for (const v of layer) {
        let sum = 0;
        let weight = 0;
        for (const w of neighbours[v]) {
          const k = 1 / Math.max(1, Math.abs(rank[w] - r));
          sum += pos[w] * k;
          weight += k;
        }
        keys[v] = weight > 0 ? sum / weight : pos[v];
      }
      layer.sort((a, b) => keys[a] - keys[b] || pos[a] - pos[b]);
      setPositions(layer);
    }
  }

  // Coordinates across the ranks: pulled towards the neighbours, never
  // overlapping (the mean of a left-packed and a right-packed placement).
  const across = (v: number) =>
    options.direction === 'TB' ? nodes[v].width : nodes[v].height;
  const along = (v: number) =>
    options.direction === 'TB' ? nodes[v].height : nodes[v].width;
  const coord = new Float64Array(count);
  for (const layer of layers) {
    let x = 0;
    const widths = layer.map(across);
    const total =
      widths.reduce((a, b) => a + b, 0) + options.nodeSep * (layer.length - 1);
    x = -total / 2;
    layer.forEach((v, i) => {
      coord[v] = x + widths[i] / 2;
      x += widths[i] + options.nodeSep;
    });
  }
  const place = (layer: number[], desired: Float64Array) => {
    const n = layer.length;
    if (n === 0) {
      return;
    }
    const left = new Float64Array(n);
    const right = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = layer[i];
      left[i] = desired[v];
      if (i > 0) {
        const u = layer[i - 1];
        const gap = (across(u) + across(v)) / 2 + options.nodeSep;
        left[i] = Math.max(left[i], left[i - 1] + gap);
      }
    }
    for (let i = n - 1; i >= 0; i--) {
      const v = layer[i];
      right[i] = desired[v];
      if (i < n - 1) {
        const w = layer[i + 1];
        const gap = (across(v) + across(w)) / 2 + options.nodeSep;
        right[i] = Math.min(right[i], right[i + 1] - gap);
      }
    }
    for (let i = 0; i < n; i++) {
      coord[layer[i]] = (left[i] + right[i]) / 2;
    }
  };
  const desired = new Float64Array(count);
  for (let pass = 0; pass < 3; pass++) {
    const down = pass % 2 === 0;
    const neighbours = down ? preds : succs;
    const order = down ? layers : [...layers].reverse();
    for (const layer of order) {
      for (const v of layer) {
        let sum = 0;
        let weight = 0;
        for (const w of neighbours[v]) {
          const k = 1 / Math.max(1, Math.abs(rank[w] - rank[v]));
          sum += coord[w] * k;
          weight += k;
        }
        desired[v] = weight > 0 ? sum / weight : coord[v];
      }
      place(layer, desired);
    }
  }

  // Ranks along the flow: each rank as deep as its deepest node.
  const depth = layers.map(layer =>
    layer.reduce((max, v) => Math.max(max, along(v)), 0)
  );
  const offset: number[] = [];
  let at = 0;
  for (let r = 0; r <= maxRank; r++) {
    offset.push(at);
    at += depth[r] + options.rankSep;
  }
  let minAcross = Infinity;
  for (let v = 0; v < count; v++) {
    minAcross = Math.min(minAcross, coord[v] - across(v) / 2);
  }
  const shift = Number.isFinite(minAcross) ? -minAcross : 0;
  const result = new Map<string, { x: number; y: number }>();
  for (let v = 0; v < count; v++) {
    const a = coord[v] - across(v) / 2 + shift;
    const b = offset[rank[v]] + (depth[rank[v]] - along(v)) / 2;
    result.set(
      nodes[v].id,
      options.direction === 'TB' ? { x: a, y: b } : { x: b, y: a }
    );
  }
  return result;
}
