/**
 * The model behind one DAG view: the project's DAG, the graph drawn and its
 * layout, live statuses from the server's events, and the actions of the
 * view (runs, edges, positions, source edits).
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { describeError } from './handler';
import {
  EventStream,
  IDagModelApi,
  IDagModelOptions,
  INotice,
  SILENT_RUN_CHECK_MS
} from './modeltypes';
import { PendingCall } from './timers';
import { DagEditor } from './edits';
import { Point } from './layout';
import { RunCache, RunHistory } from './runhistory';
import { ViewRequests } from './viewrequests';
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
  parseKernelEvent,
  parseRunEvent
} from './types';
import { IViewEdge } from './viewgraph';
import { DagRunner } from './runner';
import { DagViewState } from './viewstate';
import { nodeTitle } from './graph';

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export type { EventStream, IDagModelApi, INotice };
export { SILENT_RUN_CHECK_MS };

export class DagModel implements IDisposable {
  constructor(options: DagModel.IOptions) {
    this.projectId = options.projectId;
    this._api = options.api;
    this._events = options.events ?? null;
    this._silentCheck = new PendingCall(
      () => this._checkSilentRun(),
      options.silentCheckMs ?? SILENT_RUN_CHECK_MS
    );
    this._project = options.project ?? null;
    this.viewState = new DagViewState(this.projectId, options.layoutDelay ?? 0);
    this.viewState.changed.connect(this._emit, this);
    this.history = new RunHistory(this.projectId, this._api);
    this.editor = new DagEditor(this, this._api, options.notebooks ?? null);
    this.runner = new DagRunner(this, this._api);
    this.runner.changed.connect(this._onRunnerChanged, this);
    this._events?.connect(this._onEvent, this);
  }

  readonly projectId: string;
  readonly history: RunHistory;
  /** what commands ask of the view (side panel tabs, find) */
  readonly requests = new ViewRequests();
  /**
   * Edges and sources edited from the view.
   */
  readonly editor: DagEditor;
  /**
   * Runs started from the view, on the chosen kernel.
   */
  readonly runner: DagRunner;
  /**
   * The graph drawn, its options and its layout.
   */
  readonly viewState: DagViewState;

  /**
   * Emitted whenever anything shown changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with a cell id when something asks the view to open that
   * block's source editor (e.g. a block just added).
   */
  get editRequested(): ISignal<this, string> {
    return this._editRequested;
  }

  /**
   * Select a block and ask the view to open its source editor.
   */
  requestEdit(cellId: string): void {
    this.select(cellId);
    this._editRequested.emit(cellId);
  }

  get project(): IProject | null {
    return this._project;
  }

  get dag(): IDag | null {
    return this._dag;
  }

  /**
   * When the DAG last arrived (`performance.now()`).
   */
  get dagAt(): number {
    return this._dagAt;
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

  get notice(): INotice | null {
    return this._notice;
  }

  get selectedId(): string | null {
    return this._selectedId;
  }

  get selectedEdgeId(): string | null {
    return this._selectedEdgeId;
  }

  /**
   * The last fetched details of the followed run.
   */
  get followedRun(): IRun | null {
    return this._run;
  }

  get isRunning(): boolean {
    return isActiveStatus(this._statuses.runStatus);
  }

  /**
   * The selected edge of the view, if any.
   */
  get selectedEdge(): IViewEdge | null {
    return this.viewState.edge(this._selectedEdgeId);
  }

  /**
   * A cell's title (or its id) for messages.
   */
  titleOf(cellId: string): string {
    const node = this._dag?.nodes.find(n => n.id === cellId);
    return node ? nodeTitle(node) : cellId;
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
    this.requests.dispose();
    this._silentCheck.clear();
    this._refreshSoon.clear();
    this.viewState.dispose();
    this._events?.disconnect(this._onEvent, this);
    this.history.dispose();
    this.runner.dispose();
    Signal.clearData(this);
  }

  // ---- loading ---------------------------------------------------------------

  /**
   * Fetch the project (for its name) and its DAG.
   */
  async refresh(): Promise<void> {
    const serial = ++this._refreshSerial;
    this._loading = true;
    this._changed.emit();
    try {
      if (!this._project) {
        this._project = await this._api
          .getProject(this.projectId)
          .catch(() => null);
      }
      const getDag = (datasets: boolean) =>
        this._api.getDag(this.projectId, datasets, this.runner.kernelId);
      let dag: IDag;
      if (this.viewState.options.showDatasets) {
        try {
          dag = await getDag(true);
        } catch (error) {
          this.notify(
            'error',
            `Datasets cannot be shown: ${describeError(error)}`
          );
          dag = await getDag(false);
        }
      } else {
        dag = await getDag(false);
      }
      if (this._isDisposed || serial !== this._refreshSerial) {
        return; // (a newer refresh, e.g. for another kernel, wins)
      }
      this._dagAt = now();
      this._dag = dag;
      this._error = null;
      this._dispatch({ type: 'dag', dag });
      this.viewState.setDag(dag);
      if (this._selectedEdgeId && !this.selectedEdge) {
        this._selectedEdgeId = null;
      }
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

  // ---- runs ------------------------------------------------------------------

  /**
   * Start a run of the whole DAG.
   */
  runAll(): Promise<boolean> {
    return this.runner.run('all');
  }

  /**
   * Follow a run just started here: its planned blocks show as queued until
   * its events arrive.
   */
  follow(runId: string, status: string, blockIds: string[] = []): void {
    this._error = null;
    this._dispatch({ type: 'run-started', runId, status, blockIds });
    this._silentCheck.restart();
    this._reloadHistory();
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
      this._runCache.add(run);
      if (run.id === this._statuses.runId || !this._run) {
        this._run = run;
        this._changed.emit();
      }
      this._dispatch({ type: 'reconcile', run });
      if (this.history.loaded) {
        this.history.remember(run);
      }
      if (isTerminalRunStatus(run.status)) {
        this._silentCheck.clear();
      } else {
        this._silentCheck.restart();
      }
    } catch (error) {
      console.warn(`notebook_dag: cannot fetch run ${runId}`, error);
    }
  }

  // ---- selection -------------------------------------------------------------

  /**
   * Select a node (or none), fetching the followed run's results if needed.
   */
  select(cellId: string | null): void {
    if (this._selectedId === cellId && !this._selectedEdgeId) {
      return;
    }
    this._selectedId = cellId;
    this._selectedEdgeId = null;
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
   * Select an edge of the view (or none).
   */
  selectEdge(edgeId: string | null): void {
    if (this._selectedEdgeId === edgeId) {
      return;
    }
    this._selectedEdgeId = edgeId;
    if (edgeId) {
      this._selectedId = null;
    }
    this._changed.emit();
  }

  dismissNotice(): void {
    if (this._notice) {
      this._notice = null;
      this._changed.emit();
    }
  }

  /**
   * Ask the view to show the run history with `runId`'s block results
   * expanded (e.g. from a notification); `historyRequest` changes.
   */
  showRun(runId: string): void {
    if (!this.history.expanded.has(runId)) {
      this.history.toggle(runId);
    }
    void this.history.load();
    this._historyRequest = {
      runId,
      serial: (this._historyRequest?.serial ?? 0) + 1
    };
    this._changed.emit();
  }

  /**
   * The last `showRun` request (its serial grows with each one).
   */
  get historyRequest(): { runId: string; serial: number } | null {
    return this._historyRequest;
  }

  // ---- layout ----------------------------------------------------------------

  /**
   * Show dataset nodes (fetching the DAG with them) or not.
   */
  setShowDatasets(show: boolean): void {
    if (this.viewState.setShowDatasets(show)) {
      void this.refresh();
    }
  }

  /**
   * Place nodes the user moved (at once) and save their positions (one call
   * for all of them).
   */
  async moveNodes(moved: { [id: string]: Point }): Promise<void> {
    await this.savePositions(this.viewState.move(moved));
  }

  /**
   * Save positions already placed with `viewState.move`.
   */
  async savePositions(cells: { [id: string]: Point }): Promise<void> {
    if (Object.keys(cells).length === 0) {
      return;
    }
    try {
      await this._api.savePositions(this.projectId, cells);
    } catch (error) {
      this.notify(
        'error',
        `Cannot save the positions: ${describeError(error)}`
      );
    }
  }

  /**
   * Forget the saved positions: lay everything out automatically again.
   */
  async resetLayout(): Promise<void> {
    const cleared = this.viewState.unpinAll();
    if (Object.keys(cleared).length > 0) {
      try {
        await this._api.savePositions(this.projectId, cleared);
      } catch (error) {
        this.notify(
          'error',
          `Cannot reset the positions: ${describeError(error)}`
        );
      }
    }
  }

  // ---- internals -------------------------------------------------------------

  /**
   * Show a message above the canvas.
   */
  notify(kind: INotice['kind'], text: string): void {
    this._notice = { kind, text, serial: (this._notice?.serial ?? 0) + 1 };
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  /**
   * Block states are per kernel: choosing another kernel reloads the DAG.
   */
  private _onRunnerChanged(): void {
    const kernelId = this.runner.kernelId;
    if (kernelId !== this._statesKernel) {
      this._statesKernel = kernelId;
      void this.refresh();
    }
    this._emit();
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _onEvent(_: unknown, emission: { [key: string]: unknown }): void {
    const changed = parseKernelEvent(emission);
    if (
      changed &&
      changed.project_id === this.projectId &&
      !this._isDisposed &&
      changed.kernel_id === this.runner.kernelId
    ) {
      this._refreshSoon.schedule(); // code run outside the DAG changed the states
      return;
    }
    const event = parseRunEvent(emission);
    if (!event || event.project_id !== this.projectId || this._isDisposed) {
      return;
    }
    const before = this._statuses;
    this._dispatch({ type: 'event', event });
    if (before === this._statuses) {
      return; // late event of a finished run
    }
    if (event.kind === 'run') {
      this._reloadHistory();
    }
    if (event.kind === 'run' && isTerminalRunStatus(event.status)) {
      this._silentCheck.clear();
      // Final statuses and outputs (events may have been lost on the way),
      // then the DAG for the blocks' states and durations.
      void this.reconcile(event.run_id).then(() =>
        this._refreshSoon.schedule()
      );
    } else {
      this._silentCheck.restart();
    }
  }

  private _reloadHistory(): void {
    if (this.history.loaded) {
      void this.history.load();
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
        this._runCache.add(run);
        this._changed.emit();
      }
    } catch (error) {
      console.warn(`notebook_dag: cannot fetch run ${runId}`, error);
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

  /**
   * A followed run was silent for a while: ask the server (lost events).
   */
  private _checkSilentRun(): void {
    const runId = this._statuses.runId;
    if (
      runId &&
      isActiveStatus(this._statuses.runStatus) &&
      !this._isDisposed
    ) {
      void this.reconcile(runId);
    }
  }

  private _api: IDagModelApi;
  private _events: EventStream | null;
  /** a run silent for `silentCheckMs` is fetched */
  private _silentCheck: PendingCall;
  /** triggers within 200 ms make one refresh */
  private _refreshSoon = new PendingCall(() => {
    if (!this._isDisposed) {
      void this.refresh();
    }
  }, 200);
  private _project: IProject | null;
  private _dag: IDag | null = null;
  private _dagAt = 0;
  private _statesKernel: string | null = null;
  private _refreshSerial = 0;
  private _statuses: IStatusState = INITIAL_STATUS_STATE;
  private _run: IRun | null = null;
  private _runCache = new RunCache();
  private _selectedId: string | null = null;
  private _selectedEdgeId: string | null = null;
  private _loading = false;
  private _error: string | null = null;
  private _notice: INotice | null = null;
  private _historyRequest: { runId: string; serial: number } | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _editRequested = new Signal<this, string>(this);
}

export namespace DagModel {
  export type IOptions = IDagModelOptions;
}
