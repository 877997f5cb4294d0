/**
 * The pure parts of the notifications plugin: which events and notifications
 * to show, and what their action opens.
 */
import type { IDagNotification, NotificationKind } from './api';

/**
 * Schema id of the notification events.
 */
export const NOTIFICATION_SCHEMA_ID =
  'https://schema.jupyter.org/notebook_dag/notification/v1';

/**
 * A `notebook_dag/notification/v1` event.
 */
export interface INotificationEvent {
  user: string;
  action: 'created' | 'read';
  id: number;
  kind: string;
}

/**
 * The event carried by an emission of the server's event stream, if it is a
 * notification created for `user` (null otherwise: another user's, another
 * schema, a read).
 */
export function createdFor(
  emission: { [key: string]: unknown },
  user: string | null
): INotificationEvent | null {
  if (emission.schema_id !== NOTIFICATION_SCHEMA_ID || user === null) {
    return null;
  }
  if (emission.user !== user || emission.action !== 'created') {
    return null;
  }
  const id = Number(emission.id);
  if (!Number.isInteger(id)) {
    return null;
  }
  return {
    user,
    action: 'created',
    id,
    kind: String(emission.kind ?? '')
  };
}

/**
 * The kinds the user chose to receive (the `kinds` setting: a map of kind to
 * boolean; a kind missing from it is received).
 */
export function wanted(
  kinds: { [kind: string]: boolean } | null | undefined,
  kind: string
): boolean {
  return !kinds || kinds[kind] !== false;
}

/**
 * What to show at start: the first `max` unread wanted notifications and
 * how many more there are.
 */
export function startupBatch(
  notifications: IDagNotification[],
  unread: number,
  kinds: { [kind: string]: boolean } | null | undefined,
  max: number
): { show: IDagNotification[]; more: number } {
  const fresh = notifications.filter(n => !n.read && wanted(kinds, n.kind));
  const show = fresh.slice(0, Math.max(0, max));
  // unread ones beyond the fetched page count too (without knowing their kind)
  const beyond = Math.max(
    0,
    unread - notifications.filter(n => !n.read).length
  );
  return { show, more: fresh.length - show.length + beyond };
}

/**
 * What a notification's action opens.
 */
export type NotificationAction =
  | { type: 'run'; label: string; projectId: string; runId: string }
  | { type: 'project'; label: string; projectId: string; blockId?: string }
  | { type: 'report'; label: string; datasetId: string; title: string }
  | { type: 'url'; label: string; url: string };

function str(value: unknown): string | null {
  return typeof value === 'string' && value ? value : null;
}

/**
 * The action of a notification: open the run (DAG view with the history),
 * the project (at a block), the report or the URL; null if none.
 */
export function actionOf(n: IDagNotification): NotificationAction | null {
  const t = n.target ?? {};
  const projectId = str(t.project_id);
  const runId = str(t.run_id);
  const datasetId = str(t.dataset_id);
  const url = str(t.url);
  const kind: NotificationKind = n.kind;
  if (kind === 'run' && projectId && runId) {
    return { type: 'run', label: 'Open run', projectId, runId };
  }
  if (kind === 'report' && datasetId && n.level !== 'error') {
    return { type: 'report', label: 'Open report', datasetId, title: n.title };
  }
  if (projectId) {
    const blockId = str(t.block_id);
    return {
      type: 'project',
      label: 'Open project',
      projectId,
      ...(blockId ? { blockId } : {})
    };
  }
  if (url) {
    return { type: 'url', label: 'Open', url };
  }
  return null;
}

/**
 * The toast type of a notification.
 */
export function toastType(n: IDagNotification): 'info' | 'success' | 'error' {
  return n.level === 'success' || n.level === 'error' ? n.level : 'info';
}

/**
 * The toast's text: the title, then the message.
 */
export function toastText(n: IDagNotification): string {
  return n.message ? `${n.title}: ${n.message}` : n.title;
}
