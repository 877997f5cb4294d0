/**
 * Per-project options of a DAG view, kept in the browser's local storage:
 * layout direction, collapsed sections, dataset nodes, implied edges.
 */
import { LayoutDirection } from './layout';

export interface IViewOptionsState {
  direction: LayoutDirection;
  collapsed: string[];
  showDatasets: boolean;
  /**
   * Minimap shown (`null`: only for graphs beyond `MINIMAP_AUTO_NODES`).
   */
  showMinimap: boolean | null;
  /**
   * Draw the edges a longer path implies too (default: hidden).
   */
  showAllEdges: boolean;
}

/**
 * Graphs with more nodes than this show a minimap unless told otherwise.
 */
export const MINIMAP_AUTO_NODES = 12;

export const DEFAULT_VIEW_OPTIONS: IViewOptionsState = {
  direction: 'TB',
  collapsed: [],
  showDatasets: false,
  showMinimap: null,
  showAllEdges: false
};

const PREFIX = 'notebook-dag:view:';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch (error) {
    return null;
  }
}

/**
 * The saved options of a project's view (defaults for what is missing or
 * malformed).
 */
export function loadViewOptions(projectId: string): IViewOptionsState {
  const raw = storage()?.getItem(PREFIX + projectId);
  if (!raw) {
    return { ...DEFAULT_VIEW_OPTIONS, collapsed: [] };
  }
  try {
    const data = JSON.parse(raw);
    return {
      direction: data.direction === 'LR' ? 'LR' : 'TB',
      collapsed: Array.isArray(data.collapsed)
        ? data.collapsed.filter((id: unknown) => typeof id === 'string')
        : [],
      showDatasets: data.showDatasets === true,
      showMinimap:
        typeof data.showMinimap === 'boolean' ? data.showMinimap : null,
      showAllEdges: data.showAllEdges === true
    };
  } catch (error) {
    return { ...DEFAULT_VIEW_OPTIONS, collapsed: [] };
  }
}

export function saveViewOptions(
  projectId: string,
  options: IViewOptionsState
): void {
  try {
    storage()?.setItem(PREFIX + projectId, JSON.stringify(options));
  } catch (error) {
    // Private mode or full storage: the options just do not persist.
  }
}
