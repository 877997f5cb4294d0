/**
 * What a DAG view gets from JupyterLab (`IDagViewServices`): rendermime, the
 * editor, opening cells and files, the kernels of open notebooks, commands
 * and the datasets its SQL blocks read.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { DatasetsApi } from './datasets';
import { describeError } from './handler';
import type { DagViewMounts } from './mounts';
import { notebookKernels, openCellInNotebook } from './notebooknav';
import { IDagViewServices } from './services';
import type { IDatasetName } from './sqlblocks';

/**
 * The datasets a project's SQL blocks read: its own, else the shared ones.
 */
export function projectDatasetsOf(
  datasetsApi: DatasetsApi
): (projectId: string) => Promise<readonly IDatasetName[]> {
  return async (projectId: string) => {
    const own = await datasetsApi.list({ project_id: projectId, limit: 20 });
    if (own.datasets.length) {
      return own.datasets;
    }
    return (await datasetsApi.list({ limit: 100 })).datasets;
  };
}

export function createViewServices(
  app: JupyterFrontEnd,
  options: {
    mounts: DagViewMounts;
    rendermime: IRenderMimeRegistry | null;
    editorServices: IEditorServices | null;
    docManager: IDocumentManager | null;
    datasets: (projectId: string) => Promise<readonly IDatasetName[]>;
  }
): IDagViewServices {
  const { docManager } = options;
  const openFile = (path: string) =>
    docManager
      ? docManager.openOrReveal(path)
      : app.commands.execute('docmanager:open', { path });
  return {
    serverSettings: app.serviceManager.serverSettings,
    commands: app.commands,
    datasets: options.datasets,
    rendermime: options.rendermime,
    editorServices: options.editorServices,
    openCell: async (path, cellId) => {
      try {
        const found = await openCellInNotebook(app, docManager, path, cellId);
        if (!found) {
          await showErrorMessage(
            'Open in notebook',
            `No cell with id ${cellId} in ${path}.`
          );
        }
      } catch (error) {
        await showErrorMessage('Open in notebook', describeError(error));
      }
    },
    openFile: async path => openFile(path),
    kernelChoices: path => notebookKernels(app.serviceManager.sessions, path),
    mounts: options.mounts
  };
}
