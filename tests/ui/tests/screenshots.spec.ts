/**
 * How the DAG view looks, in JupyterLab's light and dark themes: the view,
 * a node's panel and the datasets tab, compared with the committed
 * screenshots (`toHaveScreenshot`; update them with `--update-snapshots`
 * after a deliberate change of look).
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

const SHOT = { maxDiffPixelRatio: 0.02, animations: 'disabled' as const };

test('the DAG view, a node panel and the datasets tab in both themes', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  await page.contents.uploadFile(
    path.join(FIXTURES, 'sales.csv'),
    `${tmpPath}/sales.csv`
  );
  await openNotebook(page, tmpPath, path.join(FIXTURES, 'five_cells.ipynb'));
  const view = await openDagView(page);
  await focusDagView(page);
  const projectId = (await view.getAttribute('data-project-id'))!;
  const registered = await page.request.post('/notebook-dag/api/datasets', {
    data: { path: `${tmpPath}/sales.csv`, project_id: projectId }
  });
  expect(registered.status()).toBe(201);
  await expect(node(page, 'mean')).toBeVisible();
  // Nothing that changes from run to run: the kernel choice names a kernel id.
  const mask = [view.getByLabel('Kernel the runs go to')];

  for (const theme of ['light', 'dark'] as const) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
      await expect(view.locator('.react-flow.dark')).toHaveCount(1);
    }
    await view.getByRole('button', { name: 'Refresh' }).click();
    await expect(view).not.toHaveAttribute('data-render-ms', '');
    await page.mouse.move(0, 0);
    await expect(view).toHaveScreenshot(`dag-view-${theme}.png`, {
      ...SHOT,
      mask
    });

    await node(page, 'total').click();
    const panel = page.getByTestId('dag-output-panel');
    await expect(panel).toContainText('No outputs from a run');
    await page.mouse.move(0, 0);
    await expect(panel).toHaveScreenshot(`node-panel-${theme}.png`, SHOT);

    await view.getByRole('button', { name: 'Datasets', exact: true }).click();
    const tab = page.getByTestId('dag-datasets-tab');
    await tab.getByText('sales.csv').first().click();
    await expect(tab.getByTestId('dataset-detail')).toContainText('north');
    await page.mouse.move(0, 0);
    await expect(tab).toHaveScreenshot(`datasets-tab-${theme}.png`, SHOT);
    await view.getByRole('button', { name: 'Datasets', exact: true }).click();
    await view
      .locator('.react-flow__pane')
      .click({ position: { x: 300, y: 500 } });
    await expect(node(page, 'total')).not.toHaveClass(/jp-mod-selected/);
  }
  expect(problems()).toEqual([]);
});
