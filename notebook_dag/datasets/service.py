"""Datasets: named, versioned data files of a user, optionally tied to a project.

Identity for versioning is ``(owner, project, name)``: adding content under a name that
exists in the same project (or among project-less datasets) makes version n+1 and makes
it current; older versions stay readable. Content equal to the current version's
(same SHA-256 and format) adds no version, and bytes already stored are never stored
again (see :class:`~notebook_dag.datasets.store.DatasetFiles`).
"""

from __future__ import annotations

import asyncio
import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jupyter_core.paths import is_hidden
from sqlalchemy import String, cast, func, or_, select

from .. import etags
from ..errors import BadRequest, Conflict, Forbidden, NotFound, Unavailable
from ..projects import visible_project_ids
from ..storage import Database
from .analysis_service import DatasetAnalyses
from .formats import SUFFIX, detect_format, validate
from .preview import preview
from .jobs import DatasetJobs
from .links import DatasetLinks
from .models import DatasetRegister, DatasetUpdate
from .orm import Dataset, DatasetProfile, DatasetReport, DatasetVersion
from .settings import DatasetSettings
from .store import DatasetFiles, UploadSink, api_to_os_path, check_name, sha256_file

_SORTS = {
    "name": Dataset.name.asc(), "-name": Dataset.name.desc(),
    "created": Dataset.created_at.asc(), "-created": Dataset.created_at.desc(),
    "updated": Dataset.updated_at.asc(), "-updated": Dataset.updated_at.desc(),
}


@dataclass
class NewContent:
    """What :meth:`DatasetService._add_version` records for one upload or registration."""

    name: str
    project_id: str | None
    description: str
    tags: list[str]
    sha256: str
    format: str
    size: int
    source: str
    file_path: str
    api_path: str | None = None
    original_name: str = ""
    mtime: float | None = None
    deduplicated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


PREVIEW_READ_WHOLE_BYTES = 64 << 20


def _profile_dtypes(profile: DatasetProfile | None) -> list[tuple[str, str]] | None:
    """The whole file's pandas dtypes stored with a ready profile; None without them
    (no profile, not ready, or computed before they were added)."""
    if profile is None or profile.status != "ready" or not isinstance(profile.profile, dict):
        return None
    pairs = profile.profile.get("pandas_dtypes")
    if not isinstance(pairs, list):
        return None
    return [(str(name), str(dtype)) for name, dtype in pairs]


def _changed_on_disk(v: DatasetVersion) -> bool:
    if v.source != "path":
        return False
    try:
        st = os.stat(v.file_path)
    except OSError:
        return True
    return st.st_size != v.size_bytes or (v.mtime is not None and abs(st.st_mtime - v.mtime) > 1e-6)


def edit_version(d: Dataset) -> str:
    """The version token of a dataset's ETag: a digest of its editable fields and
    ``updated_at`` (which every change of the row sets)."""
    return etags.version_digest(d.name, d.description, d.tags, d.project_id, d.current_version, d.updated_at)


def version_dict(v: DatasetVersion, profile: DatasetProfile | None) -> dict[str, Any]:
    """The API shape of a version (:class:`~notebook_dag.datasets.models.VersionOut`)."""
    p = profile.profile if profile is not None and profile.status == "ready" else None
    return {
        "version": v.version, "sha256": v.sha256, "format": v.format, "size_bytes": v.size_bytes,
        "source": v.source, "path": v.api_path, "original_name": v.original_name, "created_at": v.created_at,
        "profile_status": profile.status if profile is not None else "none",
        "rows": p["rows"] if p else None, "columns": p["columns"] if p else None,
        "quality_score": p["quality"]["score"] if p else None, "changed_on_disk": _changed_on_disk(v),
    }


