/**
 * One kernel by default: the runs of a DAG view go to its notebook's
 * session kernel while the notebook has one, following it as sessions start,
 * change kernel or end, unless the user picked a kernel in the view.
 */
import type { Session } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';

import { notebookKernels } from '../notebooknav';
import type { IKernelChoice } from '../services';
import type { DagPanel, IDagViews } from '../tokens';

/**
 * The kernel runs go to by default: the notebook's first session kernel,
 * else the project's (`null`).
 */
export function defaultKernelId(choices: IKernelChoice[]): string | null {
  return choices.find(choice => !!choice.id)?.id ?? null;
}

export class KernelFollower implements IDisposable {
  constructor(views: IDagViews, sessions: Session.IManager) {
    this._views = views;
    this._sessions = sessions;
    views.tracker.forEach(panel => this._watch(panel));
    views.tracker.widgetAdded.connect((_, panel) => this._watch(panel), this);
    sessions.runningChanged.connect(this._updateAll, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Point a DAG view at its notebook's session kernel (unless the user chose).
   */
  async update(panel: DagPanel): Promise<void> {
    const model = panel.content.model;
    const path = model.project?.notebook_path;
    if (!path || panel.isDisposed || model.runner.kernelChosen) {
      return;
    }
    try {
      const choices = await notebookKernels(this._sessions, path);
      if (!panel.isDisposed) {
        model.runner.followKernel(defaultKernelId(choices));
      }
    } catch (error) {
      console.warn('notebook_dag: cannot list the notebook kernels', error);
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._sessions.runningChanged.disconnect(this._updateAll, this);
  }

  private _watch(panel: DagPanel): void {
    const model = panel.content.model;
    if (model.project?.notebook_path) {
      void this.update(panel);
      return;
    }
    // Opened by project id: the notebook's path comes with the project.
    const onChange = () => {
      if (model.project?.notebook_path || model.isDisposed) {
        model.changed.disconnect(onChange);
        void this.update(panel);
      }
    };
    model.changed.connect(onChange);
  }

  private _updateAll(): void {
    this._views.tracker.forEach(panel => void this.update(panel));
  }

  private _views: IDagViews;
  private _sessions: Session.IManager;
  private _isDisposed = false;
}
