/**
 * The DAG view's actions as JupyterLab commands: a node's context menu, the
 * command palette and the keyboard shortcuts of the settings schema.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

import {
  FIXTURES,
  focusDagView,
  node,
  openDagView,
  openNotebook,
  watchConsole
} from './helpers';

test('node context menu, palette and shortcuts run the DAG', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  await openNotebook(page, tmpPath, path.join(FIXTURES, 'five_cells.ipynb'));
  const view = await openDagView(page);
  await focusDagView(page);
  await expect(node(page, 'total')).toBeVisible();

  // Right-click a node: "Run Node with Upstream" runs it and what it needs.
  await node(page, 'total').click({ button: 'right' });
  const menu = page.locator('.lm-Menu');
  await menu.getByText('Run Node with Upstream', { exact: true }).click();
  for (const id of ['load', 'square', 'total']) {
    await expect(node(page, id)).toHaveAttribute('data-status', 'succeeded', {
      timeout: 120 * 1000
    });
  }
  await expect(node(page, 'mean')).not.toHaveAttribute(
    'data-status',
    'succeeded'
  );

  // The layout direction from the palette.
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('#modal-command-palette');
  await expect(palette).toBeVisible();
  await palette.locator('input').fill('Lay Out Left to Right');
  await palette
    .locator('.lm-CommandPalette-item', { hasText: 'Lay Out Left to Right' })
    .first()
    .click();
  await expect(view).toHaveAttribute('data-direction', 'LR');

  // Accel+Shift+Enter in the view runs everything.
  const before = (await view.getAttribute('data-run-id')) ?? '';
  await node(page, 'load').click(); // focus inside the view (its shortcuts' selector)
  await page.keyboard.press('Control+Shift+Enter');
  await expect(view).not.toHaveAttribute('data-run-id', before);
  await expect(node(page, 'mean')).toHaveAttribute('data-status', 'succeeded', {
    timeout: 120 * 1000
  });

  // The side panel's tabs and Find a cell are commands too.
  const run = (label: string) =>
    page.evaluate(async name => {
      const app = window.jupyterapp;
      const id = app.commands
        .listCommands()
        .find(c => app.commands.label(c) === name);
      await app.commands.execute(id!);
    }, label);
  await run('Show Run History');
  await expect(page.getByTestId('dag-history')).toBeVisible();
  await run('Show Run History');
  await expect(page.getByTestId('dag-history')).toHaveCount(0);
  await node(page, 'load').click();
  await page.keyboard.press('Control+f');
  await expect(
    view.getByLabel('Find a cell in the DAG by title or number')
  ).toBeFocused();

  // Export from the palette: a download.
  const download = page.waitForEvent('download');
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('notebook-dag:view-export', {
      format: 'py'
    });
  });
  expect((await download).suggestedFilename()).toMatch(/\.py$/);
  expect(problems()).toEqual([]);
});

test('Schedule… says what it needs when jupyter-scheduler is off', async ({
  page,
  tmpPath
}) => {
  // The UI tests run without jupyter-scheduler's server extension: the
  // dialog says so and how to get it, instead of a form that cannot work.
  await openNotebook(page, tmpPath, path.join(FIXTURES, 'five_cells.ipynb'));
  await openDagView(page);
  await expect(node(page, 'total')).toBeVisible();
  await page.locator('.jp-NotebookDag-scheduleButton').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Schedule runs of');
  const alert = dialog.getByRole('alert');
  await expect(alert).toContainText('need jupyter-scheduler');
  await expect(alert).toContainText("pip install 'notebook_dag[scheduler]'");
  await expect(dialog.getByRole('button', { name: 'Schedule' })).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
});