class DatasetService(DatasetLinks, DatasetAnalyses, DatasetSettings):
    """CRUD, uploads, registration, previews, profiles, reports, lineage, analyses and
    chart suggestions of datasets.

    ``projects`` is the :class:`~notebook_dag.projects.ProjectService` (ownership checks),
    ``store`` the :class:`~notebook_dag.notebooks.NotebookStore` (lineage reads notebooks),
    ``root_dir`` the server root (registered paths must be under it). Configurable as
    ``c.DatasetService.<trait>`` (see :class:`~notebook_dag.datasets.settings.DatasetSettings`;
    ``parent=`` the app); ``max_upload_bytes``, when not None, overrides the configuration.
    ``files`` and ``jobs`` may be None at construction:
    :func:`~notebook_dag.datasets.app.create_datasets_service` builds them from the
    configured traits and sets them before the service is used.
    """

    def __init__(self, db: Database, files: DatasetFiles | None, jobs: DatasetJobs | None, projects: Any,
                 store: Any, root_dir: str, max_upload_bytes: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.files: DatasetFiles = files  # type: ignore[assignment]
        self.jobs: DatasetJobs = jobs  # type: ignore[assignment]
        self.projects = projects
        self.store = store
        self.root_dir = root_dir
        if max_upload_bytes is not None:
            self.max_upload_bytes = max_upload_bytes
        #: without a profile, previews of files up to this size read them whole in a thread
        #: for their dtypes; larger ones wait for the profile (its worker process) instead
        self.preview_read_whole_bytes = PREVIEW_READ_WHOLE_BYTES
        #: seconds a preview waits for that profile before answering 503
        self.preview_profile_wait = 30.0
        self._lock = asyncio.Lock()

    # ---- lookups ------------------------------------------------------------------

    async def check_project(self, project_id: str | None, user: str, need: str = "edit") -> None:
        """Raises :class:`NotFound` unless ``project_id`` is None or a project ``user`` may
        see, :class:`Forbidden` when their role there is below ``need`` (adding a dataset
        to a project takes an editor)."""
        if project_id is not None:
            await self.projects.get(project_id, user, need)

    @staticmethod
    def visible(user: str) -> Any:
        """The SQL condition on :class:`Dataset` of the datasets ``user`` may read: their
        own, and those of every project they may see (as owner, member or because it is
        shared with all)."""
        return or_(Dataset.owner == user, Dataset.project_id.in_(visible_project_ids(user)))

    async def _get(self, s: Any, dataset_id: str, user: str, need: str = "view") -> Dataset:
        """The dataset if ``user`` owns it or has the role ``need`` needs in its project.
        Raises :class:`NotFound` (also when it is not visible to them at all) or
        :class:`Forbidden` (a member whose role is too low)."""
        d = await s.get(Dataset, dataset_id)
        if d is not None and d.owner == user:
            return d
        if d is not None and d.project_id is not None:
            try:
                await self.projects.get(d.project_id, user, need)
            except NotFound:
                pass
            else:
                return d
        raise NotFound(f"no dataset {dataset_id!r}")

    async def version(self, dataset_id: str, user: str, version: int | None = None) -> tuple[Dataset, DatasetVersion]:
        """The dataset and one of its versions (the current one by default), if ``user``
        may read it (see :meth:`visible`).
        Raises :class:`NotFound` for an unknown dataset or version number."""
        async with self.db.session() as s:
            d = await self._get(s, dataset_id, user)
            n = version or d.current_version
            v = (await s.execute(select(DatasetVersion).where(
                DatasetVersion.dataset_id == d.id, DatasetVersion.version == n))).scalar_one_or_none()
            if v is None:
                raise NotFound(f"dataset {dataset_id!r} has no version {n}")
            return d, v

    async def _readable(self, dataset_id: str, user: str, version: int | None) -> tuple[Dataset, DatasetVersion]:
        """:meth:`version`, checking that its file is there (an object on object storage:
        :class:`~notebook_dag.errors.Unavailable` when the store cannot be asked)."""
        d, v = await self.version(dataset_id, user, version)
        if not await asyncio.to_thread(self.files.exists, v.file_path, v.sha256):
            raise NotFound(f"the file of version {v.version} is gone: {v.api_path or v.original_name}")
        if _changed_on_disk(v):
            raise Conflict(f"{v.api_path} changed since version {v.version} was registered; "
                           "register it again to make a new version")
        return d, v

    async def _profiles(self, versions: list[DatasetVersion]) -> dict[tuple[str, str], DatasetProfile]:
        keys = {(v.sha256, v.format) for v in versions}
        if not keys:
            return {}
        async with self.db.session() as s:
            rows = (await s.execute(select(DatasetProfile).where(
                DatasetProfile.sha256.in_({k[0] for k in keys})))).scalars()
            return {(r.sha256, r.format): r for r in rows if (r.sha256, r.format) in keys}

    async def _dicts(self, datasets: list[Dataset]) -> list[dict[str, Any]]:
        if not datasets:
            return []
        async with self.db.session() as s:
            rows = list((await s.execute(select(DatasetVersion).where(
                DatasetVersion.dataset_id.in_([d.id for d in datasets])))).scalars())
        counts: dict[str, int] = {}
        current: dict[str, DatasetVersion] = {}
        by_id = {d.id: d for d in datasets}
        for v in rows:
            counts[v.dataset_id] = counts.get(v.dataset_id, 0) + 1
            if v.version == by_id[v.dataset_id].current_version:
                current[v.dataset_id] = v
        profiles = await self._profiles(list(current.values()))
        out = []
        for d in datasets:
            v = current[d.id]
            out.append(etags.tagged("dataset", d.id, edit_version(d), {
                "id": d.id, "name": d.name, "description": d.description, "tags": list(d.tags or []),
                "project_id": d.project_id, "owner": d.owner, "current_version": d.current_version,
                "versions": counts.get(d.id, 0), "created_at": d.created_at, "updated_at": d.updated_at,
                "latest": version_dict(v, profiles.get((v.sha256, v.format))),
            }))
        return out

    async def get(self, dataset_id: str, user: str) -> dict[str, Any]:
        """One dataset as :class:`~notebook_dag.datasets.models.DatasetOut`; :class:`NotFound` otherwise."""
        async with self.db.session() as s:
            d = await self._get(s, dataset_id, user)
        return (await self._dicts([d]))[0]

    async def list(self, user: str, q: str | None = None, tag: str | Sequence[str] | None = None,
                   project_id: str | None = None,
                   sort: str = "-updated", limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Datasets ``user`` may read (see :meth:`visible`) matching the filters and the
        total before paging. ``q``
        matches name, description or tags case-insensitively; ``tag`` (one or several)
        requires each of them exactly;
        ``project_id`` ``"none"`` selects datasets without a project. ``sort``: name,
        created, updated or size (current version), ``-`` for descending."""
        stmt = select(Dataset).where(self.visible(user))
        if q:
            like = f"%{q.lower()}%"
            stmt = stmt.where(or_(func.lower(Dataset.name).like(like), func.lower(Dataset.description).like(like),
                                  func.lower(cast(Dataset.tags, String)).like(like)))
        if project_id == "none":
            stmt = stmt.where(Dataset.project_id.is_(None))
        elif project_id:
            stmt = stmt.where(Dataset.project_id == project_id)
        order = _SORTS.get(sort, Dataset.updated_at.desc())
        async with self.db.session() as s:
            rows = list((await s.execute(stmt.order_by(order, Dataset.id))).scalars())
        tags = [t for t in ([tag] if isinstance(tag, str) else tag or []) if t]
        if tags:
            rows = [d for d in rows if all(t in (d.tags or []) for t in tags)]
        if sort.lstrip("-") == "size":
            dicts = await self._dicts(rows)
            dicts.sort(key=lambda x: x["latest"]["size_bytes"], reverse=sort.startswith("-"))
            return dicts[offset: offset + limit], len(rows)
        return await self._dicts(rows[offset: offset + limit]), len(rows)

    async def versions(self, dataset_id: str, user: str) -> dict[str, Any]:
        """Every version, oldest first (:class:`~notebook_dag.datasets.models.VersionList`)."""
        async with self.db.session() as s:
            d = await self._get(s, dataset_id, user)
            rows = list((await s.execute(select(DatasetVersion).where(
                DatasetVersion.dataset_id == d.id).order_by(DatasetVersion.version))).scalars())
        profiles = await self._profiles(rows)
        return {"dataset_id": d.id, "current_version": d.current_version,
                "versions": [version_dict(v, profiles.get((v.sha256, v.format))) for v in rows]}

    # ---- adding content -----------------------------------------------------------

    async def add_upload(self, sink: UploadSink, name: str, project_id: str | None, user: str,
                         description: str = "", tags: list[str] | None = None,
                         fmt: str | None = None) -> tuple[dict[str, Any], bool]:
        """Finish a streamed upload: detect and validate the format (the partial file is
        removed on :class:`~notebook_dag.errors.Unprocessable`), move it into the blob store
        (or drop it when the content is stored already) and record the version.
        Returns ``(UploadOut dict, created)`` where ``created`` says a dataset or version was added.
        Raises :class:`~notebook_dag.errors.Unavailable` when the object store fails (the
        partial file is then left for the caller's :meth:`UploadSink.abort`)."""
        path, size, sha = await asyncio.to_thread(sink.finish)
        try:
            found = await asyncio.to_thread(detect_format, str(path), name, fmt)
            await asyncio.to_thread(validate, str(path), found, name)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        stored, dedup = await asyncio.to_thread(self.files.commit, path, sha, name, SUFFIX[found])
        content = NewContent(name, project_id, description, tags or [], sha, found, size, "upload", stored,
                             original_name=name, deduplicated=dedup)
        try:
            return await self._add_version(content, user)
        except BaseException:
            if not dedup:
                await self._forget_blob(sha, str(stored))
            raise

    async def register(self, body: DatasetRegister, user: str) -> tuple[dict[str, Any], bool]:
        """Register a file under the server root without copying it. Raises
        :class:`BadRequest` for a path outside the root, :class:`NotFound` when there is no
        file, :class:`~notebook_dag.errors.Unprocessable` when it is not a readable dataset."""
        api_path, full = api_to_os_path(self.root_dir, body.path)
        self._check_not_hidden(api_path, full)
        name = check_name(body.name or posixpath.basename(api_path))
        await self.check_project(body.project_id, user)
        found = await asyncio.to_thread(detect_format, full, posixpath.basename(api_path), body.format)
        await asyncio.to_thread(validate, full, found, api_path)
        st = os.stat(full)
        sha = await asyncio.to_thread(sha256_file, full)
        async with self.db.session() as s:
            shared = (await s.execute(select(DatasetVersion.id).where(
                DatasetVersion.sha256 == sha).limit(1))).first()
        content = NewContent(name, body.project_id, body.description, body.tags, sha, found, st.st_size, "path",
                             full, api_path=api_path, original_name=posixpath.basename(api_path),
                             mtime=st.st_mtime, deduplicated=shared is not None)
        return await self._add_version(content, user)

    def _check_not_hidden(self, api_path: str, full: str) -> None:
        """Raise :class:`Forbidden` for a hidden file (one whose name, or a directory's on
        its way from the root, starts with ``.``, or which the OS marks hidden), as
        written or where a symlink leads, unless the contents manager allows hidden
        files (``ContentsManager.allow_hidden``, false by default): what Jupyter's file
        browser and contents API do not show cannot be registered either."""
        cm = getattr(self.store, "contents_manager", None)
        if getattr(cm, "allow_hidden", False):
            return
        written = os.path.join(os.path.abspath(self.root_dir), *api_path.split("/"))
        if is_hidden(written, os.path.abspath(self.root_dir)) or is_hidden(full, os.path.realpath(self.root_dir)):
            raise Forbidden(f"{api_path!r} is a hidden file or in a hidden directory, and this server does not "
                            "allow access to hidden files (ContentsManager.allow_hidden)")

    async def _add_version(self, c: NewContent, user: str) -> tuple[dict[str, Any], bool]:
        created = version_created = False
        # the lock is shared by every server on the database: two uploads of one name at once
        # (here or on another user server) must not both create the dataset or one version number
        async with self._lock, self.db.lock(f"datasets:{user}"), self.db.session() as s:
            stmt = select(Dataset).where(Dataset.owner == user, Dataset.name == c.name)
            stmt = stmt.where(Dataset.project_id.is_(None) if c.project_id is None else Dataset.project_id == c.project_id)
            d = (await s.execute(stmt)).scalars().first()
            if d is None:
                d = Dataset(name=c.name, description=c.description, tags=c.tags, project_id=c.project_id,
                            owner=user, current_version=1)
                s.add(d)
                await s.flush()
                number, created = 1, True
            else:
                cur = (await s.execute(select(DatasetVersion).where(
                    DatasetVersion.dataset_id == d.id, DatasetVersion.version == d.current_version))).scalar_one()
                same = cur.sha256 == c.sha256 and cur.format == c.format and cur.file_path == c.file_path
                number = None if same else (await s.execute(select(func.max(DatasetVersion.version)).where(
                    DatasetVersion.dataset_id == d.id))).scalar_one() + 1
                if c.description:
                    d.description = c.description
                if c.tags:
                    d.tags = list(dict.fromkeys([*(d.tags or []), *c.tags]))
            if number is not None:
                s.add(DatasetVersion(dataset_id=d.id, version=number, sha256=c.sha256, format=c.format,
                                     size_bytes=c.size, source=c.source, file_path=c.file_path, api_path=c.api_path,
                                     original_name=c.original_name[:255], mtime=c.mtime))
                d.current_version, version_created = number, True
            await s.flush()
            dataset_id, current = d.id, d.current_version
        self.db.changes.touch()  # any project's blocks may read it: every DAG view may change
        await self.jobs.ensure_profile((c.sha256, c.format), c.file_path, dataset_id, current)
        self.jobs.events.emit(dataset_id, "upload", "succeeded", current, c.sha256, 1.0,
                              f"{c.source} of {c.size} bytes ({c.format})")
        out = await self.get(dataset_id, user)
        out.update(created=created, version_created=version_created, deduplicated=c.deduplicated)
        return out, created or version_created

    # ---- update / delete ----------------------------------------------------------

    async def _check(self, d: Dataset, expected: etags.Expected | None) -> None:
        if expected is not None and not expected.matches(edit_version(d)):
            raise expected.failure("the dataset changed since you read it", (await self._dicts([d]))[0])

    async def update(self, dataset_id: str, body: DatasetUpdate, user: str,
                     expected: etags.Expected | None = None) -> dict[str, Any]:
        """Rename, describe, tag, (re)associate with a project (``null`` detaches) or make an
        older version current. Raises :class:`Conflict` when another dataset of the target
        project has the new name, :class:`NotFound` for an unknown project or version,
        :class:`~notebook_dag.errors.PreconditionFailed` when ``expected`` (If-Match) names
        no current version: checked and written under the lock every writer of the
        user's datasets holds, on every server."""
        fields = body.model_dump(exclude_unset=True)
        if "name" in fields:
            fields["name"] = check_name(fields["name"])
        if fields.get("project_id") is not None:
            await self.check_project(fields["project_id"], user)
        # members edit others' datasets: the dataset's own lock serialises them with its owner
        async with self._lock, self.db.lock(f"datasets:{user}"), self.db.lock(f"dataset:{dataset_id}"), \
                self.db.session() as s:
            d = await self._get(s, dataset_id, user, "edit")
            await self._check(d, expected)
            if "project_id" in fields and fields["project_id"] != d.project_id and d.owner != user:
                raise Forbidden("only the dataset's owner moves it to another project")
            name, project = fields.get("name", d.name), fields.get("project_id", d.project_id)
            if (name, project) != (d.name, d.project_id):
                stmt = select(Dataset.id).where(Dataset.owner == d.owner, Dataset.name == name, Dataset.id != d.id)
                stmt = stmt.where(Dataset.project_id.is_(None) if project is None else Dataset.project_id == project)
                if (await s.execute(stmt)).first() is not None:
                    raise Conflict(f"a dataset named {name!r} exists already in that project")
            if "current_version" in fields:
                n = fields["current_version"]
                ok = (await s.execute(select(DatasetVersion.id).where(
                    DatasetVersion.dataset_id == d.id, DatasetVersion.version == n))).first()
                if ok is None:
                    raise NotFound(f"dataset {dataset_id!r} has no version {n}")
            for key, value in fields.items():
                setattr(d, key, value)
        self.db.changes.touch()
        return await self.get(dataset_id, user)

    async def delete(self, dataset_id: str, user: str, expected: etags.Expected | None = None) -> None:
        """Delete a dataset and its versions. Uploaded bytes no other version uses are
        deleted with their reports; registered files are never touched. When the object
        store fails meanwhile, the dataset is still deleted and the bytes left behind are
        logged. ``expected`` (If-Match) is checked as by :meth:`update`."""
        # members edit others' datasets: the dataset's own lock serialises them with its owner
        async with self._lock, self.db.lock(f"datasets:{user}"), self.db.lock(f"dataset:{dataset_id}"), \
                self.db.session() as s:
            d = await self._get(s, dataset_id, user, "edit")
            await self._check(d, expected)
            rows = list((await s.execute(select(DatasetVersion).where(DatasetVersion.dataset_id == d.id))).scalars())
            await s.delete(d)
        self.db.changes.touch()
        for v in rows:
            if v.source == "upload":
                await self._forget_blob(v.sha256, v.file_path)

    async def _forget_blob(self, sha: str, path: str) -> None:
        async with self.db.session() as s:
            used = (await s.execute(select(DatasetVersion.id).where(DatasetVersion.sha256 == sha,
                                                                    DatasetVersion.source == "upload").limit(1))).first()
            if used is not None:
                return
            reports = list((await s.execute(select(DatasetReport).where(DatasetReport.sha256 == sha))).scalars())
            gone = []
            for r in reports:
                if r.status not in ("queued", "running"):
                    if r.html_path:
                        gone.append(r.html_path)
                    await s.delete(r)
        try:
            for html in gone:
                await asyncio.to_thread(self.files.remove_report, html)
            await asyncio.to_thread(self.files.remove_blob, path)
        except Unavailable as e:  # the records are gone already: the bytes are only orphaned
            self.jobs.log.warning("notebook_dag: could not delete the unused dataset file %s (%s); "
                                  "delete it by hand", path, e.message)

    # ---- reading ------------------------------------------------------------------

    async def preview(self, dataset_id: str, user: str, version: int | None, offset: int, limit: int) -> dict[str, Any]:
        """Rows ``offset..offset+limit`` (:func:`~notebook_dag.datasets.preview.preview`), read
        in a thread with the row index stored with the profile (CSV/TSV/JSON lines seek
        instead of scanning). ``total_rows`` falls back to the profile's row count. An
        object on object storage is read from the local read cache (downloaded once).

        Column dtypes are the whole file's: stored with the profile; without one, a
        Parquet file's come from its metadata and a file up to
        :attr:`preview_read_whole_bytes` is read whole in a thread. A larger one is read
        by its quick profile in the worker process (started or, for a profile stored
        without dtypes, recomputed), awaited up to :attr:`preview_profile_wait` seconds:
        :class:`~notebook_dag.errors.Unavailable` (503, try again) when it takes longer.
        A file whose profile failed (pandas cannot read it whole) shows its rows' dtypes."""
        d, v = await self._readable(dataset_id, user, version)
        key = (v.sha256, v.format)
        prof = await self.jobs.profile_row(key)
        ready = prof is not None and prof.status == "ready"
        dtypes = _profile_dtypes(prof)
        if dtypes is None and v.format != "parquet" and v.size_bytes > self.preview_read_whole_bytes:
            if prof is not None and prof.status == "failed":
                dtypes = []
            else:
                await self.jobs.ensure_profile(key, v.file_path, d.id, v.version, force=ready)
                await self.jobs.wait_profile(key, self.preview_profile_wait)
                prof = await self.jobs.profile_row(key)
                ready = prof is not None and prof.status == "ready"
                dtypes = _profile_dtypes(prof) if ready else [] if prof is not None and prof.status == "failed" else None
                if dtypes is None:
                    raise Unavailable(f"the column types of this {v.size_bytes}-byte file are still being read by its "
                                      "profile; try again in a moment", retry_after=5)
        local = await asyncio.to_thread(self.files.local_copy, v.file_path, v.sha256)
        out = await asyncio.to_thread(preview, local, v.format, offset, limit, prof.row_index if ready else None,
                                      dtypes)
        if out["total_rows"] is None and ready:
            out["total_rows"] = prof.profile["rows"]
            out["has_more"] = offset + limit < out["total_rows"]
        return {"dataset_id": d.id, "version": v.version, "format": v.format, **out}

    async def profile(self, dataset_id: str, user: str, version: int | None, wait: float = 0.0,
                      start: bool = False, force: bool = False) -> dict[str, Any]:
        """The quick profile of a version (:class:`~notebook_dag.datasets.models.ProfileOut`).
        With ``start`` it is computed when missing (``force``: again even if stored); with
        ``wait`` the call waits up to that many seconds for a profile in flight."""
        d, v = await (self._readable if start else self.version)(dataset_id, user, version)
        key = (v.sha256, v.format)
        if start:
            await self.jobs.ensure_profile(key, v.file_path, d.id, v.version, force=force)
        await self.jobs.wait_profile(key, wait)
        row = await self.jobs.profile_row(key)
        return {"dataset_id": d.id, "version": v.version, "sha256": v.sha256,
                "status": row.status if row is not None else "none",
                "profile": row.profile if row is not None else None,
                "error": row.error if row is not None else None,
                "duration": row.duration if row is not None else None}

    async def report(self, dataset_id: str, user: str, version: int | None, start: bool = False,
                     force: bool = False) -> tuple[dict[str, Any], bool]:
        """The report record of a version (:class:`~notebook_dag.datasets.models.ReportOut`);
        with ``start`` a report is queued when there is none (or ``force``). Returns
        ``(record, queued now)``."""
        d, v = await (self._readable if start else self.version)(dataset_id, user, version)
        key = (v.sha256, v.format)
        started = False
        if start:
            title = f"{d.name} (version {v.version})"
            started = await self.jobs.start_report(key, v.file_path, title, d.id, v.version, force=force)
            self.jobs.ask_report(key, user, d.id, d.name, v.version)  # told when it is ready
        row = await self.jobs.report_row(key)
        base = {"dataset_id": d.id, "version": v.version, "sha256": v.sha256}
        if row is None:
            return {**base, "status": "none"}, started
        return {**base, "status": row.status, "progress": row.progress, "message": row.message, "error": row.error,
                "rows": row.rows, "sample_rows": row.sample_rows, "started_at": row.started_at,
                "finished_at": row.finished_at}, started

    async def report_file(self, dataset_id: str, user: str, version: int | None) -> str:
        """Location of the finished HTML report (an OS path or an object URL; read it with
        :meth:`DatasetFiles.open_report <notebook_dag.datasets.store.DatasetFiles.open_report>`).
        Raises :class:`NotFound` when none was built (or it failed: the message carries the
        error), :class:`Conflict` while it runs, :class:`~notebook_dag.errors.Unavailable`
        when the object store cannot be asked."""
        record, _ = await self.report(dataset_id, user, version)
        status = record["status"]
        if status in ("queued", "running"):
            raise Conflict(f"the report is still {status} ({record['progress']:.0%})", status=status)
        if status == "failed":
            raise NotFound(f"the report failed: {record['error']}", status=status, error=record["error"])
        fmt = (await self.version(dataset_id, user, version))[1].format
        if status != "succeeded" or not await asyncio.to_thread(self.files.report_exists, record["sha256"], fmt):
            raise NotFound("no report was built for this version; POST to this URL to build one", status="none")
        return self.files.report_location(record["sha256"], fmt)

    def ensure_upload_allowed(self, name: str | None, fmt: str | None) -> str:
        """Validate upload query arguments before any byte is accepted; returns the name."""
        name = check_name(name, "the name query argument")
        if fmt is not None and fmt not in SUFFIX:
            raise BadRequest(f"format must be one of {', '.join(SUFFIX)}, got {fmt!r}")
        return name
