#!/usr/bin/env node
/**
 * Benchmark: readability of the DAG view's layouts on real notebooks — the
 * previous one (every edge, dagre) and the notebook layout (implied edges
 * hidden, elk with sections as boxes), in the same run.
 *
 * Usage (from the repository root, node_modules installed):
 *
 *     node benchmarks/bench_dag_layout.mjs [--corpus DIR] [--python PY]
 *
 * DIR defaults to the first `~/.cache/notebook_dag/corpus-*` /notebooks (or
 * ../shared/corpus); the bundled `examples/sales_analysis.ipynb` is always
 * added. The graphs come from the server's own inference (Python,
 * `dag_layout_graphs.py`); the layout modules are compiled by tsc (CommonJS,
 * into a temporary folder) and run in Node — no browser.
 *
 * Per notebook and layout, expanded and with every section collapsed:
 * - edges: edges drawn;
 * - crossings: pairs of drawn edges (not sharing a node) whose geometry
 *   crosses — routed edges as the polyline of their route between the
 *   handles, the others as the straight line between the handles;
 * - fit zoom: the zoom that shows the whole graph in a 1440×900 pane and in
 *   a 720×900 split view (React Flow's fit: padding 0.15, at most 1.1), and
 *   the node title size it gives (13 px × zoom). The previous view applied
 *   it down to zoom 0.1; the new one never goes below 0.8 (10.4 px titles)
 *   and scrolls instead: `shown px` is the title size actually shown.
 * Then the time to lay out a 1,000-node / 2,000-edge DAG (new path, which
 * leaves elk beyond its budget, and elk forced, for reference).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

function defaultCorpus() {
  const cache = path.join(os.homedir(), '.cache', 'notebook_dag');
  const built = fs.existsSync(cache)
    ? fs
        .readdirSync(cache)
        .filter(d => d.startsWith('corpus-'))
        .map(d => path.join(cache, d, 'notebooks'))
        .filter(d => fs.existsSync(d))
    : [];
  return built[0] ?? path.join(ROOT, '..', 'shared', 'corpus');
}

const CORPUS = arg('corpus', defaultCorpus());
const PYTHON = arg('python', path.join(ROOT, '.venv', 'bin', 'python'));
const TITLE_PX = 13;
const PANES = [
  [1440, 900],
  [720, 900]
];

// --- compile the pure layout modules -------------------------------------
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dag-layout-'));
const src = path.join(ROOT, 'labextension', 'src');
execFileSync(
  path.join(ROOT, 'node_modules', '.bin', 'tsc'),
  [
    ...[
      'layout',
      'layered',
      'elklayout',
      'viewgraph',
      'sections',
      'reduction',
      'graph',
      'plaintext',
      'viewfit'
    ].map(m => path.join(src, `${m}.ts`)),
    '--outDir',
    out,
    '--rootDir',
    src,
    '--module',
    'commonjs',
    '--target',
    'ES2020',
    '--esModuleInterop',
    '--skipLibCheck',
    '--moduleResolution',
    'node'
  ],
  { stdio: 'inherit' }
);
// The compiled modules resolve packages from the repository.
fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
const require = createRequire(path.join(out, 'x.js'));
const { computeLayout, dagreSize } = require('./layout.js');
const { notebookLayout, ELK_BUDGET } = require('./elklayout.js');
const {
  buildViewGraph,
  notebookGraph,
  sectionLayoutEdges
} = require('./viewgraph.js');
const { NODE_WIDTH, NODE_HEIGHT } = require('./graph.js');
const { fitZoom, READABLE_ZOOM } = require('./viewfit.js');

// --- graphs from the server's inference ----------------------------------
const notebooks = [
  path.join(ROOT, 'examples', 'sales_analysis.ipynb'),
  ...fs
    .readdirSync(CORPUS)
    .filter(f => f.endsWith('.ipynb'))
    .sort()
    .map(f => path.join(CORPUS, f))
];
const graphs = JSON.parse(
  execFileSync(
    PYTHON,
    [path.join(ROOT, 'benchmarks', 'dag_layout_graphs.py'), ...notebooks],
    {
      env: { ...process.env, PYTHONPATH: ROOT },
      maxBuffer: 1 << 28
    }
  ).toString()
);

// --- geometry -------------------------------------------------------------
const sized = node => ({ id: node.id, width: NODE_WIDTH, height: NODE_HEIGHT });

function handles(positions, edge) {
  const s = positions.get(edge.source);
  const t = positions.get(edge.target);
  return [
    { x: s.x + NODE_WIDTH / 2, y: s.y + NODE_HEIGHT },
    { x: t.x + NODE_WIDTH / 2, y: t.y }
  ];
}

/** The polyline an edge is drawn along (see `routeBetween` in edges.tsx). */
function polyline(layout, edge, sizes) {
  const box = id =>
    sizes.get(id) ?? { ...layout.positions.get(id), width: NODE_WIDTH, height: NODE_HEIGHT };
  const s = box(edge.source);
  const t = box(edge.target);
  const from = { x: s.x + s.width / 2, y: s.y + s.height };
  const to = { x: t.x + t.width / 2, y: t.y };
  const route = layout.routes?.get(edge.id);
  if (route && route.length >= 4) {
    return [from, ...route.slice(1, -1), to];
  }
  return [from, to];
}

