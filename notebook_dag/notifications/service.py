"""Stores, lists and marks read the notifications of each user, pushes each as an event,
and produces them from the other services' end points (see :meth:`NotificationService.attach`)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from sqlalchemy import func, select, update
from traitlets import Float
from traitlets.config import LoggingConfigurable

from ..errors import NotFound
from ..storage import Database
from ..storage.orm import utcnow
from .models import KINDS
from .orm import Notification

NOTIFICATION_SCHEMA_ID = "https://schema.jupyter.org/notebook_dag/notification/v1"
LEVELS = ("info", "success", "error")
#: longest title and message stored (longer ones are cut, with an ellipsis)
MAX_TITLE, MAX_MESSAGE = 300, 2000


def notification_dict(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "level": n.level, "title": n.title, "message": n.message,
            "target": n.target or {}, "read": n.read_at is not None, "created_at": n.created_at, "read_at": n.read_at}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 4 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


class NotificationService(LoggingConfigurable):
    """Per-user notifications, stored in ``notifications`` and emitted on the server's
    event bus (schema ``notebook_dag/notification/v1``: the recipient, the id and the kind,
    never the text). Configurable as ``c.NotificationService.<trait>``."""

    run_threshold = Float(
        60.0, min=0.0,
        help="Seconds a run must take (from being queued to its end) for its end, succeeded or failed, to "
             "notify the user who started it. 0: every run.",
    ).tag(config=True)

    ai_threshold = Float(
        20.0, min=0.0,
        help="Seconds an AI generation or fix must take for its end to notify the user who asked. 0: every one.",
    ).tag(config=True)

    def __init__(self, db: Database, event_logger: Any | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.event_logger = event_logger
        #: notifications being stored from a producer's hook (kept so none is collected early)
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- producing --------------------------------------------------------------------
    async def notify(self, user: str, kind: str, title: str, message: str = "", target: dict[str, Any] | None = None,
                     level: str | None = None) -> None:
        """Store a notification for ``user`` and emit it. ``kind``: run, share, report, ai or
        import; ``target``: what its action opens (``{"project_id", "run_id"}``,
        ``{"dataset_id"}``, ``{"url"}`` ...); ``level``: info (default), success or error.
        Never raises: a failure is logged, the work it is about has succeeded anyway."""
        try:
            if kind not in KINDS:
                raise ValueError(f"unknown notification kind {kind!r}")
            if not user:
                raise ValueError("no recipient")
            level = level if level in LEVELS else "info"
            async with self.db.session() as s:
                n = Notification(username=user, kind=kind, level=level, title=_cut(title, MAX_TITLE),
                                 message=_cut(message or "", MAX_MESSAGE), target=dict(target or {}))
                s.add(n)
                await s.flush()
                nid = n.id
            self._emit(user, "created", nid, kind)
        except Exception:  # noqa: BLE001 - a notification never fails the work it is about
            self.log.exception("notebook_dag: cannot notify %s (%s: %s)", user, kind, title)

    def notify_later(self, user: str | None, kind: str, title: str, message: str = "",
                     target: dict[str, Any] | None = None, level: str | None = None) -> None:
        """:meth:`notify` in a background task: for producers' synchronous hooks, which must
        not wait for the database."""
        if user:
            self._spawn(self.notify(user, kind, title, message, target, level))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the notifications being stored (tests, server stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _emit(self, user: str, action: str, nid: int, kind: str = "") -> None:
        if self.event_logger is None:
            return
        try:
            self.event_logger.emit(schema_id=NOTIFICATION_SCHEMA_ID,
                                   data={"user": user, "action": action, "id": nid, "kind": kind})
        except Exception:  # noqa: BLE001 - the notification is stored; the next GET shows it
            self.log.exception("notebook_dag: cannot emit a notification event")

    # ---- the REST routes ----------------------------------------------------------------
    async def list(self, user: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """``user``'s notifications, unread first, then newest first, with the totals
        (see :class:`~notebook_dag.notifications.models.NotificationList`)."""
        mine = Notification.username == user
        async with self.db.session() as s:
            total = await s.scalar(select(func.count()).select_from(Notification).where(mine))
            unread = await s.scalar(select(func.count()).select_from(Notification).where(
                mine, Notification.read_at.is_(None)))
            rows = (await s.execute(
                select(Notification).where(mine)
                .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
                .limit(limit).offset(offset)
            )).scalars()
            items = [notification_dict(n) for n in rows]
        return {"notifications": items, "total": int(total or 0), "unread": int(unread or 0), "user": user}

    async def _mine(self, s: Any, user: str, notification_id: int) -> Notification:
        n = await s.get(Notification, notification_id)
        if n is None or n.username != user:  # another user's is as unknown as a missing one
            raise NotFound(f"no notification {notification_id}")
        return n

    async def get(self, user: str, notification_id: int) -> dict[str, Any]:
        """One of ``user``'s notifications. Raises :class:`NotFound` for a missing one or
        another user's."""
        async with self.db.session() as s:
            return notification_dict(await self._mine(s, user, notification_id))

    async def read(self, user: str, notification_id: int) -> dict[str, Any]:
        """Mark one of ``user``'s notifications read (again: harmless; ``read_at`` stays the
        first time). Raises :class:`NotFound` for a missing one or another user's."""
        async with self.db.session() as s:
            n = await self._mine(s, user, notification_id)
            changed = n.read_at is None
            if changed:
                n.read_at = utcnow()
            out = notification_dict(n)
        if changed:
            self._emit(user, "read", notification_id)
        return out

    async def read_all(self, user: str) -> dict[str, int]:
        """Mark every unread notification of ``user`` read: ``{"marked", "unread"}``."""
        async with self.db.session() as s:
            result = await s.execute(update(Notification).where(
                Notification.username == user, Notification.read_at.is_(None)).values(read_at=utcnow()))
            marked = int(result.rowcount or 0)
            unread = await s.scalar(select(func.count()).select_from(Notification).where(
                Notification.username == user, Notification.read_at.is_(None)))
        if marked:
            self._emit(user, "read", 0)
        return {"marked": marked, "unread": int(unread or 0)}

    # ---- producers ----------------------------------------------------------------------
    def attach(self, services: Any) -> None:
        """Hook into the services that produce notifications: runs (``run_end_hooks``),
        projects (``share_hooks``), datasets (their jobs' ``report_end_hooks``) and AI
        (``done_hooks``), whichever are present. Each hook only schedules a task."""
        runs = getattr(services, "runs", None)
        if runs is not None and hasattr(runs, "run_end_hooks"):
            runs.run_end_hooks.append(self.run_ended)
        projects = getattr(services, "projects", None)
        if projects is not None and hasattr(projects, "share_hooks"):
            projects.share_hooks.append(self.shared)
        jobs = getattr(getattr(services, "datasets", None), "jobs", None)
        if jobs is not None and hasattr(jobs, "report_end_hooks"):
            jobs.report_end_hooks.append(self.report_ended)
        ai = getattr(services, "ai", None)
        if ai is not None and hasattr(ai, "done_hooks"):
            ai.done_hooks.append(self.ai_done)

    def run_ended(self, end: dict[str, Any]) -> None:
        """A run ended (``{"run_id", "project_id", "project_name", "user", "status",
        "reason", "seconds"}``): notify its user when it succeeded or failed after at least
        :attr:`run_threshold` seconds (cancelled and interrupted runs notify nobody)."""
        if end.get("status") not in ("succeeded", "failed") or float(end.get("seconds") or 0) < self.run_threshold:
            return
        ok = end["status"] == "succeeded"
        name = end.get("project_name") or end.get("project_id", "")
        title = f"Run of {name} {'succeeded' if ok else 'failed'}"
        message = f"after {_duration(float(end['seconds']))}"
        if not ok and end.get("reason"):
            message += f": {end['reason']}"
        self.notify_later(end.get("user"), "run", title, message,
                          {"project_id": end.get("project_id"), "run_id": end.get("run_id")},
                          "success" if ok else "error")

    def shared(self, share: dict[str, Any]) -> None:
        """``{"project_id", "project_name", "by", "username", "role"}``: a new member."""
        self.notify_later(share.get("username"), "share", f"{share.get('by')} shared {share.get('project_name')} with you",
                          f"as {share.get('role')}", {"project_id": share.get("project_id")}, "info")

    def report_ended(self, end: dict[str, Any]) -> None:
        """``{"users": [...], "dataset_id", "dataset_name", "version", "status", "message"}``:
        a full profile report some users asked for is ready, or failed."""
        ok = end.get("status") == "succeeded"
        name = end.get("dataset_name") or end.get("dataset_id")
        title = f"Profile report of {name} {'is ready' if ok else 'failed'}"
        for user in dict.fromkeys(end.get("users") or ()):
            self.notify_later(user, "report", title, end.get("message") or "",
                              {"dataset_id": end.get("dataset_id"), "version": end.get("version")},
                              "success" if ok else "error")

    def ai_done(self, done: dict[str, Any]) -> None:
        """``{"user", "kind" (generate or fix), "project_id", "block_id", "seconds"}``: a
        generation that took at least :attr:`ai_threshold` seconds succeeded."""
        if float(done.get("seconds") or 0) < self.ai_threshold:
            return
        what = "AI fix" if done.get("kind") == "fix" else "AI generation"
        target = {"project_id": done.get("project_id")}
        if done.get("block_id"):
            target["block_id"] = done["block_id"]
        self.notify_later(done.get("user"), "ai", f"{what} finished", done.get("message") or "", target, "success")

