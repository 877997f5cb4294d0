/**
 * Keeps the server's view of every open notebook that has a notebook_dag
 * project equal to the editor's content: `PUT projects/{id}/document` after a
 * pause in typing and as a heartbeat, `DELETE` when the notebook closes.
 * After each new content the DAG views of the notebook reload.
 */
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';

import type { DagApi } from '../api';
import { ApiError } from '../handler';
import { adoptFileCellIds, IVersionedNotebook } from './cellids';
import type { ISharedNotebookLike } from './docedits';
import { documentBody, isCollaboration } from './syncbody';
import {
  ISyncScheduleOptions,
  SendReason,
  SyncScheduler
} from './syncschedule';

/**
 * The DAG views, as the sync manager sees them.
 */
export interface IDagViews {
  /**
   * Reload the DAG views showing projects of `notebookPath`.
   */
  refresh(notebookPath: string): void;
}

export type IDocumentApi = Pick<
  DagApi,
  'listProjects' | 'putDocument' | 'deleteDocument'
>;

/**
 * The part of `INotebookTracker` used.
 */
export interface INotebookPanels {
  readonly widgetAdded: ISignal<unknown, NotebookPanel>;
  forEach(fn: (panel: NotebookPanel) => void): void;
}

type Context = DocumentRegistry.IContext<INotebookModel>;

interface IEntry {
  context: Context;
  path: string;
  projectId: string | null;
  scheduler: SyncScheduler;
  /**
   * JSON of the last body the server accepted.
   */
  sent: string | null;
  live: 'editor' | 'collaboration' | null;
}

/**
 * Longest wait for a send before a DAG view's first load (milliseconds).
 */
export const PREPARE_TIMEOUT_MS = 3000;

export class NotebookSync implements IDisposable {
  constructor(options: NotebookSync.IOptions) {
    this._api = options.api;
    this._views = options.views;
    this._schedule = options.schedule ?? {};
    options.notebooks.widgetAdded.connect(this._onPanelAdded, this);
    options.notebooks.forEach(panel => void this._follow(panel));
    this._notebooks = options.notebooks;
    if (typeof window !== 'undefined') {
      window.addEventListener('pagehide', this._onUnload);
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._notebooks.widgetAdded.disconnect(this._onPanelAdded, this);
    if (typeof window !== 'undefined') {
      window.removeEventListener('pagehide', this._onUnload);
    }
    for (const entry of this._entries.values()) {
      entry.scheduler.stop();
    }
    this._entries.clear();
  }

  /**
   * The shared model of the open notebook at `path`, or `null`.
   */
  sharedModelOf(path: string): ISharedNotebookLike | null {
    const entry = this._find(path);
    const model = entry?.context.model;
    return model && !model.isDisposed
      ? (model.sharedModel as unknown as ISharedNotebookLike)
      : null;
  }

  /**
   * Send the notebook at `path` at once (when open and it has a project).
   *
   * @returns whether the server holds the editor's content (or reads the
   * shared document of jupyter-collaboration)
   */
  async push(path: string): Promise<boolean> {
    const entry = this._find(path);
    if (!entry || !entry.projectId) {
      return false;
    }
    await entry.scheduler.flush();
    return entry.live !== null;
  }

  /**
   * A DAG view of `projectId` opens for `path`: when the notebook is open,
   * follow it with that project (if it had none yet) and send it first, so
   * that the view's first load is already the editor's content.
   */
  async prepare(projectId: string, path: string): Promise<void> {
    const entry = this._find(path);
    if (!entry) {
      return;
    }
    if (!entry.projectId) {
      entry.projectId = projectId;
      entry.scheduler.start();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.push(path).catch(() => false),
      new Promise(resolve => {
        timer = setTimeout(resolve, PREPARE_TIMEOUT_MS);
      })
    ]);
    clearTimeout(timer);
  }

  private _find(path: string): IEntry | null {
    for (const entry of this._entries.values()) {
      if (entry.path === path && !entry.context.isDisposed) {
        return entry;
      }
    }
    return null;
  }

  private _onPanelAdded(_: unknown, panel: NotebookPanel): void {
    void this._follow(panel);
  }

  private async _follow(panel: NotebookPanel): Promise<void> {
    const context = panel.context;
    if (this._entries.has(context)) {
      return; // another view of the same notebook
    }
    const entry: IEntry = {
      context,
      path: context.path,
      projectId: null,
      scheduler: new SyncScheduler(
        reason => this._send(entry, reason),
        this._schedule
      ),
      sent: null,
      live: null
    };
    this._entries.set(context, entry);
    context.disposed.connect(() => this._onClosed(entry));
    context.pathChanged.connect((_, path) => void this._onRenamed(entry, path));
    await context.ready;
    if (context.isDisposed || this._isDisposed) {
      return;
    }
    context.model.contentChanged.connect(() => entry.scheduler.touch());
    await this._start(entry);
  }

