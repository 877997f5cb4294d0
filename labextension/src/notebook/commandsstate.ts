/**
 * What the notebook commands of notebook_dag do and when they are enabled
 * (pure).
 */
import { IRunRequest } from '../types';

/**
 * Command ids.
 */
export namespace NotebookCommandIDs {
  export const runUpstream = 'notebook-dag:run-cell-upstream';
  export const runDownstream = 'notebook-dag:run-cell-downstream';
  export const runStale = 'notebook-dag:run-stale';
  export const showInDag = 'notebook-dag:show-in-dag';
  export const showOutputs = 'notebook-dag:show-outputs-in-notebook';
}

/**
 * The current notebook as the commands see it.
 */
export interface ICommandContext {
  /**
   * The notebook's notebook_dag project, if it has one.
   */
  projectId: string | null;
  /**
   * The active cell: its id and type.
   */
  cellId: string | null;
  cellType: string | null;
  /**
   * The kernel of the notebook's session, if it has one.
   */
  kernelId: string | null;
}

export type NotebookCommand =
  | 'run-cell-upstream'
  | 'run-cell-downstream'
  | 'run-stale'
  | 'show-in-dag'
  | 'show-outputs';

/**
 * Whether a command can run in this context: every command needs a
 * project; the cell ones a cell (a code cell for runs).
 */
export function isCommandEnabled(
  command: NotebookCommand,
  context: ICommandContext | null
): boolean {
  if (!context?.projectId) {
    return false;
  }
  switch (command) {
    case 'run-cell-upstream':
    case 'run-cell-downstream':
      return !!context.cellId && context.cellType === 'code';
    case 'show-in-dag':
      return !!context.cellId;
    case 'run-stale':
    case 'show-outputs':
      return true;
    default:
      return false;
  }
}

/**
 * The run a run command starts: on the notebook's session kernel when it
 * has one (else the project's kernel).
 */
export function runRequestFor(
  command: NotebookCommand,
  context: ICommandContext
): IRunRequest | null {
  if (!isCommandEnabled(command, context)) {
    return null;
  }
  let request: IRunRequest;
  switch (command) {
    case 'run-cell-upstream':
      request = { mode: 'upstream', block_id: context.cellId! };
      break;
    case 'run-cell-downstream':
      request = { mode: 'downstream', block_id: context.cellId! };
      break;
    case 'run-stale':
      request = { mode: 'stale' };
      break;
    default:
      return null;
  }
  if (context.kernelId) {
    request.kernel_id = context.kernelId;
  }
  return request;
}
