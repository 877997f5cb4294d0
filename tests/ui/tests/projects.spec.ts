/**
 * The Projects panel of the left sidebar: create, search, star, rename,
 * duplicate, delete, open.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

import {
  attachScreenshot,
  FIXTURES,
  runAllAndWait,
  uploadNotebook,
  watchConsole
} from './helpers';

test('projects panel: create, search, star, rename, duplicate, delete', async ({
  page,
  tmpPath
}, testInfo) => {
  const problems = watchConsole(page);
  const notebook = await uploadNotebook(
    page,
    tmpPath,
    path.join(FIXTURES, 'five_cells.ipynb')
  );
  const unique = `UI ${Date.now().toString(36)}`;

  await page.sidebar.openTab('notebook-dag-projects');
  const panel = page.getByTestId('dag-projects');
  await expect(panel).toBeVisible();

  // Create: the DAG view of the new project opens.
  await panel.getByRole('button', { name: 'New project' }).click();
  const form = panel.getByRole('form', { name: 'New project' });
  await form.getByLabel('Name').fill(`${unique} sales`);
  await form.getByLabel('Notebook path').fill(notebook);
  await form.getByLabel('Tags (comma separated)').fill('ui-test, weekly');
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(page.locator('.jp-NotebookDag:visible')).toBeVisible();
  await expect(
    page.locator('.jp-NotebookDag:visible .jp-NotebookDag-node')
  ).toHaveCount(5);

  // Search.
  const search = panel.getByLabel('Search projects');
  const items = panel.getByTestId('dag-project');
  await search.fill(unique);
  await expect(items).toHaveCount(1);
  const item = items.first();
  await expect(item).toContainText(`${unique} sales`);
  await expect(item).toContainText(notebook);
  await expect(item).toContainText('weekly');
  await search.fill(`${unique} nothing like this`);
  await expect(items).toHaveCount(0);
  await search.fill(unique);
  await expect(items).toHaveCount(1);

  // Star, and filter on stars.
  await item.getByRole('button', { name: `Star ${unique} sales` }).click();
  await expect(item).toHaveAttribute('data-favorite', 'true');
  await panel.getByLabel('Starred only').check();
  await expect(items).toHaveCount(1);
  await panel.getByLabel('Starred only').uncheck();

  // Tag filter.
  await panel.getByLabel('Filter by tag').selectOption('ui-test');
  await expect(items).toHaveCount(1);
  await panel.getByLabel('Filter by tag').selectOption('');

  // Rename.
  await item.getByRole('button', { name: 'Rename', exact: true }).click();
  const rename = item.getByLabel(`New name of ${unique} sales`);
  await rename.fill(`${unique} revenue`);
  await rename.press('Enter');
  await expect(item).toContainText(`${unique} revenue`);

  // Duplicate (the notebook is copied next to it).
  await item.getByRole('button', { name: 'Duplicate', exact: true }).click();
  await expect(items).toHaveCount(2);
  await attachScreenshot(panel, testInfo, 'projects-panel');

  // Delete both, confirming in JupyterLab's dialog.
  for (let left = 2; left > 0; left--) {
    await items
      .first()
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Delete the project');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(items).toHaveCount(left - 1);
  }

  expect(problems()).toEqual([]);
});

test('a project from a template: pick a dataset, create, run green', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  const rows = ['width,height,kind'];
  for (let i = 0; i < 60; i++) {
    rows.push(
      `${(i % 7) + 1.5},${(i % 5) * 2 + 0.25},${['a', 'b', 'c'][i % 3]}`
    );
  }
  await page.contents.uploadContent(
    rows.join('\n') + '\n',
    'text',
    `${tmpPath}/shapes.csv`
  );
  const unique = `shapes-${Date.now().toString(36)}.csv`;
  const registered = await page.request.post('/notebook-dag/api/datasets', {
    data: { path: `${tmpPath}/shapes.csv`, name: unique }
  });
  expect(registered.status()).toBe(201);

  await page.sidebar.openTab('notebook-dag-projects');
  const panel = page.getByTestId('dag-projects');
  await panel.getByRole('button', { name: 'From template' }).click();
  const form = panel.getByRole('form', { name: 'New project from template' });
  await form
    .getByLabel('Template')
    .selectOption({ label: 'Explore a dataset' });
  // Create stays possible; without a dataset the form says what is missing.
  await form.getByLabel('Notebook path').fill(`${tmpPath}/explore.ipynb`);
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(form.getByRole('alert')).toHaveText('Choose a dataset.');
  await form
    .getByLabel('Dataset', { exact: true })
    .selectOption({ label: unique });
  await form.getByRole('button', { name: 'Create' }).click();

  const view = page.locator('.jp-NotebookDag:visible');
  await expect(view).toBeVisible();
  await expect(
    view.locator('.jp-NotebookDag-node[data-cell-type="code"]')
  ).not.toHaveCount(0);
  const codeCells = await view
    .locator('.jp-NotebookDag-node[data-cell-type="code"]')
    .count();
  await runAllAndWait(view, codeCells);
  await expect(
    view.locator(
      '.jp-NotebookDag-node[data-cell-type="code"]:not([data-status="succeeded"])'
    )
  ).toHaveCount(0);

  // The same path again: a clear message, nothing overwritten.
  await panel.getByRole('button', { name: 'From template' }).click();
  await form
    .getByLabel('Template')
    .selectOption({ label: 'Explore a dataset' });
  await form
    .getByLabel('Dataset', { exact: true })
    .selectOption({ label: unique });
  await form.getByLabel('Notebook path').fill(`${tmpPath}/explore.ipynb`);
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(panel.getByRole('alert')).toContainText('already exists');
  expect(problems().filter(p => !p.includes('409'))).toEqual([]);
});
