/**
 * Notifications of notebook_dag (long runs that ended, shares, full reports,
 * AI generations, imports) in JupyterLab's own notification centre.
 *
 * At start the unread ones are shown (a few, then "N more"); then each new
 * one arrives as a `notebook_dag/notification/v1` event naming its
 * recipient, and is fetched and shown if it is ours and of a kind the
 * `kinds` setting keeps. Its action opens the run (the project's DAG view
 * with the run history), the project or the report, and marks it read.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { createReportWidget, DatasetsApi } from '../datasets';
import { IDagViews } from '../tokens';
import { IDagNotification, NotificationsApi } from './api';
import {
  actionOf,
  createdFor,
  NotificationAction,
  startupBatch,
  toastText,
  toastType,
  wanted
} from './logic';

export const NOTIFICATIONS_PLUGIN_ID = 'notebook_dag:notifications';

/**
 * How long a toast stays (ms); it stays in the notification centre after.
 */
const AUTO_CLOSE_MS = 15000;

interface ISettings {
  kinds: { [kind: string]: boolean } | null;
  startupMax: number;
}

export const notificationsPlugin: JupyterFrontEndPlugin<void> = {
  id: NOTIFICATIONS_PLUGIN_ID,
  description:
    'Shows notebook_dag notifications (long runs, shares, reports, AI, imports) in the notification centre.',
  autoStart: true,
  optional: [IDagViews, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    views: IDagViews | null,
    registry: ISettingRegistry | null
  ) => {
    const serverSettings = app.serviceManager.serverSettings;
    const api = new NotificationsApi(serverSettings);
    const settings: ISettings = { kinds: null, startupMax: 3 };
    const shown = new Set<number>();
    let user: string | null = null;

    const open = async (action: NotificationAction): Promise<void> => {
      switch (action.type) {
        case 'run':
        case 'project': {
          const panel = views ? await views.open(action.projectId) : undefined;
          if (!views) {
            await app.commands.execute('notebook-dag:open', {
              projectId: action.projectId
            });
          }
          const model = panel?.content.model;
          if (model && action.type === 'run') {
            model.showRun(action.runId);
          } else if (model && action.type === 'project' && action.blockId) {
            model.select(action.blockId);
          }
          break;
        }
        case 'report': {
          const url = new DatasetsApi(serverSettings).reportUrl(
            action.datasetId
          );
          const report = createReportWidget(url, action.title);
          app.shell.add(report, 'main');
          app.shell.activateById(report.id);
          break;
        }
        case 'url':
          window.open(action.url, '_blank', 'noopener');
          break;
      }
    };

    const markRead = (n: IDagNotification) =>
      void api
        .read(n.id)
        .catch(error =>
          console.warn('notebook_dag: cannot mark a notification read', error)
        );

    const show = (n: IDagNotification): void => {
      if (shown.has(n.id) || n.read || !wanted(settings.kinds, n.kind)) {
        return;
      }
      shown.add(n.id);
      const action = actionOf(n);
      const actions: Notification.IAction[] = [];
      if (action) {
        actions.push({
          label: action.label,
          caption: `${action.label} and mark this notification read`,
          displayType: 'accent',
          callback: () => {
            markRead(n);
            void open(action).catch(error =>
              console.error('notebook_dag: cannot open', error)
            );
          }
        });
      }
      actions.push({
        label: 'Mark read',
        caption: 'Mark this notification read',
        callback: () => markRead(n)
      });
      Notification.emit(toastText(n), toastType(n), {
        autoClose: AUTO_CLOSE_MS,
        actions
      });
    };

    const onEvent = (_: unknown, emission: { [key: string]: unknown }) => {
      const event = createdFor(emission, user);
      if (!event || !wanted(settings.kinds, event.kind)) {
        return;
      }
      void api
        .get(event.id)
        .then(show)
        .catch(error =>
          console.warn('notebook_dag: cannot fetch a notification', error)
        );
    };

    const start = async (): Promise<void> => {
      if (registry) {
        try {
          const loaded = await registry.load(NOTIFICATIONS_PLUGIN_ID);
          const read = () => {
            settings.kinds =
              (loaded.composite.kinds as { [kind: string]: boolean }) ?? null;
            const max = Number(loaded.composite.startupMax);
            settings.startupMax = Number.isFinite(max) ? max : 3;
          };
          read();
          loaded.changed.connect(read);
        } catch (error) {
          console.warn('notebook_dag: notification settings not loaded', error);
        }
      }
      app.serviceManager.events.stream.connect(onEvent);
      const page = await api.list(50, 0);
      user = page.user;
      const { show: first, more } = startupBatch(
        page.notifications,
        page.unread,
        settings.kinds,
        settings.startupMax
      );
      first.forEach(show);
      if (more > 0) {
        Notification.info(
          `${more} more unread notebook_dag notification${more === 1 ? '' : 's'}`,
          {
            autoClose: AUTO_CLOSE_MS,
            actions: [
              {
                label: 'Mark all read',
                caption: 'Mark every notebook_dag notification read',
                callback: () =>
                  void api
                    .readAll()
                    .catch(error =>
                      console.warn('notebook_dag: cannot mark read', error)
                    )
              }
            ]
          }
        );
      }
    };

    void app.restored
      .then(start)
      .catch(error =>
        console.warn('notebook_dag: notifications are off', error)
      );
  }
};
