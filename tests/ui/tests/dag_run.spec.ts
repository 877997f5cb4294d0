/**
 * Running a DAG from the view on a real kernel: live statuses from the
 * server's events, outputs through rendermime, the side editor, run
 * downstream, the run history, re-run failed, restore on reload, and the
 * README's screenshot.
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import {
  attachScreenshot,
  cellsOf,
  FIXTURES,
  focusDagView,
  node,
  openDagView,
  openNotebook,
  recordedStatuses,
  recordStatuses,
  REPO,
  runAllAndWait,
  unfocusDagView,
  watchConsole
} from './helpers';

const FIVE = path.join(FIXTURES, 'five_cells.ipynb');
const SCREENSHOT = path.join(REPO, 'docs', 'dag-view.png');

test('runs, edits a block, runs downstream, history, restore', async ({
  page,
  tmpPath
}, testInfo) => {
  const problems = watchConsole(page);
  const cells = cellsOf(FIVE);
  await openNotebook(page, tmpPath, FIVE);
  await expect(
    page.locator('.jp-NotebookPanel-toolbar .jp-NotebookDag-toolbarButton')
  ).toBeVisible();
  const view = await openDagView(page);
  await focusDagView(page);
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(cells.length);

  await runAllAndWait(view, 4);
  for (const id of ['load', 'square', 'total', 'mean']) {
    await expect(node(page, id)).toHaveAttribute('data-status', 'succeeded');
  }
  await expect(node(page, 'md-title')).toHaveAttribute(
    'data-status',
    'never_run'
  );
  // Statuses came from the server's events, not from polling.
  expect(Number(await view.getAttribute('data-event-count'))).toBeGreaterThan(
    0
  );
  await expect(
    node(page, 'total').locator('.jp-NotebookDag-nodeDuration')
  ).toBeVisible();

  // Outputs of a node, rendered by JupyterLab's rendermime.
  await node(page, 'total').click();
  const panel = page.getByTestId('dag-output-panel');
  const outputs = panel.getByTestId('dag-outputs');
  await expect(outputs.locator('.jp-OutputArea-output')).toContainText(
    'total = 385'
  );
  await node(page, 'mean').click();
  await expect(
    outputs.locator('.jp-OutputArea-output[data-mime-type="text/plain"]')
  ).toContainText('38.5');

  // Edit the source of `total` in the side editor (CodeMirror) and save.
  await node(page, 'total').click();
  await panel.getByRole('button', { name: 'Edit source' }).click();
  const editor = panel.getByTestId('dag-source-editor').locator('.cm-content');
  await expect(editor).toBeVisible();
  await editor.click();
  await page.keyboard.press('Control+A');
  // (slow enough for the running state to be seen)
  await page.keyboard.insertText(
    'total = sum(squares) + 1\nimport time\ntime.sleep(0.8)\nprint(f"total = {total}")'
  );
  await panel.getByRole('button', { name: 'Save' }).click();
  // The notebook is open: the edit goes into it (unsaved), not the file.
  await expect(view.getByTestId('dag-notice')).toContainText(
    'in the open notebook'
  );
  // What depends on the edit is now stale; what it depends on is not.
  await expect(node(page, 'total')).toHaveAttribute('data-display', 'stale');
  await expect(node(page, 'mean')).toHaveAttribute('data-display', 'stale');
  await expect(node(page, 'load')).toHaveAttribute('data-display', 'succeeded');

  // Run downstream of `total` and watch the nodes change, live.
  await recordStatuses(page, ['load', 'square', 'total', 'mean']);
  const firstRun = (await view.getAttribute('data-run-id'))!;
  await panel.getByRole('button', { name: 'Run downstream' }).click();
  await expect(view).not.toHaveAttribute('data-run-id', firstRun);
  await expect(view).toHaveAttribute('data-run-status', 'succeeded', {
    timeout: 120 * 1000
  });
  await expect(node(page, 'mean')).toHaveAttribute('data-status', 'succeeded');
  const seen = await recordedStatuses(page);
  // total: queued or straight to running, then succeeded; mean waits for it.
  expect(seen.total).toContain('running');
  for (const id of ['total', 'mean']) {
    expect(seen[id][seen[id].length - 1]).toBe('succeeded');
  }
  expect(seen.load).toEqual(['succeeded']);
  expect(seen.square).toEqual(['succeeded']);
  await expect(node(page, 'total')).toHaveAttribute(
    'data-display',
    'succeeded'
  );
  await expect(outputs.locator('.jp-OutputArea-output')).toContainText(
    'total = 386'
  );

  // The run history: both runs, with their blocks.
  await view
    .getByRole('button', { name: 'History', exact: true })
    .first()
    .click();
  const history = page.getByTestId('dag-history');
  const runs = history.getByTestId('dag-history-run');
  await expect(runs).toHaveCount(2);
  await expect(runs.nth(0)).toContainText('Run downstream of total');
  await expect(runs.nth(1)).toContainText('Run all');
  await runs.nth(0).getByRole('button', { name: 'Blocks' }).click();
  await expect(runs.nth(0).locator('tbody tr')).toHaveCount(2);
  await attachScreenshot(view, testInfo, 'history');

  // Open a node's cell in the notebook: scrolled to and active.
  await unfocusDagView(page);
  await node(page, 'mean').click();
  await panel.getByRole('button', { name: 'Open in notebook' }).click();
  await expect(
    page.locator('.jp-NotebookPanel .jp-Notebook .jp-Cell.jp-mod-active')
  ).toContainText('mean = total / len(numbers)');

  // The user saves the notebook the DAG view edited.
  await page.keyboard.press('Control+s');
  await expect(
    page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
      hasText: 'five_cells.ipynb'
    })
  ).not.toHaveClass(/jp-mod-dirty/);
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);

  expect(problems()).toEqual([]);

  // Reload: the view comes back with its statuses.
  await page.waitForTimeout(1500); // the workspace is saved
  await page.reload({ waitForIsReady: false });
  const restored = page.locator('.jp-NotebookDag');
  await expect(restored).toBeVisible({ timeout: 60 * 1000 });
  await expect(restored.locator('.jp-NotebookDag-node')).toHaveCount(
    cells.length
  );
  await expect(node(page, 'mean')).toHaveAttribute('data-status', 'succeeded');
  await expect(node(page, 'total')).toHaveAttribute(
    'data-display',
    'succeeded'
  );
});

test('a failed run: traceback, skipped blocks, re-run failed, AI mounts', async ({
  page,
  tmpPath
}, testInfo) => {
  const problems = watchConsole(page);
  await openNotebook(page, tmpPath, path.join(FIXTURES, 'failing.ipynb'));
  const view = await openDagView(page);
  await focusDagView(page);
  // Run on the notebook's own (live session) kernel.
  const kernel = view.getByLabel('Kernel the runs go to');
  const sessionKernel = kernel.locator('option', {
    hasText: 'Notebook kernel'
  });
  await kernel.focus(); // the list is refreshed on focus
  await expect(sessionKernel).toHaveCount(1);
  const kernelId = (await sessionKernel.getAttribute('value'))!;
  await kernel.selectOption(kernelId);
  const posted = page.waitForRequest(
    request =>
      request.method() === 'POST' &&
      new URL(request.url()).pathname.endsWith('/runs')
  );
  await runAllAndWait(view, 4, 'failed');
  expect((await posted).postDataJSON()).toEqual({
    mode: 'all',
    kernel_id: kernelId
  });
  await expect(node(page, 'a')).toHaveAttribute('data-status', 'succeeded');
  await expect(node(page, 'b')).toHaveAttribute('data-status', 'failed');
  await expect(node(page, 'c')).toHaveAttribute('data-status', 'skipped');
  await expect(node(page, 'd')).toHaveAttribute('data-status', 'succeeded');

  await node(page, 'b').click();
  const panel = page.getByTestId('dag-output-panel');
  const error = panel.locator(
    '[data-testid="dag-outputs"] .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
  );
  await expect(error).toContainText('ZeroDivisionError');
  await expect(error).toContainText('division by zero');
  // "Fix with AI" is offered on the failed node; this server has no AI
  // provider, so it is disabled with one line why and the way to set one up.
  const fix = panel.getByTestId('dag-ai-fix');
  await expect(fix).toBeVisible();
  await expect(fix.getByRole('button', { name: 'Fix with AI' })).toBeDisabled();
  await expect(fix.getByRole('note')).toHaveText(
    /AI needs a provider: none is configured\./
  );
  await fix.getByRole('button', { name: 'How to set one up' }).click();
  const help = page.locator('.jp-Dialog');
  await expect(help).toContainText('c.AIService.providers');
  await help.getByRole('button', { name: 'Ok' }).click();
  await expect(help).toHaveCount(0);
  await node(page, 'c').click();
  await expect(panel.getByTestId('dag-block-error')).toBeVisible();
  await expect(panel.getByTestId('dag-ai-fix')).toHaveCount(0);
  // "Ask AI to add a block after this node" on code nodes, disabled too.
  await expect(
    panel.getByRole('button', { name: 'Ask AI to add a block after this node' })
  ).toBeDisabled();
  await attachScreenshot(view, testInfo, 'failed-run');

  // Re-run what failed, from the history.
  await view
    .getByRole('button', { name: 'History', exact: true })
    .first()
    .click();
  const runs = page.getByTestId('dag-history-run');
  await expect(runs).toHaveCount(1);
  await runs.first().getByRole('button', { name: 'Re-run failed' }).click();
  await expect(runs).toHaveCount(2);
  await expect(runs.first()).toContainText('Re-run failed of');
  await expect(runs.first()).toHaveAttribute('data-status', 'failed', {
    timeout: 60 * 1000
  });
  await expect(view).toHaveAttribute('data-run-status', 'failed');

  expect(problems()).toEqual([]);
});

test('runs the example notebook and saves the README screenshot', async ({
  page,
  tmpPath
}, testInfo) => {
  const file = path.join(REPO, 'examples', 'sales_analysis.ipynb');
  const cells = cellsOf(file);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await openNotebook(page, tmpPath, file);
  const view = await openDagView(page);
  await focusDagView(page);
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(cells.length);
  await runAllAndWait(view, cells.filter(c => c.cell_type === 'code').length);

  // The chart's outputs in the side panel, the whole DAG fitted beside it.
  const chart = cells.find(c => c.id === 'example-08')
    ? 'example-08'
    : cells[cells.length - 1].id;
  await node(page, chart).click();
  const chartImage = page
    .getByTestId('dag-output-panel')
    .locator('.jp-OutputArea-output img');
  await expect(chartImage).toBeVisible();
  await chartImage.scrollIntoViewIfNeeded();
  await view.getByLabel('Minimap').check();
  await page.locator('.react-flow__controls-fitview').click();
  await page.waitForTimeout(400);

  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page
    .locator('.jp-NotebookDag-panelWidget:visible')
    .screenshot({ path: SCREENSHOT });
  await testInfo.attach('dag-view', {
    path: SCREENSHOT,
    contentType: 'image/png'
  });
});
