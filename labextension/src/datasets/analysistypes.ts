/**
 * Types of the dataset analysis and chart suggestion answers
 * (`GET datasets/{id}/analysis?kind=` and `GET datasets/{id}/charts`), the
 * shapes of `notebook_dag/datasets/analysis_models.py`.
 */

export type AnalysisKind = 'statistics' | 'correlation' | 'clustering';

export const ANALYSIS_KINDS: ReadonlyArray<AnalysisKind> = [
  'statistics',
  'correlation',
  'clustering'
];

export type CorrelationMethod =
  'pearson' | 'spearman' | 'cramers_v' | 'correlation_ratio';

export interface INormality {
  test: 'dagostino_pearson' | 'shapiro_wilk';
  statistic: number | null;
  p_value: number | null;
  sample_size: number;
  normal_at_5pct: boolean | null;
}

export interface IOutliers {
  rule: 'iqr_1.5';
  count: number;
  share: number;
  lower: number | null;
  upper: number | null;
}

export interface IColumnStatistics {
  name: string;
  dtype: string;
  kind: 'numeric' | 'boolean' | 'datetime' | 'categorical' | 'text' | 'other';
  count: number;
  missing: number;
  distinct: number | null;
  infinite?: number | null;
  mean?: number | null;
  std?: number | null;
  min?: number | null;
  q1?: number | null;
  median?: number | null;
  q3?: number | null;
  max?: number | null;
  skewness?: number | null;
  kurtosis?: number | null;
  normality?: INormality | null;
  outliers?: IOutliers | null;
  top?: { value: unknown; count: number; share: number }[] | null;
  first?: string | null;
  last?: string | null;
}

export interface IStatisticsResult {
  kind: 'statistics';
  rows: number;
  columns: IColumnStatistics[];
}

export interface ICorrelationMatrix {
  method: CorrelationMethod;
  rows: string[];
  columns: string[];
  values: (number | null)[][];
  p_values: (number | null)[][];
  n: number[][];
}

export interface ICorrelationPair {
  columns: [string, string] | string[];
  method: CorrelationMethod;
  value: number;
  p_value: number | null;
  n: number;
  pearson?: number | null;
  spearman?: number | null;
}

export interface ICorrelationResult {
  kind: 'correlation';
  rows: number;
  numeric_columns: string[];
  categorical_columns: string[];
  skipped: string[];
  matrices: ICorrelationMatrix[];
  pairs: ICorrelationPair[];
  sampling: {
    rows: number;
    sample_rows: number;
    sampled: boolean;
    methods: string[];
  };
}

export interface ICluster {
  cluster: number;
  size: number;
  share: number;
  centroid: { [column: string]: number | null };
}

export interface IClusteringResult {
  kind: 'clustering';
  rows: number;
  rows_used: number;
  columns: string[];
  skipped: string[];
  missing: 'drop_rows' | 'impute_median';
  k: number | null;
  reason?: string | null;
  silhouettes: {
    k: number;
    silhouette: number | null;
    inertia: number | null;
  }[];
  clusters: ICluster[];
  sampling?: {
    rows: number;
    fit_rows: number;
    silhouette_rows: number;
    sampled: boolean;
  } | null;
}

export type AnalysisResult =
  IStatisticsResult | ICorrelationResult | IClusteringResult;

export interface IAnalysis {
  dataset_id: string;
  version: number;
  sha256: string;
  kind: AnalysisKind;
  result: AnalysisResult;
  /** A Python block reproducing the result from `notebook_dag.load(...)`. */
  code: string;
  seconds: number;
  cached: boolean;
}

export interface IChartSuggestion {
  kind: 'histogram' | 'bar' | 'scatter' | 'line' | 'box';
  title: string;
  reason: string;
  columns: string[];
  /** 0..1, higher first. */
  score: number;
  /** A Python block drawing the chart with matplotlib. */
  code: string;
  /** Base64 PNG (no `data:` prefix), about 320 × 240 pixels. */
  preview: string | null;
  preview_error?: string | null;
}

export interface ICharts {
  dataset_id: string;
  version: number;
  sha256: string;
  rows: number;
  charts: IChartSuggestion[];
  seconds: number;
  cached: boolean;
}
