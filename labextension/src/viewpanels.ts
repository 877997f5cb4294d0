/**
 * The DAG views of the main area: finds, opens (beside the notebook when it
 * is open) and restores them; one view per project.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  MainAreaWidget,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { DagApi } from './api';
import { describeError } from './handler';
import { dagIcon } from './icons';
import { DagModel, EventStream } from './model';
import { OpenNotebookEdits } from './notebook/docedits';
import { resolveProject } from './notebook/projectchoice';
import { askProject } from './notebook/projectdialog';
import { NotebookSync } from './notebook/sync';
import { IDagViewServices } from './services';
import { IProject } from './types';
import { DagWidget } from './widget';

/**
 * Tracker namespace (also the restorer's).
 */
export const TRACKER_NAMESPACE = 'notebook-dag';

export type DagPanel = MainAreaWidget<DagWidget>;

function panelLabel(project: IProject | null): string {
  return project?.name ? `DAG: ${project.name}` : 'DAG';
}

export interface IDagViewPanelsOptions {
  app: JupyterFrontEnd;
  api: DagApi;
  services: IDagViewServices;
  notebooks: INotebookTracker | null;
  /** the open notebooks' content, sent to the server as typed */
  sync: NotebookSync | null;
  /** DAG-view edits of an open notebook go into it */
  openNotebooks: OpenNotebookEdits | null;
  /** resolves once the views' options are loaded */
  ready: Promise<unknown>;
}

/**
 * What the command "Open DAG view" takes: a project, or a notebook whose
 * project is found or created (default: the current notebook).
 */
export interface IOpenArgs {
  projectId?: unknown;
  notebookPath?: unknown;
}

export class DagViewPanels {
  constructor(private readonly _options: IDagViewPanelsOptions) {}

  readonly tracker = new WidgetTracker<DagPanel>({
    namespace: TRACKER_NAMESPACE
  });

  /**
   * The open view of `projectId`.
   */
  find(projectId: string): DagPanel | undefined {
    return this.tracker.find(
      panel => panel.content.model.projectId === projectId
    );
  }

  /**
   * The model of the view of `projectId`, or of the current view (null).
   */
  modelOf(projectId: string | null): DagModel | null {
    const panel = projectId ? this.find(projectId) : this.tracker.currentWidget;
    return panel?.content.model ?? null;
  }

  /**
   * Reload the views of the notebook at `path`.
   */
  refreshNotebook(path: string): void {
    this.tracker.forEach(panel => {
      const model = panel.content.model;
      if (model.project?.notebook_path === path) {
        void model.refresh();
      }
    });
  }

  /**
   * Show the view of a project or notebook (one open at a time per target);
   * undefined when the user cancelled or it failed (the user was told).
   */
  open(args: IOpenArgs): Promise<DagPanel | undefined> {
    const key = String(
      args.projectId ??
        args.notebookPath ??
        this._options.notebooks?.currentWidget?.context.path ??
        ''
    );
    const running = this._pending.get(key);
    if (running) {
      return running;
    }
    const promise = this._open(args).finally(() => this._pending.delete(key));
    this._pending.set(key, promise);
    return promise;
  }

  private async _open(args: IOpenArgs): Promise<DagPanel | undefined> {
    const { api, notebooks } = this._options;
    const projectId =
      typeof args.projectId === 'string' ? args.projectId : null;
    let notebookPath =
      typeof args.notebookPath === 'string' ? args.notebookPath : null;
    if (!projectId && !notebookPath && notebooks?.currentWidget) {
      notebookPath = notebooks.currentWidget.context.path;
    }
    const ref =
      (notebookPath &&
        notebooks?.find(p => p.context.path === notebookPath)?.id) ||
      null;
    if (!projectId && !notebookPath) {
      await showErrorMessage(
        'Open DAG view',
        'Open or select a notebook first.'
      );
      return undefined;
    }
    try {
      if (projectId) {
        return await this._show(projectId, null, ref);
      }
      const project = await resolveProject(api, notebookPath!, askProject);
      if (!project) {
        return undefined; // the user cancelled the choice
      }
      return await this._show(project.id, project, ref);
    } catch (error) {
      console.error('notebook_dag: cannot open the DAG view', error);
      await showErrorMessage('Cannot open the DAG view', describeError(error));
      return undefined;
    }
  }

  private async _show(
    projectId: string,
    project: IProject | null,
    ref: string | null
  ): Promise<DagPanel> {
    const { app, api, sync } = this._options;
    const existing = this.find(projectId);
    if (existing) {
      if (!existing.isAttached) {
        app.shell.add(existing, 'main');
      }
      app.shell.activateById(existing.id);
      void api.markOpened(projectId).catch(() => undefined);
      return existing;
    }
    if (!project) {
      project = await api.getProject(projectId).catch(() => null);
    }
    await this._options.ready;
    const panel = this._newPanel(projectId, project);
    await this.tracker.add(panel);
    app.shell.add(
      panel,
      'main',
      ref ? { ref, mode: 'split-right' } : undefined
    );
    app.shell.activateById(panel.id);
    if (sync && project?.notebook_path) {
      // An open notebook is sent first: the first load shows the editor's.
      await sync.prepare(projectId, project.notebook_path);
    }
    void panel.content.model.refresh();
    void api
      .markOpened(projectId)
      .catch(error =>
        console.warn('notebook_dag: cannot record the opening', error)
      );
    return panel;
  }

  private _newPanel(projectId: string, project: IProject | null): DagPanel {
    const { app, api, services, openNotebooks } = this._options;
    const model = new DagModel({
      notebooks: openNotebooks,
      projectId,
      api,
      events: app.serviceManager.events.stream as unknown as EventStream,
      project
    });
    const panel = new MainAreaWidget({
      content: new DagWidget(model, services)
    });
    panel.id = `notebook-dag-${projectId}`;
    panel.addClass('jp-NotebookDag-panelWidget');
    panel.title.icon = dagIcon;
    panel.title.closable = true;
    panel.title.label = panelLabel(project);
    panel.title.caption = project?.notebook_path ?? projectId;
    model.changed.connect(() => {
      panel.title.label = panelLabel(model.project);
      if (model.project?.notebook_path) {
        panel.title.caption = `DAG of ${model.project.notebook_path}`;
      }
    });
    return panel;
  }

  private readonly _pending = new Map<string, Promise<DagPanel | undefined>>();
}
