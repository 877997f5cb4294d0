/**
 * The DAG view as a live companion of the open notebook (issue #12): what is
 * typed in the notebook shows in the DAG before any save; edits made in the
 * DAG view go into the open notebook (dirty, saved by the user without a
 * "File Changed" dialog); opening a DAG view never writes the notebook, even
 * one without cell ids.
 *
 * One of the live-document specs: scripts/run-tests.sh runs them a second time
 * with jupyter-collaboration installed.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import {
  FIXTURES,
  node,
  openDagView,
  openNotebook,
  runAllAndWait,
  watchConsole
} from './helpers';

/**
 * The second pass (scripts/run-tests.sh): jupyter-collaboration installed. The
 * notebook is then the room's shared document, which the server reads itself
 * (nothing is sent) and which jupyter-collaboration saves on its own, as it
 * always does: the file follows the edits, with no dialog either way.
 */
const COLLAB = !!process.env.NOTEBOOK_DAG_UI_COLLAB;

const FIVE = path.join(FIXTURES, 'five_cells.ipynb');
const NO_IDS = path.join(FIXTURES, 'no_ids.ipynb');

/**
 * The notebook file as the server has it on disk (raw text).
 */
async function fileText(
  page: IJupyterLabPageFixture,
  filePath: string
): Promise<string> {
  const response = await page.request.get(
    `/api/contents/${filePath}?type=file&format=text&content=1`
  );
  expect(response.ok()).toBe(true);
  return (await response.json()).content;
}

function notebookTab(page: IJupyterLabPageFixture, name: string) {
  return page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: name });
}

async function saveNotebook(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  await page.notebook.activate(name);
  await page.locator('.jp-NotebookPanel:visible .jp-Notebook').click({
    position: { x: 5, y: 5 }
  });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  await expect(notebookTab(page, name)).not.toHaveClass(/jp-mod-dirty/);
}

test('typing in the notebook updates the DAG before any save', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  const file = await openNotebook(page, tmpPath, FIVE);
  const onDisk = await fileText(page, file);
  const view = await openDagView(page);
  const squareMean = view.locator(
    '.react-flow__edge[aria-label*="from square to mean"]'
  );
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(5);
  const totalMean = view.locator(
    '.react-flow__edge[aria-label*="from total to mean"]'
  );
  await expect(squareMean).toHaveCount(0);
  await expect(totalMean).toHaveCount(1);
  await expect(node(page, 'mean')).toContainText('mean = total / len(numbers)');

  // Type into the `mean` cell (the notebook is left of the view); no save.
  await page.notebook.activate('five_cells.ipynb');
  const put = COLLAB
    ? null
    : page.waitForRequest(
        request =>
          request.method() === 'PUT' &&
          new URL(request.url()).pathname.endsWith('/document')
      );
  await page.notebook.setCell(
    4,
    'code',
    '# Average square\nmean = sum(squares) / len(squares)'
  );
  const typed = Date.now();
  if (put) {
    expect((await put).postDataJSON().cells[4].source).toContain(
      'Average square'
    );
  }
  await expect(node(page, 'mean')).toContainText('Average square');
  await expect(squareMean).toHaveCount(1);
  await expect(totalMean).toHaveCount(0);
  const latency = Date.now() - typed;
  console.log(`typed → DAG updated in ${latency} ms`);
  expect(latency).toBeLessThan(5000);
  const dag = await (
    await page.request.get(
      `/notebook-dag/api/projects/${await view.getAttribute('data-project-id')}/dag`
    )
  ).json();
  expect(dag.document).toBe(COLLAB ? 'collaboration' : 'editor');

  if (!COLLAB) {
    // Nothing was written: the file is the uploaded one, the notebook dirty.
    expect(await fileText(page, file)).toBe(onDisk);
    await expect(notebookTab(page, 'five_cells.ipynb')).toHaveClass(
      /jp-mod-dirty/
    );
  }
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  expect(problems()).toEqual([]);
});

