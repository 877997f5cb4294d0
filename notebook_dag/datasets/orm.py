"""SQLAlchemy tables of the datasets feature, on the shared :class:`~notebook_dag.storage.orm.Base`.

- ``datasets``: one named dataset of one owner, optionally associated with a project
  (``ON DELETE SET NULL``: deleting a project keeps its data). Identity for versioning
  is ``(owner, project_id, name)``.
- ``dataset_versions``: the immutable versions of a dataset (1, 2, ...). Each points at a
  file: an uploaded blob (content-addressed, shared between versions with the same
  SHA-256) under ``datasets_dir`` or on object storage (``file_path`` is then its URL,
  ``s3://...``), or a registered file under the server root (``api_path``).
- ``dataset_profiles``: quick profiles, keyed by ``(sha256, format)``: computed once per
  content, whichever dataset or version it belongs to.
- ``dataset_reports``: ydata-profiling HTML reports, keyed the same way.

Profiles and reports record the ``server`` computing them, so that a server starting on
a shared database marks only its own unfinished ones as failed.

The schema is created by the Alembic migrations ``0002_datasets`` (branch ``datasets``)
and ``0202_dataset_jobs_server``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..storage.orm import Base, new_id, utcnow


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (Index("ix_datasets_owner_name", "owner", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None, index=True
    )
    owner: Mapped[str] = mapped_column(String(200), index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DatasetVersion.version",
    )


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version", name="uq_dataset_version"),
        Index("ix_dataset_versions_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # "upload" | "path"
    file_path: Mapped[str] = mapped_column(Text)  # absolute OS path of the file, or its object URL
    api_path: Mapped[str | None] = mapped_column(Text, default=None)  # registered files only
    original_name: Mapped[str] = mapped_column(String(255), default="")
    mtime: Mapped[float | None] = mapped_column(Float, default=None)  # registered files only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")


class DatasetProfile(Base):
    __tablename__ = "dataset_profiles"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    format: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|ready|failed
    #: the ``RunService.server_id`` of the server computing it ("" for a personal server)
    server: Mapped[str] = mapped_column(String(200), default="", server_default="")
    profile: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # CSV/TSV/JSON lines: byte offsets of every 65536th row (preview.row_index), for previews
    row_index: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class DatasetReport(Base):
    __tablename__ = "dataset_reports"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    format: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|succeeded|failed
    #: the ``RunService.server_id`` of the server building it ("" for a personal server)
    server: Mapped[str] = mapped_column(String(200), default="", server_default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    html_path: Mapped[str | None] = mapped_column(Text, default=None)
    rows: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sample_rows: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
