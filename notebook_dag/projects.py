"""Projects: a name, description and tags bound to one notebook, created by a Jupyter
user and shared with others as viewer, editor or owner; favourites are per user."""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Sequence
from typing import Any

from jupyter_core.utils import ensure_async
from sqlalchemy import String, and_, bindparam, case, cast, delete, func, or_, select, update

from . import etags
from .errors import BadRequest, Conflict, Forbidden, NotFound
from .models import ProjectCreate, ProjectUpdate
from .notebooks import NotebookStore, normalize_path
from .storage import Activity, BlockMeta, Database, Edge, Favorite, Project, ProjectMember

#: the activity action that records a user opening a project's DAG view (one row per
#: user and project: the latest); left out of the activity feed
OPENED = "opened"

_SORTS = {
    "name": Project.name.asc(),
    "-name": Project.name.desc(),
    "created": Project.created_at.asc(),
    "-created": Project.created_at.desc(),
    "updated": Project.updated_at.asc(),
    "-updated": Project.updated_at.desc(),
}


ROLES = ("viewer", "editor", "owner")
_RANK = {"viewer": 1, "editor": 2, "owner": 3}
NEEDS = {"view": 1, "edit": 2, "own": 3}


def project_dict(p: Project) -> dict[str, Any]:
    """The API shape of a project (see :class:`notebook_dag.models.ProjectOut`).

    ``role`` and ``favorite`` are the requesting user's, set by :meth:`ProjectService.get`
    and :meth:`ProjectService.list`."""
    return etags.tagged("project", p.id, p.version, {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "tags": list(p.tags or []),
        "notebook_path": p.notebook_path,
        "owner": p.owner,
        "visibility": p.visibility,
        "role": getattr(p, "role", None),
        "favorite": bool(getattr(p, "starred", False)),
        "kernel_name": p.kernel_name,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
        "last_opened_at": getattr(p, "last_opened_at", None),
    })


#: the project, the user's role as a member and their star, by id: built once, since
#: building a statement costs more than running it on a warm connection
_GET = None


def _get_statement() -> Any:
    global _GET
    if _GET is None:
        _GET = _with_role(select(Project, ProjectMember.role, Favorite.username), bindparam("user", type_=String)).where(
            Project.id == bindparam("project_id", type_=String))
    return _GET


def _with_role(stmt: Any, user: Any) -> Any:
    """``stmt`` (a select from :class:`Project`) outer-joined to ``user``'s membership
    row and favourite row of each project (at most one of each: their keys are
    ``(project_id, username)``)."""
    return (stmt
            .outerjoin(ProjectMember, and_(ProjectMember.project_id == Project.id, ProjectMember.username == user))
            .outerjoin(Favorite, and_(Favorite.project_id == Project.id, Favorite.username == user)))


def _visible_to(user: str):
    member = select(ProjectMember.project_id).where(ProjectMember.username == user)
    return or_(Project.owner == user, Project.id.in_(member), Project.visibility == "shared-with-all")


def visible_project_ids(user: str):
    """A ``SELECT Project.id`` of the projects ``user`` may see (owner, member of any
    role, or shared with all): the same rule as :meth:`ProjectService.get` with ``view``."""
    return select(Project.id).where(_visible_to(user))


