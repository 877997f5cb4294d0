/**
 * Runs started from a DAG view: all, stale, or one block with its upstream or
 * downstream — on the project's kernel or the one the user chose (e.g. the
 * notebook's live session), optionally forcing up-to-date blocks to run.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { describeError } from './handler';
import type { DagModel, IDagModelApi } from './model';
import { IRunRequest } from './types';
import { plannedBlocks } from './viewgraph';
import { setViewDefaults, viewDefaults } from './viewoptions';

export class DagRunner {
  constructor(model: DagModel, api: IDagModelApi) {
    this._model = model;
    this._api = api;
    this._parallel = viewDefaults().maxParallel;
  }

  /**
   * Emitted when the kernel choice, `force` or `parallel` changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Kernel the runs go to (`null`: the project's own kernel).
   */
  get kernelId(): string | null {
    return this._kernelId;
  }

  set kernelId(value: string | null) {
    if (this._kernelId !== (value || null)) {
      this._kernelId = value || null;
      this._changed.emit();
    }
  }

  /**
   * Whether the user picked the kernel (then the notebook's session kernel
   * is not followed any more).
   */
  get kernelChosen(): boolean {
    return this._kernelChosen;
  }

  /**
   * The user picks a kernel (`null`: the project's own).
   */
  chooseKernel(value: string | null): void {
    this._kernelChosen = true;
    this.kernelId = value;
  }

  /**
   * The default kernel (the notebook's session kernel) changed: follow it
   * unless the user picked a kernel.
   */
  followKernel(value: string | null): void {
    if (!this._kernelChosen) {
      this.kernelId = value;
    }
  }

  /**
   * Execute blocks even when they are up to date in the kernel.
   */
  get force(): boolean {
    return this._force;
  }

  set force(value: boolean) {
    if (this._force !== value) {
      this._force = value;
      this._changed.emit();
    }
  }

  /**
   * At most this many blocks at once (`null`: the server's default). Independent
   * blocks then run on worker kernels; runs on a chosen kernel are sequential.
   */
  get parallel(): number | null {
    return this._parallel;
  }

  set parallel(value: number | null) {
    const next = value && value >= 1 ? Math.floor(value) : null;
    if (this._parallel !== next) {
      this._parallel = next;
      setViewDefaults({ maxParallel: next });
      this._changed.emit();
    }
  }

  /**
   * Start a run and follow it; `false` (with a notice) when refused.
   */
  async run(
    mode: IRunRequest['mode'],
    blockId?: string | null
  ): Promise<boolean> {
    const model = this._model;
    const request: IRunRequest = { mode };
    if (blockId) {
      request.block_id = blockId;
    }
    if (this._kernelId) {
      request.kernel_id = this._kernelId;
    }
    if (this._force) {
      request.force = true;
    }
    if (this._parallel && !this._kernelId) {
      request.max_parallel = this._parallel;
    }
    try {
      const created = await this._api.startRun(model.projectId, request);
      const planned = model.dag ? plannedBlocks(model.dag, mode, blockId) : [];
      model.follow(created.id, created.status, planned);
      return true;
    } catch (error) {
      model.notify('error', `Cannot start the run: ${describeError(error)}`);
      return false;
    }
  }

  /**
   * Cancel the followed run.
   */
  async cancel(): Promise<void> {
    const model = this._model;
    const runId = model.statuses.runId;
    if (!runId) {
      return;
    }
    try {
      await this._api.cancelRun(runId);
      model.notify('info', 'Cancelling the run…');
    } catch (error) {
      model.notify('error', `Cannot cancel the run: ${describeError(error)}`);
    }
  }

  /**
   * Re-run what did not succeed in a run, and follow the new run.
   */
  async retry(runId: string): Promise<boolean> {
    const model = this._model;
    const created = await model.history.retry(runId);
    if (!created) {
      model.notify('error', model.history.error ?? 'Cannot re-run the run');
      return false;
    }
    model.follow(created.id, created.status);
    return true;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _model: DagModel;
  private _api: IDagModelApi;
  private _kernelId: string | null = null;
  private _kernelChosen = false;
  private _force = false;
  private _parallel: number | null = null;
  private _changed = new Signal<this, void>(this);
}
