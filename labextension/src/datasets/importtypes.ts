/**
 * Dataset imports from URLs and Kaggle: the shapes of `POST /datasets/import`,
 * `GET /datasets/imports/{id}`, `GET /datasets/kaggle` and of the
 * `dataset_import/v1` events, with small pure helpers.
 */
import { ApiError } from '../handler';
import { formatBytes } from './format';
import { IUploadResult } from './types';

export type ImportStatus =
  'queued' | 'downloading' | 'storing' | 'succeeded' | 'failed' | 'cancelled';

export const IMPORT_EVENT_SCHEMA_ID =
  'https://schema.jupyter.org/notebook_dag/dataset_import/v1';

/** The body of `POST /datasets/import`: exactly one of `url` and `kaggle`. */
export interface IImportRequest {
  url?: string;
  kaggle?: string;
  name?: string;
  project_id?: string | null;
  tags?: string[];
}

export interface IImportFailure {
  /** The HTTP status the failure maps to: 403, 404, 413, 422, 502, 504 ... */
  status: number;
  reason: string;
  message: string;
}

/** One import (`ImportOut`). */
export interface IImportRecord {
  id: string;
  status: ImportStatus;
  source: { url?: string; kaggle?: string };
  name: string | null;
  project_id: string | null;
  bytes_done: number;
  bytes_total: number | null;
  error: IImportFailure | null;
  dataset: IUploadResult | null;
  created_at: string;
  finished_at: string | null;
}

/** One Kaggle search result. */
export interface IKaggleDataset {
  ref: string;
  title: string;
  subtitle: string;
  size_bytes: number | null;
  url: string;
  last_updated: string | null;
  downloads: number;
  votes: number;
  license: string;
}

export interface IKaggleSearch {
  datasets: IKaggleDataset[];
  page: number;
}

/** Data of a `dataset_import/v1` event. */
export interface IImportEvent {
  import_id: string;
  status: ImportStatus;
  bytes_done: number;
  bytes_total: number | null;
  dataset_id: string | null;
  error_status: number | null;
  message: string;
}

const STATUSES: ImportStatus[] = [
  'queued',
  'downloading',
  'storing',
  'succeeded',
  'failed',
  'cancelled'
];

/** Whether an import is over. */
export function isFinished(status: ImportStatus): boolean {
  return (
    status === 'succeeded' || status === 'failed' || status === 'cancelled'
  );
}

/**
 * The `dataset_import/v1` event in an event-bus emission, or null for any
 * other schema or a malformed one.
 */
export function asImportEvent(
  emission: { [key: string]: unknown } | null | undefined
): IImportEvent | null {
  if (
    !emission ||
    !String(emission.schema_id ?? '').includes('/dataset_import/v1')
  ) {
    return null;
  }
  const id = emission.import_id;
  const status = emission.status as ImportStatus;
  if (typeof id !== 'string' || !STATUSES.includes(status)) {
    return null;
  }
  const num = (v: unknown): number | null =>
    typeof v === 'number' && isFinite(v) ? v : null;
  return {
    import_id: id,
    status,
    bytes_done: num(emission.bytes_done) ?? 0,
    bytes_total: num(emission.bytes_total),
    dataset_id:
      typeof emission.dataset_id === 'string' ? emission.dataset_id : null,
    error_status: num(emission.error_status),
    message: typeof emission.message === 'string' ? emission.message : ''
  };
}

/** A record with an event applied (the event wins where it says something). */
export function applyImportEvent(
  record: IImportRecord,
  event: IImportEvent
): IImportRecord {
  if (event.import_id !== record.id || isFinished(record.status)) {
    return record;
  }
  return {
    ...record,
    status: event.status,
    bytes_done: Math.max(record.bytes_done, event.bytes_done),
    bytes_total: event.bytes_total ?? record.bytes_total
  };
}

/** Progress as a fraction 0..1, or null when the total is unknown. */
export function importFraction(record: IImportRecord): number | null {
  if (record.status === 'succeeded' || record.status === 'storing') {
    return 1;
  }
  if (!record.bytes_total || record.bytes_total <= 0) {
    return null;
  }
  return Math.min(Math.max(record.bytes_done / record.bytes_total, 0), 1);
}

/** "1.2 MB of 3 MB", or "1.2 MB" when the total is unknown. */
export function importProgressText(record: IImportRecord): string {
  const done = formatBytes(record.bytes_done);
  return record.bytes_total
    ? `${done} of ${formatBytes(record.bytes_total)}`
    : done;
}

/** What the import reads from, for a label. */
export function importSourceLabel(record: IImportRecord): string {
  return record.source.url ?? `Kaggle ${record.source.kaggle ?? ''}`;
}

/** What to tell the user about a failed import, by its mapped status. */
export function describeImportFailure(error: IImportFailure): string {
  switch (error.status) {
    case 403:
      return `Access refused by the source: ${error.message}`;
    case 404:
      return `Not found at the source: ${error.message}`;
    case 413:
      return `Too large: ${error.message}`;
    case 422:
      return `Not a table this server reads: ${error.message}`;
    case 502:
      return `The source failed: ${error.message}`;
    case 504:
      return `Timed out: ${error.message}`;
    default:
      return error.message;
  }
}

/** What to tell the user about a refused import or search request. */
export function describeImportRequestError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) {
      return `Refused: ${error.message}`;
    }
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
