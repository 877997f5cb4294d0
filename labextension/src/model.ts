/**
 * The model behind one DAG view: the project's DAG, live statuses and the
 * results of the last run.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, IStream, Signal } from '@lumino/signaling';

import { DagApi } from './api';
import { describeError } from './handler';
import {
  INITIAL_STATUS_STATE,
  IStatusState,
  StatusAction,
  statusReducer
} from './status';
import {
  IDag,
  IProject,
  IRun,
  IRunBlock,
  isActiveStatus,
  isTerminalRunStatus,
  parseRunEvent
} from './types';

/**
 * The subset of the DAG API the model uses (mocked in tests).
 */
export type IDagModelApi = Pick<
  DagApi,
  'getDag' | 'startRun' | 'getRun' | 'getProject' | 'listRuns'
>;

/**
 * An event stream emitting `{schema_id, ...data}` objects, such as
 * `app.serviceManager.events.stream`.
 */
export type EventStream = IStream<unknown, { [key: string]: unknown }>;

/**
 * How long a followed run may stay silent before the model asks the server
 * for it (a safety net for lost events; live updates come from events).
 */
export const SILENT_RUN_CHECK_MS = 15000;

/**
 * How many fetched runs are kept for their outputs.
 */
export const RUNS_CACHED = 8;

export class DagModel implements IDisposable {
  constructor(options: DagModel.IOptions) {
    this.projectId = options.projectId;
    this._api = options.api;
    this._events = options.events ?? null;
    this._silentCheckMs = options.silentCheckMs ?? SILENT_RUN_CHECK_MS;
    this._project = options.project ?? null;
    this._events?.connect(this._onEvent, this);
  }

  /**
   * Id of the project shown.
   */
  readonly projectId: string;

  /**
   * Emitted whenever anything shown changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get project(): IProject | null {
    return this._project;
  }

  get dag(): IDag | null {
    return this._dag;
  }

  get statuses(): IStatusState {
    return this._statuses;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): string | null {
    return this._error;
  }

  get selectedId(): string | null {
    return this._selectedId;
  }

  /**
   * The last fetched details of the followed run.
   */
  get run(): IRun | null {
    return this._run;
  }

  /**
   * The result of a block in the last fetched run, if it ran there.
   */
  blockResult(cellId: string): IRunBlock | null {
    const find = (run: IRun | null | undefined) =>
      run?.blocks?.find(block => block.block_id === cellId) ?? null;
    const inFollowed = find(this._run);
    if (inFollowed) {
      return inFollowed;
    }
    // Not in the followed run: the block's own most recent run, if loaded.
    const lastRunId = this._lastRunIdOf(cellId);
    return lastRunId ? find(this._runCache.get(lastRunId)) : null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearSilentCheck();
    this._events?.disconnect(this._onEvent, this);
    Signal.clearData(this);
  }

  /**
   * Fetch the project (for its name) and its DAG.
   */
  async refresh(): Promise<void> {
    this._loading = true;
    this._changed.emit();
    try {
      if (!this._project) {
        this._project = await this._api
          .getProject(this.projectId)
          .catch(() => null);
      }
      const dag = await this._api.getDag(this.projectId);
      if (this._isDisposed) {
        return;
      }
      this._dag = dag;
      this._error = null;
      this._dispatch({ type: 'dag', dag });
      if (this._statuses.runId === null) {
        // Statuses and outputs of the last run, if the project has one.
        await this._loadLastRun();
      }
    } catch (error) {
      this._error = describeError(error);
    } finally {
      this._loading = false;
      if (!this._isDisposed) {
        this._changed.emit();
      }
    }
  }

  /**
   * Start a run of the whole DAG.
   */
  async runAll(): Promise<void> {
    try {
      const created = await this._api.startRun(this.projectId, 'all');
      this._error = null;
      const codeIds = (this._dag?.nodes ?? [])
        .filter(node => node.cell_type === 'code')
        .map(node => node.id);
      this._dispatch({
        type: 'run-started',
        runId: created.id,
        status: created.status,
        blockIds: codeIds
      });
      this._scheduleSilentCheck();
    } catch (error) {
      this._error = describeError(error);
      this._changed.emit();
    }
  }

