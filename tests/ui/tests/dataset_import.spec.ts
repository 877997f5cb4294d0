/**
 * "Import from URL" in the datasets tab: a CSV served by a small HTTP server
 * this spec starts on 127.0.0.1 (the test server allows loopback addresses,
 * see jupyter_server_test_config.py) is imported with a progress bar and
 * shows up in the dataset list; a slow one is cancelled and leaves nothing; a
 * missing one fails with the source's 404.
 */
import { expect, test } from '@jupyterlab/galata';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';

import {
  apiGet,
  FIXTURES,
  focusDagView,
  openDagView,
  openNotebook,
  watchConsole
} from './helpers';

const ROWS = ['city,population,area_km2'];
for (let i = 0; i < 4000; i++) {
  ROWS.push(`city_${i},${1000 + ((i * 7919) % 100000)},${(i % 97) + 0.5}`);
}
const CSV = ROWS.join('\n') + '\n';

/** Serves /cities.csv, a slow /slow.csv (1 KiB every 100 ms), 404 otherwise. */
async function startSource(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/cities.csv') {
      res.writeHead(200, {
        'Content-Type': 'text/csv',
        'Content-Length': Buffer.byteLength(CSV)
      });
      res.end(CSV);
    } else if (req.url === '/slow.csv') {
      const body = Buffer.from(CSV);
      res.writeHead(200, {
        'Content-Type': 'text/csv',
        'Content-Length': body.length
      });
      let at = 0;
      const timer = setInterval(() => {
        if (at >= body.length || res.destroyed) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(body.subarray(at, at + 1024));
        at += 1024;
      }, 100);
      res.on('close', () => clearInterval(timer));
    } else {
      res.writeHead(404);
      res.end('not here');
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => server.close()
  };
}

test('import a CSV from a URL into the datasets tab; cancel one; a 404 fails clearly', async ({
  page,
  tmpPath
}) => {
  const problems = watchConsole(page);
  const source = await startSource();
  try {
    await openNotebook(page, tmpPath, path.join(FIXTURES, 'five_cells.ipynb'));
    const view = await openDagView(page);
    await focusDagView(page);
    const projectId = (await view.getAttribute('data-project-id'))!;
    await view.getByRole('button', { name: 'Datasets', exact: true }).click();
    const tab = page.getByTestId('dag-datasets-tab');

    await tab.getByTestId('import-url-button').click();
    const url = tab.getByTestId('import-url-input');
    await url.fill(`${source.url}/cities.csv`);
    await tab.getByTestId('import-url-submit').click();
    // Once imported it is in the list and selected, its rows in the preview.
    const detail = tab.getByTestId('dataset-detail');
    await expect(detail).toContainText('cities.csv', { timeout: 60 * 1000 });
    await expect(tab.getByTestId('dataset-list')).toContainText('cities.csv');
    await expect(detail).toContainText('city_0');
    const listed = await apiGet(
      page,
      `datasets?project_id=${encodeURIComponent(projectId)}`
    );
    expect(listed.datasets.map((d: any) => d.name)).toEqual(['cities.csv']);
    expect(listed.datasets[0].latest.size_bytes).toBe(Buffer.byteLength(CSV));

    // A slow download shows its progress and is cancelled.
    await url.fill(`${source.url}/slow.csv`);
    await tab.getByTestId('import-url-submit').click();
    const slow = tab.locator('[data-testid^="import-"][data-status]').first();
    await expect(slow).toHaveAttribute('data-status', 'downloading', {
      timeout: 30 * 1000
    });
    await expect(slow.locator('progress')).toBeVisible();
    await expect(slow).toContainText(/KB of \d+ KB/, { timeout: 30 * 1000 });
    await slow.getByRole('button', { name: 'Cancel' }).click();
    await expect(slow).toHaveAttribute('data-status', 'cancelled');

    // A missing file: the source's 404, said so.
    await url.fill(`${source.url}/nothing.csv`);
    await tab.getByTestId('import-url-submit').click();
    await expect(tab.getByTestId('import-error')).toContainText(
      'Not found at the source',
      { timeout: 30 * 1000 }
    );
    const after = await apiGet(
      page,
      `datasets?project_id=${encodeURIComponent(projectId)}`
    );
    expect(after.total).toBe(1);
    expect(problems()).toEqual([]);
  } finally {
    source.close();
  }
});
