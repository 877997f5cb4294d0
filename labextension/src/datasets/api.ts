/**
 * Calls of the datasets REST API. Uploads use XMLHttpRequest so that the
 * browser reports upload progress; they send the File object itself as the
 * raw request body, which the server streams to disk.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_NAMESPACE, ApiError, IApiErrorBody, requestAPI } from '../handler';
import { AnalysisKind, IAnalysis, ICharts } from './analysistypes';
import { datasetQueryString } from './format';
import {
  IDataset,
  IDatasetList,
  IDatasetQuery,
  IDatasetUpdate,
  ILineage,
  IPreview,
  IProfileRecord,
  IReportRecord,
  IUploadOptions,
  IUploadResult,
  IVersionList
} from './types';

const enc = encodeURIComponent;

/**
 * The subset of XMLHttpRequest an upload needs (tests pass a fake).
 */
export interface IXhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob | ArrayBuffer | string | null): void;
  abort(): void;
  upload: {
    onprogress:
      | ((event: {
          loaded: number;
          total: number;
          lengthComputable: boolean;
        }) => void)
      | null;
  };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  status: number;
  statusText: string;
  responseText: string;
}

/**
 * A running upload: its result and a way to cancel it.
 */
export interface IUploadHandle {
  promise: Promise<IUploadResult>;
  abort(): void;
}

/**
 * The `_xsrf` cookie, when the page has one.
 */
export function xsrfCookie(cookie: string): string | undefined {
  const match = /(?:^|;\s*)_xsrf=([^;]*)/.exec(cookie);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/**
 * The query string of an upload (`name` defaults to the file's name).
 */
export function uploadQueryString(
  fileName: string,
  options: IUploadOptions
): string {
  const parts = [`name=${enc(options.name?.trim() || fileName)}`];
  if (options.projectId) {
    parts.push(`project_id=${enc(options.projectId)}`);
  }
  if (options.format) {
    parts.push(`format=${enc(options.format)}`);
  }
  if (options.description) {
    parts.push(`description=${enc(options.description)}`);
  }
  if (options.tags?.length) {
    parts.push(`tags=${enc(options.tags.join(','))}`);
  }
  return `?${parts.join('&')}`;
}

/**
 * An `ApiError` from a failed XHR, the same as `requestAPI` would throw.
 */
export function xhrError(
  status: number,
  statusText: string,
  text: string,
  url: string
): ApiError {
  let body: IApiErrorBody | string | null = text || null;
  let message = statusText || `HTTP ${status}`;
  try {
    const data = JSON.parse(text);
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      body = data as IApiErrorBody;
      if (typeof body.message === 'string' && body.message) {
        message = body.message;
      }
    }
  } catch (error) {
    // not JSON: keep the raw text
  }
  if (status === 0) {
    message =
      'The upload was interrupted (connection closed by the server or the network)';
  }
  return new ApiError(status, message, body, url);
}

/**
 * Typed calls of `/notebook-dag/api/datasets`.
 */
