"""SQLAlchemy 2 typed ORM models.

Tables (all owned by a project and removed with it through ``ON DELETE CASCADE``):

- ``projects``: one row per project, bound to one notebook path of the contents manager.
- ``edges``: manual DAG edges between two cell ids of the project's notebook.
- ``block_meta``: per-cell metadata kept outside the notebook (title override, saved
  layout position in the DAG view).
- ``runs`` and ``run_blocks``: run history, one row per executed block with its
  nbformat outputs.
- ``run_artifacts``: files a run created or changed beside the notebook (see
  :mod:`notebook_dag.artifacts`), never read with the run history.

The schema is created and upgraded only by the Alembic migrations in
``notebook_dag/storage/migrations``; keep both in step.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator


def new_id() -> str:
    """A new random identifier (32 hex digits)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A ``DateTime`` that always comes back timezone-aware (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    """Declarative base of every notebook_dag table."""

    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    notebook_path: Mapped[str] = mapped_column(String(1024), index=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    visibility: Mapped[str] = mapped_column(String(20), default="private", server_default="private")
    kernel_name: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    edges: Mapped[list[Edge]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )
    runs: Mapped[list[Run]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )
    block_meta: Mapped[list[BlockMeta]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class ProjectMember(Base):
    """A user the project is shared with, as ``viewer``, ``editor`` or ``owner``."""

    __tablename__ = "project_members"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(10))
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Favorite(Base):
    """A user's star on a project."""

    __tablename__ = "favorites"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(200), primary_key=True)


class Activity(Base):
    """Who did what, when: runs, edits, sharing, generation."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_project_created", "project_id", "created_at"),
        Index("ix_activity_username_created", "username", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), default=None)
    username: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Edge(Base):
    """A manual edge (``kind="manual"``), or an inferred edge the user hid (``"hidden"``)."""

    __tablename__ = "edges"
    __table_args__ = (UniqueConstraint("project_id", "source", "target", "kind", name="uq_edge"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10), default="manual", server_default="manual")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="edges")


class BlockMeta(Base):
    __tablename__ = "block_meta"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    block_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(300), default=None)
    x: Mapped[float | None] = mapped_column(default=None)
    y: Mapped[float | None] = mapped_column(default=None)


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_project_created", "project_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(20))
    block_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    kernel_id: Mapped[str | None] = mapped_column(String(64), default=None)
    parent_id: Mapped[str | None] = mapped_column(String(32), default=None)
    owner: Mapped[str] = mapped_column(String(200), default="")
    #: the ``RunService.server_id`` of the server executing it ("" for a personal server)
    server: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: at most this many blocks executed at once (1: sequential on one kernel)
    max_parallel: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    project: Mapped[Project] = relationship(back_populates="runs")
    blocks: Mapped[list[RunBlock]] = relationship(
        back_populates="run",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RunBlock.seq",
    )


class RunBlock(Base):
    __tablename__ = "run_blocks"
    __table_args__ = (UniqueConstraint("run_id", "block_id", name="uq_run_block"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    source: Mapped[str] = mapped_column(Text, default="")
    execution_count: Mapped[int | None] = mapped_column(default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    outputs: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    #: where it ran in a parallel run: ``project`` or ``worker-N`` (None: one-kernel run)
    kernel: Mapped[str | None] = mapped_column(String(40), default=None)
    #: why it ran where it did, when that was not the scheduler's free choice
    note: Mapped[str | None] = mapped_column(Text, default=None)

    run: Mapped[Run] = relationship(back_populates="blocks")


class RunArtifact(Base):
    """A file under the notebook's directory that a run created or changed: its contents
    path, size, SHA-256 and MIME type when the run ended, and the block that wrote it
    (None when it cannot be told: ``note`` says why). ``project_id`` is the run's, so the
    latest artifact of a path is one indexed query."""

    __tablename__ = "run_artifacts"
    __table_args__ = (
        UniqueConstraint("run_id", "path", name="uq_run_artifact"),
        Index("ix_run_artifacts_project_path", "project_id", "path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    block_id: Mapped[str | None] = mapped_column(String(64), default=None)
    path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    mime: Mapped[str | None] = mapped_column(String(200), default=None)
    #: ``created`` or ``modified``
    change: Mapped[str] = mapped_column(String(10), default="created")
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
