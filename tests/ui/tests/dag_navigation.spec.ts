/**
 * Getting around a DAG: focus mode (a selected node lights its upstream and
 * downstream and fades the rest, until the selection is cleared), "Find a
 * cell" by number or title, and fitting again when the view is resized.
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

test('focus mode, find a cell, re-fit on resize', async ({ page, tmpPath }) => {
  const problems = watchConsole(page);
  await openNotebook(page, tmpPath, path.join(FIXTURES, 'branches.ipynb'));
  const view = await openDagView(page);
  await focusDagView(page);
  const flowNode = (id: string) =>
    view.locator('.react-flow__node', { has: node(page, id) });
  const ids = await view
    .locator('.jp-NotebookDag-node[data-cell-type="code"]')
    .evaluateAll(nodes => nodes.map(n => n.getAttribute('data-cell-id')!));
  expect(ids.length).toBeGreaterThanOrEqual(3);

  // Focus: the selected node, what it depends on, what depends on it.
  const center = ids[1];
  await node(page, center).click();
  await expect(flowNode(center)).toHaveClass(/jp-mod-focus/);
  const classes = await Promise.all(
    ids.map(id => flowNode(id).getAttribute('class'))
  );
  expect(classes.some(c => /jp-mod-upstream/.test(c ?? ''))).toBe(true);
  expect(classes.some(c => /jp-mod-(downstream|faded)/.test(c ?? ''))).toBe(
    true
  );
  // Cleared with the selection.
  await view
    .locator('.react-flow__pane')
    .click({ position: { x: 300, y: 500 } });
  for (const id of ids) {
    await expect(flowNode(id)).not.toHaveClass(
      /jp-mod-(focus|upstream|downstream|faded)/
    );
  }

  // Find a cell by its number: selected.
  const last = ids[ids.length - 1];
  const index = await node(page, last)
    .locator('.jp-NotebookDag-nodeIndex')
    .innerText();
  const search = view.getByLabel('Find a cell in the DAG by title or number');
  await search.fill(index);
  await search.press('Enter');
  await expect(node(page, last)).toHaveClass(/jp-mod-selected/);
  await view
    .locator('.react-flow__pane')
    .click({ position: { x: 300, y: 500 } });

  // A narrower window: the view fits again, every node inside it.
  const inside = async () => {
    const pane = (await view.locator('.react-flow').boundingBox())!;
    for (const id of ids) {
      const box = (await node(page, id).boundingBox())!;
      if (
        box.x < pane.x - 1 ||
        box.y < pane.y - 1 ||
        box.x + box.width > pane.x + pane.width + 1 ||
        box.y + box.height > pane.y + pane.height + 1
      ) {
        return false;
      }
    }
    return true;
  };
  const before = await view
    .locator('.react-flow__viewport')
    .getAttribute('style');
  await page.setViewportSize({ width: 900, height: 700 });
  await expect(async () => {
    expect(
      await view.locator('.react-flow__viewport').getAttribute('style')
    ).not.toBe(before);
    expect(await inside()).toBe(true);
  }).toPass({ timeout: 10000 });
  expect(problems()).toEqual([]);
});
