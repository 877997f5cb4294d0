import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'five_cells.ipynb');
const SCREENSHOT = path.join(REPO, 'docs', 'dag-view.png');

/**
 * The example notebook shown in the README: the first one found.
 */
function exampleNotebook(): string {
  const candidates = [
    process.env.NOTEBOOK_DAG_UI_NOTEBOOK ?? '',
    path.join(REPO, 'examples', 'example.ipynb'),
    path.join(REPO, 'examples', 'sales_analysis.ipynb'),
    FIXTURE
  ];
  return candidates.find(file => !!file && fs.existsSync(file))!;
}

function cellsOf(file: string): { id: string; cell_type: string }[] {
  return JSON.parse(fs.readFileSync(file, 'utf-8')).cells;
}

async function openNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  file: string
): Promise<string> {
  const name = path.basename(file);
  await page.contents.uploadFile(file, `${tmpPath}/${name}`);
  expect(await page.notebook.openByPath(`${tmpPath}/${name}`)).toBe(true);
  await page.notebook.activate(name);
  return name;
}

/**
 * Run "Open DAG view" from the command palette and return the view.
 */
async function openDagView(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('#modal-command-palette');
  await expect(palette).toBeVisible();
  await palette.locator('input').fill('Open DAG view');
  const item = palette.locator('.lm-CommandPalette-item', {
    hasText: 'Open DAG view'
  });
  await expect(item.first()).toBeVisible();
  await item.first().click();
  const view = page.locator('.jp-NotebookDag');
  await expect(view).toBeVisible();
  return view;
}

async function runAllAndWait(view: Locator, codeCells: number): Promise<void> {
  const codeNodes = view.locator('.jp-NotebookDag-node[data-cell-type="code"]');
  await expect(codeNodes).toHaveCount(codeCells);
  await view.getByRole('button', { name: 'Run all' }).click();
  await expect(
    view.locator(
      '.jp-NotebookDag-node[data-cell-type="code"]:not([data-status="succeeded"])'
    )
  ).toHaveCount(0, { timeout: 180 * 1000 });
  await expect(view).toHaveAttribute('data-run-status', 'succeeded');
}