test('an edit in the DAG view goes into the open notebook', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  const file = await openNotebook(page, tmpPath, FIVE);
  const onDisk = await fileText(page, file);
  const view = await openDagView(page);
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(5);

  await node(page, 'total').click();
  const panel = page.getByTestId('dag-output-panel');
  await panel.getByRole('button', { name: 'Edit source' }).click();
  const editor = panel.getByTestId('dag-source-editor').locator('.cm-content');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText('total = sum(squares) * 2\nprint(total)');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(view.getByTestId('dag-notice')).toContainText(
    'in the open notebook'
  );
  await expect(view.getByTestId('dag-notice')).toContainText('unsaved');

  // The notebook's cell has it, the notebook is dirty, the file untouched.
  const cell = page.locator('.jp-NotebookPanel .jp-Notebook .jp-Cell').nth(3);
  await expect(cell).toContainText('total = sum(squares) * 2');
  if (!COLLAB) {
    await expect(notebookTab(page, 'five_cells.ipynb')).toHaveClass(
      /jp-mod-dirty/
    );
    expect(await fileText(page, file)).toBe(onDisk);
  }
  await expect(node(page, 'total')).toContainText('total = sum(squares) * 2');

  // The user saves: no "File Changed" dialog, the file holds the edit.
  await saveNotebook(page, 'five_cells.ipynb');
  await page.waitForTimeout(500);
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  const saved = JSON.parse(await fileText(page, file));
  const total = saved.cells.find((c: any) => c.id === 'total');
  expect([].concat(total.source).join('')).toBe(
    'total = sum(squares) * 2\nprint(total)'
  );
  expect(problems()).toEqual([]);
});

test('a notebook without cell ids: opening never writes it; runs survive the save', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  const file = await openNotebook(page, tmpPath, NO_IDS);
  const original = await fileText(page, file);
  expect(JSON.parse(original).nbformat_minor).toBe(4);
  expect(JSON.parse(original).cells[0].id).toBeUndefined();

  const view = await openDagView(page);
  const codeNodes = view.locator('.jp-NotebookDag-node[data-cell-type="code"]');
  await expect(codeNodes).toHaveCount(3);
  await page.waitForTimeout(1000);
  if (!COLLAB) {
    expect(await fileText(page, file)).toBe(original);
  }
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  expect(fs.readFileSync(NO_IDS, 'utf-8')).toContain('"nbformat_minor": 4');

  // The DAG shows the editor's cells (the ids JupyterLab gave them).
  const ids = await page.evaluate(() => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    const nb = [...(window as any).jupyterapp.shell.widgets('main')].find(
      (w: any) => w.context?.path?.endsWith('no_ids.ipynb')
    );
    return (nb ?? panel).context.model.sharedModel.cells.map((c: any) => c.id);
  });
  for (const id of ids) {
    await expect(node(page, id)).toHaveCount(1);
  }

  await runAllAndWait(view, 3);
  for (const id of ids) {
    await expect(node(page, id)).toHaveAttribute('data-status', 'succeeded');
  }
  await saveNotebook(page, 'no_ids.ipynb');
  await page.waitForTimeout(500);
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  const saved = JSON.parse(await fileText(page, file));
  expect(saved.cells.map((c: any) => c.id)).toEqual(ids);

  // Close the DAG view and open it again: the same nodes, still succeeded.
  await page.evaluate(() => {
    const app = (window as any).jupyterapp;
    for (const w of [...app.shell.widgets('main')]) {
      if (w.hasClass('jp-NotebookDag-panelWidget')) {
        w.close();
      }
    }
  });
  await expect(page.locator('.jp-NotebookDag')).toHaveCount(0);
  await page.notebook.activate('no_ids.ipynb');
  const again = await openDagView(page);
  await expect(
    again.locator('.jp-NotebookDag-node[data-cell-type="code"]')
  ).toHaveCount(3);
  for (const id of ids) {
    await expect(node(page, id)).toHaveAttribute('data-status', 'succeeded');
    await expect(node(page, id)).not.toHaveAttribute('data-display', 'stale');
  }
  expect(problems()).toEqual([]);
});
