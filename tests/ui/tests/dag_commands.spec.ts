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

test('Schedule… makes, lists and deletes a jupyter-scheduler schedule', async ({
  page,
  tmpPath
}) => {
  // jupyter-scheduler's server extension runs in the UI tests (its labextension
  // is off): the dialog makes a job definition through /schedules.
  await openNotebook(page, tmpPath, path.join(FIXTURES, 'five_cells.ipynb'));
  await openDagView(page);
  await expect(node(page, 'total')).toBeVisible();
  await page.locator('.jp-NotebookDag-scheduleButton').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Schedule runs of');
  await expect(dialog).toContainText('No schedule yet.');
  await dialog.getByLabel('When').selectOption({ label: 'Every hour' });
  await expect(dialog.getByLabel('Cron expression')).toHaveValue('0 * * * *');
  await dialog.getByLabel('Time zone').fill('Europe/Paris');
  await dialog.getByLabel('Cells to run').selectOption('all');
  // A typo is caught before sending; the Schedule button waits for a fix.
  await dialog.getByLabel('Cron expression').fill('0 * * *');
  await expect(dialog.getByRole('alert')).toContainText('5 fields');
  const schedule = dialog.getByRole('button', {
    name: 'Schedule',
    exact: true
  });
  await expect(schedule).toBeDisabled();
  await dialog.getByLabel('Cron expression').fill('0 * * * *');
  await schedule.click();
  const list = dialog.getByRole('list', { name: 'Schedules' });
  await expect(list).toContainText(
    'Every hour (Europe/Paris), runs every cell'
  );
  // The server has it as a jupyter-scheduler job definition.
  const projectId = await page
    .locator('[data-project-id]')
    .first()
    .getAttribute('data-project-id');
  const saved = await (
    await page.request.get(`/notebook-dag/api/projects/${projectId}/schedules`)
  ).json();
  expect(saved.schedules).toHaveLength(1);
  expect(saved.schedules[0]).toMatchObject({
    schedule: '0 * * * *',
    timezone: 'Europe/Paris',
    mode: 'all'
  });
  await list.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog).toContainText('No schedule yet.');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
});