export class DatasetsApi {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
    private readonly makeXhr: () => IXhrLike = () =>
      new XMLHttpRequest() as unknown as IXhrLike
  ) {}

  list(query: IDatasetQuery = {}): Promise<IDatasetList> {
    return requestAPI(
      `datasets${datasetQueryString(query)}`,
      {},
      this.settings
    );
  }

  get(id: string): Promise<IDataset> {
    return requestAPI(`datasets/${enc(id)}`, {}, this.settings);
  }

  update(id: string, body: IDatasetUpdate): Promise<IDataset> {
    return requestAPI(
      `datasets/${enc(id)}`,
      { method: 'PATCH', body: JSON.stringify(body) },
      this.settings
    );
  }

  remove(id: string): Promise<void> {
    return requestAPI(
      `datasets/${enc(id)}`,
      { method: 'DELETE' },
      this.settings
    );
  }

  /**
   * Register a file under the server root (a contents path), without a copy.
   */
  register(path: string, options: IUploadOptions = {}): Promise<IUploadResult> {
    const body = {
      path,
      name: options.name,
      project_id: options.projectId ?? undefined,
      description: options.description,
      tags: options.tags,
      format: options.format
    };
    return requestAPI(
      'datasets',
      { method: 'POST', body: JSON.stringify(body) },
      this.settings
    );
  }

  versions(id: string): Promise<IVersionList> {
    return requestAPI(`datasets/${enc(id)}/versions`, {}, this.settings);
  }

  preview(
    id: string,
    offset = 0,
    limit = 50,
    version?: number
  ): Promise<IPreview> {
    const v = version ? `&version=${version}` : '';
    return requestAPI(
      `datasets/${enc(id)}/preview?offset=${offset}&limit=${limit}${v}`,
      {},
      this.settings
    );
  }

  /**
   * The quick profile; `wait` seconds to wait for one being computed.
   */
  profile(id: string, wait = 0, version?: number): Promise<IProfileRecord> {
    const v = version ? `&version=${version}` : '';
    return requestAPI(
      `datasets/${enc(id)}/profile?wait=${wait}${v}`,
      {},
      this.settings
    );
  }

  /**
   * Compute the quick profile when it is missing or failed (`force`: again).
   */
  requestProfile(id: string, force = false): Promise<IProfileRecord> {
    return requestAPI(
      `datasets/${enc(id)}/profile${force ? '?force=true' : ''}`,
      { method: 'POST' },
      this.settings
    );
  }

  startReport(id: string, force = false): Promise<IReportRecord> {
    return requestAPI(
      `datasets/${enc(id)}/report${force ? '?force=true' : ''}`,
      { method: 'POST' },
      this.settings
    );
  }

  reportStatus(id: string): Promise<IReportRecord> {
    return requestAPI(`datasets/${enc(id)}/report/status`, {}, this.settings);
  }

  /**
   * URL of the finished HTML report (for an IFrame).
   */
  reportUrl(id: string): string {
    return URLExt.join(
      this.settings.baseUrl,
      ...API_NAMESPACE,
      'datasets',
      enc(id),
      'report'
    );
  }

  lineage(id: string): Promise<ILineage> {
    return requestAPI(`datasets/${enc(id)}/lineage`, {}, this.settings);
  }

  /**
   * Statistics, correlations or a clustering of a version, with the code
   * reproducing it. Rejects with `ApiError` 503 / 409 / 422 (the server's
   * message says why).
   */
  analysis(
    id: string,
    kind: AnalysisKind,
    version?: number
  ): Promise<IAnalysis> {
    const v = version ? `&version=${version}` : '';
    return requestAPI(
      `datasets/${enc(id)}/analysis?kind=${enc(kind)}${v}`,
      {},
      this.settings
    );
  }

  /**
   * Ranked chart suggestions with matplotlib code and PNG previews.
   */
  charts(id: string, limit?: number, version?: number): Promise<ICharts> {
    const parts: string[] = [];
    if (limit) {
      parts.push(`limit=${limit}`);
    }
    if (version) {
      parts.push(`version=${version}`);
    }
    const query = parts.length ? `?${parts.join('&')}` : '';
    return requestAPI(`datasets/${enc(id)}/charts${query}`, {}, this.settings);
  }

  /**
   * Upload `file` as the raw body of `POST datasets`; `onProgress(loaded,
   * total)` follows the bytes sent. Rejects with `ApiError` (413 too large,
   * 422 unreadable file, ...) or when aborted.
   */
  upload(
    file: Blob & { name?: string },
    options: IUploadOptions = {},
    onProgress?: (loaded: number, total: number) => void
  ): IUploadHandle {
    const url =
      URLExt.join(this.settings.baseUrl, ...API_NAMESPACE, 'datasets') +
      uploadQueryString(file.name ?? 'data', options);
    const xhr = this.makeXhr();
    const promise = new Promise<IUploadResult>((resolve, reject) => {
      xhr.open('POST', url);
      if (this.settings.token) {
        xhr.setRequestHeader('Authorization', `token ${this.settings.token}`);
      }
      const xsrf =
        typeof document !== 'undefined'
          ? xsrfCookie(document.cookie)
          : undefined;
      if (xsrf !== undefined) {
        xhr.setRequestHeader('X-XSRFToken', xsrf);
      }
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.upload.onprogress = event => {
        onProgress?.(
          event.loaded,
          event.lengthComputable ? event.total : file.size
        );
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(xhr.responseText) as IUploadResult);
          } catch (error) {
            reject(
              xhrError(
                xhr.status,
                'invalid JSON in the answer',
                xhr.responseText,
                url
              )
            );
          }
        } else {
          reject(xhrError(xhr.status, xhr.statusText, xhr.responseText, url));
        }
      };
      xhr.onerror = () =>
        reject(xhrError(xhr.status, xhr.statusText, xhr.responseText, url));
      xhr.onabort = () => reject(new Error('Upload cancelled'));
      xhr.send(file);
    });
    return { promise, abort: () => xhr.abort() };
  }
}
