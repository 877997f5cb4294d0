"""The activity feed: who ran, edited, shared or generated what, and when.

Each record is stored and pushed on Jupyter's event bus (schema
``notebook_dag/activity/v1``) so other users' views can update live.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .errors import is_foreign_key_violation
from .storage import Activity, Database, Project, ProjectMember

ACTIVITY_SCHEMA_ID = "https://schema.jupyter.org/notebook_dag/activity/v1"


def activity_dict(a: Activity) -> dict[str, Any]:
    return {
        "id": a.id,
        "project_id": a.project_id,
        "username": a.username,
        "action": a.action,
        "detail": a.detail or {},
        "created_at": a.created_at,
    }


class ActivityService:
    """Records and lists activity; ``event_logger`` (optional) receives each record."""

    def __init__(self, db: Database, event_logger: Any | None = None) -> None:
        self.db = db
        self.event_logger = event_logger

    async def record(self, project_id: str | None, actor: str, action: str, **detail: Any) -> None:
        """Store one record (``action`` such as ``run``, ``edit_block``, ``share``) and emit it.

        When a concurrent request has deleted the project meanwhile, nothing is recorded
        (its activity went with it) and nothing is raised: the action itself succeeded.
        Raises :class:`sqlalchemy.exc.IntegrityError` for any other constraint violation."""
        try:
            async with self.db.session() as s:
                s.add(Activity(project_id=project_id, username=actor, action=action, detail=detail))
        except IntegrityError as e:
            if project_id is None or not is_foreign_key_violation(e):
                raise
            return
        if self.event_logger is not None:
            self.event_logger.emit(
                schema_id=ACTIVITY_SCHEMA_ID,
                data={"project_id": project_id or "", "username": actor, "action": action},
            )

    async def for_project(self, project_id: str, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A project's activity, newest first, and the total."""
        where = Activity.project_id == project_id
        return await self._page(where, limit, offset)

    async def for_user(self, username: str, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """What ``username`` did, and what others did on projects ``username`` can see,
        newest first, and the total."""
        member = select(ProjectMember.project_id).where(ProjectMember.username == username)
        visible = select(Project.id).where(
            (Project.owner == username) | Project.id.in_(member) | (Project.visibility == "shared-with-all")
        )
        where = (Activity.username == username) | Activity.project_id.in_(visible)
        return await self._page(where, limit, offset)

    async def _page(self, where: Any, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        # "opened" rows only remember which project of a notebook a user opened last
        # (notebook_dag.projects.ProjectService.opened): no activity to show
        where = where & (Activity.action != "opened")
        async with self.db.session() as s:
            total = await s.scalar(select(func.count()).select_from(Activity).where(where))
            rows = (
                await s.execute(
                    select(Activity).where(where).order_by(Activity.created_at.desc(), Activity.id.desc()).limit(limit).offset(offset)
                )
            ).scalars()
            return [activity_dict(a) for a in rows], int(total or 0)
