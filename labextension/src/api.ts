import { ServerConnection } from '@jupyterlab/services';

import { ApiError, attachmentName, requestAPI, requestRaw } from './handler';
import {
  IBlock,
  IDag,
  IDagEdge,
  IDatasetNode,
  IDagNode,
  IDocumentAnswer,
  IDocumentBody,
  IEdgeList,
  IProject,
  IProjectCreate,
  IProjectList,
  IProjectQuery,
  IProjectUpdate,
  IRun,
  IRunCreated,
  IRunList,
  IRunRequest,
  ITemplate
} from './types';

/**
 * Formats of `GET projects/{id}/export`.
 */
export type ExportFormat = 'py' | 'ipynb' | 'airflow';

/**
 * A downloaded file.
 */
export interface IDownload {
  filename: string;
  blob: Blob;
}

const enc = encodeURIComponent;

/**
 * The query string of `GET projects` (empty values left out).
 */
export function projectQueryString(query: IProjectQuery): string {
  const parts: string[] = [];
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null || value === '') {
      return;
    }
    parts.push(`${key}=${enc(String(value))}`);
  };
  add('q', query.q?.trim());
  add('tag', query.tag?.trim());
  if (query.favorite) {
    add('favorite', 'true');
  }
  add('sort', query.sort);
  add('limit', query.limit);
  add('offset', query.offset);
  add('notebook_path', query.notebook_path);
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * Split the dataset nodes of `GET dag?datasets=true` from the cell nodes.
 */
