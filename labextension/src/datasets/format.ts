/**
 * Pure helpers of the datasets panel: number formatting, histogram scaling,
 * query strings and error texts.
 */
import { ApiError } from '../handler';
import { IDatasetEvent, IDatasetQuery, IHistogram } from './types';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/**
 * `1536` → `1.5 KB` (powers of 1024; integers below 1 KB).
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !isFinite(bytes) || bytes < 0) {
    return '—';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) {
    return `${Math.round(value)} B`;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/**
 * `1234567` → `1,234,567`; `null` → `—`.
 */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !isFinite(value)) {
    return '—';
  }
  return Math.round(value).toLocaleString('en-US');
}

/**
 * A ratio (0..1) as a percentage: `0.0523` → `5.2%`, small non-zero values
 * as `<0.1%`.
 */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !isFinite(ratio)) {
    return '—';
  }
  if (ratio > 0 && ratio < 0.001) {
    return '<0.1%';
  }
  return `${(ratio * 100).toFixed(ratio >= 0.1 || ratio === 0 ? 0 : 1)}%`;
}

/**
 * A statistic: integers as counts, other numbers with 4 significant digits,
 * strings (dates) unchanged.
 */
export function formatStat(value: unknown): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'number') {
    if (!isFinite(value)) {
      return String(value);
    }
    if (Number.isInteger(value) && Math.abs(value) < 1e15) {
      return formatCount(value);
    }
    return Number(value.toPrecision(4)).toString();
  }
  return String(value);
}

/**
 * A preview cell: null as an empty string, objects as JSON, long text cut to
 * `max` characters with an ellipsis.
 */
export function formatCell(value: unknown, max = 80): string {
  if (value === null || value === undefined) {
    return '';
  }
  const text =
    typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * One bar of a histogram drawn as SVG.
 */
export interface IBar {
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
  /** `[low, high)` of the bin. */
  low: number;
  high: number;
}

/**
 * Bars of `histogram` scaled into a `width` × `height` box: bar heights are
 * proportional to counts (the largest fills the height; a non-zero count is
 * at least 1 px high), bars share the width with `gap` px between them.
 */
export function histogramBars(
  histogram: IHistogram | null | undefined,
  width: number,
  height: number,
  gap = 1
): IBar[] {
  const counts = histogram?.counts ?? [];
  if (!counts.length || width <= 0 || height <= 0) {
    return [];
  }
  const edges = histogram?.edges ?? [];
  const max = Math.max(...counts);
  const slot = width / counts.length;
  const barWidth = Math.max(slot - gap, 1);
  return counts.map((count, i) => {
    const h = max > 0 ? (count / max) * height : 0;
    const barHeight = count > 0 ? Math.max(h, 1) : 0;
    return {
      x: i * slot,
      y: height - barHeight,
      width: barWidth,
      height: barHeight,
      count,
      low: edges[i] ?? i,
      high: edges[i + 1] ?? i + 1
    };
  });
}

/**
 * Widths (0..1) of top-value bars relative to `total` rows.
 */
export function topValueShares(
  top: { value: unknown; count: number }[] | undefined,
  total: number
): { label: string; count: number; share: number }[] {
  return (top ?? []).map(item => ({
    label: item.value === null ? '(null)' : formatCell(item.value, 40),
    count: item.count,
    share: total > 0 ? Math.min(item.count / total, 1) : 0
  }));
}

/**
 * CSS color variable of a quality score (0..100).
 */
export function qualityColor(score: number | null | undefined): string {
  if (score === null || score === undefined) {
    return 'var(--jp-layout-color3)';
  }
  if (score >= 90) {
    return 'var(--jp-success-color1)';
  }
  if (score >= 60) {
    return 'var(--jp-warn-color1)';
  }
  return 'var(--jp-error-color1)';
}

/**
 * The query string of `GET datasets` (empty values left out).
 */
export function datasetQueryString(query: IDatasetQuery): string {
  const parts: string[] = [];
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null || value === '') {
      return;
    }
    parts.push(`${key}=${encodeURIComponent(String(value))}`);
  };
  add('q', query.q?.trim());
  add('tag', query.tag?.trim());
  add('project_id', query.project_id);
  add('sort', query.sort);
  add('limit', query.limit);
  add('offset', query.offset);
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * Tags typed as `a, b,,c ` → `['a', 'b', 'c']` (duplicates removed).
 */
export function parseTags(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const tag = raw.trim();
    if (tag && !out.includes(tag)) {
      out.push(tag);
    }
  }
  return out;
}

/**
 * Upload progress as a fraction 0..1 (0 when the total is unknown).
 */
export function uploadFraction(loaded: number, total: number): number {
  if (!total || total <= 0 || !isFinite(total)) {
    return 0;
  }
  return Math.min(Math.max(loaded / total, 0), 1);
}

/**
 * What to tell the user about a failed call: the server's message with a
 * hint for the statuses a user can act on.
 */
export function describeDatasetError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.status) {
      case 413:
        return `Too large: ${error.message}`;
      case 422:
        return `Cannot read this file: ${error.message}`;
      case 409:
        return error.message;
      case 404:
        return `Not found: ${error.message}`;
      case 403:
        return 'Not allowed (are you still logged in?)';
      default:
        return `${error.message} (HTTP ${error.status})`;
    }
  }
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/**
 * The `dataset/v1` event in an event-bus emission, or null for any other
 * schema or a malformed one.
 */
export function asDatasetEvent(
  emission: { [key: string]: unknown } | null | undefined
): IDatasetEvent | null {
  if (!emission || !String(emission.schema_id ?? '').includes('/dataset/v1')) {
    return null;
  }
  const id = emission.dataset_id;
  const kind = emission.kind;
  if (typeof id !== 'string' || typeof kind !== 'string') {
    return null;
  }
  if (kind !== 'upload' && kind !== 'profile' && kind !== 'report') {
    return null;
  }
  return {
    dataset_id: id,
    version: typeof emission.version === 'number' ? emission.version : null,
    sha256: typeof emission.sha256 === 'string' ? emission.sha256 : '',
    kind,
    status: String(emission.status ?? ''),
    progress: typeof emission.progress === 'number' ? emission.progress : 0,
    message: typeof emission.message === 'string' ? emission.message : ''
  };
}