function cross(a, b, c, d) {
  const o = (p, q, r) => Math.sign((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x));
  return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0;
}

function crossings(layout, edges, sizes) {
  const lines = edges.map(e => polyline(layout, e, sizes));
  let count = 0;
  for (let i = 0; i < edges.length; i++) {
    for (let j = i + 1; j < edges.length; j++) {
      const a = edges[i];
      const b = edges[j];
      if (a.source === b.source || a.source === b.target || a.target === b.source || a.target === b.target) {
        continue;
      }
      const p = lines[i];
      const q = lines[j];
      let hit = false;
      for (let k = 0; k < p.length - 1 && !hit; k++) {
        for (let m = 0; m < q.length - 1 && !hit; m++) {
          hit = cross(p[k], p[k + 1], q[m], q[m + 1]);
        }
      }
      count += hit ? 1 : 0;
    }
  }
  return count;
}

function bounds(layout, sizes) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [id, p] of layout.positions) {
    const b = sizes.get(id) ?? { ...p, width: NODE_WIDTH, height: NODE_HEIGHT };
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.width);
    y1 = Math.max(y1, b.y + b.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

// --- the two layouts ------------------------------------------------------
function previous(dag, collapsed) {
  const view = buildViewGraph(dag, { collapsed, allEdges: true });
  const layout = computeLayout(
    view.nodes.map(sized),
    [...view.edges.map(e => ({ id: e.id, source: e.source, target: e.target })), ...sectionLayoutEdges(view)],
    { direction: 'TB' }
  );
  return { view, layout, sizes: new Map(), minZoom: 0.1 };
}

async function current(dag, collapsed) {
  const view = buildViewGraph(dag, { collapsed });
  const graph = notebookGraph(view);
  const layout = await notebookLayout({ ...graph, nodes: graph.nodes.map(sized) }, { direction: 'TB' });
  return { view, layout, sizes: layout.groups ?? new Map(), minZoom: READABLE_ZOOM };
}

function measure({ view, layout, sizes, minZoom }) {
  const b = bounds(layout, sizes);
  const zooms = PANES.map(([w, h]) => fitZoom(b, w, h, { padding: 0.15, maxZoom: 1.1 }));
  return {
    edges: view.edges.length,
    crossings: crossings(layout, view.edges, sizes),
    fit: zooms,
    shown: zooms.map(z => Math.max(z, minZoom) * TITLE_PX),
    ms: layout.ms
  };
}

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const px = z => (z * TITLE_PX).toFixed(1);

const rows = [];
for (const dag of graphs) {
  const sections = [...buildViewGraph(dag).sections.keys()];
  const row = { name: dag.name, cells: dag.nodes.length, inferred: dag.edges.length };
  for (const [label, collapsed] of [
    ['open', []],
    ['collapsed', sections]
  ]) {
    row[`prev_${label}`] = measure(previous(dag, collapsed));
    row[`new_${label}`] = measure(await current(dag, collapsed));
  }
  rows.push(row);
}

const pad = (s, n) => String(s).padStart(n);
console.log(`corpus: ${CORPUS} (+ examples/sales_analysis.ipynb), ${rows.length} notebooks`);
console.log(
  'Sections expanded — previous (dagre, every edge) | new (elk + sections, reduced)\n' +
    'notebook                                   cells  edges  cross  title px 1440/720 | edges  cross  fit px 1440/720  shown px 720'
);
for (const r of rows) {
  const p = r.prev_open;
  const n = r.new_open;
  console.log(
    `${r.name.slice(0, 42).padEnd(42)} ${pad(r.cells, 5)} ${pad(p.edges, 6)} ${pad(p.crossings, 6)}  ${pad(px(p.fit[0]), 7)}/${px(p.fit[1]).padEnd(6)} | ${pad(n.edges, 5)} ${pad(n.crossings, 6)}  ${pad(px(n.fit[0]), 7)}/${px(n.fit[1]).padEnd(6)}  ${pad(n.shown[1].toFixed(1), 6)}`
  );
}
console.log('\nSections collapsed');
console.log('notebook                                         edges  cross  title px 1440/720 | edges  cross  fit px 1440/720  shown px 720');
for (const r of rows) {
  const p = r.prev_collapsed;
  const n = r.new_collapsed;
  console.log(
    `${r.name.slice(0, 42).padEnd(42)} ${pad(p.edges, 16)} ${pad(p.crossings, 6)}  ${pad(px(p.fit[0]), 7)}/${px(p.fit[1]).padEnd(6)} | ${pad(n.edges, 5)} ${pad(n.crossings, 6)}  ${pad(px(n.fit[0]), 7)}/${px(n.fit[1]).padEnd(6)}  ${pad(n.shown[1].toFixed(1), 6)}`
  );
}
const stat = (key, f) => median(rows.map(r => f(r[key])));
const summary = [
  ['median edges drawn (expanded)', stat('prev_open', m => m.edges), stat('new_open', m => m.edges)],
  ['median crossings (expanded)', stat('prev_open', m => m.crossings), stat('new_open', m => m.crossings)],
  ['median crossings (collapsed)', stat('prev_collapsed', m => m.crossings), stat('new_collapsed', m => m.crossings)],
  ['median fit title px, 1440×900 (expanded)', stat('prev_open', m => m.fit[0] * TITLE_PX), stat('new_open', m => m.fit[0] * TITLE_PX)],
  ['median fit title px, 720×900 (expanded)', stat('prev_open', m => m.fit[1] * TITLE_PX), stat('new_open', m => m.fit[1] * TITLE_PX)],
  ['min fit title px, 1440×900 (collapsed)', Math.min(...rows.map(r => r.prev_collapsed.fit[0] * TITLE_PX)), Math.min(...rows.map(r => r.new_collapsed.fit[0] * TITLE_PX))],
  ['min shown title px, 720×900 (collapsed)', Math.min(...rows.map(r => r.prev_collapsed.shown[1])), Math.min(...rows.map(r => r.new_collapsed.shown[1]))],
  ['median layout ms (expanded)', stat('prev_open', m => m.ms), stat('new_open', m => m.ms)]
];
console.log('\nSummary                                      previous        new');
for (const [label, a, b] of summary) {
  console.log(`${label.padEnd(44)} ${pad(a.toFixed(1), 8)} ${pad(b.toFixed(1), 10)}`);
}

// --- 1,000 nodes ----------------------------------------------------------
function bigDag(n, e) {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `c${i}`, cell_type: 'code', title: `cell ${i}`, source: '', index: i, position: null
  }));
  const seen = new Set();
  const edges = [];
  while (edges.length < e) {
    const t = 1 + Math.floor(random() * (n - 1));
    const r = random();
    const s = r < 0.1 ? 0 : r < 0.6 ? Math.max(0, t - 1 - Math.floor(random() * 3)) : Math.max(0, t - 1 - Math.floor(random() * 30));
    if (!seen.has(`${s}>${t}`)) {
      seen.add(`${s}>${t}`);
      edges.push({ id: null, source: `c${s}`, target: `c${t}`, kind: 'inferred', names: [`v${s}`] });
    }
  }
  return { nodes, edges };
}
const big = bigDag(1000, 2000);
const time = async f => {
  const t = performance.now();
  const r = await f();
  return [performance.now() - t, r];
};
const [prevMs, prevBig] = await time(async () => previous(big, []));
const [newMs, newBig] = await time(() => current(big, []));
console.log(
  `\n1,000 nodes / 2,000 edges: previous ${prevMs.toFixed(0)} ms (${prevBig.layout.engine}, ${prevBig.view.edges.length} edges drawn); ` +
    `new ${newMs.toFixed(0)} ms including the reduction (${newBig.layout.engine}, ${newBig.view.edges.length} edges drawn); budget 1500 ms`
);
// elk's cost against its budget measure (nodes + dummy nodes), with dagre's
// beside it: which graphs elk may take.
console.log(`\nelk forced vs dagre, by size (nodes + dummy nodes; ELK_BUDGET = ${ELK_BUDGET})`);
console.log('graph                                      nodes  edges   size  dagre ms  elk ms');
const calibration = [
  ...[25, 50, 100, 200].map(n => [`synthetic ${n}`, bigDag(n, 2 * n)]),
  ...[...graphs].sort((a, b) => b.nodes.length - a.nodes.length).slice(0, 2).map(g => [g.name, g])
];
for (const [name, dag] of calibration) {
  const view = buildViewGraph(dag);
  const graph = notebookGraph(view);
  const nodes = graph.nodes.map(sized);
  const all = [...graph.edges, ...graph.hints];
  const size = dagreSize(nodes, all);
  const [dagreMs] = await time(async () => computeLayout(nodes, all, { engine: 'dagre' }));
  const [elkMs] = await time(() => notebookLayout({ ...graph, nodes }, { engine: 'elk' }));
  console.log(
    `${name.slice(0, 42).padEnd(42)} ${pad(nodes.length, 5)} ${pad(view.edges.length, 6)} ${pad(size, 6)} ${pad(dagreMs.toFixed(0), 9)} ${pad(elkMs.toFixed(0), 7)}`
  );
}
if (!args.includes('--no-elk-1000')) {
  const view = buildViewGraph(big);
  const graph = notebookGraph(view);
  const [elkMs] = await time(() =>
    notebookLayout({ ...graph, nodes: graph.nodes.map(sized) }, { engine: 'elk' })
  );
  console.log(`  (elk forced on the reduced 1,000-node graph: ${elkMs.toFixed(0)} ms — why it is left beyond its budget)`);
}
fs.rmSync(out, { recursive: true, force: true });
process.exit(newMs > 1500 ? 1 : 0);
