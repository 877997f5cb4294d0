/**
 * The DAG view's options live in JupyterLab's settings registry
 * (`notebook_dag:plugin`): a new view starts from them, and a choice made in
 * a view's toolbar becomes the user's default for the next view.
 */
import { expect, galata, test } from '@jupyterlab/galata';
import * as path from 'path';

import { FIXTURES, openDagView, openNotebook, watchConsole } from './helpers';

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    'notebook_dag:plugin': {
      layoutDirection: 'LR',
      minimap: 'always',
      maxParallel: 2
    }
  }
});

test('view options come from the settings registry and the toolbar writes them back', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  await openNotebook(page, tmpPath, path.join(FIXTURES, 'five_cells.ipynb'));
  const view = await openDagView(page);
  await expect(view).toHaveAttribute('data-direction', 'LR');
  await expect(
    view.getByRole('button', { name: 'Left-right ⇢' })
  ).toHaveAttribute('aria-pressed', 'true');
  await expect(view.getByRole('checkbox', { name: 'Minimap' })).toBeChecked();
  await expect(view.getByLabel('Blocks at once')).toHaveValue('2');

  // The toolbar's choices become the defaults of the next view.
  await view.getByRole('button', { name: 'Left-right ⇢' }).click();
  await expect(view).toHaveAttribute('data-direction', 'TB');
  await view.getByRole('checkbox', { name: 'Minimap' }).uncheck();

  // Another project's view, opened by its command.
  await page.contents.uploadFile(
    path.join(FIXTURES, 'branches.ipynb'),
    `${tmpPath}/branches.ipynb`
  );
  const created = await page.request.post('/notebook-dag/api/projects', {
    data: { name: 'branches', notebook_path: `${tmpPath}/branches.ipynb` }
  });
  expect(created.status()).toBe(201);
  const other = (await created.json()).id as string;
  await page.evaluate(async projectId => {
    await window.jupyterapp.commands.execute('notebook-dag:open', {
      projectId
    });
  }, other);
  const second = page.locator(`.jp-NotebookDag[data-project-id="${other}"]`);
  await expect(second).toBeVisible();
  await expect(second).toHaveAttribute('data-direction', 'TB');
  await expect(
    second.getByRole('checkbox', { name: 'Minimap' })
  ).not.toBeChecked();
  await expect(second.getByLabel('Blocks at once')).toHaveValue('2');
  expect(problems()).toEqual([]);
});
