/**
 * One kernel, the DAG in the notebook (issue #12): a DAG view runs on the
 * open notebook's session kernel by default and writes the outputs and
 * execution counts into the notebook's cells; every code cell shows its DAG
 * state beside its prompt, an edit makes it (and its dependents) stale, and
 * "Run Stale Cells" from the notebook's Run menu brings them back; a cell the
 * user runs by hand in the notebook counts as run.
 *
 * One of the live-document specs: scripts/run-tests.sh runs them a second time
 * with jupyter-collaboration installed.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import * as path from 'path';

import {
  FIXTURES,
  openDagView,
  openNotebook,
  runAllAndWait,
  watchConsole
} from './helpers';

const FIVE = path.join(FIXTURES, 'five_cells.ipynb');
const NAME = 'five_cells.ipynb';
const CODE = ['load', 'square', 'total', 'mean'];

/**
 * The kernel id of the current notebook's session, once it has started.
 */
async function notebookKernelId(page: IJupyterLabPageFixture): Promise<string> {
  const handle = await page.waitForFunction(
    () => {
      const widget: any = window.jupyterapp.shell.currentWidget;
      const kernel = widget?.sessionContext?.session?.kernel;
      return kernel && kernel.status === 'idle' ? kernel.id : false;
    },
    undefined,
    { timeout: 60 * 1000 }
  );
  return (await handle.jsonValue()) as string;
}

/**
 * Execution count and outputs (as text) of every cell of the open notebook.
 */
async function notebookCells(
  page: IJupyterLabPageFixture
): Promise<{ id: string; type: string; count: number | null; text: string }[]> {
  return page.evaluate(name => {
    const app = window.jupyterapp;
    let found: any = null;
    for (const widget of app.shell.widgets('main')) {
      if ((widget as any).context?.path?.endsWith(name)) {
        found = widget;
      }
    }
    return found.model.sharedModel.cells.map((cell: any) => {
      const json = cell.toJSON();
      return {
        id: json.id,
        type: json.cell_type,
        count: json.execution_count ?? null,
        text: JSON.stringify(json.outputs ?? [])
      };
    });
  }, NAME);
}

function badge(page: IJupyterLabPageFixture, cellIndex: number): Locator {
  return page
    .locator('.jp-NotebookPanel')
    .first()
    .locator('.jp-Notebook .jp-Cell')
    .nth(cellIndex)
    .locator('.jp-InputPrompt .jp-NotebookDag-cellState');
}

async function expectStates(
  page: IJupyterLabPageFixture,
  states: { [index: number]: RegExp | string }
): Promise<void> {
  for (const [index, state] of Object.entries(states)) {
    await expect(badge(page, Number(index))).toHaveAttribute(
      'data-dag-state',
      state,
      { timeout: 60 * 1000 }
    );
  }
}

test.describe('the DAG in the notebook', () => {
  test("runs on the notebook's kernel and writes the outputs into its cells", async ({
    page,
    tmpPath
  }) => {
    const problems = watchConsole(page);
    await openNotebook(page, tmpPath, FIVE);
    const kernelId = await notebookKernelId(page);

    const view = await openDagView(page);
    const select = view.locator('select.jp-NotebookDag-kernel');
    await expect(select).toHaveValue(kernelId);
    await expect(select.locator('option[value=""]')).toContainText(
      'Project kernel'
    );

    await runAllAndWait(view, 4);
    const cells = await notebookCells(page);
    const code = cells.filter(cell => cell.type === 'code');
    expect(code.map(cell => cell.id)).toEqual(CODE);
    for (const cell of code) {
      expect(cell.count).toBeGreaterThan(0);
    }
    // in the DAG's order, as if run there
    const counts = code.map(cell => cell.count!);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(code[2].text).toContain('total = 385');
    expect(code[3].text).toContain('38.5');
    // shown by the notebook itself
    const panel = page.locator('.jp-NotebookPanel').first();
    await expect(panel.locator('.jp-OutputArea-output').first()).toBeVisible();
    await expect(panel).toContainText('total = 385');
    await expect(
      panel.locator('.jp-Cell').nth(4).locator('.jp-InputPrompt')
    ).toContainText(`[${counts[3]}]`);
    // Never saved by the extension: the user saves.
    expect(
      await page.evaluate(() =>
        Array.from(window.jupyterapp.shell.widgets('main')).some(
          (widget: any) => widget.context?.model?.dirty === true
        )
      )
    ).toBe(true);

    // The notebook's kernel holds what the run defined.
    await page.notebook.activate(NAME);
    await page.notebook.addCell('code', 'print("twice", mean * 2)');
    await page.notebook.runCell(5);
    expect((await page.notebook.getCellTextOutput(5))?.join('')).toContain(
      'twice 77.0'
    );

    expect(problems()).toEqual([]);
  });

  test('cell badges: an edit makes cells stale, Run Stale Cells makes them current', async ({
    page,
    tmpPath
  }) => {
    const problems = watchConsole(page);
    await openNotebook(page, tmpPath, FIVE);
    await notebookKernelId(page);
    const view = await openDagView(page);

    // Every code cell has a badge, markdown cells none.
    await expect(badge(page, 0)).toHaveCount(0);
    await expectStates(page, { 1: 'never_run', 4: 'never_run' });
    await expect(badge(page, 2)).toHaveAttribute('title', /DAG/);

    await runAllAndWait(view, 4);
    await expectStates(page, {
      1: /succeeded|up_to_date/,
      2: /succeeded|up_to_date/,
      3: /succeeded|up_to_date/,
      4: /succeeded|up_to_date/
    });

    // Edit `square` in the notebook: it and what depends on it are stale.
    await page.notebook.activate(NAME);
    await page.notebook.setCell(
      2,
      'code',
      'squares = [n * n for n in numbers if n > 1]'
    );
    await page.notebook.leaveCellEditingMode(2);
    await expectStates(page, {
      1: /succeeded|up_to_date/,
      2: 'stale',
      3: 'stale',
      4: 'stale'
    });
    // Nothing saved: the server has the editor's copy of the notebook.
    await page.menu.clickMenuItem('Run>Run Stale Cells (DAG)');
    await expectStates(page, {
      1: /succeeded|up_to_date/,
      2: 'succeeded',
      3: 'succeeded',
      4: 'succeeded'
    });
    const code = (await notebookCells(page)).filter(c => c.type === 'code');
    expect(code[2].text).toContain('total = 384');

    // Edit `square` again and run it by hand (Shift+Enter in the notebook):
    // the server saw the execution in the notebook's kernel, so the cell is
    // current and only what depends on it is stale.
    await page.notebook.setCell(
      2,
      'code',
      'squares = [n * n for n in numbers if n > 2]'
    );
    await page.notebook.runCell(2);
    await expectStates(page, {
      1: /succeeded|up_to_date/,
      2: /succeeded|up_to_date/,
      3: 'stale',
      4: 'stale'
    });
    expect(problems()).toEqual([]);
  });
});