class ProjectService:
    """CRUD, search and sharing of projects; ``store`` creates missing notebooks.

    Access: a project ``user`` may not see is :class:`NotFound` (its existence is not
    revealed); one they see but may not change this way is :class:`Forbidden`."""

    def __init__(self, db: Database, store: NotebookStore) -> None:
        self.db = db
        self.store = store
        #: called with ``{"project_id", "project_name", "by", "username", "role"}`` when
        #: :meth:`share` adds a new member (not when it changes a role): synchronous, they
        #: must not wait; an error is logged (notifications)
        self.share_hooks: list[Callable[[dict[str, Any]], None]] = []

    async def get(self, project_id: str, user: str, need: str = "view") -> Project:
        """The project ``project_id`` if ``user`` has at least the role ``need`` needs
        (``view``: viewer, ``edit``: editor, ``own``: owner). The returned object carries
        the user's ``role`` and ``starred`` flag."""
        async with self.db.session() as s:  # one query: the project, the user's membership and star
            row = (await s.execute(_get_statement(), {"user": user, "project_id": project_id})).first()
        p, member_role, starred = row if row is not None else (None, None, None)
        role = None if p is None else "owner" if p.owner == user else member_role or (
            "viewer" if p.visibility == "shared-with-all" else None)
        if p is None or role is None:
            raise NotFound(f"no project {project_id!r}")
        if _RANK[role] < NEEDS[need]:
            raise Forbidden(f"you are {role} of this project; this needs {'owner' if need == 'own' else 'editor'}")
        p.role = role
        p.starred = starred is not None
        return p

    async def create(self, body: ProjectCreate, user: str, notebook: Any = None) -> Project:
        """Create a project; an empty notebook is created when ``notebook_path`` names none,
        or ``notebook`` (an nbformat notebook, e.g. from a template) is written there.

        Raises :class:`BadRequest` for a path outside the root or not ending in ``.ipynb``,
        :class:`NotFound` when its directory does not exist, :class:`Conflict` when
        ``notebook`` is given and the path exists (nothing is overwritten).
        """
        path = normalize_path(body.notebook_path)
        if notebook is None:
            await self.store.create_if_missing(path, body.kernel_name)
        elif not await self.store.create_if_missing(path, body.kernel_name, notebook):
            raise Conflict(f"{path} already exists; choose a new notebook path for a project from a template")
        await self.store.read_file(path)  # proves it is a notebook (never writes: ids stay in memory)
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
        p.role, p.starred = "owner", False
        return p

    async def list(
        self,
        user: str,
        q: str | None = None,
        tag: str | Sequence[str] | None = None,
        notebook_path: str | None = None,
        favorite: bool | None = None,
        scope: str = "all",
        sort: str = "-updated",
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Project], int]:
        """Projects visible to ``user`` matching the filters, and the total before paging.

        ``scope``: ``all`` (visible to the user), ``mine`` (created by them) or ``shared``
        (someone else's, shared with them). ``q`` matches name, description or tags,
        case-insensitively; ``tag`` (one tag or several) requires each of them exactly;
        ``favorite`` filters on the
        user's stars. ``sort`` is one of :data:`_SORTS`. Each project carries
        ``last_opened_at``: when ``user`` last opened it (:meth:`opened`), or None; with
        ``notebook_path`` the projects ``user`` opened come first, the last opened first
        (the DAG view of a notebook opens that one).
        """
        # the user's membership, star and last opening come with each row by outer joins,
        # and LIMIT and OFFSET page in SQL: no per-row queries, however many projects there are
        opened = (select(Activity.project_id, func.max(Activity.created_at).label("at"))
                  .where(Activity.username == user, Activity.action == OPENED)
                  .group_by(Activity.project_id).subquery())
        stmt = _with_role(select(Project, ProjectMember.role, Favorite.username, opened.c.at), user).outerjoin(
            opened, opened.c.project_id == Project.id).where(
            or_(Project.owner == user, ProjectMember.username.is_not(None), Project.visibility == "shared-with-all"))
        if scope == "mine":
            stmt = stmt.where(Project.owner == user)
        elif scope == "shared":
            stmt = stmt.where(Project.owner != user)
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
            stmt = stmt.where(Favorite.username.is_not(None) if favorite else Favorite.username.is_(None))
        order = [_SORTS[sort], Project.id]
        if notebook_path:  # NULLS LAST spelled the same on every database
            order = [case((opened.c.at.is_(None), 1), else_=0), opened.c.at.desc(), *order]
        stmt = stmt.order_by(*order)
        tags = [t for t in ([tag] if isinstance(tag, str) else tag or []) if t]
        async with self.db.session() as s:
            if tags:  # exact tags of a JSON list: filtered here, the same on every database
                rows = [r for r in (await s.execute(stmt)).all() if all(t in (r[0].tags or []) for t in tags)]
                page, total = rows[offset : offset + limit], len(rows)
            else:
                page = list((await s.execute(stmt.limit(limit).offset(offset))).all())
                if len(page) < limit and (page or offset == 0):  # the last page: no count needed
                    total = offset + len(page)
                else:  # a count of ids only (a window count would make SQLite sort every full row)
                    ids = stmt.order_by(None).with_only_columns(Project.id).subquery()
                    total = (await s.execute(select(func.count()).select_from(ids))).scalar_one()
        out = []
        for p, member_role, starred, last_opened in page:
            p.role = "owner" if p.owner == user else member_role or "viewer"
            p.starred = starred is not None
            p.last_opened_at = last_opened
            out.append(p)
        return out, total

    async def update(self, project_id: str, body: ProjectUpdate, user: str,
                     version: int | etags.Expected | None = None) -> Project:
        """Apply the fields set in ``body``. Starring needs only view access, other
        fields edit access, ``visibility`` ownership. Without ``version`` concurrent
        updates (from this server or another on the same database) all apply, one after
        another; starring twice, or at the same moment, is harmless. With ``version``
        — the client's ``If-Match`` (:class:`etags.Expected`), or a bare integer row
        version (the older form) — a change in between raises
        :class:`~notebook_dag.errors.PreconditionFailed` (412; :class:`Conflict`, 409,
        for the bare integer) with the current project and its ETag, and nothing is
        written. Raises :class:`NotFound` / :class:`Forbidden` as :meth:`get` does."""
        expected = version if isinstance(version, etags.Expected) else etags.Expected.of_version(version)
        fields = body.model_dump(exclude_unset=True)
        star = fields.pop("favorite", None)
        need = "own" if "visibility" in fields else "edit" if fields else "view"
        p = await self.get(project_id, user, need)
        values = {key: value.strip() if key == "name" else value for key, value in fields.items()}
        async with self.db.session() as s:
            applied = True
            if values:
                # one statement checks and bumps the version: no read-modify-write that a
                # concurrent writer could slip into, so no retry, no lost update
                stmt = update(Project).where(Project.id == project_id)
                if expected is not None and not expected.any:
                    stmt = stmt.where(Project.version.in_(expected.int_versions()))
                stmt = stmt.values(**values, version=Project.version + 1).execution_options(synchronize_session=False)
                applied = (await s.execute(stmt)).rowcount == 1
            # FOR KEY SHARE (PostgreSQL): the project cannot be deleted before the
            # favourite below that refers to it is committed
            row = await s.get(Project, project_id, with_for_update={"read": True, "key_share": True})
            if row is None:
                raise NotFound(f"no project {project_id!r}")
            if not values and expected is not None:
                applied = expected.matches(row.version)
            if not applied:
                row.role, row.starred = p.role, p.starred
                raise expected.failure("the project changed since you read it", project_dict(row))
            if star:
                # idempotent under concurrent stars (from this server or another one)
                await s.execute(
                    self.db.insert(Favorite).values(project_id=project_id, username=user).on_conflict_do_nothing(
                        index_elements=[Favorite.project_id, Favorite.username])
                )
            elif star is not None:
                await s.execute(delete(Favorite).where(Favorite.project_id == project_id, Favorite.username == user))
        if "visibility" in values or "notebook_path" in values:
            # who sees the project sees its datasets: any DAG view's dataset inputs may change
            self.db.changes.touch()
        row.role, row.starred = p.role, p.starred if star is None else star
        return row

    async def opened(self, project_id: str, user: str) -> None:
        """Record that ``user`` opened the project's DAG view now (needs view access;
        raises as :meth:`get`): one activity row of action :data:`OPENED` per user and
        project, replaced each time, so that :meth:`list` puts the notebook's last
        opened project first."""
        await self.get(project_id, user)
        async with self.db.session() as s:
            await s.execute(delete(Activity).where(Activity.project_id == project_id, Activity.username == user,
                                                   Activity.action == OPENED))
            s.add(Activity(project_id=project_id, username=user, action=OPENED, detail={}))

    # ---- sharing -------------------------------------------------------------------

    async def members(self, project_id: str, user: str) -> dict[str, Any]:
        """``{"owner", "visibility", "members": [{"username", "role", "added_by"}]}``."""
        p = await self.get(project_id, user)
        async with self.db.session() as s:
            rows = (await s.execute(select(ProjectMember).where(ProjectMember.project_id == p.id).order_by(ProjectMember.username))).scalars()
            members = [{"username": r.username, "role": r.role, "added_by": r.added_by} for r in rows]
        return {"owner": p.owner, "visibility": p.visibility, "members": members}

    async def share(self, project_id: str, user: str, username: str, role: str) -> dict[str, Any]:
        """Give ``username`` the ``role`` (owner only); sharing again sets the role, so
        the same share repeated, or sent twice at once, is harmless. Raises
        :class:`BadRequest` for sharing with the creator, who is always owner,
        :class:`NotFound` / :class:`Forbidden` as :meth:`get` does."""
        p = await self.get(project_id, user, "own")
        if username == p.owner:
            raise BadRequest(f"{username} created this project and is always its owner")
        async with self.db.session() as s:
            known = await s.get(ProjectMember, (p.id, username))
            stmt = self.db.insert(ProjectMember).values(project_id=p.id, username=username, role=role, added_by=user)
            await s.execute(stmt.on_conflict_do_update(
                index_elements=[ProjectMember.project_id, ProjectMember.username],
                set_={"role": stmt.excluded.role, "added_by": stmt.excluded.added_by},
            ))
        self.db.changes.touch()  # members read the project's datasets: DAG views' inputs may change
        if known is None:
            share = {"project_id": p.id, "project_name": p.name, "by": user, "username": username, "role": role}
            for hook in self.share_hooks:
                try:
                    hook(share)
                except Exception:  # noqa: BLE001 - the share is done whatever a listener does
                    logging.getLogger(__name__).exception("notebook_dag: a share hook failed")
        return await self.members(project_id, user)

    async def unshare(self, project_id: str, user: str, username: str) -> None:
        """Remove ``username`` from the members (owner only, or the member themselves)."""
        await self.get(project_id, user, "view" if username == user else "own")
        async with self.db.session() as s:
            res = await s.execute(
                delete(ProjectMember).where(ProjectMember.project_id == project_id, ProjectMember.username == username)
            )
            if res.rowcount == 0:
                raise NotFound(f"{username} is not a member of this project")
        self.db.changes.touch()

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
            await self.store.write(path, await self.store.read_file(src.notebook_path))
        async with self.db.session() as s:
            p = Project(
                name=name.strip() if name else f"{src.name} (copy)",
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
        p.role, p.starred = "owner", False
        return p

    async def delete(self, project_id: str, user: str, expected: etags.Expected | None = None) -> None:
        """Delete a project with its edges, runs, positions and members (owner only);
        the notebook stays. Raises :class:`NotFound` when it does not exist (or a
        concurrent request deleted it first), :class:`Forbidden` for a non-owner, and
        :class:`~notebook_dag.errors.PreconditionFailed` when ``expected`` (the
        client's If-Match) names no current version (checked in the DELETE itself)."""
        p = await self.get(project_id, user, "own")
        async with self.db.session() as s:
            # a plain DELETE (the database cascades to the rest): an ORM delete would check
            # the row version and fail when a concurrent edit or deletion came first
            stmt = delete(Project).where(Project.id == project_id)
            if expected is not None and not expected.any:
                stmt = stmt.where(Project.version.in_(expected.int_versions()))
            res = await s.execute(stmt)
            if res.rowcount == 0:
                row = await s.get(Project, project_id) if expected is not None else None
                if row is None:
                    raise NotFound(f"no project {project_id!r}")
                row.role, row.starred = p.role, p.starred
                raise expected.failure("the project changed since you read it", project_dict(row))
