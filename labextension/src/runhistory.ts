/**
 * The run history of a project: pages of past runs and the details of the
 * ones the user opens.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DagApi } from './api';
import { describeError } from './handler';
import { IRun, IRunCreated } from './types';

export type IRunHistoryApi = Pick<
  DagApi,
  'queryRuns' | 'getRun' | 'retryRun' | 'cancelRun'
>;

/**
 * How many fetched runs are kept for their outputs.
 */
export const RUNS_CACHED = 8;

/**
 * The last fetched runs (with their outputs), least recently added out first.
 */
export class RunCache {
  constructor(readonly size = RUNS_CACHED) {}

  get(runId: string): IRun | undefined {
    return this._runs.get(runId);
  }

  has(runId: string): boolean {
    return this._runs.has(runId);
  }

  add(run: IRun): void {
    this._runs.delete(run.id);
    this._runs.set(run.id, run);
    while (this._runs.size > this.size) {
      this._runs.delete(this._runs.keys().next().value as string);
    }
  }

  private _runs = new Map<string, IRun>();
}

/**
 * How many runs a page of the history holds.
 */
export const HISTORY_PAGE = 20;

export class RunHistory {
  constructor(projectId: string, api: IRunHistoryApi) {
    this.projectId = projectId;
    this._api = api;
  }

  readonly projectId: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get runs(): ReadonlyArray<IRun> {
    return this._runs;
  }

  get total(): number {
    return this._total;
  }

  get loading(): boolean {
    return this._loading;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get error(): string | null {
    return this._error;
  }

  /**
   * Details (with per-block results) of a run, once fetched.
   */
  details(runId: string): IRun | null {
    return this._details.get(runId) ?? null;
  }

  get expanded(): ReadonlySet<string> {
    return this._expanded;
  }

  /**
   * Load (or reload) the first pages shown.
   */
  async load(): Promise<void> {
    this._loading = true;
    this._changed.emit();
    try {
      const limit = Math.max(HISTORY_PAGE, this._runs.length);
      const page = await this._api.queryRuns(this.projectId, limit, 0);
      this._runs = page.runs ?? [];
      this._total = page.total ?? this._runs.length;
      this._error = null;
      this._loaded = true;
      // Expanded runs still under way (or just ended): fetch them again.
      for (const id of this._expanded) {
        const run = this._runs.find(r => r.id === id);
        const known = this._details.get(id);
        if (run && (!known || known.status !== run.status)) {
          void this._fetch(id);
        }
      }
    } catch (error) {
      this._error = describeError(error);
    } finally {
      this._loading = false;
      this._changed.emit();
    }
  }

  /**
   * Load the next page.
   */
  async more(): Promise<void> {
    if (this._runs.length >= this._total) {
      return;
    }
    try {
      const page = await this._api.queryRuns(
        this.projectId,
        HISTORY_PAGE,
        this._runs.length
      );
      const known = new Set(this._runs.map(run => run.id));
      this._runs = [
        ...this._runs,
        ...(page.runs ?? []).filter(run => !known.has(run.id))
      ];
      this._total = page.total ?? this._total;
    } catch (error) {
      this._error = describeError(error);
    }
    this._changed.emit();
  }

  /**
   * Show or hide the per-block results of a run.
   */
  toggle(runId: string): void {
    if (this._expanded.has(runId)) {
      this._expanded.delete(runId);
    } else {
      this._expanded.add(runId);
      if (!this._details.has(runId)) {
        void this._fetch(runId);
      }
    }
    this._changed.emit();
  }

  /**
   * Re-run what did not succeed in a run.
   */
  async retry(runId: string): Promise<IRunCreated | null> {
    try {
      const created = await this._api.retryRun(runId);
      this._error = null;
      await this.load();
      return created;
    } catch (error) {
      this._error = describeError(error);
      this._changed.emit();
      return null;
    }
  }

  /**
   * Cancel a run under way.
   */
  async cancel(runId: string): Promise<void> {
    try {
      await this._api.cancelRun(runId);
      this._error = null;
    } catch (error) {
      this._error = describeError(error);
    }
    this._changed.emit();
  }

  /**
   * Fold a run the view fetched anyway (e.g. the followed one).
   */
  remember(run: IRun): void {
    this._details.set(run.id, run);
    const i = this._runs.findIndex(r => r.id === run.id);
    if (i >= 0) {
      const { blocks, ...summary } = run;
      void blocks;
      this._runs = [
        ...this._runs.slice(0, i),
        { ...this._runs[i], ...summary },
        ...this._runs.slice(i + 1)
      ];
    }
    this._changed.emit();
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private async _fetch(runId: string): Promise<void> {
    try {
      const run = await this._api.getRun(runId);
      this._details.set(runId, run);
    } catch (error) {
      this._error = describeError(error);
    }
    this._changed.emit();
  }

  private _api: IRunHistoryApi;
  private _runs: IRun[] = [];
  private _total = 0;
  private _loading = false;
  private _loaded = false;
  private _error: string | null = null;
  private _details = new Map<string, IRun>();
  private _expanded = new Set<string>();
  private _changed = new Signal<this, void>(this);
}
