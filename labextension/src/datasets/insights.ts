/**
 * The model of a dataset's "Analysis" and "Charts" sections: it holds an
 * `IInsightsState` (./insightsstate.ts), runs the requests and folds their
 * answers in with the pure reducer, and signals every change.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { IBlockInserter, IInsertedBlock } from '../blockinsert';
import { DatasetsApi } from './api';
import { AnalysisKind } from './analysistypes';
import { describeDatasetError } from './format';
import {
  IAddItem,
  IInsightsState,
  INITIAL_INSIGHTS,
  InsightsAction,
  insightsReducer
} from './insightsstate';

export interface IDatasetInsightsOptions {
  api: Pick<DatasetsApi, 'analysis' | 'charts' | 'lineage'>;
  datasetId: string;
  /** The project of the DAG view the datasets tab is in, if any. */
  currentProjectId?: string | null;
  /** Adds blocks to projects; without it, "Add to project" is hidden. */
  inserter?: IBlockInserter | null;
  /** Called after a block was added (e.g. a JupyterLab notification). */
  onAdded?: (result: IInsertedBlock, title: string) => void;
}

export class DatasetInsights {
  constructor(options: IDatasetInsightsOptions) {
    this._options = options;
  }

  get state(): IInsightsState {
    return this._state;
  }

  get changed(): ISignal<this, IInsightsState> {
    return this._changed;
  }

  get canAdd(): boolean {
    return !!this._options.inserter;
  }

  dispatch(action: InsightsAction): void {
    const next = insightsReducer(this._state, action);
    if (next !== this._state) {
      this._state = next;
      this._changed.emit(next);
    }
  }

  /**
   * Show an analysis kind, loading it when not loaded yet (or failed).
   */
  async showKind(kind: AnalysisKind): Promise<void> {
    this.dispatch({ type: 'kind', kind });
    const load = this._state.analyses[kind];
    if (load.status === 'ready' || load.status === 'loading') {
      return;
    }
    this.dispatch({ type: 'analysis', kind, load: LOADING });
    try {
      const data = await this._options.api.analysis(
        this._options.datasetId,
        kind
      );
      this.dispatch({ type: 'analysis', kind, load: ready(data) });
    } catch (error) {
      this.dispatch({ type: 'analysis', kind, load: failed(error) });
    }
  }

  /**
   * Load the chart suggestions when not loaded yet (or failed).
   */
  async loadCharts(): Promise<void> {
    const status = this._state.charts.status;
    if (status === 'ready' || status === 'loading') {
      return;
    }
    this.dispatch({ type: 'charts', load: LOADING });
    try {
      const data = await this._options.api.charts(this._options.datasetId);
      this.dispatch({ type: 'charts', load: ready(data) });
    } catch (error) {
      this.dispatch({ type: 'charts', load: failed(error) });
    }
  }

  /**
   * Open the "Add to project" form of `item`: load the user's projects and
   * the dataset's readers, then the default project's blocks.
   */
  async startAdd(item: IAddItem): Promise<void> {
    const inserter = this._options.inserter;
    if (!inserter) {
      return;
    }
    this.dispatch({ type: 'add-start', item });
    try {
      const [projects, lineage] = await Promise.all([
        inserter.api.listProjects(),
        this._options.api
          .lineage(this._options.datasetId)
          .catch(() => ({ readers: [] as { project_id: string }[] }))
      ]);
      if (this._state.add?.item.key !== item.key) {
        return; // cancelled or another item meanwhile
      }
      this.dispatch({
        type: 'add-projects',
        projects,
        readers: lineage.readers.map(r => r.project_id),
        currentProjectId: this._options.currentProjectId ?? null
      });
      const projectId = this._state.add?.projectId;
      if (projectId) {
        await this.chooseProject(projectId);
      }
    } catch (error) {
      this.dispatch({ type: 'add-failed', error: describeDatasetError(error) });
    }
  }

  async chooseProject(projectId: string): Promise<void> {
    const inserter = this._options.inserter;
    if (!inserter || !this._state.add) {
      return;
    }
    this.dispatch({ type: 'add-project', projectId });
    try {
      const blocks = await inserter.api.listBlocks(projectId);
      this.dispatch({ type: 'add-blocks', projectId, blocks });
    } catch (error) {
      if (this._state.add?.projectId === projectId) {
        this.dispatch({
          type: 'add-failed',
          error: describeDatasetError(error)
        });
      }
    }
  }

  /**
   * Insert the item's code into the chosen project after the chosen block.
   */
  async confirmAdd(): Promise<IInsertedBlock | null> {
    const add = this._state.add;
    const inserter = this._options.inserter;
    const project = add?.projects?.find(p => p.id === add.projectId);
    if (!add || !inserter || !project || add.busy) {
      return null;
    }
    this.dispatch({ type: 'add-busy' });
    try {
      const result = await inserter.insert(project, add.afterId, add.item.code);
      this.dispatch({ type: 'add-done', result });
      this._options.onAdded?.(result, add.item.title);
      return result;
    } catch (error) {
      this.dispatch({ type: 'add-failed', error: describeDatasetError(error) });
      return null;
    }
  }

  private _options: IDatasetInsightsOptions;
  private _state: IInsightsState = INITIAL_INSIGHTS;
  private _changed = new Signal<this, IInsightsState>(this);
}

const LOADING = { status: 'loading', data: null, error: '' } as const;

function ready<T>(data: T) {
  return { status: 'ready' as const, data, error: '' };
}

function failed(error: unknown) {
  return {
    status: 'error' as const,
    data: null,
    error: describeDatasetError(error)
  };
}
