/**
 * JupyterLab services a DAG view uses, all optional (the view degrades to
 * plain text outputs and a read-only source without them).
 */
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { ServerConnection } from '@jupyterlab/services';

import { IDagMounts } from './mounts';
import type { IDatasetName } from './sqlblocks';

/**
 * A kernel runs can go to.
 */
export interface IKernelChoice {
  /**
   * Kernel id (`''` for the project's own kernel).
   */
  id: string;
  label: string;
}

export interface IDagViewServices {
  serverSettings?: ServerConnection.ISettings;
  /**
   * Renders outputs as JupyterLab does.
   */
  rendermime?: IRenderMimeRegistry | null;
  /**
   * Creates the side editor of a block's source.
   */
  editorServices?: IEditorServices | null;
  /**
   * Open the notebook, scroll to a cell and make it active.
   */
  openCell?: (notebookPath: string, cellId: string) => Promise<void>;
  /**
   * Kernels the runs can go to, besides the project's own: the notebook's
   * live session kernel.
   */
  kernelChoices?: (notebookPath: string) => Promise<IKernelChoice[]>;
  /**
   * Open a file of the contents manager in JupyterLab (a block's artifact).
   */
  openFile?: (path: string) => Promise<unknown>;
  /**
   * Save a file to the user's disk.
   */
  download?: (filename: string, blob: Blob) => void;
  mounts?: IDagMounts;
  /**
   * Runs JupyterLab commands: the view's "Add code block" / "Add SQL block"
   * buttons run the registered commands (without it they act directly).
   */
  commands?: {
    execute(
      id: string,
      args?: { [key: string]: string | null }
    ): Promise<unknown>;
  };
  /**
   * The datasets a project's SQL blocks may read, newest first (the SQL
   * block template reads the first).
   */
  datasets?: (projectId: string) => Promise<readonly IDatasetName[]>;
}
