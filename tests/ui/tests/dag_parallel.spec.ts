/**
 * A parallel run chosen in the DAG view's toolbar: the two independent
 * branches run at once on the project kernel and a worker kernel, the node
 * panel says where each block ran, and a block pinned to the project kernel
 * (it seeds the global RNG) says why.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

import {
  FIXTURES,
  focusDagView,
  node,
  openDagView,
  openNotebook,
  runAllAndWait,
  watchConsole
} from './helpers';

const BRANCHES = path.join(FIXTURES, 'branches.ipynb');

test('parallel run: branches on two kernels, where each block ran', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  await openNotebook(page, tmpPath, BRANCHES);
  const view = await openDagView(page);
  await focusDagView(page);

  // Runs go to the notebook's kernel by default (sequential): choose the
  // project's, where independent blocks can go to worker kernels.
  await view.getByLabel('Kernel the runs go to').selectOption('');
  await view.getByLabel('Blocks at once').selectOption('2');
  await runAllAndWait(view, 5);

  const panel = page.getByTestId('dag-output-panel');
  const where: string[] = [];
  for (const id of ['left', 'right']) {
    await node(page, id).click();
    const kernel = panel.getByTestId('dag-block-kernel');
    await expect(kernel).toBeVisible();
    where.push((await kernel.textContent()) ?? '');
  }
  expect(where.sort()).toEqual(['on the project kernel', 'on worker-1']);

  await node(page, 'seeded').click();
  await expect(panel.getByTestId('dag-block-kernel')).toHaveText(
    'on the project kernel'
  );
  await expect(panel.getByTestId('dag-block-note')).toContainText('<random>');

  // The sink read both branches' values in the project kernel.
  await node(page, 'sink').click();
  await expect(
    panel.getByTestId('dag-outputs').locator('.jp-OutputArea-output')
  ).toContainText('sum 27');
  expect(problems()).toEqual([]);
});