test.describe('notebook_dag DAG view', () => {
  test('shows a notebook as a DAG and runs it with live statuses', async ({
    page,
    tmpPath
  }) => {
    const problems: string[] = [];
    page.on('console', message => {
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', error => problems.push(`pageerror: ${error.message}`));
    const cells = cellsOf(FIXTURE);
    await openNotebook(page, tmpPath, FIXTURE);

    // The notebook toolbar has the button too.
    await expect(
      page.locator('.jp-NotebookPanel-toolbar .jp-NotebookDag-toolbarButton')
    ).toBeVisible();

    const view = await openDagView(page);
    await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(
      cells.length
    );
    for (const cell of cells) {
      await expect(page.getByTestId(`dag-node-${cell.id}`)).toHaveAttribute(
        'data-cell-type',
        cell.cell_type
      );
    }
    // Edges inferred from names: load -> square -> total -> mean (+ load -> mean)
    await expect(view.locator('.react-flow__edge')).not.toHaveCount(0);
    await expect(
      view.locator('.react-flow__edge.jp-NotebookDag-edge-inferred').first()
    ).toBeVisible();

    const codeCells = cells.filter(c => c.cell_type === 'code').length;
    await runAllAndWait(view, codeCells);
    await expect(page.getByTestId('dag-node-md-title')).not.toHaveAttribute(
      'data-status',
      'succeeded'
    );

    // Statuses came from server events (not only from the final fetch).
    const events = Number(await view.getAttribute('data-event-count'));
    expect(events).toBeGreaterThan(0);

    // Clicking a node shows its outputs.
    await page.getByTestId('dag-node-total').click();
    const panel = page.getByTestId('dag-output-panel');
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('dag-output')).toContainText('total = 385');
    await page.getByTestId('dag-node-mean').click();
    await expect(panel.getByTestId('dag-output')).toContainText('38.5');

    // Re-running the command re-activates the same view.
    await openDagView(page);
    await expect(page.locator('.jp-NotebookDag')).toHaveCount(1);

    // No error or warning from the extension, React or React Flow.
    expect(
      problems.filter(text => /notebook[_-]dag|xyflow|react|dagre/i.test(text))
    ).toEqual([]);

    // The view is restored on reload, with the last run's statuses.
    await page.reload({ waitForIsReady: false });
    const restored = page.locator('.jp-NotebookDag');
    await expect(restored).toBeVisible();
    await expect(restored.locator('.jp-NotebookDag-node')).toHaveCount(
      cells.length
    );
    await expect(page.getByTestId('dag-node-total')).toHaveAttribute(
      'data-status',
      'succeeded'
    );
  });

  test('runs the example notebook and saves a screenshot', async ({
    page,
    tmpPath
  }, testInfo) => {
    const file = exampleNotebook();
    const cells = cellsOf(file);
    await openNotebook(page, tmpPath, file);

    const view = await openDagView(page);
    await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(
      cells.length
    );
    await runAllAndWait(view, cells.filter(c => c.cell_type === 'code').length);

    // Show the outputs of the last code cell in the side panel.
    const lastCode = [...cells].reverse().find(c => c.cell_type === 'code')!;
    await page.getByTestId(`dag-node-${lastCode.id}`).click();
    await expect(page.getByTestId('dag-output-panel')).toBeVisible();

    // Give the DAG view the whole main area for the picture.
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('application:toggle-left-area');
    });
    const panelId = await page
      .locator('.jp-NotebookDag-panelWidget')
      .getAttribute('id');
    await page.evaluate(async id => {
      window.jupyterapp.shell.activateById(id!);
      await window.jupyterapp.commands.execute('application:toggle-mode');
    }, panelId);
    await page.locator('.react-flow__controls-fitview').click();
    await page.waitForTimeout(500);

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.locator('.jp-NotebookDag-panelWidget').screenshot({
      path: SCREENSHOT
    });
    await testInfo.attach('dag-view', {
      path: SCREENSHOT,
      contentType: 'image/png'
    });
  });
});

test.describe('notebook_dag failures', () => {
  test('shows a failed cell, skips what depends on it', async ({
    page,
    tmpPath
  }, testInfo) => {
    const file = path.resolve(__dirname, '..', 'fixtures', 'failing.ipynb');
    await openNotebook(page, tmpPath, file);
    const view = await openDagView(page);
    await expect(view.locator('.jp-NotebookDag-node')).toHaveCount(4);
    await view.getByRole('button', { name: 'Run all' }).click();

    await expect(view).toHaveAttribute('data-run-status', 'failed', {
      timeout: 120 * 1000
    });
    await expect(page.getByTestId('dag-node-a')).toHaveAttribute(
      'data-status',
      'succeeded'
    );
    await expect(page.getByTestId('dag-node-b')).toHaveAttribute(
      'data-status',
      'failed'
    );
    await expect(page.getByTestId('dag-node-c')).toHaveAttribute(
      'data-status',
      'skipped'
    );
    await expect(page.getByTestId('dag-node-d')).toHaveAttribute(
      'data-status',
      'succeeded'
    );

    await page.getByTestId('dag-node-b').click();
    const panel = page.getByTestId('dag-output-panel');
    await expect(panel.locator('.jp-NotebookDag-output-error')).toContainText(
      'ZeroDivisionError: division by zero'
    );
    await page.getByTestId('dag-node-c').click();
    await expect(panel.getByTestId('dag-block-error')).toBeVisible();

    const shot = testInfo.outputPath('failed-run.png');
    await view.screenshot({ path: shot });
    await testInfo.attach('failed-run', {
      path: shot,
      contentType: 'image/png'
    });
  });
});
