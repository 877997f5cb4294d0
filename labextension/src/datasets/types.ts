/**
 * Types of the datasets REST API (`/notebook-dag/api/datasets`).
 */

export type DatasetFormat =
  'csv' | 'tsv' | 'parquet' | 'json' | 'jsonl' | 'excel';

export type ProfileStatus = 'none' | 'pending' | 'ready' | 'failed';

export type ReportStatus =
  'none' | 'queued' | 'running' | 'succeeded' | 'failed';

export type DatasetSort =
  | 'name'
  | '-name'
  | 'created'
  | '-created'
  | 'updated'
  | '-updated'
  | 'size'
  | '-size';

/**
 * One version of a dataset.
 */
export interface IDatasetVersion {
  version: number;
  sha256: string;
  format: DatasetFormat;
  size_bytes: number;
  source: 'upload' | 'path';
  /** Contents path of a registered file; null for uploads. */
  path: string | null;
  original_name: string;
  created_at: string;
  profile_status: ProfileStatus;
  rows: number | null;
  columns: number | null;
  quality_score: number | null;
  changed_on_disk: boolean;
}

/**
 * A dataset with its current version (`latest`).
 */
export interface IDataset {
  id: string;
  name: string;
  description: string;
  tags: string[];
  project_id: string | null;
  owner: string;
  current_version: number;
  versions: number;
  created_at: string;
  updated_at: string;
  latest: IDatasetVersion;
}

/**
 * Answer of `POST datasets` (an upload or a registration).
 */
export interface IUploadResult extends IDataset {
  created: boolean;
  version_created: boolean;
  deduplicated: boolean;
}

export interface IDatasetList {
  datasets: IDataset[];
  total: number;
}

export interface IDatasetQuery {
  q?: string;
  tag?: string;
  project_id?: string | null;
  sort?: DatasetSort;
  limit?: number;
  offset?: number;
}

export interface IDatasetUpdate {
  name?: string;
  description?: string;
  tags?: string[];
  project_id?: string | null;
  current_version?: number;
}

export interface IVersionList {
  dataset_id: string;
  current_version: number;
  versions: IDatasetVersion[];
}

export interface IPreview {
  dataset_id: string;
  version: number;
  format: DatasetFormat;
  columns: { name: string; dtype: string }[];
  rows: unknown[][];
  offset: number;
  limit: number;
  total_rows: number | null;
  has_more: boolean;
}

export interface IHistogram {
  /** `counts.length + 1` bin edges. */
  edges: number[];
  counts: number[];
}

export interface IColumnProfile {
  name: string;
  dtype: string;
  kind:
    | 'numeric'
    | 'categorical'
    | 'text'
    | 'boolean'
    | 'datetime'
    | 'empty'
    | 'other';
  missing: number;
  missing_ratio: number;
  distinct?: number | null;
  distinct_ratio?: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  std?: number | null;
  quantiles?: { [name: string]: number | null };
  histogram?: IHistogram;
  top?: { value: unknown; count: number }[];
}

export interface IQualityRule {
  id: string;
  title: string;
  penalty: number;
  max_penalty: number;
  passed: boolean;
  /**
   * What was found, when the rule failed ("1,039 rows repeat an earlier row").
   */
  problem?: string;
  columns: string[];
}

export interface IProfile {
  rows: number;
  columns: number;
  memory_bytes: number;
  file_bytes?: number;
  missing_cells: number;
  missing_ratio: number;
  duplicate_rows: number;
  duplicate_ratio: number;
  /**
   * Distinct rows occurring more than once (ydata-profiling's "Duplicate rows").
   */
  duplicate_groups?: number;
  column_profiles: IColumnProfile[];
  quality: { score: number; grade: string; rules: IQualityRule[] };
}

export interface IProfileRecord {
  dataset_id: string;
  version: number;
  sha256: string;
  status: ProfileStatus;
  profile: IProfile | null;
  error: string | null;
  duration: number | null;
}

export interface IReportRecord {
  dataset_id: string;
  version: number;
  sha256: string;
  status: ReportStatus;
  progress: number;
  message: string;
  error: string | null;
  rows: number | null;
  sample_rows: number | null;
}

export interface ILineageRef {
  project_id: string;
  project_name: string;
  notebook_path: string;
  block_id: string;
  kind: 'read' | 'write';
  via: string;
  target: string;
  line: number;
}

export interface ILineage {
  dataset_id: string;
  readers: ILineageRef[];
  writers: ILineageRef[];
}

/**
 * Options of an upload (query arguments of `POST datasets`).
 */
export interface IUploadOptions {
  name?: string;
  projectId?: string | null;
  description?: string;
  tags?: string[];
  format?: DatasetFormat;
}

/**
 * Data of a `dataset/v1` event.
 */
export interface IDatasetEvent {
  dataset_id: string;
  version: number | null;
  sha256: string;
  kind: 'upload' | 'profile' | 'report';
  status: string;
  progress: number;
  message: string;
}

export const DATASET_EVENT_SCHEMA =
  'https://schema.jupyter.org/notebook_dag/dataset/v1';
