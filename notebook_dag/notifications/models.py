"""Response models of notifications (a leaf: no service, handler or storage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

#: what a notification is about
Kind = Literal["run", "share", "report", "ai", "import"]
KINDS: tuple[str, ...] = ("run", "share", "report", "ai", "import")


class NotificationOut(BaseModel):
    id: int
    kind: Kind
    level: Literal["info", "success", "error"] = Field(
        description="the outcome: success (a run, report, generation or import that succeeded), error (one that "
                    "failed) or info (a share)")
    title: str
    message: str
    target: dict[str, Any] = Field(
        description="what the notification's action opens: {project_id, run_id} (run), {project_id} (share), "
                    "{dataset_id, version} (report), {project_id, block_id?} (ai), {dataset_id} or {url} (import)")
    read: bool
    created_at: datetime
    read_at: datetime | None = None


class NotificationList(BaseModel):
    notifications: list[NotificationOut] = Field(description="unread first, then newest first")
    total: int = Field(description="all of the user's notifications")
    unread: int = Field(description="the user's unread notifications")
    user: str = Field(description="the user they are for: events of notebook_dag/notification/v1 naming another "
                                  "user are not for this client")


class ReadAll(BaseModel):
    marked: int = Field(description="how many notifications were unread and are now read")
    unread: int = Field(description="unread notifications left (0 unless new ones arrived meanwhile)")
