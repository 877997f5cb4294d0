/**
 * The datasets panel's list as a model (like the Projects panel's
 * `ProjectsModel`): search and tag filter, the listed datasets, uploads under
 * way and the selection. Views re-render on `changed`.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { DatasetsApi } from './api';
import type { IUploadState } from './components';
import { asDatasetEvent, describeDatasetError, uploadFraction } from './format';
import type { IDataset } from './types';

/**
 * Milliseconds of quiet typing before a search is sent.
 */
export const DATASETS_SEARCH_DELAY = 150;

/**
 * Every tag of `datasets`, sorted, each once.
 */
export function tagsOf(datasets: IDataset[]): string[] {
  const tags = new Set<string>();
  for (const d of datasets) {
    d.tags.forEach(t => tags.add(t));
  }
  return [...tags].sort();
}

export class DatasetsModel {
  constructor(options: {
    api: Pick<DatasetsApi, 'list' | 'upload'>;
    projectId: string | null;
    searchDelay?: number;
  }) {
    this._api = options.api;
    this.projectId = options.projectId;
    this._searchDelay = options.searchDelay ?? DATASETS_SEARCH_DELAY;
  }

  /** the datasets of this project (uploads go to it); null: all of the user's */
  readonly projectId: string | null;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get query(): string {
    return this._query;
  }

  get tag(): string {
    return this._tag;
  }

  get datasets(): IDataset[] {
    return this._datasets;
  }

  get total(): number {
    return this._total;
  }

  get error(): string {
    return this._error;
  }

  get uploads(): IUploadState[] {
    return this._uploads;
  }

  get selectedId(): string | null {
    return this._selectedId;
  }

  get selected(): IDataset | null {
    return this._datasets.find(d => d.id === this._selectedId) ?? null;
  }

  get tags(): string[] {
    return tagsOf(this._datasets);
  }

  setQuery(query: string): void {
    this._query = query;
    this._changed.emit();
    this.refresh();
  }

  setTag(tag: string): void {
    this._tag = tag;
    this._changed.emit();
    this.refresh();
  }

  select(datasetId: string | null): void {
    this._selectedId = datasetId;
    this._changed.emit();
  }

  /**
   * List again after a short quiet time (several calls send one request).
   */
  refresh(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      void this.load();
    }, this._searchDelay);
  }

  /**
   * List now; an answer to an older request than the last is dropped.
   */
  async load(): Promise<void> {
    const serial = ++this._serial;
    try {
      const list = await this._api.list({
        q: this._query,
        tag: this._tag,
        project_id: this.projectId,
        sort: '-updated',
        limit: 200
      });
      if (serial !== this._serial || this._disposed) {
        return;
      }
      this._datasets = list.datasets;
      this._total = list.total;
      this._error = '';
    } catch (e) {
      if (serial !== this._serial || this._disposed) {
        return;
      }
      this._error = describeDatasetError(e);
    }
    this._changed.emit();
  }

  /**
   * A server event: datasets changed (reports only change their detail).
   */
  onEvent(emission: { [key: string]: unknown }): void {
    const event = asDatasetEvent(emission);
    if (event && event.kind !== 'report') {
      this.refresh();
    }
  }

  /**
   * Upload files with progress; each finished one is selected.
   */
  upload(files: FileList | File[]): void {
    for (const file of Array.from(files)) {
      const key = `${file.name}-${Date.now()}-${Math.random()}`;
      const update = (patch: Partial<IUploadState>) => {
        this._uploads = this._uploads.map(u =>
          u.key === key ? { ...u, ...patch } : u
        );
        this._changed.emit();
      };
      const handle = this._api.upload(
        file,
        { projectId: this.projectId },
        (loaded, size) => update({ fraction: uploadFraction(loaded, size) })
      );
      this._uploads = [
        ...this._uploads,
        { key, name: file.name, fraction: 0, abort: handle.abort }
      ];
      this._changed.emit();
      handle.promise
        .then(result => {
          this.dismissUpload(key);
          this.select(result.id);
          this.refresh();
        })
        .catch(e => update({ error: describeDatasetError(e) }));
    }
  }

  dismissUpload(key: string): void {
    this._uploads = this._uploads.filter(u => u.key !== key);
    this._changed.emit();
  }

  dispose(): void {
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    Signal.clearData(this);
  }

  private _api: Pick<DatasetsApi, 'list' | 'upload'>;
  private _searchDelay: number;
  private _changed = new Signal<this, void>(this);
  private _query = '';
  private _tag = '';
  private _datasets: IDataset[] = [];
  private _total = 0;
  private _error = '';
  private _uploads: IUploadState[] = [];
  private _selectedId: string | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _serial = 0;
  private _disposed = false;
}
