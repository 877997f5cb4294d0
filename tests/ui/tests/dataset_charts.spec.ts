/**
 * The datasets tab's analysis and chart suggestions on a real dataset (iris,
 * from scikit-learn's wheel): the correlation pairs, the chart gallery, and
 * "Add to project" of a chart into the open notebook, run from the DAG view
 * with its image in the node panel.
 */
import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import {
  API,
  apiGet,
  attachScreenshot,
  FIXTURES,
  focusDagView,
  node,
  openDagView,
  openNotebook,
  REPO,
  watchConsole
} from './helpers';

/**
 * iris as a CSV with the species' names (real data shipped in scikit-learn).
 */
function irisCsv(file: string): string {
  const python = fs.existsSync(path.join(REPO, '.venv', 'bin', 'python'))
    ? path.join(REPO, '.venv', 'bin', 'python')
    : 'python';
  execFileSync(python, [
    '-c',
    [
      'import sys',
      'from sklearn.datasets import load_iris',
      'iris = load_iris(as_frame=True)',
      'df = iris.frame.drop(columns="target")',
      'df["species"] = iris.target_names[iris.target]',
      'df.to_csv(sys.argv[1], index=False)'
    ].join('\n'),
    file
  ]);
  return file;
}

test('dataset analysis and charts: add a chart to the project and run it', async ({
  page,
  tmpPath
}, testInfo) => {
  const problems = watchConsole(page);
  const csv = irisCsv(testInfo.outputPath('iris.csv'));
  const notebookPath = await openNotebook(
    page,
    tmpPath,
    path.join(FIXTURES, 'five_cells.ipynb')
  );
  const view = await openDagView(page);
  await focusDagView(page);
  const projectId = (await view.getAttribute('data-project-id'))!;

  // Upload iris through the Datasets tab: it is selected once uploaded.
  await view.getByRole('button', { name: 'Datasets', exact: true }).click();
  const tab = page.getByTestId('dag-datasets-tab');
  await tab.getByTestId('upload-input').setInputFiles(csv);
  const detail = tab.getByTestId('dataset-detail');
  await expect(detail).toContainText('iris.csv');

  // Analysis: the strongest correlations, ranked, with method and p-value.
  await detail.getByTestId('dataset-tab-analysis').click();
  const analysis = detail.getByTestId('dataset-analysis');
  await expect(analysis.getByTestId('analysis-statistics')).toBeVisible({
    timeout: 60 * 1000
  });
  await expect(analysis).toContainText('sepal length (cm)');
  await analysis.getByRole('tab', { name: 'correlation' }).click();
  const pairs = analysis.getByTestId('correlation-pair');
  await expect(pairs.first()).toBeVisible({ timeout: 60 * 1000 });
  expect(await pairs.count()).toBeGreaterThan(3);
  // petal length and width: Pearson r = 0.96 on iris.
  await expect(
    pairs.filter({ hasText: 'petal length (cm) ↔ petal width (cm)' }).first()
  ).toBeVisible();
  await expect(
    analysis.getByTestId('correlation-matrix-pearson')
  ).toBeVisible();
  await expect(analysis).toContainText('p < 0.001');
  // The heatmap reads on both themes (JupyterLab's colour variables).
  const strong = analysis
    .getByTestId('correlation-matrix-pearson')
    .locator('td', { hasText: '0.96' })
    .first();
  for (const theme of ['dark', 'light']) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    } else {
      await page.theme.setLightTheme();
    }
    const colours = await strong.evaluate(td => {
      const style = getComputedStyle(td);
      return { bg: style.backgroundColor, fg: style.color };
    });
    expect(colours.bg).not.toBe('rgba(0, 0, 0, 0)');
    expect(colours.fg).not.toBe(colours.bg);
    await attachScreenshot(analysis, testInfo, `correlation-${theme}`);
  }

  // Charts: cards with a real PNG preview.
  await detail.getByTestId('dataset-tab-charts').click();
  const cards = detail.getByTestId('chart-card');
  await expect(cards.first()).toBeVisible({ timeout: 60 * 1000 });
  const card = cards.first();
  const title = (await card.locator('strong').textContent())!;
  const image = card.locator('img');
  await expect(image).toBeVisible();
  expect(
    await image.evaluate(img => (img as HTMLImageElement).naturalWidth)
  ).toBeGreaterThan(100);
  await attachScreenshot(tab, testInfo, 'chart-gallery');

  // Add to project: this project by default, at the end.
  const before = (await apiGet(page, `projects/${projectId}/blocks`)).blocks;
  await card.getByRole('button', { name: 'Add to project' }).click();
  const form = card.getByTestId('add-to-project-form');
  await expect(form.getByLabel('Project')).toHaveValue(projectId);
  await expect(form.getByLabel('Position')).toHaveValue('');
  await expect(form.getByLabel('Position').locator('option')).toHaveCount(
    before.length + 1
  );
  await form.getByRole('button', { name: 'Add block' }).click();
  await expect(detail.getByTestId('block-added')).toContainText(
    'in the open notebook'
  );

  // A JupyterLab notification with "Open DAG view".
  const toast = page.locator('.Toastify__toast', { hasText: title });
  await expect(toast).toBeVisible();
  await toast.getByRole('button', { name: 'Open DAG view' }).click();
  await expect(view).toBeVisible();

  // The new cell is in the open notebook (unsaved) and the DAG view.
  let added = '';
  await expect(async () => {
    const blocks = (await apiGet(page, `projects/${projectId}/blocks`)).blocks;
    expect(blocks.length).toBe(before.length + 1);
    added = blocks[blocks.length - 1].id;
    expect(blocks[blocks.length - 1].source).toContain('matplotlib');
  }).toPass({ timeout: 30 * 1000 });
  const file = await page.request.get(
    `/api/contents/${notebookPath}?content=1&type=notebook`
  );
  expect((await file.json()).content.cells.length).toBe(before.length); // nothing written
  await expect(node(page, added)).toBeVisible();

  // Run it from the DAG view: its image in the node panel.
  await node(page, added).click();
  const panel = page.getByTestId('dag-output-panel');
  const runBefore = (await view.getAttribute('data-run-id')) ?? '';
  await panel.getByRole('button', { name: 'Run this block' }).click();
  await expect(view).not.toHaveAttribute('data-run-id', runBefore);
  await expect(view).toHaveAttribute('data-run-status', 'succeeded', {
    timeout: 180 * 1000
  });
  await expect(node(page, added)).toHaveAttribute('data-status', 'succeeded');
  const output = panel.locator('.jp-OutputArea-output img');
  await expect(output.first()).toBeVisible();
  await attachScreenshot(panel, testInfo, 'chart-output');

  expect(problems()).toEqual([]);
});

