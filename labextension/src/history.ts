/**
 * Formatting of the run history (pure).
 */
import { formatDuration } from './outputs';
import {
  IRun,
  IRunBlock,
  isActiveStatus,
  RETRYABLE_RUN_STATUSES
} from './types';

/**
 * Seconds between two ISO dates (`end` defaults to `now` for what is still
 * under way), or `null` when it cannot be told.
 */
export function secondsBetween(
  start: string | null | undefined,
  end: string | null | undefined,
  now: number = Date.now()
): number | null {
  if (!start) {
    return null;
  }
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : now;
  if (Number.isNaN(from) || Number.isNaN(to)) {
    return null;
  }
  return Math.max(0, (to - from) / 1000);
}

/**
 * How long a run took (or has been running).
 */
export function runDuration(
  run: IRun,
  now: number = Date.now()
): number | null {
  if (!run.started_at) {
    return null;
  }
  if (!run.finished_at && !isActiveStatus(run.status)) {
    return null;
  }
  return secondsBetween(run.started_at, run.finished_at, now);
}

/**
 * A date as "12 s ago", "5 min ago", "3 h ago", or a short date beyond a day.
 */
export function formatWhen(
  iso: string | null | undefined,
  now: number = Date.now()
): string {
  if (!iso) {
    return '';
  }
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return '';
  }
  const seconds = Math.round((now - time) / 1000);
  if (seconds < 5) {
    return 'just now';
  }
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ago`;
  }
  if (seconds < 86400) {
    return `${Math.floor(seconds / 3600)} h ago`;
  }
  return new Date(time).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * What a run did, in words ("Run all", "Run downstream of Load", …).
 */
export function runLabel(
  run: IRun,
  titleOf: (id: string) => string | null | undefined = () => null
): string {
  const block = run.block_id ? titleOf(run.block_id) || run.block_id : '';
  switch (run.mode) {
    case 'all':
      return 'Run all';
    case 'stale':
      return 'Run stale';
    case 'block':
      return block ? `Run ${block}` : 'Run a block';
    case 'upstream':
      return block ? `Run ${block} with upstream` : 'Run with upstream';
    case 'downstream':
      return block ? `Run downstream of ${block}` : 'Run downstream';
    case 'retry':
      return run.parent_id
        ? `Re-run failed of ${run.parent_id.slice(0, 8)}`
        : 'Re-run failed';
    default:
      return run.mode ? `Run (${run.mode})` : 'Run';
  }
}

/**
 * How many blocks of a run ended in each status, most telling first.
 */
export function blockCounts(run: IRun): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const block of run.blocks ?? []) {
    counts.set(block.status, (counts.get(block.status) ?? 0) + 1);
  }
  const order = [
    'failed',
    'cancelled',
    'skipped',
    'running',
    'queued',
    'succeeded',
    'up_to_date'
  ];
  return [...counts.entries()].sort(
    (a, b) =>
      (order.indexOf(a[0]) + 1 || 99) - (order.indexOf(b[0]) + 1 || 99) ||
      a[0].localeCompare(b[0])
  );
}

/**
 * One line of the history.
 */
export interface IRunSummary {
  id: string;
  shortId: string;
  status: string;
  label: string;
  when: string;
  duration: string;
  counts: string;
  reason: string;
  canRetry: boolean;
  canCancel: boolean;
}

/**
 * Everything the history shows of a run.
 */
export function summarizeRun(
  run: IRun,
  titleOf: (id: string) => string | null | undefined = () => null,
  now: number = Date.now()
): IRunSummary {
  const seconds = runDuration(run, now);
  return {
    id: run.id,
    shortId: run.id.slice(0, 8),
    status: run.status,
    label: runLabel(run, titleOf),
    when: formatWhen(run.created_at ?? run.started_at, now),
    duration: seconds === null ? '' : formatDuration(seconds),
    counts: blockCounts(run)
      .map(([status, n]) => `${n} ${status.replace(/_/g, ' ')}`)
      .join(', '),
    reason: run.reason ?? '',
    canRetry: RETRYABLE_RUN_STATUSES.includes(run.status),
    canCancel: isActiveStatus(run.status)
  };
}

/**
 * One block of a run in the history.
 */
export interface IBlockRow {
  blockId: string;
  title: string;
  status: string;
  duration: string;
  executionCount: number | null;
  error: string;
}

/**
 * The blocks of a run, in the order they were planned.
 */
export function blockRows(
  run: IRun,
  titleOf: (id: string) => string | null | undefined = () => null
): IBlockRow[] {
  return (run.blocks ?? []).map((block: IRunBlock) => {
    const seconds = secondsBetween(block.started_at, block.finished_at ?? null);
    return {
      blockId: block.block_id,
      title: titleOf(block.block_id) || block.block_id,
      status: block.status,
      duration:
        block.finished_at && seconds !== null ? formatDuration(seconds) : '',
      executionCount: block.execution_count ?? null,
      error: block.error ?? ''
    };
  });
}
