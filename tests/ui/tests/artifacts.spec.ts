/**
 * Artifacts (#16): a run whose block saves a PNG (and a CSV) lists both files
 * in the block's node panel, the PNG previewed inline, and the file's name
 * opens it in JupyterLab.
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

const FIGURE = path.join(FIXTURES, 'figure.ipynb');

test('the files a block saved are listed in its node panel, the PNG previewed', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  await openNotebook(page, tmpPath, FIGURE);
  const view = await openDagView(page);
  await focusDagView(page);
  await runAllAndWait(view, 2);

  await node(page, 'plot').click();
  const panel = page.getByTestId('dag-output-panel');
  const files = panel.getByTestId('dag-artifact');
  await expect(files).toHaveCount(2);
  await expect(files.nth(0)).toHaveAttribute(
    'data-path',
    `${tmpPath}/plot.png`
  );
  await expect(files.nth(1)).toHaveAttribute(
    'data-path',
    `${tmpPath}/points.csv`
  );
  await expect(files.nth(1)).toContainText('B');
  const preview = files.nth(0).getByTestId('dag-artifact-preview');
  await expect(preview).toBeVisible();
  // a decoded image, not a broken one
  await expect
    .poll(() => preview.evaluate(img => (img as HTMLImageElement).naturalWidth))
    .toBeGreaterThan(0);
  await expect(files.nth(1).getByTestId('dag-artifact-preview')).toHaveCount(0);

  // the setup block wrote nothing: no files section
  await node(page, 'setup').click();
  await expect(panel.getByTestId('dag-artifacts')).toHaveCount(0);

  // the name opens the file in JupyterLab
  await node(page, 'plot').click();
  await panel.getByRole('button', { name: 'plot.png' }).click();
  await expect
    .poll(() =>
      page.evaluate(() => window.jupyterapp.shell.currentWidget?.title.label)
    )
    .toBe('plot.png');
  await expect(page.locator('.jp-ImageViewer:visible img')).toBeVisible();
  expect(problems()).toEqual([]);
});
