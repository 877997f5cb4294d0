"""API models of artifacts (:mod:`notebook_dag.artifacts`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..datasets.models import DagWithDatasetsOut, DatasetEdge, DatasetNode
from ..models import DagNode, EdgeOut


class ArtifactOut(BaseModel):
    run_id: str
    block_id: str | None = Field(description="the block that wrote it; None when that cannot be told (see note)")
    path: str = Field(description="contents-manager path (open or download it through the contents API)")
    name: str = Field(description="the path's last part")
    size: int = Field(description="bytes when the run ended")
    sha256: str | None = Field(description="hex SHA-256 of the content when the run ended (None above 256 MiB)")
    mime: str | None = Field(description="MIME type guessed from the name (mimetypes); None when unknown")
    change: Literal["created", "modified"]
    note: str | None = Field(default=None, description="why no block is given")
    created_at: datetime


class ArtifactList(BaseModel):
    run_id: str
    artifacts: list[ArtifactOut]


class FileNode(BaseModel):
    id: str = Field(description='"file:<contents path>"')
    kind: Literal["file"] = "file"
    path: str
    name: str
    size: int
    sha256: str | None = None
    mime: str | None = None
    run_id: str = Field(description="the run that last wrote it")
    block_id: str | None = None


class FileEdge(BaseModel):
    id: None = None
    source: str
    target: str
    kind: Literal["reads", "writes"]
    names: list[str] = Field(default_factory=list, description="the path as the code writes it")


class DagWithArtifactsOut(DagWithDatasetsOut):
    """``GET /projects/{id}/dag?artifacts=true``: the DAG plus the files runs wrote (the
    newest artifact of each path) with ``writes`` (block → file) and ``reads`` (file →
    block) edges; with ``datasets=true`` too, the dataset nodes and edges as well."""

    nodes: list[DagNode | DatasetNode | FileNode]  # type: ignore[assignment]
    edges: list[EdgeOut | DatasetEdge | FileEdge]  # type: ignore[assignment]