test('dataset analysis: add it to a project whose notebook is not open (REST)', async ({
  page,
  tmpPath
}, testInfo) => {
  const problems = watchConsole(page);
  const csv = irisCsv(testInfo.outputPath('iris.csv'));
  // A second project whose notebook stays closed.
  const other = `${tmpPath}/other.ipynb`;
  await page.contents.uploadFile(
    path.join(FIXTURES, 'five_cells.ipynb'),
    other
  );
  const created = await page.request.post(`${API}/projects`, {
    data: { name: 'Closed notebook', notebook_path: other }
  });
  expect(created.ok()).toBe(true);
  const otherId = (await created.json()).id;

  await openNotebook(page, tmpPath, path.join(FIXTURES, 'five_cells.ipynb'));
  const view = await openDagView(page);
  await focusDagView(page);
  await view.getByRole('button', { name: 'Datasets', exact: true }).click();
  const tab = page.getByTestId('dag-datasets-tab');
  await tab.getByTestId('upload-input').setInputFiles(csv);
  const detail = tab.getByTestId('dataset-detail');
  await expect(detail).toContainText('iris.csv');

  await detail.getByTestId('dataset-tab-analysis').click();
  const analysis = detail.getByTestId('dataset-analysis');
  await analysis.getByRole('tab', { name: 'clustering' }).click();
  await expect(analysis.getByTestId('clustering-k')).toContainText('k = ', {
    timeout: 60 * 1000
  });
  await analysis.getByRole('button', { name: 'Add to project' }).click();
  const form = analysis.getByTestId('add-to-project-form');
  await form.getByLabel('Project').selectOption(otherId);
  await form.getByLabel('Position').selectOption('load');
  await form.getByRole('button', { name: 'Add block' }).click();
  await expect(analysis.getByTestId('block-added')).toContainText(
    'Closed notebook'
  );

  // Written by the server into the file, right after `load`.
  const saved = await page.request.get(
    `/api/contents/${other}?content=1&type=notebook`
  );
  const cells = (await saved.json()).content.cells;
  expect(cells.map((c: { id: string }) => c.id).slice(0, 2)).toEqual([
    'md-title',
    'load'
  ]);
  expect(cells[2].source).toContain('KMeans');

  // The notification's action opens that project's DAG view.
  const toast = page.locator('.Toastify__toast', {
    hasText: 'other.ipynb'
  });
  await toast.getByRole('button', { name: 'Open DAG view' }).click();
  await expect(
    page.locator(`.jp-NotebookDag[data-project-id="${otherId}"]`)
  ).toBeVisible();
  expect(problems()).toEqual([]);
});
