"""The artifacts of runs: files blocks create or change beside the notebook.

:class:`ArtifactService` is driven by :class:`~notebook_dag.execution.RunService`: a
bounded snapshot of the notebook's directory before a run's first block (taken while
the run is planned, off the event loop), another after its last block, the changed files
hashed and attributed to the block that ran when each was written (see
:mod:`.scan`), stored as ``run_artifacts`` rows before the run's end is announced.

It also feeds the rest of the extension: ``GET /runs/{id}/artifacts``; the lineage
``block → file → block`` of ``GET /projects/{id}/dag?artifacts=true``; and, as an input
source of the run service, the staleness of a file's readers when the file changed
outside a run (its content is no longer the one the run that wrote it recorded).
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from traitlets import Bool, Float, Int, List, Unicode
from traitlets.config import LoggingConfigurable

from ..errors import NotFound
from ..inputs import file_hash
from ..staleness import R, Versions, W, versions, writes_of
from ..storage import Database, Run, RunArtifact
from ..storage.orm import utcnow
from .scan import Snapshot, changed, describe, snapshot

#: the version-name prefix of a file whose content is not what the run writing it left
DRIFT = "<drift:"


def sqlite_files(url: Any) -> list[str]:
    """The OS paths of an SQLite database and of the journal files SQLite keeps beside
    it (``-wal``, ``-shm``, ``-journal``), for a SQLAlchemy ``url`` (str or URL); ``[]``
    for other databases and in-memory SQLite."""
    from sqlalchemy.engine import make_url

    url = make_url(url) if isinstance(url, str) else url
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return []
    path = os.path.abspath(url.database)
    return [path, *(path + suffix for suffix in ("-wal", "-shm", "-journal"))]


def artifact_dict(a: RunArtifact) -> dict[str, Any]:
    """The API shape of an artifact (:class:`~notebook_dag.artifacts.models.ArtifactOut`)."""
    return {"run_id": a.run_id, "block_id": a.block_id, "path": a.path, "name": posixpath.basename(a.path),
            "size": a.size, "sha256": a.sha256, "mime": a.mime, "change": a.change, "note": a.note,
            "created_at": a.created_at}


class ArtifactService(LoggingConfigurable):
    """Records, lists and links the artifacts of runs (``c.ArtifactService.<trait>``).

    ``db`` the database, ``projects`` the :class:`~notebook_dag.projects.ProjectService`
    (who may see a run), ``notebook_dir`` maps a notebook's contents path to its OS
    directory (None: not on a local disk, then nothing is recorded)."""

    enabled = Bool(True, help="Record the files runs create or change beside the notebook.").tag(config=True)
    max_files = Int(
        5000, help="At most this many files of the notebook's directory are watched during a run (the first in "
        "name order); files past the limit count only when modified after the run started.",
    ).tag(config=True)
    max_depth = Int(6, help="Directory levels below the notebook's directory that are watched.").tag(config=True)
    skip_dirs = List(
        Unicode(), ["__pycache__", "node_modules", "venv", "site-packages", "datasets", ".ipynb_checkpoints"],
        help="Directory names never watched (hidden directories never are either).",
    ).tag(config=True)
    skip_paths = List(
        Unicode(), help="OS directories never watched; the app adds the datasets storage directory.",
    ).tag(config=True)
    skip_files = List(
        Unicode(), help="OS paths of files never watched; the app adds its own SQLite database file and the "
        "journal files beside it (a run writes them, but they are no block's artifact).",
    ).tag(config=True)
    mtime_slack = Float(
        0.02, help="Seconds by which a file's modification time may lag the clock (coarse file-system "
        "timestamps): a file written just outside every block's execution interval is given to the only "
        "block within this margin.",
    ).tag(config=True)

    def __init__(self, db: Database, projects: Any, notebook_dir: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.projects = projects
        self.notebook_dir = notebook_dir

    # -- recording ---------------------------------------------------------------------
    async def begin(self, project: Any) -> tuple[str, Snapshot, int] | None:
        """The snapshot before a run of ``project`` (off the event loop): ``(OS
        directory, snapshot, start in ns)``, or None when disabled or not on a local disk."""
        directory = self.notebook_dir(project.notebook_path) if self.enabled else None
        if not directory:
            return None
        start = time.time_ns()
        try:
            snap = await asyncio.to_thread(self._snapshot, directory, project.notebook_path)
        except Exception:  # noqa: BLE001 - artifacts must not fail a run
            self.log.exception("notebook_dag: watching %s for artifacts failed", directory)
            return None
        return directory, snap, start

    def _snapshot(self, directory: str, notebook_path: str) -> Snapshot:
        return snapshot(directory, self.max_files, self.max_depth, self.skip_dirs, self.skip_paths,
                        (os.path.join(directory, posixpath.basename(notebook_path)), *self.skip_files))

    async def record(self, run_id: str, project: Any, before: tuple[str, Snapshot, int] | None,
                     intervals: Mapping[str, tuple[datetime, datetime]]) -> int:
        """Store the files changed since ``before`` (from :meth:`begin`) as the run's
        artifacts, each with the block of ``intervals`` (block id → its execution's
        ``(started, finished)``) that wrote it. Returns how many; never raises (a
        failure is logged: artifacts must not fail a run)."""
        if before is None:
            return 0
        directory, first, start = before
        try:
            def scan() -> list[Any]:
                after = self._snapshot(directory, project.notebook_path)
                return [describe(directory, rel, sig, change, intervals, self.mtime_slack)
                        for rel, sig, change in changed(first, after, start)]

            found = await asyncio.to_thread(scan)
            if not found:
                return 0
            base = posixpath.dirname(project.notebook_path.strip("/"))
            async with self.db.session() as s:
                await s.execute(insert(RunArtifact.__table__), [
                    {"run_id": run_id, "project_id": project.id, "block_id": c.block_id,
                     "path": posixpath.join(base, c.path) if base else c.path, "size": c.size, "sha256": c.sha256,
                     "mime": c.mime, "change": c.change, "note": c.note, "created_at": utcnow()}
                    for c in found
                ])
            self.db.changes.touch(project.id)
            return len(found)
        except Exception:  # noqa: BLE001 - the run's own results matter more
            self.log.exception("notebook_dag: recording the artifacts of run %s failed", run_id)
            return 0

    # -- reading -----------------------------------------------------------------------
    async def list(self, run_id: str, user: str, block_id: str | None = None) -> dict[str, Any]:
        """``{"run_id", "artifacts"}``: the run's artifacts by path (only ``block_id``'s
        when given). Raises :class:`NotFound` for an unknown run or one ``user`` may not see."""
        async with self.db.session() as s:
            project_id = await s.scalar(select(Run.project_id).where(Run.id == run_id))
        if project_id is None:
            raise NotFound(f"no run {run_id!r}")
        try:
            await self.projects.get(project_id, user, "view")
        except NotFound:
            raise NotFound(f"no run {run_id!r}") from None
        stmt = select(RunArtifact).where(RunArtifact.run_id == run_id).order_by(RunArtifact.path)
        if block_id is not None:
            stmt = stmt.where(RunArtifact.block_id == block_id)
        async with self.db.session() as s:
            rows = (await s.execute(stmt)).scalars().all()
        return {"run_id": run_id, "artifacts": [artifact_dict(a) for a in rows]}

    async def latest(self, project_id: str, paths: list[str] | None = None, limit: int = 500) -> dict[str, RunArtifact]:
        """Per contents path, the project's newest artifact of it (only ``paths`` when
        given; at most ``limit`` paths, newest first)."""
        stmt = select(RunArtifact).where(RunArtifact.project_id == project_id)
        if paths is not None:
            if not paths:
                return {}
            stmt = stmt.where(RunArtifact.path.in_(paths))
        stmt = stmt.order_by(RunArtifact.created_at.desc(), RunArtifact.id.desc())
        out: dict[str, RunArtifact] = {}
        async with self.db.session() as s:
            for a in (await s.execute(stmt)).scalars():
                if a.path not in out:
                    if len(out) >= limit:
                        break
                    out[a.path] = a
        return out

    # -- files named in the code --------------------------------------------------------
    def _file_names(self, project: Any, effects: Mapping[str, Mapping[str, int]]
                    ) -> dict[str, tuple[str, set[str], set[str], str | None]]:
        """Contents path → ``(name as written, writers, readers, OS path)`` of the
        ``<file:...>`` names the blocks' effects give (paths that leave the server root
        are left out; the OS path is None off a local disk)."""
        directory = self.notebook_dir(project.notebook_path)
        base = posixpath.dirname(project.notebook_path.strip("/"))
        out: dict[str, tuple[str, set[str], set[str], str | None]] = {}
        for block, flags in effects.items():
            for name, bits in flags.items():
                if not name.startswith("<file:"):
                    continue
                raw = name[len("<file:"):-1]
                if "://" in raw:
                    continue
                if os.path.isabs(raw):
                    if not directory:
                        continue
                    rel = os.path.relpath(raw, directory).replace(os.sep, "/")
                else:
                    rel = raw.replace("\\", "/")
                path = posixpath.normpath(posixpath.join(base, rel)) if base else posixpath.normpath(rel)
                if path.startswith("../") or path == "..":
                    continue
                full = os.path.normpath(raw if os.path.isabs(raw) else os.path.join(directory, raw)) if directory else None
                entry = out.setdefault(path, (raw, set(), set(), full))
                if bits & W:
                    entry[1].add(block)
                if bits & R:
                    entry[2].add(block)
        return out

    async def block_inputs(self, project: Any, dag: Any, user: str | None = None
                           ) -> tuple[dict[str, set[str]], dict[str, str]]:
        """Input source of the run service (``RunService.input_sources``): for every file a
        block writes and another reads whose content is no longer what the run that
        wrote it recorded (changed or deleted outside the run), ``<drift:path>`` → its
        content hash now; its readers' fingerprints include it, so they become stale."""
        directory = self.notebook_dir(project.notebook_path)
        if not directory or not self.enabled:
            return {}, {}
        names = {p: e for p, e in self._file_names(project, dag.effects).items() if e[1] and e[2]}
        if not names:
            return {}, {}
        recorded = await self.latest(project.id, list(names))
        if not recorded:
            return {}, {}

        def now() -> dict[str, str]:
            out = {}
            for path, a in recorded.items():
                h = file_hash(names[path][3] or "")
                if a.sha256 is not None and h != f"sha256:{a.sha256}":
                    out[f"{DRIFT}{names[path][0]}>"] = h
            return out

        return {}, await asyncio.to_thread(now)

    @staticmethod
    def drifting(v: Versions) -> bool:
        """Whether ``v`` holds the drift of any file, i.e. whether :meth:`settle` could
        change it (cheap: on the event loop, so a run without drift skips a thread hop)."""
        return any(k.startswith(DRIFT) for k in v.world)

    @staticmethod
    def settle(v: Versions, plan: list[str], dag: Any) -> Versions:
        """``v`` (planned versions) without the drift of files a block of ``plan``
        writes: the run writes them anew and records what it wrote, so after the run
        their readers read the run's version again; the fingerprints the run stores must
        be those. ``v`` itself when nothing changes. Pure CPU: off the event loop."""
        written = {n[len("<file:"):] for b in plan for n in writes_of(v.flags.get(b, {})) if n.startswith("<file:")}
        world = {k: h for k, h in v.world.items() if not (k.startswith(DRIFT) and k[len(DRIFT):] in written)}
        if len(world) == len(v.world):
            return v
        return versions(v.order, {b: str(dag.cells[b].get("source", "")) for b in v.order}, v.flags, world, v.constant)

    async def dag_overlay(self, project: Any, doc: dict[str, Any], effects: Mapping[str, Mapping[str, int]]
                          ) -> dict[str, Any]:
        """``doc`` (the ``GET /projects/{id}/dag`` document) plus a ``file`` node per
        recorded artifact (the newest of each path) with ``writes`` edges from the block
        that wrote it and ``reads`` edges to the blocks whose code reads it."""
        latest = await self.latest(project.id)
        if not latest:
            return doc
        names = self._file_names(project, effects)
        blocks = {n["id"] for n in doc["nodes"]}
        nodes, edges = [], []
        for path, a in sorted(latest.items()):
            node = f"file:{path}"
            nodes.append({"id": node, "kind": "file", "path": path, "name": posixpath.basename(path),
                          "size": a.size, "sha256": a.sha256, "mime": a.mime, "run_id": a.run_id,
                          "block_id": a.block_id})
            written = names.get(path, (posixpath.basename(path), set(), set(), None))[0]
            if a.block_id in blocks:
                edges.append({"id": None, "source": a.block_id, "target": node, "kind": "writes", "names": [written]})
            for reader in sorted(names.get(path, ("", set(), set(), None))[2] & blocks):
                edges.append({"id": None, "source": node, "target": reader, "kind": "reads", "names": [written]})
        return {**doc, "nodes": [*doc["nodes"], *nodes], "edges": [*doc["edges"], *edges]}
