/**
 * Client of the notifications routes (`/notebook-dag/api/notifications`).
 */
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from '../handler';

/**
 * What a notification is about.
 */
export type NotificationKind = 'run' | 'share' | 'report' | 'ai' | 'import';

export const NOTIFICATION_KINDS: NotificationKind[] = [
  'run',
  'share',
  'report',
  'ai',
  'import'
];

/**
 * One notification of the current user.
 */
export interface IDagNotification {
  id: number;
  kind: NotificationKind;
  level: 'info' | 'success' | 'error';
  title: string;
  message: string;
  /**
   * What its action opens: `{project_id, run_id}`, `{project_id}`,
   * `{dataset_id, version}`, `{url}` ...
   */
  target: { [key: string]: unknown };
  read: boolean;
  created_at: string;
  read_at?: string | null;
}

/**
 * `GET /notifications`: unread first, then newest first.
 */
export interface INotificationList {
  notifications: IDagNotification[];
  total: number;
  unread: number;
  /**
   * The user they are for: events naming another user are not for us.
   */
  user: string;
}

export class NotificationsApi {
  constructor(readonly settings: ServerConnection.ISettings) {}

  list(limit = 50, offset = 0): Promise<INotificationList> {
    return requestAPI(
      `notifications?limit=${limit}&offset=${offset}`,
      {},
      this.settings
    );
  }

  get(id: number): Promise<IDagNotification> {
    return requestAPI(`notifications/${id}`, {}, this.settings);
  }

  read(id: number): Promise<IDagNotification> {
    return requestAPI(
      `notifications/${id}/read`,
      { method: 'POST' },
      this.settings
    );
  }

  readAll(): Promise<{ marked: number; unread: number }> {
    return requestAPI(
      'notifications/read-all',
      { method: 'POST' },
      this.settings
    );
  }
}
