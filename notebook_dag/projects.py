"""Projects: a name, description, tags and favourite flag bound to one notebook,
owned by the Jupyter user who created it."""

from __future__ import annotations

import posixpath
from typing import Any

from jupyter_core.utils import ensure_async
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from .errors import Conflict, NotFound
from .models import ProjectCreate, ProjectUpdate
from .notebooks import NotebookStore, normalize_path
from .storage import BlockMeta, Database, Edge, Project

_SORTS = {
    "name": Project.name.asc(),
    "-name": Project.name.desc(),
    "created": Project.created_at.asc(),
    "-created": Project.created_at.desc(),
    "updated": Project.updated_at.asc(),
    "-updated": Project.updated_at.desc(),
}


def project_dict(p: Project) -> dict[str, Any]:
    """The API shape of a project (see :class:`notebook_dag.models.ProjectOut`)."""
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "tags": list(p.tags or []),
        "notebook_path": p.notebook_path,
        "owner": p.owner,
        "favorite": p.favorite,
        "kernel_name": p.kernel_name,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
    }


class ProjectService:
    """CRUD and search of projects; ``store`` creates missing notebooks."""

    def __init__(self, db: Database, store: NotebookStore) -> None:
        self.db = db
        self.store = store

    async def get(self, project_id: str, user: str) -> Project:
        """The project ``project_id`` visible to ``user``; :class:`NotFound` otherwise."""
        async with self.db.session() as s:
            p = await s.get(Project, project_id)
            if p is None or p.owner != user:
                raise NotFound(f"no project {project_id!r}")
            return p

    async def create(self, body: ProjectCreate, user: str) -> Project:
        """Create a project; an empty notebook is created when ``notebook_path`` names none.

        Raises :class:`BadRequest` for a path outside the root or not ending in ``.ipynb``,
        :class:`NotFound` when its directory does not exist.
        """
        path = normalize_path(body.notebook_path)
        await self.store.create_if_missing(path, body.kernel_name)
        await self.store.read(path)  # assigns cell ids once, and proves it is a notebook
        async with self.db.session() as s:
            p = Project(
                name=body.name.strip(),
                description=body.description,
                tags=body.tags,
                notebook_path=path,
                owner=user,
                kernel_name=body.kernel_name,
            )
            s.add(p)
            await s.flush()
            await s.refresh(p)
            return p

    async def list(
        self,
        user: str,
        q: str | None = None,
        tag: str | None = None,
        notebook_path: str | None = None,
        favorite: bool | None = None,
        sort: str = "-updated",
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Project], int]:
        """Projects of ``user`` matching the filters, and the total before paging.

        ``q`` matches name, description or tags, case-insensitively; ``tag`` requires
        an exact tag. ``sort`` is one of :data:`_SORTS`.
        """
        stmt = select(Project).where(Project.owner == user)
        if q:
            like = f"%{q.lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(Project.name).like(like),
                    func.lower(Project.description).like(like),
                    func.lower(cast(Project.tags, String)).like(like),
                )
            )
        if notebook_path:
            stmt = stmt.where(Project.notebook_path == normalize_path(notebook_path))
        if favorite is not None:
            stmt = stmt.where(Project.favorite.is_(favorite))
        async with self.db.session() as s:
            rows = list((await s.execute(stmt.order_by(_SORTS[sort], Project.id))).scalars())
        if tag:
            rows = [p for p in rows if tag in (p.tags or [])]
        return rows[offset : offset + limit], len(rows)

    async def update(self, project_id: str, body: ProjectUpdate, user: str, version: int | None = None) -> Project:
        """Apply the fields set in ``body``. With ``version`` (the row version the client
        saw), a concurrent change in between raises :class:`Conflict`."""
        async with self.db.session() as s:
            p = await s.get(Project, project_id)
            if p is None or p.owner != user:
                raise NotFound(f"no project {project_id!r}")
            if version is not None and version != p.version:
                raise Conflict("the project changed since you read it", current=project_dict(p))
            for key, value in body.model_dump(exclude_unset=True).items():
                setattr(p, key, value.strip() if key == "name" else value)
            try:
                await s.flush()
            except StaleDataError:
                raise Conflict("the project changed since you read it") from None
            await s.refresh(p)
            return p

    async def duplicate(self, project_id: str, user: str, name: str | None, notebook_path: str | None) -> Project:
        """Copy a project: its notebook (through the contents manager, next to the
        original unless ``notebook_path`` is given), tags, manual and hidden edges and
        block positions. Runs are not copied. Raises :class:`Conflict` when
        ``notebook_path`` exists already."""
        src = await self.get(project_id, user)
        if notebook_path is None:
            model = await ensure_async(self.store.contents_manager.copy(src.notebook_path, posixpath.dirname(src.notebook_path)))
            path = model["path"]
        else:
            path = normalize_path(notebook_path)
            if await self.store.exists(path):
                raise Conflict(f"{path!r} exists already")
            await self.store.write(path, await self.store.read(src.notebook_path))
        async with self.db.session() as s:
            p = Project(
                name=name or f"{src.name} (copy)",
                description=src.description,
                tags=list(src.tags or []),
                notebook_path=path,
                owner=user,
                kernel_name=src.kernel_name,
            )
            s.add(p)
            await s.flush()
            for e in (await s.execute(select(Edge).where(Edge.project_id == src.id))).scalars().all():
                s.add(Edge(project_id=p.id, source=e.source, target=e.target, kind=e.kind))
            for m in (await s.execute(select(BlockMeta).where(BlockMeta.project_id == src.id))).scalars().all():
                s.add(BlockMeta(project_id=p.id, block_id=m.block_id, title=m.title, x=m.x, y=m.y))
            await s.flush()
            await s.refresh(p)
            return p

    async def delete(self, project_id: str, user: str) -> None:
        """Delete a project with its edges, runs and positions; the notebook stays."""
        async with self.db.session() as s:
            p = await s.get(Project, project_id)
            if p is None or p.owner != user:
                raise NotFound(f"no project {project_id!r}")
            await s.delete(p)
