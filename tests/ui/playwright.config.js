/**
 * Playwright configuration for the notebook_dag UI tests, based on Galata's.
 *
 * The browser is the system's Chromium (no browser is downloaded); the
 * JupyterLab server is started by `jlpm start` with the project's venv first
 * on PATH when there is one.
 */
const fs = require('fs');
const path = require('path');

const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const PORT = process.env.NOTEBOOK_DAG_UI_PORT || '8899';
const BASE_URL = `http://localhost:${PORT}`;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// NOTEBOOK_DAG_UI_VENV_BIN: another environment's bin (the jupyter-collaboration pass)
const venvBin =
  process.env.NOTEBOOK_DAG_UI_VENV_BIN ||
  path.resolve(__dirname, '..', '..', '.venv', 'bin');
const PATH_WITH_VENV = fs.existsSync(venvBin)
  ? `${venvBin}${path.delimiter}${process.env.PATH}`
  : process.env.PATH;

module.exports = {
  ...baseConfig,
  reporter: [
    [process.env.CI ? 'line' : 'list'],
    ['html', { open: 'never' }]
  ],
  timeout: 240 * 1000,
  expect: { timeout: 30 * 1000 },
  // One retry in CI: a test that passes only on its retry is reported as
  // "flaky" in the output (and in the HTML report with both traces), so a
  // timing race on a loaded 2-core runner is visible without voiding the run.
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    baseURL: BASE_URL,
    viewport: { width: 1440, height: 900 },
    // Videos need Playwright's own ffmpeg build, which cannot be downloaded here.
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `${BASE_URL}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI,
    env: { ...process.env, PATH: PATH_WITH_VENV, NOTEBOOK_DAG_UI_PORT: PORT },
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
