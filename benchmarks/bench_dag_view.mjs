#!/usr/bin/env node
/**
 * Benchmark: lay out and render a 1,000-node / 2,000-edge DAG in the real DAG
 * view, in Debian's Chromium, and pan it.
 *
 * Usage (from the repository root, with the project installed in .venv, the
 * labextension built — `jlpm build` — and the UI test dependencies installed
 * — `cd tests/ui && jlpm install`):
 *
 *     export PATH="$PWD/.venv/bin:$PATH"
 *     node benchmarks/bench_dag_view.mjs [--nodes 1000] [--edges 2000] [--runs 5] [--port 8898]
 *
 * What it does: writes a notebook of N code cells where cell i computes
 * `v<i>` from earlier cells' names (unique names, so the server infers exactly
 * one edge per name read: E edges), starts JupyterLab on it (temporary root
 * folder and SQLite database, as the UI tests do), opens the project's DAG view
 * in headless Chromium (`/usr/bin/chromium` or CHROMIUM_PATH, the flags of
 * tests/ui/playwright.config.js; Playwright never downloads a browser) and
 * reads what the view measures itself:
 *
 * - layout: the automatic layout (in `DagViewState`, off React's render path);
 * - layout + render: from the DAG's arrival to the first painted frame with
 *   every node placed and the viewport fitted (`data-render-ms`);
 * - open: wall time from "Open DAG view" to that frame (adds the server's
 *   inference and the HTTP fetch);
 *
 * then pans the canvas with the mouse for ~1 s and reports the frame times.
 * Each run closes the view and opens it again; the medians are printed with
 * the graph size. The budget is 1.5 s for layout + render (exit status 1 when
 * over it).
 *
 * Diagnosis: BENCH_NO_MINIMAP=1 hides the minimap, BENCH_CSS='…' adds a style
 * sheet (e.g. to hide a layer), BENCH_PROFILE=open|pan writes a CPU profile of
 * the last opening or of the pan to /tmp/dag_open.cpuprofile or
 * /tmp/dag_pan.cpuprofile.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'tests', 'ui', 'package.json'));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const NODES = option('nodes', 1000);
const EDGES = option('edges', 2000);
const RUNS = option('runs', 5);
const PORT = option('port', 8898);
const BUDGET_MS = 1500;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync'
];

/**
 * Which earlier cells each cell reads: one of the few just before it, more
 * scattered over the previous 30, some the first ("imports") cell — E in all.
 */
function dependencies(n, e) {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const reads = Array.from({ length: n }, () => new Set());
  let count = 0;
  for (let i = 1; i < n && count < e; i++) {
    reads[i].add(Math.max(0, i - 1 - Math.floor(random() * 4)));
    count++;
  }
  let guard = 0;
  while (count < e && guard++ < e * 50) {
    const i = 1 + Math.floor(random() * (n - 1));
    const j =
      random() < 0.04 ? 0 : Math.max(0, i - 1 - Math.floor(random() * 30));
    if (!reads[i].has(j)) {
      reads[i].add(j);
      count++;
    }
  }
  return { reads, count };
}

