"""Pydantic v2 models of the REST API: request bodies (strict, unknown fields refused)
and response documents. The OpenAPI document (:mod:`notebook_dag.openapi`) is built
from these classes.

Request bodies are validated in strict mode: no string becomes a number or a boolean
(``"2"`` is not ``2``, ``"yes"`` is not ``true``). In the PATCH bodies a field that is
absent stays unchanged; ``null`` is accepted only where it means something (clear a
title or position, detach from a project) and is a 422 elsewhere: those fields are
typed without ``None`` and given a default of ``None`` that pydantic never validates,
so only an explicit ``null`` is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RunMode = Literal["all", "block", "upstream", "downstream", "stale"]
RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
BlockRunStatus = Literal["queued", "running", "succeeded", "failed", "skipped", "cancelled", "up_to_date"]
BlockState = Literal["never_run", "up_to_date", "stale"]
CellType = Literal["code", "markdown", "raw"]
EdgeKind = Literal["manual", "inferred", "hidden"]
ProjectSort = Literal["name", "-name", "created", "-created", "updated", "-updated"]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


#: body fields holding paths: the path checks refuse a NUL in them with a 400 of their own
_PATH_FIELDS = frozenset({"notebook_path", "path"})


def reject_nul(data: Any) -> Any:
    """A ``mode="before"`` model validator of request bodies: no string anywhere in the
    body may hold a NUL character (PostgreSQL cannot store one, which would be a 500,
    and no name, tag or code needs one). Paths (:data:`_PATH_FIELDS`) are left to the
    path checks, which answer 400 for NUL and other control characters."""
    if isinstance(data, dict) and _has_nul({k: v for k, v in data.items() if k not in _PATH_FIELDS}):
        raise ValueError("strings must not contain NUL characters (\\u0000)")
    return data


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, strict=True)

    _no_nul = model_validator(mode="before")(reject_nul)


def _not_blank(value: str | None) -> str | None:
    """A name must hold something besides white space (it is stored stripped)."""
    if value is not None and not value.strip():
        raise ValueError("must not be empty or only white space")
    return value


def _clean_tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    seen: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if not tag:
            raise ValueError("tags must be non-empty strings")
        if tag not in seen:
            seen.append(tag)
    return seen


# ---- projects ---------------------------------------------------------------------


class TemplateChoice(_Input):
    """``template`` of ``POST /projects``: which template (``GET /templates``) and its parameters."""

    id: str = Field(min_length=1, max_length=200, description="a template id of GET /templates")
    parameters: dict[str, str | int | None] = Field(
        default_factory=dict, max_length=20,
        description="values by parameter name: a dataset id for a dataset parameter, a column name (or null) "
                    "for a column, a whole number for an integer")


class ProjectCreate(_Input):
    name: str = Field(min_length=1, max_length=200)
    notebook_path: str = Field(min_length=1, max_length=1024)
    template: TemplateChoice | None = Field(
        default=None, description="create the notebook from this template (the path must not exist yet: 409)")
    description: str = Field(default="", max_length=10_000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    kernel_name: str | None = Field(default=None, min_length=1, max_length=200,
                                    description="an installed kernelspec; the notebook's own when absent")

    _tags = field_validator("tags")(_clean_tags)
    _name = field_validator("name")(_not_blank)


Role = Literal["viewer", "editor", "owner"]
Visibility = Literal["private", "shared-with-all"]


class ProjectUpdate(_Input):
    # absent: unchanged; null is refused (see the module docstring) except for kernel_name
    name: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    description: str = Field(default=None, max_length=10_000)  # type: ignore[assignment]
    tags: list[str] = Field(default=None, max_length=50)  # type: ignore[assignment]
    favorite: bool = Field(default=None, description="the requesting user's star")  # type: ignore[assignment]
    kernel_name: str | None = Field(default=None, min_length=1, max_length=200,
                                    description="an installed kernelspec; null: the notebook's own")
    visibility: Visibility = Field(default=None, description="owner only")  # type: ignore[assignment]

    _tags = field_validator("tags")(_clean_tags)
    _name = field_validator("name")(_not_blank)


class ProjectOut(BaseModel):
    id: str
    name: str
    description: str
    tags: list[str]
    notebook_path: str
    owner: str
    visibility: Visibility
    role: Role | None = Field(description="the requesting user's role")
    favorite: bool = Field(description="starred by the requesting user")
    kernel_name: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    etag: str | None = Field(default=None, description='strong ETag "project-<id>-<version>.<view>": send it '
                             "as If-Match when editing or deleting (see notebook_dag.etags)")
    last_opened_at: datetime | None = Field(
        default=None, description="when the requesting user last opened this project's DAG view (POST "
        "/projects/{id}/opened); in lists only, null elsewhere or when never")


class ProjectList(BaseModel):
    projects: list[ProjectOut]
    total: int


class MemberIn(_Input):
    username: str = Field(min_length=1, max_length=200)
    role: Role


class MemberOut(BaseModel):
    username: str
    role: Role
    added_by: str


class Members(BaseModel):
    owner: str
    visibility: Visibility
    members: list[MemberOut]


class ActivityOut(BaseModel):
    id: int
    project_id: str | None
    username: str
    action: str
    detail: dict[str, Any]
    created_at: datetime


class ActivityList(BaseModel):
    activity: list[ActivityOut]
    total: int


# ---- blocks -----------------------------------------------------------------------


class Position(BaseModel):
    x: float
    y: float


class PositionIn(_Input):
    """A layout position sent by a client: finite numbers only (NaN and ±Infinity,
    which Python's JSON parser accepts, could not be stored)."""

    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)


