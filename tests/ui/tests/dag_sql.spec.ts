/**
 * SQL blocks from the DAG view: "Add SQL block" (a registered command) puts a
 * `%%sql` cell reading the project's dataset into the open notebook, opens
 * its source editor with SQL highlighting; saved and run, JupySQL's result
 * shows as an HTML table in the node panel's outputs. "Add code block" from
 * the node panel goes after the selected node.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as path from 'path';

import {
  apiGet,
  attachScreenshot,
  FIXTURES,
  focusDagView,
  node,
  openDagView,
  openNotebook,
  uploadNotebook,
  watchConsole
} from './helpers';

const FIVE = path.join(FIXTURES, 'five_cells.ipynb');

/**
 * The sources of the open notebook's cells (its model, unsaved edits in).
 */
async function notebookSources(
  page: IJupyterLabPageFixture
): Promise<string[]> {
  return page.evaluate(() => {
    const app = window.jupyterapp;
    for (const widget of app.shell.widgets('main')) {
      const model = (widget as any).content?.model;
      if (model?.sharedModel?.cells && (widget as any).context?.path) {
        return model.sharedModel.cells.map((c: any) => c.getSource());
      }
    }
    return [];
  });
}

test('adds a SQL block over a dataset, runs it and shows the table', async ({
  page,
  tmpPath
}, testInfo) => {
  const problems = watchConsole(page);
  await page.contents.uploadFile(
    path.join(FIXTURES, 'sales.csv'),
    `${tmpPath}/sales.csv`
  );
  await openNotebook(page, tmpPath, FIVE);
  const view = await openDagView(page);
  await focusDagView(page);
  const projectId = (await view.getAttribute('data-project-id'))!;
  const registered = await page.request.post('/notebook-dag/api/datasets', {
    data: { path: `${tmpPath}/sales.csv`, project_id: projectId }
  });
  expect(registered.status()).toBe(201);
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(5);

  // The commands are in the palette.
  const palette = page.locator('#modal-command-palette');
  await page.keyboard.press('Control+Shift+C');
  await expect(palette).toBeVisible();
  await palette.locator('input').fill('Add SQL Block');
  await expect(
    palette.locator('.lm-CommandPalette-item', { hasText: 'Add SQL Block' })
  ).toHaveCount(1);
  await page.keyboard.press('Escape');

  // "SQL" (+) in the toolbar, with the last node selected: after it.
  await node(page, 'mean').click();
  await view.getByRole('button', { name: 'SQL', exact: true }).click();
  const sqlNode = view.locator('.jp-NotebookDag-node.jp-NotebookDag-sql');
  await expect(sqlNode).toHaveCount(1);
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(6);
  await expect(sqlNode.locator('.jp-NotebookDag-sqlBadge')).toHaveText('SQL');
  const sqlId = (await sqlNode.getAttribute('data-cell-id'))!;
  await expect(view.getByTestId('dag-notice')).toContainText(
    'Added a SQL block after'
  );
  // Into the open notebook's model (unsaved), after `mean`.
  const template = '%%sql result= <<\nSELECT *\nFROM sales\nLIMIT 10';
  expect((await notebookSources(page)).slice(-1)).toEqual([template]);

  // Selected, with its source editor open and highlighted as SQL.
  const panel = page.getByTestId('dag-output-panel');
  const editor = panel.getByTestId('dag-source-editor');
  await expect(editor).toBeVisible();
  const content = editor.locator('.cm-content');
  await expect(content).toHaveAttribute('data-language', 'sql');
  await expect(content).toContainText('FROM sales');
  // A keyword of the SQL mode is highlighted (a styled token, not plain text).
  await expect(
    content.locator('span', { hasText: /^SELECT$/ }).first()
  ).toBeVisible();

  // Edit the query and save (Ctrl+S): into the open notebook.
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(
    '%%sql result= <<\nSELECT region, SUM(units) AS units\nFROM sales\nGROUP BY region\nORDER BY region'
  );
  await page.keyboard.press('Control+s');
  await expect(editor).toBeHidden();
  await expect(panel.getByTestId('dag-source')).toContainText(
    'GROUP BY region'
  );
  await expect(node(page, sqlId)).toBeVisible();
  // The DAG reads it: the dataset is read by the SQL block.
  await expect(panel).toContainText('Defines: result');

  // Run it: JupySQL's DataFrame renders as an HTML table.
  await panel.getByRole('button', { name: 'Run this block' }).click();
  await expect(node(page, sqlId)).toHaveAttribute('data-status', 'succeeded', {
    timeout: 180 * 1000
  });
  const table = panel
    .getByTestId('dag-outputs')
    .locator('.jp-OutputArea-output[data-mime-type="text/html"] table');
  await expect(table).toBeVisible();
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await expect(table).toContainText('north');
  await expect(table.locator('thead')).toContainText('units');
  await attachScreenshot(view, testInfo, 'sql-block');

  // "Add code block" in the node panel of `load`: right after it.
  await node(page, 'load').click();
  await panel.getByRole('button', { name: 'Add code block' }).click();
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(7);
  await expect(panel.getByTestId('dag-source-editor')).toBeVisible();
  await expect(
    panel.getByTestId('dag-source-editor').locator('.cm-content')
  ).toHaveAttribute('data-language', 'python');
  const sources = await notebookSources(page);
  expect(sources.length).toBe(7);
  expect(sources[1]).toBe('numbers = list(range(1, 11))');
  expect(sources[2]).toBe('');
  await page.keyboard.press('Escape');

  expect(problems()).toEqual([]);
});

test('without the notebook open, a block goes into the file through the REST API', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  const target = await uploadNotebook(page, tmpPath, FIVE);
  const created = await page.request.post('/notebook-dag/api/projects', {
    data: { name: 'closed five', notebook_path: target }
  });
  expect(created.status()).toBe(201);
  const projectId = (await created.json()).id;
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('notebook-dag:open', {
      projectId: id
    });
  }, projectId);
  const view = page.locator('.jp-NotebookDag:visible');
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(5);

  // Nothing selected: at the end of the notebook file.
  await view.getByRole('button', { name: 'Code', exact: true }).click();
  await expect(view.getByTestId('dag-notice')).toHaveText(
    /Added a code block at the end\./
  );
  await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(6);
  const blocks = (await apiGet(page, `projects/${projectId}/blocks`)).blocks;
  expect(blocks.length).toBe(6);
  expect(blocks[5].source).toBe('');
  const panel = page.getByTestId('dag-output-panel');
  await expect(panel.getByTestId('dag-source-editor')).toBeVisible();
  await expect(node(page, blocks[5].id)).toHaveClass(/jp-mod-selected/);

  // Without an AI provider the prompt (and its "as SQL", see
  // ai-sql.spec.tsx) stays closed: the button says why it is disabled.
  await expect(
    panel.getByRole('button', { name: 'Ask AI to add a block after this node' })
  ).toBeDisabled();
  await expect(
    page.getByTestId('dag-ai-add-block').getByRole('note')
  ).toContainText('AI needs a provider');
  expect(problems()).toEqual([]);
});
