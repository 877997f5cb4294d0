/**
 * Accepting an AI generation when the project's notebook is open in this
 * JupyterLab: the server only records the acceptance (`apply: false`) and the
 * code goes into the open notebook's model (unsaved, as if typed there).
 */
import { ApiError } from '../handler';
import type { AIApi } from './api';

/**
 * Edits of the open notebook the AI components use (see `mountregistry`).
 */
export interface ILocalBlockEdits {
  /**
   * Whether the project's notebook is open here (edits go into it).
   */
  active(): boolean;
  /**
   * Insert a code cell after `afterBlockId` (at the end when `null`).
   *
   * @returns the new cell's id, `null` when the notebook is not open
   */
  insert(afterBlockId: string | null, code: string): Promise<string | null>;
  /**
   * Replace a cell's source.
   *
   * @returns whether the cell was found in the open notebook
   */
  replace(blockId: string, code: string): Promise<boolean>;
}

function openInEditor(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.status === 409 &&
    error.reason === 'open_in_editor'
  );
}

/**
 * Accept a generation: applied by the server (`apply: true`) when the
 * notebook is not open here, else recorded (`apply: false`) and applied by
 * `applyLocally`. A server answering 409 `open_in_editor` (the notebook was
 * opened meanwhile) falls back to the local edit.
 *
 * @returns the id of the block inserted or replaced
 */
export async function acceptGeneration(
  api: Pick<AIApi, 'accept'>,
  generationId: string,
  local: ILocalBlockEdits | null | undefined,
  applyLocally: (local: ILocalBlockEdits) => Promise<string | null>
): Promise<string> {
  const viaModel = async (edits: ILocalBlockEdits): Promise<string> => {
    try {
      await api.accept(generationId, false);
    } catch (error) {
      // Only bookkeeping: the user still gets the code.
      console.warn('notebook_dag: cannot record the acceptance', error);
    }
    const id = await applyLocally(edits);
    if (id === null) {
      throw new Error(
        'The notebook is no longer open here: open it and accept again.'
      );
    }
    return id;
  };
  if (local?.active()) {
    return viaModel(local);
  }
  try {
    const generation = await api.accept(generationId, true);
    return generation?.block_id ?? '';
  } catch (error) {
    if (local && openInEditor(error)) {
      return viaModel(local);
    }
    throw error;
  }
}
