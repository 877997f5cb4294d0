"""The ``schedules`` table, on the shared :class:`~notebook_dag.storage.orm.Base`: which
jupyter-scheduler job definitions notebook_dag created, for which project and on whose
behalf. It is the authority a scheduled job's run is checked against (a tag on the job
definition is only a hint: anyone who may use jupyter-scheduler's API can set tags).
Removed with its project (``ON DELETE CASCADE``); created by the Alembic migration
``0401``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..storage.orm import Base, utcnow


class Schedule(Base):
    __tablename__ = "schedules"

    #: jupyter-scheduler's ``job_definition_id``
    definition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    #: the user the scheduled runs run as (who created the schedule); their rights are
    #: checked again when each job starts
    owner: Mapped[str] = mapped_column(String(200))
    #: the run's defaults; a job's own parameters ``mode``/``max_parallel`` win
    mode: Mapped[str] = mapped_column(String(10))
    max_parallel: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
