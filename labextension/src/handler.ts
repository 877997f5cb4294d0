import { URLExt } from '@jupyterlab/coreutils';

import { ServerConnection } from '@jupyterlab/services';

/**
 * The URL namespace of the notebook_dag server extension's REST API.
 */
export const API_NAMESPACE = ['notebook-dag', 'api'];

/**
 * The JSON body of an error answered by the server extension.
 *
 * Besides `message` and `reason`, a route may add extra fields, e.g. the
 * `cycle` found while building a DAG.
 */
export interface IApiErrorBody {
  message: string;
  reason?: string | null;
  [key: string]: unknown;
}

/**
 * An error answered by the server extension (any non-2xx status).
 */
export class ApiError extends Error {
  constructor(
    status: number,
    message: string,
    body: IApiErrorBody | string | null,
    url = ''
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.url = url;
    this.reason =
      body && typeof body === 'object' && typeof body.reason === 'string'
        ? body.reason
        : null;
  }

  /**
   * HTTP status code of the response.
   */
  readonly status: number;

  /**
   * The `reason` field of the server's JSON body, if any.
   */
  readonly reason: string | null;

  /**
   * The parsed JSON body of the response, or its raw text if not JSON.
   */
  readonly body: IApiErrorBody | string | null;

  /**
   * The requested URL.
   */
  readonly url: string;
}

/**
 * Call the notebook_dag server extension.
 *
 * @param endPoint REST end point below `notebook-dag/api/` (may carry a query)
 * @param init Initial values for the request
 * @param settings Server settings (defaults to `ServerConnection.makeSettings()`)
 * @returns The response body interpreted as JSON (`undefined` for an empty body)
 * @throws {ApiError} when the server answers a non-2xx status
 * @throws {ServerConnection.NetworkError} when the server cannot be reached
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const requestUrl = URLExt.join(settings.baseUrl, ...API_NAMESPACE, endPoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(requestUrl, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let data: unknown = undefined;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      data = text;
    }
  }

  if (!response.ok) {
    let message = response.statusText || `HTTP ${response.status}`;
    let body: IApiErrorBody | string | null = null;
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      body = data as IApiErrorBody;
      if (typeof body.message === 'string' && body.message) {
        message = body.message;
      }
    } else if (typeof data === 'string') {
      body = data;
    }
    throw new ApiError(response.status, message, body, requestUrl);
  }

  return data as T;
}

/**
 * Call the server extension for a file (e.g. an export): the raw response.
 *
 * @throws {ApiError} when the server answers a non-2xx status
 */
export async function requestRaw(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Response> {
  const requestUrl = URLExt.join(settings.baseUrl, ...API_NAMESPACE, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(requestUrl, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  if (!response.ok) {
    const text = await response.text();
    let body: IApiErrorBody | string | null = text || null;
    let message = response.statusText || `HTTP ${response.status}`;
    try {
      const data = JSON.parse(text);
      if (data && typeof data === 'object' && !Array.isArray(data)) {
        body = data as IApiErrorBody;
        if (typeof body.message === 'string' && body.message) {
          message = body.message;
        }
      }
    } catch (error) {
      // not JSON: keep the text
    }
    throw new ApiError(response.status, message, body, requestUrl);
  }
  return response;
}

/**
 * The file name of a `Content-Disposition: attachment; filename="…"` header.
 */
export function attachmentName(
  header: string | null | undefined,
  fallback: string
): string {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header ?? '');
  if (!match) {
    return fallback;
  }
  try {
    return decodeURIComponent(match[1].trim()) || fallback;
  } catch (error) {
    return match[1].trim() || fallback;
  }
}

/**
 * A human readable description of any error thrown by `requestAPI`.
 */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const body = error.body;
    let text = `${error.message} (HTTP ${error.status})`;
    const cycle = body && typeof body === 'object' ? findCycle(body) : null;
    if (cycle && !mentionsCycle(error.message, cycle)) {
      text += ` — cycle: ${cycle.join(' → ')}`;
    }
    return text;
  }
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/**
 * Whether a message already spells a cycle out (`a → b → a`).
 */
function mentionsCycle(message: string, cycle: string[]): boolean {
  return message.includes(cycle.join(' → '));
}

/**
 * Whether an error is the server refusing an edge that would close a cycle.
 */
export function isCycleError(error: unknown): error is ApiError {
  return (
    error instanceof ApiError &&
    error.status === 409 &&
    (error.reason === 'cycle' ||
      (!!error.body &&
        typeof error.body === 'object' &&
        findCycle(error.body) !== null))
  );
}

/**
 * What to tell the user when an edge is refused because of a cycle: the
 * server's message (which names the cycle by cell ids) and, when cells have
 * titles, the same cycle by titles.
 */
export function describeCycle(
  error: ApiError,
  titleOf: (id: string) => string | null | undefined = () => null
): string {
  const body = error.body && typeof error.body === 'object' ? error.body : null;
  const cycle = body ? findCycle(body) : null;
  let text = error.message;
  if (cycle && !mentionsCycle(text, cycle)) {
    text += `: ${cycle.join(' → ')}`;
  }
  if (cycle) {
    const titles = cycle.map(id => titleOf(id) || id);
    if (titles.some((title, i) => title !== cycle[i])) {
      text += ` (${titles.join(' → ')})`;
    }
  }
  return text;
}

/**
 * The cycle reported in an error body (`cycle: [ids]` or `cycles: [[ids]]`).
 */
export function findCycle(body: IApiErrorBody): string[] | null {
  const cycle =
    body.cycle ?? (Array.isArray(body.cycles) ? body.cycles[0] : null);
  if (Array.isArray(cycle) && cycle.length > 0) {
    return cycle.map(item => String(item));
  }
  return null;
}
