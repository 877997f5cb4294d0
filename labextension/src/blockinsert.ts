/**
 * Insert a code block into a project's notebook from outside its DAG view
 * (the datasets tab's "Add to project"), following the live-document rule:
 * when the notebook is open in this JupyterLab the cell goes into the open
 * notebook's model (unsaved, as if typed there; see notebook/docedits.ts);
 * otherwise `POST /projects/{id}/blocks` writes it (into the file, or the
 * shared document with jupyter-collaboration). A 409 `open_in_editor` (the
 * notebook was opened meanwhile) falls back to the open notebook.
 */
import { ServerConnection } from '@jupyterlab/services';

import { isOpenInEditor } from './edits';
import { requestAPI } from './handler';
import type { IOpenNotebooks } from './notebook/docedits';
import { IBlock, IProject, IProjectList } from './types';

const enc = encodeURIComponent;

/**
 * Where a block went.
 */
export interface IInsertedBlock {
  projectId: string;
  notebookPath: string;
  /** The new cell's id. */
  blockId: string;
  /** `notebook`: the open notebook (unsaved); `server`: by the REST API. */
  where: 'notebook' | 'server';
}

/**
 * The REST calls an insertion needs (tests pass a fake).
 */
export interface IBlockInsertApi {
  /** The requesting user's projects, most recently updated first. */
  listProjects(): Promise<IProject[]>;
  /** The project's blocks (cells) in notebook order. */
  listBlocks(projectId: string): Promise<IBlock[]>;
  /** `POST /projects/{id}/blocks`: a code cell after `after` (end: null). */
  createBlock(
    projectId: string,
    body: { source: string; after: string | null }
  ): Promise<IBlock>;
}

/**
 * `IBlockInsertApi` over the server extension's REST API.
 */
export class BlockInsertApi implements IBlockInsertApi {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  async listProjects(): Promise<IProject[]> {
    const list = await requestAPI<IProjectList>(
      'projects?sort=-updated&limit=500',
      {},
      this.settings
    );
    return list?.projects ?? [];
  }

  async listBlocks(projectId: string): Promise<IBlock[]> {
    const list = await requestAPI<{ blocks: IBlock[] }>(
      `projects/${enc(projectId)}/blocks`,
      {},
      this.settings
    );
    return list?.blocks ?? [];
  }

  createBlock(
    projectId: string,
    body: { source: string; after: string | null }
  ): Promise<IBlock> {
    const payload: { [key: string]: unknown } = {
      source: body.source,
      cell_type: 'code'
    };
    if (body.after) {
      payload.after = body.after;
    }
    return requestAPI<IBlock>(
      `projects/${enc(projectId)}/blocks`,
      { method: 'POST', body: JSON.stringify(payload) },
      this.settings
    );
  }
}

/**
 * Insert `source` as a code cell after `afterId` (at the end when `null`)
 * in `project`'s notebook: the open notebook when it is open here, else by
 * the REST API.
 *
 * @throws the REST API's error, or an `Error` when the notebook is open in
 *   another JupyterLab (the server refuses REST edits then)
 */
export async function insertBlock(
  api: IBlockInsertApi,
  notebooks: IOpenNotebooks | null,
  project: Pick<IProject, 'id' | 'notebook_path'>,
  afterId: string | null,
  source: string
): Promise<IInsertedBlock> {
  const path = project.notebook_path;
  const done = (blockId: string, where: IInsertedBlock['where']) => ({
    projectId: project.id,
    notebookPath: path,
    blockId,
    where
  });
  const inNotebook = async (): Promise<IInsertedBlock | null> => {
    if (!notebooks || !path || !notebooks.isOpen(path)) {
      return null;
    }
    const id = await notebooks.insertCode(path, afterId, source);
    return id ? done(id, 'notebook') : null;
  };
  const local = await inNotebook();
  if (local) {
    return local;
  }
  try {
    const block = await api.createBlock(project.id, { source, after: afterId });
    return done(block.id, 'server');
  } catch (error) {
    if (!isOpenInEditor(error)) {
      throw error;
    }
    // Opened meanwhile here, or open in another window.
    const opened = await inNotebook();
    if (opened) {
      return opened;
    }
    throw new Error(
      `${path} is open in another JupyterLab window: add the block there.`
    );
  }
}

/**
 * What the datasets tab needs to add blocks to projects.
 */
export interface IBlockInserter {
  readonly api: IBlockInsertApi;
  insert(
    project: Pick<IProject, 'id' | 'notebook_path'>,
    afterId: string | null,
    source: string
  ): Promise<IInsertedBlock>;
  /** Open (or show) the project's DAG view. */
  openDag?(projectId: string): void;
}

/**
 * `IBlockInserter` over the REST API and the open notebooks.
 */
export class BlockInserter implements IBlockInserter {
  constructor(options: {
    api?: IBlockInsertApi;
    notebooks?: IOpenNotebooks | null;
    openDag?: (projectId: string) => void;
  }) {
    this.api = options.api ?? new BlockInsertApi();
    this._notebooks = options.notebooks ?? null;
    if (options.openDag) {
      this.openDag = options.openDag;
    }
  }

  readonly api: IBlockInsertApi;
  openDag?: (projectId: string) => void;

  insert(
    project: Pick<IProject, 'id' | 'notebook_path'>,
    afterId: string | null,
    source: string
  ): Promise<IInsertedBlock> {
    return insertBlock(this.api, this._notebooks, project, afterId, source);
  }

  private _notebooks: IOpenNotebooks | null;
}