export function normalizeDag(raw: IDag): IDag {
  const nodes: IDagNode[] = [];
  const datasets: IDatasetNode[] = [...(raw.datasets ?? [])];
  for (const node of raw.nodes ?? []) {
    if ((node as unknown as { kind?: string }).kind === 'dataset') {
      datasets.push(node as unknown as IDatasetNode);
    } else {
      nodes.push(node);
    }
  }
  const dag: IDag = {
    ...raw,
    nodes,
    edges: raw.edges ?? [],
    order: raw.order ?? []
  };
  if (datasets.length) {
    dag.datasets = datasets;
  } else {
    delete dag.datasets;
  }
  return dag;
}

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

  // ---- projects ------------------------------------------------------------

  /**
   * Search the projects.
   */
  queryProjects(query: IProjectQuery = {}): Promise<IProjectList> {
    return this._request<IProjectList>(`projects${projectQueryString(query)}`);
  }

  /**
   * The projects attached to a notebook.
   */
  async listProjects(notebookPath: string): Promise<IProject[]> {
    const query = `projects?notebook_path=${enc(notebookPath)}`;
    const answer = await this._request<IProjectList>(query);
    return answer?.projects ?? [];
  }

  /**
   * One project, by id.
   */
  getProject(projectId: string): Promise<IProject> {
    return this._request<IProject>(`projects/${enc(projectId)}`);
  }

  /**
   * Create a project for a notebook.
   */
  createProject(
    nameOrBody: string | IProjectCreate,
    notebookPath?: string
  ): Promise<IProject> {
    const body: IProjectCreate =
      typeof nameOrBody === 'string'
        ? { name: nameOrBody, notebook_path: notebookPath ?? '' }
        : nameOrBody;
    return this._request<IProject>('projects', {
      method: 'POST',
      body: JSON.stringify(body)
    });
  }

  /**
   * Rename, describe, tag or star a project.
   */
  updateProject(projectId: string, patch: IProjectUpdate): Promise<IProject> {
    return this._request<IProject>(`projects/${enc(projectId)}`, {
      method: 'PATCH',
      body: JSON.stringify(patch)
    });
  }

  /**
   * Delete a project (its notebook is kept).
   */
  async deleteProject(projectId: string): Promise<void> {
    await this._request<void>(`projects/${enc(projectId)}`, {
      method: 'DELETE'
    });
  }

  /**
   * Copy a project (and its notebook, next to it unless told where).
   */
  duplicateProject(
    projectId: string,
    options: { name?: string; notebook_path?: string } = {}
  ): Promise<IProject> {
    return this._request<IProject>(`projects/${enc(projectId)}/duplicate`, {
      method: 'POST',
      body: JSON.stringify(options)
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
   * The project templates (bundled and configured), by title.
   */
  async listTemplates(): Promise<ITemplate[]> {
    const answer = await this._request<{ templates: ITemplate[] }>('templates');
    return answer.templates;
  }

  /**
   * Record that the requesting user opened the project's DAG view (its
   * notebook's projects then list it first).
   */
  async markOpened(projectId: string): Promise<void> {
    await this._request<void>(`projects/${enc(projectId)}/opened`, {
      method: 'POST'
    });
  }

  // ---- live document -------------------------------------------------------

  /**
   * Send the notebook as the open editor has it: the server reads it instead
   * of the file until `deleteDocument` or its expiry.
   */
  putDocument(
    projectId: string,
    body: IDocumentBody
  ): Promise<IDocumentAnswer> {
    return this._request<IDocumentAnswer>(
      `projects/${enc(projectId)}/document`,
      { method: 'PUT', body: JSON.stringify(body) }
    );
  }

  /**
   * The editor closed: the server reads the file again. `keepalive` lets the
   * request outlive the page (on unload).
   */
  async deleteDocument(projectId: string, keepalive = false): Promise<void> {
    const init: RequestInit = { method: 'DELETE' };
    if (keepalive) {
      init.keepalive = true;
    }
    await this._request<void>(`projects/${enc(projectId)}/document`, init);
  }

  // ---- blocks, edges, DAG --------------------------------------------------

  /**
   * The DAG of a project (with dataset nodes on request).
   */
  async getDag(
    projectId: string,
    datasets = false,
    kernelId?: string | null
  ): Promise<IDag> {
    const params = new URLSearchParams();
    if (datasets) {
      params.set('datasets', 'true');
    }
    if (kernelId) {
      // block states (up to date / stale) in that kernel instead of the project's
      params.set('kernel_id', kernelId);
    }
    const query = params.toString() ? `?${params.toString()}` : '';
    const dag = await this._request<IDag>(
      `projects/${enc(projectId)}/dag${query}`
    );
    return datasets ? normalizeDag(dag) : dag;
  }

  /**
   * Edit a block's source or title; `etag` (the block's ETag, sent as
   * `If-Match`) guards against overwriting someone else's edit (412 with the
   * current block when its source changed since).
   */
  updateBlock(
    projectId: string,
    blockId: string,
    patch: { source?: string; title?: string },
    etag?: string | null
  ): Promise<IBlock> {
    const headers: { [key: string]: string } = {};
    if (etag) {
      headers['If-Match'] = etag;
    }
    return this._request<IBlock>(
      `projects/${enc(projectId)}/blocks/${enc(blockId)}`,
      { method: 'PATCH', body: JSON.stringify(patch), headers }
    );
  }

  /**
   * Insert a cell into the notebook file, after `after` (at the end when
   * absent); 409 `open_in_editor` while the notebook is open in JupyterLab.
   */
  insertBlock(
    projectId: string,
    body: {
      source: string;
      cell_type?: 'code' | 'markdown' | 'raw';
      after?: string | null;
    }
  ): Promise<IBlock> {
    const clean: { [key: string]: string } = { source: body.source };
    if (body.cell_type) {
      clean.cell_type = body.cell_type;
    }
    if (body.after) {
      clean.after = body.after;
    }
    return this._request<IBlock>(`projects/${enc(projectId)}/blocks`, {
      method: 'POST',
      body: JSON.stringify(clean)
    });
  }

  /**
   * Save moved nodes (`null` clears a position) in one call.
   */
  async savePositions(
    projectId: string,
    positions: { [cellId: string]: { x: number; y: number } | null }
  ): Promise<void> {
    await this._request<unknown>(`projects/${enc(projectId)}/positions`, {
      method: 'PUT',
      body: JSON.stringify({ positions })
    });
  }

  /**
   * The manual, inferred, dropped and hidden edges.
   */
  listEdges(projectId: string): Promise<IEdgeList> {
    return this._request<IEdgeList>(`projects/${enc(projectId)}/edges`);
  }

  /**
   * Add a manual edge (409 with `cycle` when it would close a cycle).
   */
  addEdge(
    projectId: string,
    source: string,
    target: string
  ): Promise<IDagEdge> {
    return this._request<IDagEdge>(`projects/${enc(projectId)}/edges`, {
      method: 'POST',
      body: JSON.stringify({ source, target })
    });
  }

  /**
   * Delete a manual edge, or show a hidden one again.
   */
  async deleteEdge(projectId: string, edgeId: string): Promise<void> {
    await this._request<void>(
      `projects/${enc(projectId)}/edges/${enc(edgeId)}`,
      { method: 'DELETE' }
    );
  }

  /**
   * Hide an inferred edge.
   */
  hideEdge(
    projectId: string,
    source: string,
    target: string
  ): Promise<IDagEdge> {
    return this._request<IDagEdge>(`projects/${enc(projectId)}/edges/hidden`, {
      method: 'POST',
      body: JSON.stringify({ source, target })
    });
  }

  // ---- runs ----------------------------------------------------------------

  /**
   * Start a run of a project.
   */
  startRun(
    projectId: string,
    request: IRunRequest | IRunRequest['mode'] = 'all'
  ): Promise<IRunCreated> {
    const body: IRunRequest =
      typeof request === 'string' ? { mode: request } : request;
    const clean: { [key: string]: unknown } = { mode: body.mode };
    if (body.block_id) {
      clean.block_id = body.block_id;
    }
    if (body.kernel_id) {
      clean.kernel_id = body.kernel_id;
    }
    if (body.force) {
      clean.force = true;
    }
    if (body.max_parallel) {
      clean.max_parallel = body.max_parallel;
    }
    return this._request<IRunCreated>(`projects/${enc(projectId)}/runs`, {
      method: 'POST',
      body: JSON.stringify(clean)
    });
  }

  /**
   * The project's runs, newest first.
   */
  async listRuns(projectId: string, limit = 1): Promise<IRun[]> {
    const answer = await this.queryRuns(projectId, limit, 0);
    return answer?.runs ?? [];
  }

  /**
   * A page of the project's runs (without outputs), with the total.
   */
  queryRuns(projectId: string, limit = 20, offset = 0): Promise<IRunList> {
    const query = offset
      ? `?limit=${limit}&offset=${offset}`
      : `?limit=${limit}`;
    return this._request<IRunList>(`projects/${enc(projectId)}/runs${query}`);
  }

  /**
   * A run with the results of its blocks.
   */
  getRun(runId: string): Promise<IRun> {
    return this._request<IRun>(`runs/${enc(runId)}`);
  }

  /**
   * Cancel a run (409 when it already ended).
   */
  async cancelRun(runId: string): Promise<void> {
    await this._request<unknown>(`runs/${enc(runId)}/cancel`, {
      method: 'POST'
    });
  }

  /**
   * A new run of what did not succeed in a run.
   */
  retryRun(runId: string): Promise<IRunCreated> {
    return this._request<IRunCreated>(`runs/${enc(runId)}/retry`, {
      method: 'POST'
    });
  }

  // ---- export --------------------------------------------------------------

  /**
   * Export a project as a file.
   */
  async exportProject(
    projectId: string,
    format: ExportFormat
  ): Promise<IDownload> {
    const response = await requestRaw(
      `projects/${enc(projectId)}/export?format=${format}`,
      {},
      this.settings
    );
    const blob = await response.blob();
    const fallback = format === 'ipynb' ? 'export.ipynb' : 'export.py';
    return {
      filename: attachmentName(
        response.headers?.get('Content-Disposition'),
        fallback
      ),
      blob
    };
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
