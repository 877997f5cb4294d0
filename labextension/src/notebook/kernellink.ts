/**
 * The link between an open notebook and its notebook_dag project: the DAG
 * states of its cells in the notebook's session kernel, kept live from run
 * events, and the results of runs on that kernel written into its cells.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { DagApi } from '../api';
import { ApiError } from '../handler';
import type { EventStream } from '../model';
import {
  IDag,
  IProject,
  IRunCreated,
  IRunRequest,
  isTerminalRunStatus,
  parseKernelEvent,
  parseRunEvent
} from '../types';
import { CellDagState, cellStates } from './cellstate';
import { cellUpdates, writeCellUpdates } from './kerneloutputs';

/**
 * The calls the link makes.
 */
export type ILinkApi = Pick<
  DagApi,
  'queryProjects' | 'getDag' | 'getRun' | 'startRun'
>;

/**
 * Milliseconds after the last edit before the states are refreshed.
 */
export const EDIT_DEBOUNCE_MS = 500;

const ENDED = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export class NotebookDagLink implements IDisposable {
  constructor(options: NotebookDagLink.IOptions) {
    this.panel = options.panel;
    this._api = options.api;
    this._events = options.events ?? null;
    this._debounceMs = options.debounceMs ?? EDIT_DEBOUNCE_MS;
    this._events?.connect(this._onEvent, this);
    const session = this.panel.sessionContext;
    session.kernelChanged.connect(this._onKernelChanged, this);
    session.statusChanged.connect(this._onStatus, this);
    this.panel.context.fileChanged.connect(this._onSaved, this);
    this.panel.context.pathChanged.connect(this._onPath, this);
    void this.panel.context.ready.then(() => {
      if (!this._isDisposed) {
        this.panel.model?.contentChanged.connect(this._onContent, this);
        void this.lookup();
      }
    });
  }

  readonly panel: NotebookPanel;

  /**
   * Emitted when the project, the DAG or the cell states change.
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

  /**
   * The kernel of the notebook's session (where the notebook's runs go).
   */
  get kernelId(): string | null {
    return this.panel.sessionContext.session?.kernel?.id ?? null;
  }

  /**
   * The DAG state of each code cell, by cell id (empty without a project).
   */
  get states(): { readonly [cellId: string]: CellDagState } {
    return this._states;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Find the notebook's project (none: nothing is shown; no project is
   * created), then its DAG.
   */
  async lookup(): Promise<void> {
    const path = this.panel.context.path;
    let project: IProject | null = null;
    try {
      const answer = await this._api.queryProjects({ notebook_path: path });
      const projects = answer?.projects ?? [];
      project = projects.find(p => p.notebook_path === path) ?? null;
    } catch (error) {
      console.warn(`notebook_dag: cannot find the project of ${path}`, error);
    }
    if (this._isDisposed || path !== this.panel.context.path) {
      return;
    }
    if (project?.id !== this._project?.id) {
      this._project = project;
      this._dag = null;
      this._live.clear();
      this._states = {};
      this._changed.emit();
    }
    if (project) {
      await this.refresh();
    }
  }

  /**
   * Fetch the DAG with the states in the notebook's kernel.
   */
  async refresh(): Promise<void> {
    const project = this._project;
    if (!project || this._isDisposed) {
      return;
    }
    const serial = ++this._serial;
    let dag: IDag;
    try {
      try {
        dag = await this._api.getDag(project.id, false, this.kernelId);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) {
          throw error;
        }
        dag = await this._api.getDag(project.id, false, null); // kernel gone
      }
    } catch (error) {
      console.warn('notebook_dag: cannot load the DAG', error);
      return;
    }
    if (serial !== this._serial || this._isDisposed) {
      return; // a newer refresh is under way
    }
    this._dag = dag;
    this._fetchedSources = this._signature();
    this._recompute();
  }

  /**
   * Start a run of the project (the caller chooses the kernel); its results
   * are written into the cells when it runs on the notebook's kernel.
   */
  async startRun(request: IRunRequest): Promise<IRunCreated> {
    if (!this._project) {
      throw new Error('This notebook has no DAG project.');
    }
    const created = await this._api.startRun(this._project.id, request);
    this._runKernels.set(created.id, request.kernel_id ?? null);
    return created;
  }

  /**
   * Write the outputs of each code cell's last run into the notebook (runs
   * on the project's kernel are not written by themselves).
   *
   * @returns how many cells were written
   */
  async showLastOutputs(): Promise<number> {
    await this.refresh();
    const byRun = new Map<string, Set<string>>();
    for (const node of this._dag?.nodes ?? []) {
      if (node.cell_type === 'code' && node.last_run_id) {
        const ids = byRun.get(node.last_run_id) ?? new Set<string>();
        ids.add(node.id);
        byRun.set(node.last_run_id, ids);
      }
    }
    let count = 0;
    for (const [runId, ids] of byRun) {
      const run = await this._api.getRun(runId);
      const model = this.panel.model;
      if (!model || this._isDisposed) {
        break;
      }
      const updates = cellUpdates(run, new Set(), ids);
      count += writeCellUpdates(model, updates, this._dagSources()).length;
    }
    return count;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    this._events?.disconnect(this._onEvent, this);
    Signal.clearData(this);
  }

  // ---- internals -----------------------------------------------------------

  private _onEvent(_: unknown, emission: { [key: string]: unknown }): void {
    const changed = parseKernelEvent(emission);
    if (
      changed &&
      this._project &&
      changed.project_id === this._project.id &&
      changed.kernel_id === this.kernelId
    ) {
      // a cell was run by hand here: the server recorded it, reload the states
      void this.refresh();
      return;
    }
    const event = parseRunEvent(emission);
    if (!event || !this._project || event.project_id !== this._project.id) {
      return;
    }
    const runId = event.run_id;
    const kernel = this._runKernels.get(runId);
    const ours = kernel === undefined || kernel === this.kernelId;
    if (event.kind === 'block' && event.block_id && ours) {
      const live = this._live.get(runId) ?? {};
      this._live.set(runId, { ...live, [event.block_id]: event.status });
      this._recompute();
    }
    if (event.kind === 'run' && isTerminalRunStatus(event.status)) {
      void this._syncRun(runId).then(() => {
        this._written.delete(runId);
        return this.refresh().then(() => {
          this._live.delete(runId);
          this._recompute();
        });
      });
    } else if (
      kernel === undefined ||
      (ours && event.kind === 'block' && ENDED.includes(event.status))
    ) {
      void this._syncRun(runId);
    }
  }

  /**
   * Fetch a run and write what it executed since into the cells, when it
   * runs on the notebook's kernel; calls made meanwhile fetch once more.
   */
  private _syncRun(runId: string): Promise<void> {
    let sync = this._syncs.get(runId);
    if (!sync) {
      sync = { pending: false, promise: null };
      this._syncs.set(runId, sync);
    }
    const state = sync;
    state.pending = true;
    if (!state.promise) {
      state.promise = (async () => {
        while (state.pending && !this._isDisposed) {
          state.pending = false;
          await this._writeRun(runId);
        }
        state.promise = null;
        this._syncs.delete(runId);
      })();
    }
    return state.promise;
  }

  private async _writeRun(runId: string): Promise<void> {
    let run;
    try {
      run = await this._api.getRun(runId);
    } catch (error) {
      console.warn(`notebook_dag: cannot fetch run ${runId}`, error);
      return;
    }
    this._runKernels.set(runId, run.kernel_id ?? null);
    const model = this.panel.model;
    if (!model || !run.kernel_id || run.kernel_id !== this.kernelId) {
      return;
    }
    const done = this._written.get(runId) ?? new Set<string>();
    this._written.set(runId, done);
    const updates = cellUpdates(run, done);
    writeCellUpdates(model, updates, this._dagSources());
    for (const update of updates) {
      done.add(update.cellId);
    }
  }

  private _onKernelChanged(): void {
    this._runKernels.clear();
    void this.refresh();
  }

  private _onStatus(_: unknown, status: string): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._restarting = true;
    } else if (status === 'idle' && this._restarting) {
      this._restarting = false;
      void this.refresh(); // the kernel holds nothing any more
    }
  }

  private _onSaved(): void {
    void this.refresh(); // the server reads the saved file
  }

  private _onPath(): void {
    void this.lookup();
  }

  private _onContent(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      if (this._isDisposed || !this._dag) {
        return;
      }
      this._recompute();
      if (this._signature() !== this._fetchedSources) {
        void this.refresh();
      }
    }, this._debounceMs);
  }

  private _sources(): { [cellId: string]: string } {
    const sources: { [cellId: string]: string } = {};
    for (const cell of this.panel.model?.sharedModel.cells ?? []) {
      if (cell.cell_type === 'code') {
        sources[cell.id] = cell.getSource();
      }
    }
    return sources;
  }

  private _signature(): string {
    return JSON.stringify(this._sources());
  }

  private _dagSources(): { [cellId: string]: string } {
    const sources: { [cellId: string]: string } = {};
    for (const node of this._dag?.nodes ?? []) {
      sources[node.id] = node.source;
    }
    return sources;
  }

  private _recompute(): void {
    if (!this._dag || this._isDisposed) {
      return;
    }
    const live: { [cellId: string]: string } = {};
    for (const statuses of this._live.values()) {
      Object.assign(live, statuses);
    }
    this._states = cellStates(this._dag, live, this._sources());
    this._changed.emit();
  }

  private _api: ILinkApi;
  private _events: EventStream | null;
  private _debounceMs: number;
  private _project: IProject | null = null;
  private _dag: IDag | null = null;
  private _states: { [cellId: string]: CellDagState } = {};
  private _live = new Map<string, { [cellId: string]: string }>();
  private _runKernels = new Map<string, string | null>();
  private _written = new Map<string, Set<string>>();
  private _syncs = new Map<
    string,
    { pending: boolean; promise: Promise<void> | null }
  >();
  private _fetchedSources = '';
  private _serial = 0;
  private _restarting = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace NotebookDagLink {
  export interface IOptions {
    panel: NotebookPanel;
    api: ILinkApi;
    events?: EventStream | null;
    debounceMs?: number;
  }
}