function notebook(n, e) {
  const { reads, count } = dependencies(n, e);
  const cells = reads.map((from, i) => {
    const names = [...from].sort((a, b) => a - b).map(j => `v${j}`);
    const source = names.length
      ? `v${i} = ${names.join(' + ')} + ${i}`
      : `v${i} = ${i}`;
    return {
      cell_type: 'code',
      id: `c${String(i).padStart(4, '0')}`,
      metadata: {},
      execution_count: null,
      outputs: [],
      source
    };
  });
  return {
    notebook: {
      cells,
      metadata: {
        kernelspec: {
          name: 'python3',
          display_name: 'Python 3',
          language: 'python'
        },
        language_info: { name: 'python' }
      },
      nbformat: 4,
      nbformat_minor: 5
    },
    edges: count
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

async function waitForServer(url, child, timeoutMs = 120000) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (child.exitCode !== null) {
      throw new Error(`jupyter lab exited with ${child.exitCode}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) {
        return;
      }
    } catch (error) {
      // not up yet
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  throw new Error(`no server at ${url} after ${timeoutMs} ms`);
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'notebook-dag-bench-'));
  const { notebook: nb, edges } = notebook(NODES, EDGES);
  const name = `bench_${NODES}.ipynb`;
  fs.writeFileSync(path.join(work, name), JSON.stringify(nb));

  const server = spawn(
    'jupyter',
    [
      'lab',
      '--config',
      path.join(ROOT, 'tests', 'ui', 'jupyter_server_test_config.py'),
      '--no-browser'
    ],
    {
      cwd: work,
      env: {
        ...process.env,
        JUPYTERLAB_GALATA_ROOT_DIR: work,
        NOTEBOOK_DAG_UI_PORT: String(PORT)
      },
      stdio: ['ignore', 'ignore', 'pipe']
    }
  );
  let serverLog = '';
  server.stderr.on(
    'data',
    chunk => (serverLog = (serverLog + chunk).slice(-4000))
  );
  const base = `http://localhost:${PORT}`;
  let browser;
  try {
    await waitForServer(`${base}/lab`, server);
    const api = `${base}/notebook-dag/api`;
    const created = await fetch(`${api}/projects`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `bench ${NODES}`, notebook_path: name })
    });
    if (!created.ok) {
      throw new Error(`cannot create the project: ${await created.text()}`);
    }
    const project = await created.json();
    // The server's own numbers (and a warm inference cache).
    let start = Date.now();
    const dag = await (await fetch(`${api}/projects/${project.id}/dag`)).json();
    const fetchMs = Date.now() - start;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const page = await browser.newPage({
      viewport: { width: 1440, height: 900 }
    });
    const problems = [];
    page.on('console', m => {
      if (m.type() === 'error') {
        problems.push(m.text());
      }
    });
    page.on('pageerror', e => problems.push(e.message));
    await page.goto(`${base}/lab?reset`);
    await page.waitForFunction(() => !!window.jupyterapp?.commands, null, {
      timeout: 120000
    });
    await page.waitForSelector('#jp-main-dock-panel', { timeout: 120000 });

    if (process.env.BENCH_CSS) {
      await page.addStyleTag({ content: process.env.BENCH_CSS });
    }
    if (process.env.BENCH_NO_MINIMAP) {
      await page.evaluate(id => {
        localStorage.setItem(
          `notebook-dag:view:${id}`,
          JSON.stringify({ showMinimap: false })
        );
      }, project.id);
    }
    let cdp = null;
    if (process.env.BENCH_PROFILE) {
      cdp = await page.context().newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    }
    const results = [];
    for (let run = 0; run < RUNS; run++) {
      if (cdp && run === RUNS - 1) {
        await cdp.send('Profiler.start');
      }
      await page.evaluate(() =>
        document
          .querySelectorAll('.jp-NotebookDag-panelWidget')
          .forEach(node => {
            const id = node.id;
            const widget = [...window.jupyterapp.shell.widgets('main')].find(
              w => w.id === id
            );
            widget?.dispose();
          })
      );
      const opened = Date.now();
      await page.evaluate(async id => {
        await window.jupyterapp.commands.execute('notebook-dag:open', {
          projectId: id
        });
        return true;
      }, project.id);
      const view = page.locator('.jp-NotebookDag');
      await page.waitForFunction(
        () =>
          !!document
            .querySelector('.jp-NotebookDag')
            ?.getAttribute('data-render-ms'),
        null,
        { timeout: 120000 }
      );
      const openMs = Date.now() - opened;
      const info = await view.evaluate(el => ({
        nodes: Number(el.getAttribute('data-node-count')),
        edges: Number(el.getAttribute('data-edge-count')),
        layoutMs: Number(el.getAttribute('data-layout-ms')),
        renderMs: Number(el.getAttribute('data-render-ms')),
        engine: el.getAttribute('data-layout-engine'),
        domNodes: el.querySelectorAll('.react-flow__node').length,
        domEdges: el.querySelectorAll('.react-flow__edge').length
      }));
      results.push({ ...info, openMs });
    }
    if (cdp && process.env.BENCH_PROFILE === 'open') {
      const { profile } = await cdp.send('Profiler.stop');
      fs.writeFileSync('/tmp/dag_open.cpuprofile', JSON.stringify(profile));
    }
    if (cdp && process.env.BENCH_PROFILE === 'pan') {
      await cdp.send('Profiler.start');
    }

    // Pan: drag the pane for ~1 s, recording every frame.
    const pane = await page.locator('.react-flow__pane').boundingBox();
    await page.evaluate(() => {
      window.__frames = [];
      let last = performance.now();
      const tick = now => {
        window.__frames.push(now - last);
        last = now;
        if (window.__frames.length < 400) {
          window.__raf = requestAnimationFrame(tick);
        }
      };
      window.__raf = requestAnimationFrame(tick);
    });
    const cx = pane.x + pane.width / 2;
    const cy = pane.y + pane.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    const panStart = Date.now();
    // Down the DAG (content moves up) with a sideways swing and back.
    for (let i = 1; i <= 60; i++) {
      const t = i / 60;
      await page.mouse.move(cx - 300 * Math.sin(t * 2 * Math.PI), cy - 400 * t);
    }
    await page.mouse.up();
    const panMs = Date.now() - panStart;
    if (cdp && process.env.BENCH_PROFILE === 'pan') {
      const { profile } = await cdp.send('Profiler.stop');
      fs.writeFileSync('/tmp/dag_pan.cpuprofile', JSON.stringify(profile));
    }
    const frames = await page.evaluate(() => {
      cancelAnimationFrame(window.__raf);
      return window.__frames.slice(1);
    });
    const visible = await page.evaluate(
      () =>
        document.querySelectorAll('.jp-NotebookDag .react-flow__node').length
    );
    const transform = await page.evaluate(
      () =>
        document.querySelector('.jp-NotebookDag .react-flow__viewport').style
          .transform
    );

    const first = results[0];
    console.log(
      `DAG view benchmark: ${dag.nodes.length} nodes, ${dag.edges.length} edges ` +
        `(generated: ${NODES} cells, ${edges} reads; drawn: ${first.nodes} nodes, ${first.edges} edges), ` +
        `layout engine: ${first.engine}, ${RUNS} runs, Chromium ${browser.version()}`
    );
    console.log(`  server: GET dag ${fetchMs} ms (inference included)`);
    for (const [i, r] of results.entries()) {
      console.log(
        `  run ${i + 1}: layout ${r.layoutMs.toFixed(1)} ms, layout + render ${r.renderMs.toFixed(1)} ms, ` +
          `open ${r.openMs} ms, ${r.domNodes} nodes and ${r.domEdges} edges in the DOM`
      );
    }
    const renderMedian = median(results.map(r => r.renderMs));
    console.log(
      `  median: layout ${median(results.map(r => r.layoutMs)).toFixed(1)} ms, ` +
        `layout + render ${renderMedian.toFixed(1)} ms (budget ${BUDGET_MS} ms: ` +
        `${renderMedian <= BUDGET_MS ? 'OK' : 'OVER'}), open ${median(results.map(r => r.openMs))} ms`
    );
    console.log(
      `  pan: ${frames.length} frames in ${panMs} ms, frame time median ${median(frames).toFixed(1)} ms, ` +
        `p95 ${percentile(frames, 95).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms ` +
        `(~${(1000 / median(frames)).toFixed(0)} fps), ${visible} nodes rendered after the pan (${transform})`
    );
    if (problems.length) {
      console.log(`  console errors: ${problems.slice(0, 5).join(' | ')}`);
    }
    process.exitCode = renderMedian <= BUDGET_MS ? 0 : 1;
  } catch (error) {
    console.error(error);
    console.error(serverLog);
    process.exitCode = 2;
  } finally {
    await browser?.close();
    server.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
