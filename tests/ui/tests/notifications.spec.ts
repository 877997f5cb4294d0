/**
 * Notifications: a long run ends while the user is elsewhere (no DAG view
 * open); its notification appears in JupyterLab's notification centre and
 * its action opens the project's DAG view at the run history, with the run's
 * block results expanded, and marks it read.
 */
import { expect, test } from '@jupyterlab/galata';

import { API } from './helpers';

// The server's NotificationService.run_threshold is 30 s in the test configuration (far above the other specs' runs, even on a slow runner).
const SLOW = {
  cells: [
    {
      id: 'wait',
      cell_type: 'code',
      metadata: {},
      execution_count: null,
      outputs: [],
      source: "import time\ntime.sleep(31)\nprint('waited')"
    }
  ],
  metadata: {
    kernelspec: {
      name: 'python3',
      display_name: 'Python 3',
      language: 'python'
    }
  },
  nbformat: 4,
  nbformat_minor: 5
};

test('a long run ended elsewhere: its notification opens the run', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(240 * 1000);
  const notebookPath = `${tmpPath}/slow.ipynb`;
  await page.contents.uploadContent(JSON.stringify(SLOW), 'text', notebookPath);
  const name = `Slow ${Date.now().toString(36)}`;
  const created = await page.request.post(`${API}/projects`, {
    data: { name, notebook_path: notebookPath }
  });
  expect(created.status()).toBe(201);
  const project = await created.json();
  // The user is elsewhere: no DAG view, no notebook open.
  await expect(page.locator('.jp-NotebookDag')).toHaveCount(0);
  const started = await page.request.post(
    `${API}/projects/${project.id}/runs`,
    { data: { mode: 'all' } }
  );
  expect(started.status()).toBe(202);
  const run = await started.json();

  const toast = page.locator('.Toastify__toast', {
    hasText: `Run of ${name} succeeded`
  });
  await expect(toast).toBeVisible({ timeout: 120 * 1000 });
  await expect(toast).toHaveClass(/Toastify__toast--success/);
  const listed = await (await page.request.get(`${API}/notifications`)).json();
  const mine = listed.notifications.find(
    (n: { target: { run_id?: string } }) => n.target.run_id === run.id
  );
  expect(mine.read).toBe(false);

  await toast.getByRole('button', { name: 'Open run' }).click();
  const view = page.locator(`.jp-NotebookDag[data-project-id="${project.id}"]`);
  await expect(view).toBeVisible();
  const history = view.getByTestId('dag-history');
  await expect(history).toBeVisible();
  const item = history.locator(`[data-run-id="${run.id}"]`);
  await expect(item).toHaveAttribute('data-status', 'succeeded');
  // the run's block results are expanded
  await expect(item.locator('.jp-NotebookDag-blockTable')).toBeVisible();
  await expect(item.locator('tr[data-status="succeeded"]')).toHaveCount(1);

  await expect(async () => {
    const n = await (
      await page.request.get(`${API}/notifications/${mine.id}`)
    ).json();
    expect(n.read).toBe(true);
  }).toPass({ timeout: 10000 });
});