class BlockOut(BaseModel):
    id: str = Field(description="nbformat cell id")
    cell_type: CellType
    source: str
    version: str = Field(description="tag of the current source; send it as If-Match when editing")
    title: str
    index: int = Field(description="0-based position of the cell in the notebook")
    position: Position | None = Field(description="saved layout position in the DAG view")
    etag: str | None = Field(default=None, description='strong ETag "block-<id>-<version>.<view>": send it '
                             "as If-Match when editing or deleting (see notebook_dag.etags)")


class BlockList(BaseModel):
    blocks: list[BlockOut]


class BlockCreate(_Input):
    source: str = ""
    cell_type: CellType = "code"
    after: str | None = Field(default=None, description="cell id to insert after; the end when absent")
    title: str | None = Field(default=None, max_length=300)


class PositionsUpdate(_Input):
    positions: dict[str, PositionIn | None] = Field(description="cell id → layout position (null clears it)")


class ProjectDuplicate(_Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    notebook_path: str | None = Field(default=None, description="where to copy the notebook; next to it by default")

    _name = field_validator("name")(_not_blank)


class BlockUpdate(_Input):
    source: str = Field(default=None, description="absent: unchanged; null is refused")  # type: ignore[assignment]
    title: str | None = Field(default=None, max_length=300, description="null or empty: the default title")
    position: PositionIn | None = Field(default=None, description="null clears it")


# ---- edges and DAG ----------------------------------------------------------------


class EdgeCreate(_Input):
    source: str = Field(min_length=1, max_length=64)
    target: str = Field(min_length=1, max_length=64)


class EdgeOut(BaseModel):
    id: str | None = Field(description="manual edges only; inferred edges have no id")
    source: str
    target: str
    kind: EdgeKind
    names: list[str] = Field(default_factory=list)
    cycle: list[str] | None = Field(
        default=None, description="conflicting edges only: the cycle it would close, as block ids"
    )
    etag: str | None = Field(default=None, description='stored (manual and hidden) edges only: strong ETag '
                             '"edge-<id>-<version>.<view>", for If-Match when deleting')


class EdgeList(BaseModel):
    edges: list[EdgeOut]
    dropped: list[EdgeOut] = Field(
        default_factory=list, description="manual edges removed because a cell disappeared"
    )
    hidden: list[EdgeOut] = Field(default_factory=list, description="inferred edges the user hid")
    conflicting: list[EdgeOut] = Field(
        default_factory=list, description="manual edges left out because they would close a cycle"
    )


class DagNode(BlockOut):
    status: Literal["never_run", "queued", "running", "succeeded", "failed", "skipped", "cancelled", "up_to_date"] = Field(
        default="never_run", description="status of the block in its most recent run"
    )
    state: BlockState = Field(
        default="never_run",
        description="up_to_date: the block's latest outputs are those a fresh top-to-bottom run gives it now; "
                    "stale: it ran, but an edit, a changed input (file, module, dataset) or a run that saw other "
                    "values changed that; never_run: it never succeeded",
    )
    later_changes: list[str] = Field(
        default_factory=list,
        description="names (variables, <config:LIB>, <random>...) whose value in the kernel is not the one a fresh "
                    "run gives this block: running it alone (mode block) may not reproduce a fresh run; runs of "
                    "other modes restore them first",
    )
    last_run_id: str | None = None
    duration: float | None = Field(default=None, description="seconds the block took in its most recent run")
    defines: list[str] = Field(default_factory=list)
    reads: list[str] = Field(default_factory=list)
    parse_error: str | None = None


DocumentSource = Literal["file", "editor", "collaboration"]


class DagOut(BaseModel):
    document: DocumentSource = Field(
        default="file", description="where the notebook was read from: the file, the unsaved document of a "
        "JupyterLab editor (PUT /projects/{id}/document), or the shared document of jupyter-collaboration")
    nodes: list[DagNode]
    edges: list[EdgeOut]
    order: list[str] = Field(description="block ids in a topological order (notebook order where free)")
    dropped: list[EdgeOut] = Field(default_factory=list)
    hidden: list[EdgeOut] = Field(default_factory=list, description="inferred edges the user hid")
    conflicting: list[EdgeOut] = Field(
        default_factory=list,
        description="manual edges left out of the DAG because, with the edges inferred from the "
        "current code, they would close a cycle (see 'cycle'); they stay stored until deleted",
    )


# ---- live documents ---------------------------------------------------------------


class DocumentCell(_Input):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$", description="nbformat cell id")
    cell_type: CellType
    source: str = Field(max_length=10_000_000)
    metadata: dict[str, Any] = Field(default_factory=dict)


class DocumentPut(_Input):
    """``PUT /projects/{id}/document``: the notebook as the user's open JupyterLab editor
    has it, unsaved edits included."""

    cells: list[DocumentCell] = Field(max_length=100_000, description="every cell, in order; ids unique")
    metadata: dict[str, Any] = Field(default=None, description="the notebook's metadata (kernelspec...); "  # type: ignore[assignment]
                                     "absent: the file's")
    base_revision: int = Field(default=None, ge=0, le=2**53,  # type: ignore[assignment]
                               description="the revision this editor's previous PUT got")

    @model_validator(mode="after")
    def _unique_ids(self) -> "DocumentPut":
        seen: set[str] = set()
        for i, cell in enumerate(self.cells):
            if cell.id in seen:
                raise ValueError(f"cells.{i}.id: the cell id {cell.id!r} is used twice")
            seen.add(cell.id)
        return self


class DocumentOut(BaseModel):
    live: Literal["editor", "collaboration"] = Field(
        description="editor: kept in memory for expires_in seconds; collaboration: the server reads the "
        "shared document of jupyter-collaboration and ignored the body (no need to send it again)")
    revision: int | None = Field(default=None, description="editor only: grows with each change of content")
    expires_in: float | None = Field(default=None, description="editor only: seconds it stays live unless sent again")


# ---- runs -------------------------------------------------------------------------


class RunCreate(_Input):
    mode: RunMode = "all"
    block_id: str | None = None
    force: bool = Field(
        default=False,
        description="execute every planned block; otherwise blocks already up to date in the "
        "kernel are not executed (status up_to_date). Mode 'block' always executes its block.",
    )
    kernel_id: str | None = Field(
        default=None, description="run on this existing kernel (e.g. the notebook's session)"
    )
    max_parallel: int | None = Field(
        default=None, ge=1, le=64,
        description="at most this many blocks at once: independent blocks run on warm worker "
        "kernels and their results are brought back into the project kernel (1: sequential). "
        "Default: the server's RunService.max_parallel. Runs on a kernel named by kernel_id, "
        "or on remote (gateway) kernels, are sequential.",
    )


class RunBlockOut(BaseModel):
    block_id: str
    status: BlockRunStatus
    started_at: datetime | None
    finished_at: datetime | None
    execution_count: int | None
    outputs: list[dict[str, Any]]
    error: str | None = None
    kernel: str | None = Field(
        default=None, description="where it ran in a parallel run: 'project' or 'worker-N'"
    )
    note: str | None = Field(
        default=None,
        description="why it ran where it did when that was not the scheduler's choice, e.g. "
        "'ran in the project kernel because it touches hidden module state <matplotlib>'",
    )


class RunOut(BaseModel):
    id: str
    project_id: str
    mode: RunMode | Literal["retry"]
    parent_id: str | None = Field(default=None, description="the run a retry or resume continues")
    block_id: str | None
    status: RunStatus
    reason: str | None
    kernel_id: str | None
    max_parallel: int = 1
    owner: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    blocks: list[RunBlockOut] = Field(default_factory=list)


class RunSummary(BaseModel):
    id: str
    status: RunStatus


class RunCancelling(BaseModel):
    """``POST /runs/{id}/cancel``: the cancellation was asked for; the run's own status
    becomes ``cancelled`` once its kernel stopped (``GET /runs/{id}``)."""

    id: str
    status: Literal["cancelling"]


class RunList(BaseModel):
    runs: list[RunOut]
    total: int


class ErrorOut(BaseModel):
    message: str
    reason: str | None = None
