/**
 * Mount points of the DAG view for components built elsewhere in the
 * extension (`datasets/`, `ai/`): each is optional; the view shows the tab or
 * button only when the component is provided (see `index.ts`).
 */
import type { ServerConnection } from '@jupyterlab/services';

/**
 * What every mounted component gets.
 */
export interface IMountContext {
  projectId: string;
  /**
   * The project's notebook (contents path).
   */
  notebookPath: string;
  serverSettings: ServerConnection.ISettings;
  /**
   * Reload the DAG (e.g. after the component changed the notebook).
   */
  refresh(): void;
  /**
   * Select a node of the DAG.
   */
  selectNode(nodeId: string): void;
}

/**
 * A node the component acts on.
 */
export interface IBlockMountContext extends IMountContext {
  blockId: string;
  title: string;
  source: string;
}

/**
 * A failed node: its error and traceback (ANSI escapes removed).
 */
export interface IFailedBlockMountContext extends IBlockMountContext {
  runId: string | null;
  error: string;
  traceback: string;
}

/**
 * The mount points.
 */
export interface IDagMounts {
  /**
   * Content of a "Datasets" tab of the side panel.
   */
  datasetsTab?: (context: IMountContext) => JSX.Element | null;
  /**
   * In a code node's actions: "Ask AI to add a block after this node".
   */
  aiAddBlock?: (context: IBlockMountContext) => JSX.Element | null;
  /**
   * On a failed node: "Fix with AI".
   */
  aiFix?: (context: IFailedBlockMountContext) => JSX.Element | null;
}

/**
 * The mount points as a registry the feature plugins fill (token
 * `IDagViewMounts`): the DAG views read them when they render, so a mount
 * added after a view opened shows at its next render.
 */
export class DagViewMounts implements IDagMounts {
  get datasetsTab(): IDagMounts['datasetsTab'] {
    return this._find('datasetsTab');
  }

  get aiAddBlock(): IDagMounts['aiAddBlock'] {
    return this._find('aiAddBlock');
  }

  get aiFix(): IDagMounts['aiFix'] {
    return this._find('aiFix');
  }

  /**
   * Add mount points (a later registration of the same point wins); the
   * returned function takes them away again.
   */
  add(mounts: IDagMounts): () => void {
    this._added.push(mounts);
    return () => {
      this._added = this._added.filter(m => m !== mounts);
    };
  }

  private _find<K extends keyof IDagMounts>(key: K): IDagMounts[K] {
    for (let i = this._added.length - 1; i >= 0; i--) {
      const found = this._added[i][key];
      if (found) {
        return found;
      }
    }
    return undefined;
  }

  private _added: IDagMounts[] = [];
}
