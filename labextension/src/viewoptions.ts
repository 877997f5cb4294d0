/**
 * The options of a DAG view: the user's defaults (layout direction, implied
 * edges, dataset nodes, minimap, collapsed sections, blocks at once), kept in
 * JupyterLab's settings registry (`notebook_dag:plugin`, see
 * `viewsettings.ts`), and each project's collapsed sections, kept in
 * JupyterLab's state database. Both go through an `IViewOptionsStore`; an
 * in-memory one serves until JupyterLab's is set (and in tests).
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
  /**
   * Collapse every section once the sections are known (a project opened
   * for the first time with "collapse sections" set).
   */
  collapseAll?: boolean;
}

/**
 * The user's defaults, as the settings registry holds them.
 */
export interface IViewDefaults {
  direction: LayoutDirection;
  showAllEdges: boolean;
  showDatasets: boolean;
  /** `null`: by graph size */
  showMinimap: boolean | null;
  collapseSections: boolean;
  /** `null`: the server's default */
  maxParallel: number | null;
}

export const DEFAULT_VIEW_DEFAULTS: IViewDefaults = {
  direction: 'TB',
  showAllEdges: false,
  showDatasets: false,
  showMinimap: null,
  collapseSections: false,
  maxParallel: null
};

/**
 * Where view options live.
 */
export interface IViewOptionsStore {
  defaults(): IViewDefaults;
  setDefaults(patch: Partial<IViewDefaults>): void;
  /** a project's collapsed sections; `null` when never saved */
  collapsed(projectId: string): string[] | null;
  setCollapsed(projectId: string, collapsed: string[]): void;
}

/**
 * Options in memory only (before JupyterLab's store is ready, and in tests).
 */
export class MemoryViewOptionsStore implements IViewOptionsStore {
  constructor(defaults: Partial<IViewDefaults> = {}) {
    this._defaults = { ...DEFAULT_VIEW_DEFAULTS, ...defaults };
  }

  defaults(): IViewDefaults {
    return this._defaults;
  }

  setDefaults(patch: Partial<IViewDefaults>): void {
    this._defaults = { ...this._defaults, ...patch };
  }

  collapsed(projectId: string): string[] | null {
    return this._collapsed.get(projectId) ?? null;
  }

  setCollapsed(projectId: string, collapsed: string[]): void {
    this._collapsed.set(projectId, [...collapsed]);
  }

  private _defaults: IViewDefaults;
  private _collapsed = new Map<string, string[]>();
}

let store: IViewOptionsStore = new MemoryViewOptionsStore();

/**
 * Make `next` the store of every view opened from now on.
 */
export function setViewOptionsStore(next: IViewOptionsStore): void {
  store = next;
}

/**
 * The user's defaults (e.g. the runner's blocks at once).
 */
export function viewDefaults(): IViewDefaults {
  return store.defaults();
}

/**
 * Change the user's defaults (the toolbar's choices are remembered there).
 */
export function setViewDefaults(patch: Partial<IViewDefaults>): void {
  const current = store.defaults();
  const changed = (Object.keys(patch) as (keyof IViewDefaults)[]).filter(
    key => patch[key] !== current[key]
  );
  if (changed.length) {
    store.setDefaults(patch);
  }
}

/**
 * A project's view options: the user's defaults and its collapsed sections.
 */
export function loadViewOptions(projectId: string): IViewOptionsState {
  const defaults = store.defaults();
  const collapsed = store.collapsed(projectId);
  return {
    direction: defaults.direction,
    collapsed: collapsed ?? [],
    showDatasets: defaults.showDatasets,
    showMinimap: defaults.showMinimap,
    showAllEdges: defaults.showAllEdges,
    collapseAll: collapsed === null && defaults.collapseSections
  };
}

/**
 * Save a project's options: its collapsed sections for the project, the
 * rest as the user's defaults.
 */
export function saveViewOptions(
  projectId: string,
  options: IViewOptionsState
): void {
  store.setCollapsed(projectId, options.collapsed);
  setViewDefaults({
    direction: options.direction,
    showDatasets: options.showDatasets,
    showMinimap: options.showMinimap,
    showAllEdges: options.showAllEdges
  });
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
