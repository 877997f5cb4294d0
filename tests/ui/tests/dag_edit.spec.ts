/**
 * Editing a DAG in the view: drawing, deleting, hiding and accepting edges,
 * a refused cycle, moving nodes, the layout direction, section collapse, the
 * dark theme — no kernel needed.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

import {
  apiGet,
  attachScreenshot,
  dragEdge,
  FIXTURES,
  focusDagView,
  node,
  openDagView,
  openNotebook,
  watchConsole
} from './helpers';

const FIVE = path.join(FIXTURES, 'five_cells.ipynb');

test('edges: draw, refuse a cycle, delete, hide, accept', async ({
  page,
  tmpPath
}, testInfo) => {
  const problems = watchConsole(page);
  await openNotebook(page, tmpPath, FIVE);
  const view = await openDagView(page);
  await focusDagView(page);
  const projectId = (await view.getAttribute('data-project-id'))!;
  const notice = view.getByTestId('dag-notice');
  const manual = view.locator('.react-flow__edge.jp-NotebookDag-edge-manual');
  // load -> mean is implied by load -> square -> total -> mean: hidden until
  // "All edges" is checked.
  await expect(view.locator('.react-flow__edge')).toHaveCount(3);
  await expect(manual).toHaveCount(0);

  // Drag a new edge square -> mean.
  await dragEdge(page, 'square', 'mean');
  await expect(notice).toContainText('Added an edge from');
  await expect(manual).toHaveCount(1);

  // Drag mean -> load: the server refuses the cycle, and says which.
  await dragEdge(page, 'mean', 'load');
  await expect(notice).toHaveAttribute('data-kind', 'error');
  await expect(notice).toContainText('Edge refused');
  await expect(notice).toContainText('would create a cycle: mean → load');
  await expect(notice).toHaveAttribute('role', 'alert');
  await attachScreenshot(view, testInfo, 'cycle-refused');
  await expect(manual).toHaveCount(1);

  // Keyboard: focus the manual edge, select it with Enter, Delete removes it.
  await manual.first().focus();
  await page.keyboard.press('Enter');
  const edgePanel = page.getByTestId('dag-edge-panel');
  await expect(edgePanel).toHaveAttribute('data-edge-kind', 'manual');
  await page.keyboard.press('Delete');
  await expect(notice).toContainText('Deleted the edge from');
  await expect(manual).toHaveCount(0);

  // Hide the inferred edge load -> mean, then show it again.
  await view.getByLabel('All edges').check();
  const loadMean = view.locator(
    '.react-flow__edge[data-edge-kind="inferred"][aria-label*="from load to mean"]'
  );
  await loadMean.focus();
  await page.keyboard.press('Enter');
  await expect(edgePanel).toContainText('numbers');
  await edgePanel.getByRole('button', { name: 'Hide edge' }).click();
  await expect(notice).toContainText('Hid the inferred edge');
  await expect(loadMean).toHaveCount(0);
  const edges = await apiGet(page, `projects/${projectId}/edges`);
  expect(edges.hidden.map((e: any) => `${e.source}>${e.target}`)).toEqual([
    'load>mean'
  ]);
  await view.getByRole('button', { name: 'Hidden edges (1)' }).click();
  await page
    .getByTestId('dag-hidden-edges')
    .getByRole('button', { name: 'Show again' })
    .click();
  await expect(loadMean).toHaveCount(1);

  // Accept the inferred edge total -> mean: drawn once, as manual, labelled.
  const totalMean = view.locator(
    '.react-flow__edge[aria-label*="from total to mean"]'
  );
  await totalMean.focus();
  await page.keyboard.press('Enter');
  await edgePanel.getByRole('button', { name: 'Accept edge' }).click();
  await expect(notice).toContainText('as a manual edge');
  await expect(totalMean).toHaveCount(1);
  await expect(totalMean).toHaveAttribute('data-edge-kind', 'manual');
  await expect(totalMean).toContainText('total');

  // Without a mouse: add an edge from the node panel.
  await node(page, 'square').click();
  const panel = page.getByTestId('dag-output-panel');
  await panel
    .getByLabel('Target of a new edge from squares = [n * n for n in numbers]')
    .selectOption('mean');
  await panel.getByRole('button', { name: 'Add edge' }).click();
  await expect(manual).toHaveCount(2);

  // Export menu: a download named after the notebook.
  await view.getByRole('button', { name: 'Export ▾' }).click();
  const menu = view.getByRole('menu', { name: 'Export formats' });
  await expect(menu.getByRole('menuitem')).toHaveCount(3);
  const download = page.waitForEvent('download');
  await menu.getByRole('menuitem', { name: 'Python script (.py)' }).click();
  expect((await download).suggestedFilename()).toBe('five_cells.py');

  expect(problems()).toEqual([]);
});

test('layout: move and save nodes, direction, sections, dark theme', async ({
  page,
  tmpPath
}, testInfo) => {
  const problems = watchConsole(page);
  await openNotebook(page, tmpPath, FIVE);
  const view = await openDagView(page);
  await focusDagView(page);
  const projectId = (await view.getAttribute('data-project-id'))!;

  // Top-down: edges go down.
  const box = async (id: string) => (await node(page, id).boundingBox())!;
  expect((await box('square')).y).toBeGreaterThan((await box('load')).y);

  // Drag a node: its position is saved (one PUT for the moved nodes).
  const before = await box('mean');
  const saved = page.waitForRequest(
    request =>
      request.method() === 'PUT' &&
      new URL(request.url()).pathname.endsWith(
        `/projects/${projectId}/positions`
      )
  );
  await page.mouse.move(before.x + 60, before.y + 40);
  await page.mouse.down();
  await page.mouse.move(before.x + 160, before.y + 60, { steps: 8 });
  await page.mouse.up();
  const put = await saved;
  expect(Object.keys(put.postDataJSON().positions)).toEqual(['mean']);
  await expect
    .poll(async () => {
      const blocks = await apiGet(page, `projects/${projectId}/blocks`);
      return blocks.blocks.find((b: any) => b.id === 'mean').position !== null;
    })
    .toBe(true);

  // Left to right: the other nodes follow the direction.
  const toggle = view.getByRole('button', { name: 'Top-down ⇣' });
  await toggle.click();
  await expect(view).toHaveAttribute('data-direction', 'LR');
  await expect
    .poll(async () => (await box('square')).x - (await box('load')).x)
    .toBeGreaterThan(100);
  // "Auto layout" forgets the moved position.
  await view.getByRole('button', { name: 'Auto layout' }).click();
  await expect
    .poll(async () => {
      const blocks = await apiGet(page, `projects/${projectId}/blocks`);
      return blocks.blocks.find((b: any) => b.id === 'mean').position;
    })
    .toBeNull();

  // Collapse the "Five cells" section into its heading, and expand it.
  const heading = node(page, 'md-title');
  await heading.getByRole('button', { name: /Collapse the section/ }).click();
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(1);
  await expect(heading).toHaveClass(/jp-mod-collapsed/);
  await expect(heading).toContainText('4 cells');
  await heading.getByRole('button', { name: /Expand the section/ }).click();
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(5);

  // The minimap can be shown; zoom controls are there.
  await view.getByLabel('Minimap').check();
  await expect(view.locator('.react-flow__minimap')).toBeVisible();
  await expect(view.locator('.react-flow__controls-fitview')).toBeVisible();

  // Hovering a node previews its code.
  await node(page, 'total').hover();
  await expect(
    node(page, 'total').locator('.jp-NotebookDag-preview')
  ).toContainText('print(f"total = {total}")');

  // Dark theme: JupyterLab's variables apply to nodes, text and canvas.
  await page.theme.setDarkTheme();
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    'false'
  );
  await expect(view.locator('.react-flow.dark')).toHaveCount(1);
  const colours = await page.evaluate(() => {
    const resolve = (value: string) => {
      const probe = document.createElement('div');
      probe.style.color = value;
      document.body.appendChild(probe);
      const colour = getComputedStyle(probe).color;
      probe.remove();
      return colour;
    };
    const nodeEl = document.querySelector('[data-testid="dag-node-total"]')!;
    // resolved where the DAG's own variables apply
    const resolveIn = (value: string) => {
      const probe = document.createElement('div');
      probe.style.color = value;
      nodeEl.parentElement!.appendChild(probe);
      const colour = getComputedStyle(probe).color;
      probe.remove();
      return colour;
    };
    const title = nodeEl.querySelector('.jp-NotebookDag-nodeTitle')!;
    const pane = document.querySelector('.jp-NotebookDag .react-flow')!;
    return {
      nodeBackground: getComputedStyle(nodeEl).backgroundColor,
      // a never-run code node: a tint of its status colour on layout-color1
      nodeTint: resolveIn(
        'color-mix(in srgb, var(--jp-NotebookDag-never_run) 14%, var(--jp-layout-color1))'
      ),
      titleColour: getComputedStyle(title).color,
      font1: resolve('var(--jp-ui-font-color1)'),
      paneBackground: getComputedStyle(pane).backgroundColor,
      layout0: resolve('var(--jp-layout-color0)')
    };
  });
  expect(colours.nodeBackground).toBe(colours.nodeTint);
  expect(colours.titleColour).toBe(colours.font1);
  expect(colours.paneBackground).toBe(colours.layout0);
  // Light text on a dark node: contrast of at least 4.5:1 (WCAG AA).
  const luminance = (rgb: string) => {
    // rgb(0-255 …) or color(srgb 0-1 …), as Chromium writes a color-mix()
    const scale = rgb.startsWith('color(') ? 1 : 255;
    const [r, g, b] = rgb
      .match(/[\d.]+/g)!
      .slice(0, 3)
      .map(Number)
      .map(c => {
        const s = c / scale;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const alpha = Number((colours.titleColour.match(/[\d.]+/g) ?? [])[3] ?? 1);
  const bg = luminance(colours.nodeBackground);
  // Blend the (possibly translucent) text colour over the background.
  const fg = luminance(colours.titleColour) * alpha + bg * (1 - alpha);
  const contrast = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  expect(contrast).toBeGreaterThan(4.5);
  await attachScreenshot(view, testInfo, 'dark-theme');
  await page.theme.setLightTheme();

  expect(problems()).toEqual([]);
});

test('datasets: dataset nodes in the DAG and the Datasets tab', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  await page.contents.uploadFile(
    path.join(FIXTURES, 'sales.csv'),
    `${tmpPath}/sales.csv`
  );
  await openNotebook(page, tmpPath, path.join(FIXTURES, 'datasets.ipynb'));
  const view = await openDagView(page);
  await focusDagView(page);
  const projectId = (await view.getAttribute('data-project-id'))!;
  const registered = await page.request.post('/notebook-dag/api/datasets', {
    data: { path: `${tmpPath}/sales.csv`, project_id: projectId }
  });
  expect(registered.status()).toBe(201);

  await view.getByLabel('Dataset nodes', { exact: true }).check();
  const dataset = view.locator(
    '.jp-NotebookDag-node[data-cell-type="dataset"]'
  );
  await expect(dataset).toHaveCount(1);
  await expect(dataset).toContainText('sales.csv');
  await expect(
    view.locator(
      '.react-flow__edge[data-edge-kind="reads"][aria-label*="to read"]'
    )
  ).toHaveCount(1);

  // The project's datasets in the side panel's tab (the datasets/ panel).
  await view.getByRole('button', { name: 'Datasets', exact: true }).click();
  const tab = page.getByTestId('dag-datasets-tab');
  await expect(tab).toBeVisible();
  await expect(tab).toContainText('sales.csv');

  await view.getByLabel('Dataset nodes', { exact: true }).uncheck();
  await expect(dataset).toHaveCount(0);
  expect(problems()).toEqual([]);
});
