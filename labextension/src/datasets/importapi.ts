/**
 * Calls of the dataset import routes (`POST /datasets/import`,
 * `GET|DELETE /datasets/imports/{id}`, `GET /datasets/kaggle`).
 */
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from '../handler';
import { IImportRecord, IImportRequest, IKaggleSearch } from './importtypes';

const enc = encodeURIComponent;

export class ImportsApi {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** Start an import; the server answers 202 with its record. */
  start(request: IImportRequest): Promise<IImportRecord> {
    const body: IImportRequest = {};
    for (const [key, value] of Object.entries(request)) {
      if (value !== undefined && value !== null && value !== '') {
        (body as { [k: string]: unknown })[key] = value;
      }
    }
    return requestAPI(
      'datasets/import',
      { method: 'POST', body: JSON.stringify(body) },
      this.settings
    );
  }

  /** An import, after it ended or `wait` seconds passed (0: now). */
  get(id: string, wait = 0): Promise<IImportRecord> {
    const query = wait > 0 ? `?wait=${wait}` : '';
    return requestAPI(`datasets/imports/${enc(id)}${query}`, {}, this.settings);
  }

  /** The user's imports on this server, newest first. */
  async list(): Promise<IImportRecord[]> {
    const out = await requestAPI<{ imports: IImportRecord[] }>(
      'datasets/imports',
      {},
      this.settings
    );
    return out.imports;
  }

  /** Cancel an import; returns its record afterwards. */
  cancel(id: string): Promise<IImportRecord> {
    return requestAPI(
      `datasets/imports/${enc(id)}`,
      { method: 'DELETE' },
      this.settings
    );
  }

  /** Search Kaggle's datasets through the server's Kaggle client. */
  searchKaggle(search: string, page = 1): Promise<IKaggleSearch> {
    return requestAPI(
      `datasets/kaggle?search=${enc(search)}&page=${page}`,
      {},
      this.settings
    );
  }
}
