import { ServerConnection } from '@jupyterlab/services';

import { ApiError, requestAPI } from './handler';
import {
  IDag,
  IProject,
  IProjectList,
  IRun,
  IRunCreated,
  IRunList
} from './types';

/**
 * Typed calls of the notebook_dag REST API.
 */
export class DagApi {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this.settings = settings;
  }

  readonly settings: ServerConnection.ISettings;

  /**
   * The projects attached to a notebook.
   */
  async listProjects(notebookPath: string): Promise<IProject[]> {
    const query = `projects?notebook_path=${encodeURIComponent(notebookPath)}`;
    const answer = await this._request<IProjectList>(query);
    return answer?.projects ?? [];
  }

  /**
   * One project, by id.
   */
  getProject(projectId: string): Promise<IProject> {
    return this._request<IProject>(`projects/${encodeURIComponent(projectId)}`);
  }

  /**
   * Create a project for a notebook.
   */
  createProject(name: string, notebookPath: string): Promise<IProject> {
    return this._request<IProject>('projects', {
      method: 'POST',
      body: JSON.stringify({ name, notebook_path: notebookPath })
    });
  }

  /**
   * The project of a notebook, created if the notebook has none yet.
   */
  async findOrCreateProject(notebookPath: string): Promise<IProject> {
    const projects = await this.listProjects(notebookPath);
    const exact = projects.find(p => p.notebook_path === notebookPath);
    if (exact || projects.length > 0) {
      return exact ?? projects[0];
    }
    return this.createProject(projectNameFor(notebookPath), notebookPath);
  }

  /**
   * The DAG of a project.
   */
  getDag(projectId: string): Promise<IDag> {
    return this._request<IDag>(`projects/${encodeURIComponent(projectId)}/dag`);
  }

  /**
   * Start a run of a project.
   */
  startRun(projectId: string, mode = 'all'): Promise<IRunCreated> {
    return this._request<IRunCreated>(
      `projects/${encodeURIComponent(projectId)}/runs`,
      { method: 'POST', body: JSON.stringify({ mode }) }
    );
  }

  /**
   * The project's runs, newest first.
   */
  async listRuns(projectId: string, limit = 1): Promise<IRun[]> {
    const answer = await this._request<IRunList>(
      `projects/${encodeURIComponent(projectId)}/runs?limit=${limit}`
    );
    return answer?.runs ?? [];
  }

  /**
   * A run with the results of its blocks.
   */
  getRun(runId: string): Promise<IRun> {
    return this._request<IRun>(`runs/${encodeURIComponent(runId)}`);
  }

  private _request<T>(endPoint: string, init: RequestInit = {}): Promise<T> {
    return requestAPI<T>(endPoint, init, this.settings);
  }
}

/**
 * The default project name of a notebook: its file name without `.ipynb`.
 */
export function projectNameFor(notebookPath: string): string {
  const base = notebookPath.split('/').pop() || notebookPath;
  return base.replace(/\.ipynb$/i, '') || base;
}

export { ApiError };
