/**
 * The JupyterLab notification shown after "Add to project" added a block,
 * with an "Open DAG view" action.
 */
import { Notification } from '@jupyterlab/apputils';

import type { IInsertedBlock } from '../blockinsert';
import { blockAddedMessage } from './insightsformat';

/**
 * Notify that a block was added; `openDag` gives the "Open DAG view" action.
 */
export function notifyBlockAdded(
  result: IInsertedBlock,
  title: string,
  openDag?: (projectId: string) => void
): string {
  return Notification.success(blockAddedMessage(result, title), {
    autoClose: 10000,
    actions: openDag
      ? [
          {
            label: 'Open DAG view',
            caption: `Show the DAG view of ${result.notebookPath}`,
            callback: () => openDag(result.projectId)
          }
        ]
      : []
  });
}
