"""Background work on dataset content: quick profiles (worker process) and full reports
(child process), their database records, and their jupyter_events.

Both are keyed by ``(sha256, format)``: the same content is profiled and reported once,
whichever dataset or version asks. A job in flight is tracked in memory, so a second
request for the same content joins it instead of starting another. Its record names the
server running it (``RunService.server_id``), so that on a database shared by several
servers a starting server fails only its own interrupted jobs (:func:`recover_interrupted`).

Jobs read a local copy of the dataset's file (:meth:`DatasetFiles.local_copy
<notebook_dag.datasets.store.DatasetFiles.local_copy>`: the file itself, or an object
downloaded into the read cache); reports are written locally and then stored.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import update

from ..errors import NotebookDagError
from ..storage import Database
from ..storage.orm import utcnow
from .orm import DatasetProfile, DatasetReport
from .profiling import profile_file
from .report import ReportFailed, run_report
from .store import DatasetFiles

DATASET_EVENT_SCHEMA_ID = "https://schema.jupyter.org/notebook_dag/dataset/v1"
INTERRUPTED = "interrupted by a server stop; request it again"

Key = tuple[str, str]  # (sha256, format)


class DatasetEvents:
    """Emits ``dataset/v1`` events; with no ``event_logger`` it does nothing."""

    def __init__(self, event_logger: Any | None) -> None:
        self.event_logger = event_logger

    def emit(self, dataset_id: str, kind: str, status: str, version: int | None = None,
             sha256: str = "", progress: float = 0.0, message: str = "") -> None:
        if self.event_logger is None:
            return
        self.event_logger.emit(schema_id=DATASET_EVENT_SCHEMA_ID, data={
            "dataset_id": dataset_id, "version": version, "sha256": sha256, "kind": kind,
            "status": status, "progress": float(progress), "message": message[:2000],
        })


def _error_text(e: BaseException) -> str:
    if isinstance(e, NotebookDagError):
        return e.message
    return f"{type(e).__name__}: {e}"[:2000]


class DatasetJobs:
    """Runs profiles and reports.

    ``profile_in_subprocess``: profiles run in a one-worker ``spawn`` process pool (the
    server's memory stays small whatever the file size); otherwise in a thread.
    ``report_max_rows``: larger tables are sampled for reports. ``report_timeout``: seconds
    before a report process is killed. At most ``report_concurrency`` reports run at once.
    ``server_id`` is recorded on the profiles and reports this server computes.
    """

    def __init__(self, db: Database, files: DatasetFiles, events: DatasetEvents, log: logging.Logger, *,
                 profile_in_subprocess: bool = True, report_max_rows: int = 100_000,
                 report_timeout: float | None = 900.0, report_concurrency: int = 1, server_id: str = "") -> None:
        self.db = db
        self.server_id = server_id
        self.files = files
        self.events = events
        self.log = log
        self.profile_in_subprocess = profile_in_subprocess
        self.report_max_rows = report_max_rows
        self.report_timeout = report_timeout
        self._report_slots = asyncio.Semaphore(report_concurrency)
        self._pool: ProcessPoolExecutor | None = None
        self.profiles: dict[Key, asyncio.Task[None]] = {}
        self.reports: dict[Key, asyncio.Task[None]] = {}
        #: who asked for each report under way: user -> (dataset id, dataset name, version)
        self.report_requests: dict[Key, dict[str, tuple[str, str, int]]] = {}
        #: called with ``{"users", "dataset_id", "dataset_name", "version", "status",
        #: "message"}`` for each user who asked (:meth:`ask_report`) once a report is built
        #: (status ``succeeded``) or failed (``failed``); synchronous, they must not wait
        self.report_end_hooks: list[Callable[[dict[str, Any]], None]] = []
        #: coroutines called first by :meth:`shutdown` (dataset imports)
        self.shutdown_hooks: list[Any] = []

    # ---- profiles -----------------------------------------------------------------

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def profile_row(self, key: Key) -> DatasetProfile | None:
        async with self.db.session() as s:
            return await s.get(DatasetProfile, key)

    async def ensure_profile(self, key: Key, path: str, dataset_id: str, version: int, force: bool = False) -> str:
        """Make sure a profile of ``key`` exists or is being computed; returns its status
        (``ready``, ``pending`` or ``failed``). A ready or failed profile is kept unless
        ``force``; the stored one is the hash-lookup fast path (a few milliseconds).
        ``path`` is the version's file location (OS path or object URL)."""
        if key in self.profiles:
            return "pending"
        row = await self.profile_row(key)
        if row is not None and not force and (row.status == "ready" or row.status == "failed"):
            return row.status
        # one statement, so requests racing to create the row (here or on another server) all succeed
        pending = {"status": "pending", "error": None, "profile": None, "finished_at": None, "server": self.server_id}
        async with self.db.session() as s:
            await s.execute(self.db.insert(DatasetProfile).values(sha256=key[0], format=key[1], **pending)
                            .on_conflict_do_update(index_elements=["sha256", "format"], set_=pending))
        if key not in self.profiles:  # another request may have started it meanwhile
            self.profiles[key] = asyncio.create_task(self._profile(key, path, dataset_id, version))
        return "pending"

    async def wait_profile(self, key: Key, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for a profile in flight (no error on timeout)."""
        task = self.profiles.get(key)
        if task is not None and timeout > 0:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except asyncio.TimeoutError:
                pass

    async def _profile(self, key: Key, path: str, dataset_id: str, version: int) -> None:
        t0 = time.perf_counter()
        try:
            try:
                local = await asyncio.to_thread(self.files.local_copy, path, key[0])
                result = await self._compute_profile(local, key[1])
                index = result.pop("row_index", None)
                values: dict[str, Any] = {"status": "ready", "profile": result, "row_index": index, "error": None}
                status, message = "succeeded", f"{result['rows']} rows × {result['columns']} columns"
            except asyncio.CancelledError:
                await asyncio.shield(self._save_profile(key, status="failed", error=INTERRUPTED))
                raise
            except Exception as e:  # noqa: BLE001 - stored on the record for the user
                status, message = "failed", _error_text(e)
                values = {"status": "failed", "profile": None, "error": message}
                self.log.info("notebook_dag: profile of %s failed: %s", key[0][:12], message)
            await self._save_profile(key, duration=time.perf_counter() - t0, **values)
            self.db.changes.touch()  # the DAG view's dataset nodes show the row count
            self.events.emit(dataset_id, "profile", status, version, key[0], 1.0, message)
        finally:
            self.profiles.pop(key, None)

    async def _compute_profile(self, path: str, fmt: str) -> dict[str, Any]:
        return await self.compute(profile_file, path, fmt)

    async def compute(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` off the event loop: in the profiles' worker process when
        ``profile_in_subprocess`` (``fn`` and its arguments and result picklable), else in
        a thread. Raises RuntimeError when the worker process died."""
        if not self.profile_in_subprocess:
            return await asyncio.to_thread(fn, *args)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), fn, *args)
        except BrokenProcessPool:
            self._pool = None
            raise RuntimeError("the profiling process died (out of memory?)") from None

    async def _save_profile(self, key: Key, **values: Any) -> None:
        async with self.db.session() as s:
            await s.execute(update(DatasetProfile).where(
                DatasetProfile.sha256 == key[0], DatasetProfile.format == key[1]).values(finished_at=utcnow(), **values))

    # ---- reports ------------------------------------------------------------------

    async def report_row(self, key: Key) -> DatasetReport | None:
        async with self.db.session() as s:
            return await s.get(DatasetReport, key)

    async def start_report(self, key: Key, path: str, title: str, dataset_id: str, version: int,
                           force: bool = False) -> bool:
        """Queue a report of ``key`` unless one is running, or one succeeded and its HTML is
        stored (and not ``force``). Returns True when a new report was queued. Raises
        :class:`~notebook_dag.errors.Unavailable` when the object store cannot be asked."""
        if key in self.reports:
            return False
        row = await self.report_row(key)
        if row is not None and not force and row.status == "succeeded" and row.html_path \
                and await asyncio.to_thread(self.files.report_exists, *key):
            return False
        queued = {"status": "queued", "progress": 0.0, "message": "", "error": None, "started_at": None,
                  "finished_at": None, "server": self.server_id}
        async with self.db.session() as s:
            await s.execute(self.db.insert(DatasetReport).values(sha256=key[0], format=key[1], **queued)
                            .on_conflict_do_update(index_elements=["sha256", "format"], set_=queued))
        if key in self.reports:
            return False
        self.reports[key] = asyncio.create_task(self._report(key, path, title, dataset_id, version))
        self.events.emit(dataset_id, "report", "queued", version, key[0], 0.0, "queued")
        return True

    def ask_report(self, key: Key, user: str, dataset_id: str, dataset_name: str, version: int) -> None:
        """Remember that ``user`` waits for the report of ``key`` under way (if one is): the
        :attr:`report_end_hooks` are told of its end."""
        if key in self.reports:
            self.report_requests.setdefault(key, {})[user] = (dataset_id, dataset_name, version)

    def _report_ended(self, key: Key, status: str, message: str) -> None:
        for user, (dataset_id, name, version) in self.report_requests.pop(key, {}).items():
            end = {"users": [user], "dataset_id": dataset_id, "dataset_name": name, "version": version,
                   "status": status, "message": message}
            for hook in self.report_end_hooks:
                try:
                    hook(end)
                except Exception:  # noqa: BLE001 - the report is stored whatever a listener does
                    self.log.exception("notebook_dag: a report end hook failed")

    async def _update_report(self, key: Key, **values: Any) -> None:
        async with self.db.session() as s:
            await s.execute(update(DatasetReport).where(
                DatasetReport.sha256 == key[0], DatasetReport.format == key[1]).values(**values))

    async def _report(self, key: Key, path: str, title: str, dataset_id: str, version: int) -> None:
        sha = key[0]
        try:
            async with self._report_slots:
                await self._update_report(key, status="running", started_at=utcnow(), message="starting")
                self.events.emit(dataset_id, "report", "running", version, sha, 0.0, "starting")
                last = 0.0

                async def on_progress(progress: float, message: str) -> None:
                    nonlocal last
                    self.events.emit(dataset_id, "report", "progress", version, sha, progress, message)
                    if time.monotonic() - last > 1.0:
                        last = time.monotonic()
                        await self._update_report(key, progress=progress, message=message)

                local = await asyncio.to_thread(self.files.local_copy, path, sha)
                output = self.files.report_output(*key)
                result = await run_report(local, key[1], str(output), title, self.report_max_rows,
                                          on_progress, self.report_timeout)
                location = await asyncio.to_thread(self.files.save_report, output, *key)
            await self._update_report(key, status="succeeded", progress=1.0, message="report ready",
                                      html_path=location, finished_at=utcnow(), **result)
            self.events.emit(dataset_id, "report", "succeeded", version, sha, 1.0,
                             f"profiled {result['sample_rows']} of {result['rows']} rows")
            self._report_ended(key, "succeeded", f"profiled {result['sample_rows']} of {result['rows']} rows")
        except asyncio.CancelledError:
            await asyncio.shield(self._update_report(key, status="failed", error=INTERRUPTED, finished_at=utcnow()))
            raise
        except Exception as e:  # noqa: BLE001 - ReportFailed and anything unexpected
            text = str(e) if isinstance(e, ReportFailed) else _error_text(e)
            self.log.warning("notebook_dag: report of %s failed: %s", sha[:12], text)
            await self._update_report(key, status="failed", error=text, finished_at=utcnow())
            self.events.emit(dataset_id, "report", "failed", version, sha, 1.0, text)
            self._report_ended(key, "failed", text)
        finally:
            self.reports.pop(key, None)
            self.report_requests.pop(key, None)

    # ---- life cycle ---------------------------------------------------------------

    async def shutdown(self) -> None:
        """Cancel running jobs (their records become failed) and stop the worker process."""
        for hook in self.shutdown_hooks:
            await hook()
        tasks = [*self.profiles.values(), *self.reports.values()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


async def recover_interrupted(url: str, server_id: str = "") -> tuple[int, int]:
    """At server start: mark profiles and reports left ``pending``/``queued``/``running`` by
    a previous process of this server (``server_id``, ``RunService.server_id``) as
    failed. Those of other servers sharing the database are theirs and are left alone.
    Returns ``(profiles, reports)`` changed."""
    db = Database(url)
    try:
        async with db.session() as s:
            p = await s.execute(update(DatasetProfile).where(DatasetProfile.status == "pending",
                                                             DatasetProfile.server == server_id)
                                .values(status="failed", error=INTERRUPTED, finished_at=utcnow()))
            r = await s.execute(update(DatasetReport).where(DatasetReport.status.in_(("queued", "running")),
                                                            DatasetReport.server == server_id)
                                .values(status="failed", error=INTERRUPTED, finished_at=utcnow()))
            return p.rowcount or 0, r.rowcount or 0
    finally:
        await db.dispose()
