"""Pydantic models of the datasets REST API (inputs refuse unknown fields)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..models import DagNode, DagOut, EdgeOut, _clean_tags, _Input, _not_blank

DatasetFormat = Literal["csv", "tsv", "parquet", "json", "jsonl", "excel"]
DatasetSort = Literal["name", "-name", "created", "-created", "updated", "-updated", "size", "-size"]
ProfileStatus = Literal["none", "pending", "ready", "failed"]
ReportStatus = Literal["none", "queued", "running", "succeeded", "failed"]


class DatasetRegister(_Input):
    """Register a file that is already under the server root (no copy is made)."""

    path: str = Field(min_length=1, max_length=4096, description="contents-manager path of the file")
    name: str | None = Field(default=None, max_length=255, description="defaults to the file name")
    project_id: str | None = None
    description: str = Field(default="", max_length=10_000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    format: DatasetFormat | None = Field(default=None, description="detected from the content when absent")

    _tags = field_validator("tags")(_clean_tags)


class DatasetUpdate(_Input):
    # absent: unchanged; null is refused except for project_id (see notebook_dag.models)
    name: str = Field(default=None, min_length=1, max_length=255)  # type: ignore[assignment]
    description: str = Field(default=None, max_length=10_000)  # type: ignore[assignment]
    tags: list[str] = Field(default=None, max_length=50)  # type: ignore[assignment]
    project_id: str | None = Field(default=None, description="a project id, or null to detach")
    current_version: int = Field(default=None, ge=1, le=2**31 - 1,  # type: ignore[assignment]
                                 description="make an older version current")

    _tags = field_validator("tags")(_clean_tags)
    _name = field_validator("name")(_not_blank)


class VersionOut(BaseModel):
    version: int
    sha256: str
    format: DatasetFormat
    size_bytes: int
    source: Literal["upload", "path"]
    path: str | None = Field(description="contents path of a registered file; null for uploads")
    original_name: str
    created_at: datetime
    profile_status: ProfileStatus
    rows: int | None = None
    columns: int | None = None
    quality_score: float | None = None
    changed_on_disk: bool = Field(default=False, description="a registered file changed since it was registered")


class DatasetOut(BaseModel):
    id: str
    name: str
    description: str
    tags: list[str]
    project_id: str | None
    owner: str
    current_version: int
    versions: int
    created_at: datetime
    updated_at: datetime
    latest: VersionOut = Field(description="the current version")
    etag: str | None = Field(default=None, description='strong ETag "dataset-<id>-<version>.<view>": send it '
                             "as If-Match when editing or deleting (see notebook_dag.etags)")


class UploadOut(DatasetOut):
    created: bool = Field(description="a new dataset was created")
    version_created: bool = Field(description="false when the content equals the current version's")
    deduplicated: bool = Field(description="these bytes were stored already and were not stored again")


class DatasetList(BaseModel):
    datasets: list[DatasetOut]
    total: int


class VersionList(BaseModel):
    dataset_id: str
    current_version: int
    versions: list[VersionOut]


class PreviewColumn(BaseModel):
    name: str
    dtype: str = Field(description="the column's pandas dtype in the whole file (as notebook_dag.load() reads it)")


class PreviewOut(BaseModel):
    dataset_id: str
    version: int
    format: DatasetFormat
    columns: list[PreviewColumn]
    rows: list[list[Any]]
    offset: int
    limit: int
    total_rows: int | None = Field(description="null when unknown without reading the whole file")
    has_more: bool


class ProfileOut(BaseModel):
    dataset_id: str
    version: int
    sha256: str
    status: ProfileStatus
    profile: dict[str, Any] | None = None
    error: str | None = None
    duration: float | None = Field(default=None, description="seconds the profile took")


class ReportOut(BaseModel):
    dataset_id: str
    version: int
    sha256: str
    status: ReportStatus
    progress: float = 0.0
    message: str = ""
    error: str | None = None
    rows: int | None = None
    sample_rows: int | None = Field(default=None, description="rows profiled (a random sample when < rows)")
    started_at: datetime | None = None
    finished_at: datetime | None = None


class LineageRef(BaseModel):
    project_id: str
    project_name: str
    notebook_path: str
    block_id: str
    kind: Literal["read", "write"]
    via: str = Field(description="the function called, as written (pd.read_csv, df.to_parquet, open ...)")
    target: str = Field(description="the path or dataset name as written in the cell")
    line: int


class LineageOut(BaseModel):
    dataset_id: str
    readers: list[LineageRef]
    writers: list[LineageRef]


class DatasetNode(BaseModel):
    id: str = Field(description='"dataset:<dataset id>"')
    kind: Literal["dataset"] = "dataset"
    dataset_id: str
    name: str
    format: DatasetFormat
    version: int
    rows: int | None = None


class DatasetEdge(BaseModel):
    id: None = None
    source: str
    target: str
    kind: Literal["reads", "writes"]
    names: list[str] = Field(default_factory=list, description="the paths or names as written")


class DagWithDatasetsOut(DagOut):
    """``GET /projects/{id}/dag?datasets=true``: the DAG plus dataset nodes and edges."""

    nodes: list[DagNode | DatasetNode]  # type: ignore[assignment]  # blocks, then datasets
    edges: list[EdgeOut | DatasetEdge]  # type: ignore[assignment]


# ---- imports (POST /datasets/import) ------------------------------------------------

ImportStatus = Literal["queued", "downloading", "storing", "succeeded", "failed", "cancelled"]


class DatasetImport(_Input):
    """Import a file from a URL or from Kaggle (exactly one of ``url`` and ``kaggle``)."""

    url: str = Field(default=None, min_length=1, max_length=8192,  # type: ignore[assignment]
                     description="https://, http://, s3://, gs:// or another fsspec URL whose package is installed "
                                 "(file:// and local paths are refused)")
    kaggle: str = Field(default=None, min_length=3, max_length=1024,  # type: ignore[assignment]
                        description="owner/dataset (a dataset of one file) or owner/dataset/file")
    name: str = Field(default=None, min_length=1, max_length=255,  # type: ignore[assignment]
                      description="the dataset's name (default: the file's name)")
    project_id: str | None = None
    description: str = Field(default="", max_length=10_000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    format: DatasetFormat = Field(default=None,  # type: ignore[assignment]
                                  description="detected from the content when absent")

    _tags = field_validator("tags")(_clean_tags)

    @model_validator(mode="after")
    def _one_source(self) -> DatasetImport:
        if (self.url is None) == (self.kaggle is None):
            raise ValueError("give exactly one of url and kaggle")
        return self


class ImportFailure(BaseModel):
    status: int = Field(description="the HTTP status this failure maps to: 403, 404, 413, 422, 502, 504 ...")
    reason: str = Field(description="source_not_found, source_unauthorized, payload_too_large, unprocessable, "
                                    "bad_gateway, gateway_timeout, refused_url ...")
    message: str


class ImportOut(BaseModel):
    id: str
    status: ImportStatus
    source: dict[str, str] = Field(description='{"url": URL without credentials} or {"kaggle": "owner/dataset[/file]"}')
    name: str | None
    project_id: str | None
    bytes_done: int
    bytes_total: int | None = Field(description="the source's size when it said so")
    error: ImportFailure | None = None
    dataset: UploadOut | None = Field(default=None, description="the dataset once the import succeeded")
    created_at: datetime
    finished_at: datetime | None = None


class ImportList(BaseModel):
    imports: list[ImportOut]


class KaggleDatasetOut(BaseModel):
    ref: str = Field(description="owner/dataset: import it as {\"kaggle\": ref} (or ref/file)")
    title: str
    subtitle: str = ""
    size_bytes: int | None = None
    url: str
    last_updated: str | None = None
    downloads: int = 0
    votes: int = 0
    license: str = ""


class KaggleSearchOut(BaseModel):
    datasets: list[KaggleDatasetOut]
    page: int