  /**
   * Select a node (or none), fetching the followed run's results if needed.
   */
  select(cellId: string | null): void {
    if (this._selectedId === cellId) {
      return;
    }
    this._selectedId = cellId;
    this._changed.emit();
    if (!cellId) {
      return;
    }
    const runId = this._statuses.runId;
    if (runId && (!this._run || this._run.id !== runId)) {
      void this.reconcile(runId);
      return;
    }
    const lastRunId = this._lastRunIdOf(cellId);
    if (
      lastRunId &&
      !this.blockResult(cellId) &&
      !this._runCache.has(lastRunId)
    ) {
      void this._loadRun(lastRunId);
    }
  }

  /**
   * Fetch a run and fold its final statuses in (events may have been lost).
   */
  async reconcile(runId: string): Promise<void> {
    try {
      const run = await this._api.getRun(runId);
      if (this._isDisposed) {
        return;
      }
      this._cache(run);
      if (run.id === this._statuses.runId || !this._run) {
        this._run = run;
        this._changed.emit();
      }
      this._dispatch({ type: 'reconcile', run });
      if (isTerminalRunStatus(run.status)) {
        this._clearSilentCheck();
      } else {
        this._scheduleSilentCheck();
      }
    } catch (error) {
      console.warn(`notebook_dag: cannot fetch run ${runId}`, error);
    }
  }

  private _onEvent(_: unknown, emission: { [key: string]: unknown }): void {
    const event = parseRunEvent(emission);
    if (!event || event.project_id !== this.projectId || this._isDisposed) {
      return;
    }
    const before = this._statuses;
    this._dispatch({ type: 'event', event });
    if (before === this._statuses) {
      return; // late event of a finished run
    }
    if (event.kind === 'run' && isTerminalRunStatus(event.status)) {
      this._clearSilentCheck();
      // Final statuses and outputs (events may have been lost on the way).
      void this.reconcile(event.run_id);
    } else {
      this._scheduleSilentCheck();
    }
  }

  private async _loadLastRun(): Promise<void> {
    let runs: IRun[] = [];
    try {
      runs = await this._api.listRuns(this.projectId, 1);
    } catch (error) {
      console.warn('notebook_dag: cannot list the runs', error);
      return;
    }
    if (runs.length > 0 && !this._isDisposed && this._statuses.runId === null) {
      await this.reconcile(runs[0].id);
    }
  }

  /**
   * Load a run only for the outputs it holds (statuses are left alone).
   */
  private async _loadRun(runId: string): Promise<void> {
    try {
      const run = await this._api.getRun(runId);
      if (!this._isDisposed) {
        this._cache(run);
        this._changed.emit();
      }
    } catch (error) {
      console.warn(`notebook_dag: cannot fetch run ${runId}`, error);
    }
  }

  private _cache(run: IRun): void {
    this._runCache.delete(run.id);
    this._runCache.set(run.id, run);
    while (this._runCache.size > RUNS_CACHED) {
      this._runCache.delete(this._runCache.keys().next().value as string);
    }
  }

  private _lastRunIdOf(cellId: string): string | null {
    const node = this._dag?.nodes.find(n => n.id === cellId);
    return node?.last_run_id ?? null;
  }

  private _dispatch(action: StatusAction): void {
    const next = statusReducer(this._statuses, action);
    if (next !== this._statuses) {
      this._statuses = next;
      this._changed.emit();
    }
  }

  private _scheduleSilentCheck(): void {
    this._clearSilentCheck();
    if (this._silentCheckMs <= 0 || this._isDisposed) {
      return;
    }
    this._silentTimer = setTimeout(() => {
      this._silentTimer = null;
      const runId = this._statuses.runId;
      if (runId && isActiveStatus(this._statuses.runStatus)) {
        void this.reconcile(runId);
      }
    }, this._silentCheckMs);
  }

  private _clearSilentCheck(): void {
    if (this._silentTimer !== null) {
      clearTimeout(this._silentTimer);
      this._silentTimer = null;
    }
  }

  private _api: IDagModelApi;
  private _events: EventStream | null;
  private _silentCheckMs: number;
  private _silentTimer: ReturnType<typeof setTimeout> | null = null;
  private _project: IProject | null;
  private _dag: IDag | null = null;
  private _statuses: IStatusState = INITIAL_STATUS_STATE;
  private _run: IRun | null = null;
  private _runCache = new Map<string, IRun>();
  private _selectedId: string | null = null;
  private _loading = false;
  private _error: string | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace DagModel {
  export interface IOptions {
    projectId: string;
    api: IDagModelApi;
    /**
     * The server's event stream; without it statuses change only on refresh.
     */
    events?: EventStream | null;
    project?: IProject | null;
    /**
     * See `SILENT_RUN_CHECK_MS`; 0 disables the check.
     */
    silentCheckMs?: number;
  }
}
