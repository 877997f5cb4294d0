"""Pydantic models of the dataset analysis and chart suggestion answers
(``GET /datasets/{id}/analysis`` and ``/charts``); the shapes of
:mod:`notebook_dag.datasets.analysis` and :mod:`notebook_dag.datasets.charts`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

AnalysisKind = Literal["statistics", "correlation", "clustering"]
ColumnKind = Literal["numeric", "boolean", "datetime", "categorical", "text", "other"]
ChartKind = Literal["histogram", "bar", "scatter", "line", "box"]


class Normality(BaseModel):
    test: Literal["dagostino_pearson", "shapiro_wilk"] = Field(
        description="scipy.stats.normaltest (D'Agostino-Pearson, 20 values or more) or scipy.stats.shapiro")
    statistic: float | None
    p_value: float | None
    sample_size: int = Field(description="values tested (a random sample of at most 5000)")
    normal_at_5pct: bool | None = Field(description="p_value >= 0.05")


class Outliers(BaseModel):
    rule: Literal["iqr_1.5"] = Field(description="Tukey's rule: outside [q1 - 1.5 IQR, q3 + 1.5 IQR]")
    count: int
    share: float = Field(description="of the column's finite values")
    lower: float | None
    upper: float | None


class TopValue(BaseModel):
    value: Any
    count: int
    share: float = Field(description="of the column's non-missing values")


class ColumnStatistics(BaseModel):
    name: str
    dtype: str = Field(description="pandas dtype as notebook_dag.load() reads it")
    kind: ColumnKind
    count: int = Field(description="non-missing values")
    missing: int
    distinct: int | None
    infinite: int | None = Field(default=None, description="±inf values (numerics; left out of the statistics)")
    mean: float | None = None
    std: float | None = Field(default=None, description="sample standard deviation (ddof 1)")
    min: float | None = None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    max: float | None = None
    skewness: float | None = Field(default=None, description="pandas' bias-corrected sample skewness")
    kurtosis: float | None = Field(default=None, description="excess kurtosis (pandas, bias-corrected)")
    normality: Normality | None = None
    outliers: Outliers | None = None
    top: list[TopValue] | None = Field(default=None, description="most frequent values (categorical, boolean, text)")
    first: str | None = Field(default=None, description="earliest value of a datetime column (ISO 8601)")
    last: str | None = Field(default=None, description="latest value of a datetime column (ISO 8601)")


class StatisticsResult(BaseModel):
    kind: Literal["statistics"]
    rows: int
    columns: list[ColumnStatistics]


class CorrelationMatrix(BaseModel):
    method: Literal["pearson", "spearman", "cramers_v", "correlation_ratio"]
    rows: list[str] = Field(description="row labels (the numeric columns for correlation_ratio)")
    columns: list[str]
    values: list[list[float | None]] = Field(description="null where undefined (a constant column, too few rows)")
    p_values: list[list[float | None]]
    n: list[list[int]] = Field(description="rows used by each pair (pairwise complete)")


class CorrelationPair(BaseModel):
    columns: list[str] = Field(min_length=2, max_length=2)
    method: Literal["pearson", "spearman", "cramers_v", "correlation_ratio"]
    value: float
    p_value: float | None
    n: int
    pearson: float | None = None
    spearman: float | None = None


class CorrelationSampling(BaseModel):
    rows: int
    sample_rows: int
    sampled: bool = Field(description="the methods listed were computed on a random sample of sample_rows rows")
    methods: list[str]


class CorrelationResult(BaseModel):
    kind: Literal["correlation"]
    rows: int
    numeric_columns: list[str]
    categorical_columns: list[str]
    skipped: list[str] = Field(description="columns in no correlation (text, datetimes, beyond 100 columns)")
    matrices: list[CorrelationMatrix]
    pairs: list[CorrelationPair] = Field(description="the strongest pairs, |value| descending (at most 25)")
    sampling: CorrelationSampling


class SilhouetteScore(BaseModel):
    k: int
    silhouette: float | None
    inertia: float | None


class Cluster(BaseModel):
    cluster: int = Field(description="0 for the largest cluster, then by decreasing size")
    size: int
    share: float
    centroid: dict[str, float | None] = Field(description="in the columns' original units")


class ClusterSampling(BaseModel):
    rows: int
    fit_rows: int
    silhouette_rows: int
    sampled: bool


class ClusteringResult(BaseModel):
    kind: Literal["clustering"]
    rows: int
    rows_used: int
    columns: list[str] = Field(description="the numeric columns clustered (standardised)")
    skipped: list[str]
    missing: Literal["drop_rows", "impute_median"]
    k: int | None = Field(description="the k of the best silhouette; null when nothing could be clustered")
    reason: str | None = None
    silhouettes: list[SilhouetteScore]
    clusters: list[Cluster]
    sampling: ClusterSampling | None = None


class AnalysisOut(BaseModel):
    dataset_id: str
    version: int
    sha256: str
    kind: AnalysisKind
    result: StatisticsResult | CorrelationResult | ClusteringResult
    code: str = Field(description="a Python block reproducing the result from notebook_dag.load(...)")
    seconds: float = Field(description="seconds the computation took (reading the file included)")
    cached: bool = Field(description="served from the cache (by content hash, kind and parameters)")


class ChartSuggestion(BaseModel):
    kind: ChartKind
    title: str
    reason: str = Field(description="why this chart was suggested")
    columns: list[str]
    score: float = Field(description="rank, 0..1, higher first")
    code: str = Field(description="a Python block drawing the chart with matplotlib from notebook_dag.load(...)")
    preview: str | None = Field(description="base64 PNG, about 320 × 240 pixels, drawn on the server")
    preview_error: str | None = None


class ChartsOut(BaseModel):
    dataset_id: str
    version: int
    sha256: str
    rows: int
    charts: list[ChartSuggestion]
    seconds: float
    cached: bool
