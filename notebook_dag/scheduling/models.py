"""Pydantic models of the schedules routes (``/projects/{id}/schedules``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ..models import _Input, _not_blank

ScheduleMode = Literal["stale", "all"]


class ScheduleCreate(_Input):
    """``POST /projects/{id}/schedules``: a jupyter-scheduler job definition that runs the
    project's DAG."""

    schedule: str = Field(min_length=1, max_length=200,
                          description="a cron expression of five fields (minute hour day month weekday), as "
                                      "jupyter-scheduler takes it, e.g. '0 6 * * 1-5'; 422 when it does not parse")
    timezone: str = Field(default="UTC", min_length=1, max_length=100,
                          description="IANA time zone the cron expression is read in, e.g. 'Europe/Paris'; 422 "
                                      "when unknown")
    mode: ScheduleMode = Field(default="stale", description="stale: only the blocks not up to date; all: every block")
    max_parallel: int | None = Field(default=None, ge=1, le=64,
                                     description="at most this many blocks at once (see POST /projects/{id}/runs); "
                                                 "absent: the server's RunService.max_parallel")
    name: str | None = Field(default=None, min_length=1, max_length=200,
                             description="the job definition's name in jupyter-scheduler (default: '<project> DAG')")

    _name = field_validator("name")(_not_blank)


class ScheduleOut(BaseModel):
    id: str = Field(description="jupyter-scheduler's job_definition_id (GET /scheduler/job_definitions/{id})")
    project_id: str
    name: str
    schedule: str | None
    timezone: str | None
    mode: ScheduleMode
    max_parallel: int | None
    active: bool = Field(description="false when paused in jupyter-scheduler")
    owner: str = Field(description="the user the scheduled runs run as")
    created_at: datetime


class ScheduleList(BaseModel):
    schedules: list[ScheduleOut]


class JobRunOut(BaseModel):
    """What the job's process gets back from ``{API}/scheduler-jobs/{job_id}/run``."""

    run_id: str
    status: str
    reason: str | None = None
    token: str = Field(description="a renewed job token: send it with the next request")
    notebook: dict | None = Field(default=None, description="once the run ended: the project's notebook with the "
                                                            "run's outputs, the job's output notebook")
