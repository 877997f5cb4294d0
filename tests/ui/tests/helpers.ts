/**
 * Shared steps of the notebook_dag UI tests.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator, Page, TestInfo } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
export const API = '/notebook-dag/api';

export function cellsOf(file: string): { id: string; cell_type: string }[] {
  return JSON.parse(fs.readFileSync(file, 'utf-8')).cells;
}

/**
 * Console errors and warnings of the extension, React, React Flow or dagre.
 */
export function watchConsole(page: Page): () => string[] {
  const problems: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', error => problems.push(`pageerror: ${error.message}`));
  return () =>
    problems.filter(text => /notebook[_-]dag|xyflow|react|dagre/i.test(text));
}

export async function uploadNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  file: string
): Promise<string> {
  const name = path.basename(file);
  await page.contents.uploadFile(file, `${tmpPath}/${name}`);
  return `${tmpPath}/${name}`;
}

export async function openNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  file: string
): Promise<string> {
  const target = await uploadNotebook(page, tmpPath, file);
  expect(await page.notebook.openByPath(target)).toBe(true);
  await page.notebook.activate(path.basename(file));
  return target;
}

/**
 * Run "Open DAG view" from the command palette and return the view.
 */
export async function openDagView(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  const palette = page.locator('#modal-command-palette');
  // The shortcut is lost while the notebook still takes focus: press again.
  await expect(async () => {
    if (!(await palette.isVisible())) {
      await page.keyboard.press('Control+Shift+C');
    }
    await expect(palette).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 30000 });
  await palette.locator('input').fill('Open DAG view');
  const item = palette.locator('.lm-CommandPalette-item', {
    hasText: 'Open DAG view'
  });
  await expect(item.first()).toBeVisible();
  await item.first().click();
  const view = page.locator('.jp-NotebookDag:visible');
  await expect(view).toBeVisible();
  // Laid out and painted.
  await expect(view).not.toHaveAttribute('data-render-ms', '');
  return view;
}

/**
 * Give the DAG view the whole window (single-document mode, no sidebar).
 */
export async function focusDagView(
  page: IJupyterLabPageFixture
): Promise<void> {
  const id = await page
    .locator('.jp-NotebookDag-panelWidget:visible')
    .getAttribute('id');
  await page.evaluate(async panelId => {
    const app = window.jupyterapp;
    app.shell.activateById(panelId!);
    if ((app.shell as any).mode !== 'single-document') {
      await app.commands.execute('application:set-mode', {
        mode: 'single-document'
      });
    }
    if ((app.shell as any).leftCollapsed === false) {
      await app.commands.execute('application:toggle-left-area');
    }
  }, id);
}

/**
 * Back to JupyterLab's usual layout (tabs side by side).
 */
export async function unfocusDagView(
  page: IJupyterLabPageFixture
): Promise<void> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('application:set-mode', {
      mode: 'multiple-document'
    });
  });
}

export function node(page: Page | Locator, cellId: string): Locator {
  return page.getByTestId(`dag-node-${cellId}`);
}

export async function runAllAndWait(
  view: Locator,
  codeCells: number,
  final = 'succeeded'
): Promise<void> {
  const codeNodes = view.locator('.jp-NotebookDag-node[data-cell-type="code"]');
  await expect(codeNodes).toHaveCount(codeCells);
  const before = (await view.getAttribute('data-run-id')) ?? '';
  await view.getByRole('button', { name: 'Run all' }).click();
  await expect(view).not.toHaveAttribute('data-run-id', before);
  await expect(view).toHaveAttribute('data-run-status', final, {
    timeout: 180 * 1000
  });
}

/**
 * Record every `data-status` a node takes from now on.
 */
export async function recordStatuses(
  page: Page,
  cellIds: string[]
): Promise<void> {
  await page.evaluate(ids => {
    const seen: { [id: string]: string[] } = {};
    (window as any).__dagStatuses = seen;
    const note = () => {
      for (const id of ids) {
        const element = document.querySelector(
          `[data-testid="dag-node-${id}"]`
        );
        const status = element?.getAttribute('data-status');
        if (status && seen[id][seen[id].length - 1] !== status) {
          seen[id].push(status);
        }
      }
    };
    for (const id of ids) {
      seen[id] = [];
    }
    note();
    // The whole canvas: React Flow may mount a node's element anew.
    new MutationObserver(note).observe(
      document.querySelector('.jp-NotebookDag')!,
      {
        attributes: true,
        attributeFilter: ['data-status'],
        childList: true,
        subtree: true
      }
    );
  }, cellIds);
}

export async function recordedStatuses(
  page: Page
): Promise<{ [id: string]: string[] }> {
  return page.evaluate(() => (window as any).__dagStatuses);
}

/**
 * Drag from a node's source handle and drop on another node.
 */
export async function dragEdge(
  page: Page,
  fromId: string,
  toId: string
): Promise<void> {
  const handle = node(page, fromId).locator('.react-flow__handle.source');
  const from = (await handle.boundingBox())!;
  const to = (await node(page, toId).boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  const steps = 12;
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(
      from.x + ((to.x + to.width / 2 - from.x) * i) / steps,
      from.y + ((to.y + to.height / 2 - from.y) * i) / steps
    );
  }
  await page.mouse.up();
}

export async function apiGet(
  page: IJupyterLabPageFixture,
  route: string
): Promise<any> {
  const response = await page.request.get(`${API}/${route}`);
  expect(response.ok()).toBe(true);
  return response.json();
}

export async function attachScreenshot(
  target: Page | Locator,
  testInfo: TestInfo,
  name: string
): Promise<string> {
  const file = testInfo.outputPath(`${name}.png`);
  await target.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  return file;
}