  /**
   * Find the notebook's project; only a notebook with one is sent.
   */
  private async _start(entry: IEntry): Promise<void> {
    const path = entry.path;
    let projects;
    try {
      projects = await this._api.listProjects(path);
    } catch (error) {
      console.warn(`notebook_dag: cannot list the projects of ${path}`, error);
      return;
    }
    if (entry.path !== path || entry.context.isDisposed || entry.projectId) {
      return; // renamed, closed or prepared meanwhile
    }
    const project =
      projects.find(p => p.notebook_path === path) ?? projects[0] ?? null;
    if (!project) {
      return;
    }
    entry.projectId = project.id;
    entry.scheduler.start();
    await entry.scheduler.flush();
  }

  private async _send(entry: IEntry, reason: SendReason): Promise<void> {
    if (!entry.context.isReady) {
      // A DAG view restored before its notebook finished loading: the model
      // is not the notebook yet (JupyterLab's initial empty cell), and
      // sending it would show a one-node DAG until the next heartbeat.
      await entry.context.ready;
    }
    const projectId = entry.projectId;
    const model = entry.context.model;
    if (!projectId || entry.context.isDisposed || !model || model.isDisposed) {
      return;
    }
    const shared = model.sharedModel;
    // An older notebook takes the ids the server reads in its file.
    adoptFileCellIds(shared as unknown as IVersionedNotebook, entry.path);
    const body = documentBody(
      shared.cells.map(cell => ({
        id: cell.id,
        cell_type: cell.cell_type,
        source: cell.getSource(),
        metadata: cell.getMetadata() as { [key: string]: unknown }
      })),
      shared.getMetadata() as { [key: string]: unknown }
    );
    const text = JSON.stringify(body);
    if (reason === 'change' && text === entry.sent) {
      return; // e.g. outputs changed, not what the server reads
    }
    if (entry.live === 'collaboration') {
      // The server reads the shared document, which jupyter-collaboration
      // keeps in step: nothing to send, only the DAG views to reload.
      if (text !== entry.sent) {
        entry.sent = text;
        this._views.refresh(entry.path);
      }
      return;
    }
    let answer;
    try {
      answer = await this._api.putDocument(projectId, body);
    } catch (error) {
      this._failed(entry, projectId, error);
      return;
    }
    if (entry.projectId !== projectId || entry.context.isDisposed) {
      return;
    }
    const changed = text !== entry.sent || entry.live === null;
    entry.sent = text;
    if (isCollaboration(answer)) {
      // The server reads jupyter-collaboration's shared document.
      entry.live = 'collaboration';
    } else {
      entry.live = 'editor';
    }
    if (changed) {
      this._views.refresh(entry.path);
    }
  }

  private _failed(entry: IEntry, projectId: string, error: unknown): void {
    if (
      error instanceof ApiError &&
      (error.status === 404 || error.status === 403)
    ) {
      // Project deleted (or no right to edit it, or a server without live
      // documents): stop, and look for a project again at the next open.
      console.warn(
        `notebook_dag: ${entry.path} is no longer sent to the server`,
        error
      );
      if (entry.projectId === projectId) {
        entry.projectId = null;
        entry.live = null;
        entry.sent = null;
        entry.scheduler.stop();
      }
      return;
    }
    // Network trouble or a refused body: the next change or heartbeat retries.
    console.warn(`notebook_dag: cannot send ${entry.path}`, error);
  }

  private _release(entry: IEntry, keepalive = false): void {
    entry.scheduler.stop();
    const projectId = entry.projectId;
    if (projectId && entry.live === 'editor') {
      void this._api
        .deleteDocument(projectId, keepalive)
        .catch(error =>
          console.warn(`notebook_dag: cannot release ${entry.path}`, error)
        );
    }
    entry.live = null;
    entry.sent = null;
  }

  private _onClosed(entry: IEntry): void {
    const wasLive = entry.live !== null;
    this._release(entry);
    this._entries.delete(entry.context);
    if (wasLive && !this._isDisposed) {
      this._views.refresh(entry.path); // back to the file
    }
  }

  private async _onRenamed(entry: IEntry, path: string): Promise<void> {
    const old = entry.path;
    const wasLive = entry.live !== null;
    this._release(entry);
    entry.projectId = null;
    entry.path = path;
    if (wasLive) {
      this._views.refresh(old);
    }
    await this._start(entry);
  }

  private _onUnload = (): void => {
    for (const entry of this._entries.values()) {
      if (entry.projectId && entry.live === 'editor') {
        this._release(entry, true);
      }
    }
  };

  private _api: IDocumentApi;
  private _views: IDagViews;
  private _schedule: ISyncScheduleOptions;
  private _notebooks: INotebookPanels;
  private _entries = new Map<Context, IEntry>();
  private _isDisposed = false;
}

export namespace NotebookSync {
  export interface IOptions {
    notebooks: INotebookPanels;
    api: IDocumentApi;
    views: IDagViews;
    schedule?: ISyncScheduleOptions;
  }
}
