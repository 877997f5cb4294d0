"""Importing datasets from URLs and from Kaggle, as background jobs.

``POST /datasets/import`` names a source: ``{"url": "https://..."}`` (``http``/``https``,
``s3``, ``gs`` or any other fsspec protocol whose package is installed) or
``{"kaggle": "owner/dataset[/file]"}``. The bytes are streamed into an
:class:`~notebook_dag.datasets.store.UploadSink` (the one uploads use: the same size
limit, SHA-256 and partial file under ``tmp/``) and finished by
:meth:`DatasetService.add_upload <notebook_dag.datasets.service.DatasetService.add_upload>`,
so an imported file is detected, validated, deduplicated and versioned exactly like an
uploaded one. Whatever fails (or is cancelled) leaves no partial file and no row.

Sources:

- ``http``/``https`` are read with aiohttp, redirects followed by hand (at most
  :data:`MAX_REDIRECTS`), each one checked again. A download cut short by the
  server is resumed with a ``Range`` request when the server advertised
  ``Accept-Ranges: bytes`` (at most :data:`MAX_RESUMES` times).
- Other protocols are read through fsspec in a thread, with the options of
  ``DatasetService.import_storage_options[protocol]`` (for S3: ``endpoint_url`` ...);
  credentials come from the usual places of that library (for S3 the AWS environment
  variables, ``~/.aws`` or an instance role).
- Kaggle is read with the official client (:mod:`~notebook_dag.datasets.kaggle`), with
  the user's own Kaggle credentials: notebook_dag never stores them, kernels never see
  them. A dataset of several files needs the file named (``owner/dataset/file.csv``).
  A zip holding a single table (as Kaggle sends large files) is unpacked.

Safety (server-side request forgery, :mod:`~notebook_dag.datasets.import_urls`): local
files, local protocols and chained URLs are refused (a file on the server is registered
with ``POST /datasets`` ``{"path": ...}``), and so, unless
``DatasetService.import_allow_private_addresses``, is a host that is or resolves to a
non-public address (400, ``refused_url``), on every connection of an HTTP import
(redirects, changing DNS answers). Environment proxies are not used for HTTP imports.

Errors of a job are recorded on it as ``{"status", "reason", "message"}``: 404
(``source_not_found``), 403 (``source_unauthorized``: the source refused the
credentials, or there were none), 413 (over ``max_upload_bytes``), 422 (not a
table), 502 (``bad_gateway``: unreachable, or another error of the source), 504
(``gateway_timeout``: longer than ``DatasetService.import_timeout``).

Progress goes out as ``dataset_import/v1`` events (bytes done and total). Jobs live in
the memory of the server that runs them (a finished one is kept for
:data:`KEEP_FINISHED` more jobs); a server stop cancels running ones.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import re
import threading
import time
import uuid
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import (BadGateway, BadRequest, GatewayTimeout, NotebookDagError, NotFound,
                      PayloadTooLarge, Conflict, Unprocessable, status_for)
from .formats import SUFFIX
# the URL checks and the Kaggle client (their public names stay importable from here)
from .import_urls import (LOCAL_PROTOCOLS, OBJECT_STORES, RefusedURL, SourceDenied,  # noqa: F401 - re-exported
                          SourceNotFound, _GuardedResolver, check_request_url, check_url, is_public_address,
                          resolve_public)
from .kaggle import (TABLE_SUFFIXES, _kaggle_api, _kaggle_error, _kaggle_modules, _single_file, parse_kaggle_ref,
                     search_datasets)
from .objectstore import open_fs, protocol, redact, short_error, storage_errors
from .store import UploadSink, check_name

IMPORT_EVENT_SCHEMA_ID = "https://schema.jupyter.org/notebook_dag/dataset_import/v1"
CHUNK = 1 << 20
MAX_REDIRECTS = 5
MAX_RESUMES = 3
KEEP_FINISHED = 200
#: seconds a Kaggle search may take
SEARCH_TIMEOUT = 60.0
#: seconds between two progress events of one import
PROGRESS_EVERY = 0.25
#: statuses of a job that is over
DONE = ("succeeded", "failed", "cancelled")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class ImportJob:
    """One import, in memory. ``source`` is ``{"url": redacted URL}`` or ``{"kaggle": ref}``."""

    id: str
    owner: str
    source: dict[str, str]
    name: str | None
    project_id: str | None
    description: str
    tags: list[str]
    format: str | None
    status: str = "queued"
    bytes_done: int = 0
    bytes_total: int | None = None
    error: dict[str, Any] | None = None
    dataset: dict[str, Any] | None = None
    created_at: datetime = field(default_factory=_now)
    finished_at: datetime | None = None
    task: asyncio.Task[None] | None = None
    #: set to stop a download running in a thread; ``closer`` aborts its blocking read
    stop: threading.Event = field(default_factory=threading.Event)
    closer: Callable[[], None] | None = None
    cancel_requested: bool = False
    #: the user named the dataset (else it is named after the file the source gives)
    name_given: bool = False
    last_event: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The API shape (:class:`~notebook_dag.datasets.models.ImportOut`)."""
        return {"id": self.id, "status": self.status, "source": dict(self.source), "name": self.name,
                "project_id": self.project_id, "bytes_done": self.bytes_done, "bytes_total": self.bytes_total,
                "error": self.error, "dataset": self.dataset, "created_at": self.created_at,
                "finished_at": self.finished_at}


class DatasetImports:
    """The import jobs of one server. ``service`` is the
    :class:`~notebook_dag.datasets.service.DatasetService` (its traits ``import_timeout``,
    ``import_allow_private_addresses``, ``import_storage_options`` and ``max_upload_bytes``
    are read at each import); ``services`` the app's
    :class:`~notebook_dag.services.Services` (for ``notifications``, when present)."""

    def __init__(self, service: Any, services: Any, event_logger: Any | None, log: logging.Logger) -> None:
        self.service = service
        self.services = services
        self.event_logger = event_logger
        self.log = log
        self.jobs: dict[str, ImportJob] = {}

    # ---- starting -----------------------------------------------------------------

    async def start(self, body: Any, user: str) -> dict[str, Any]:
        """Check the request (:class:`~notebook_dag.datasets.models.DatasetImport`) and start
        the job; returns its record. Raises :class:`BadRequest`/:class:`RefusedURL` for a
        URL that is not imported, :class:`NotFound`/:class:`Forbidden` for the project,
        :class:`Unavailable` when the Kaggle client is not installed."""
        svc = self.service
        name = check_name(body.name) if body.name is not None else None
        if body.format is not None and body.format not in SUFFIX:  # pragma: no cover - the model checks it
            raise BadRequest(f"format must be one of {', '.join(SUFFIX)}")
        await svc.check_project(body.project_id, user)
        if body.url is not None:
            url = body.url.strip()
            await check_url(url, bool(svc.import_allow_private_addresses))
            source = {"url": redact(url)}
            fetch = self._fetch_http if protocol(url) in ("http", "https") else self._fetch_fsspec
            default_name = posixpath.basename(unquote(urlsplit(url).path).rstrip("/")) or "import"
            target: Any = url
        else:
            owner, slug, file = parse_kaggle_ref(body.kaggle)
            _kaggle_modules()  # 503 now when the client is missing
            source = {"kaggle": body.kaggle}
            fetch = self._fetch_kaggle
            default_name = posixpath.basename(file) if file else slug
            target = (owner, slug, file)
        if name is None:
            name = _default_name(default_name)
        job = ImportJob(uuid.uuid4().hex, user, source, name, body.project_id, body.description, list(body.tags),
                        body.format, name_given=body.name is not None)
        self._forget_old()
        self.jobs[job.id] = job
        job.task = asyncio.create_task(self._run(job, fetch, target))
        self._emit(job, "queued")
        return job.as_dict()

    def _forget_old(self) -> None:
        done = [j for j in self.jobs.values() if j.status in DONE]
        for j in sorted(done, key=lambda j: j.finished_at or j.created_at)[: max(0, len(done) - KEEP_FINISHED)]:
            self.jobs.pop(j.id, None)

    # ---- reading, waiting, cancelling ---------------------------------------------

    def _job(self, import_id: str, user: str) -> ImportJob:
        job = self.jobs.get(import_id)
        if job is None or job.owner != user:
            raise NotFound(f"no import {import_id!r} on this server")
        return job

    def get(self, import_id: str, user: str) -> dict[str, Any]:
        """The record of one of ``user``'s imports; :class:`NotFound` for another's."""
        return self._job(import_id, user).as_dict()

    def list(self, user: str) -> list[dict[str, Any]]:
        """``user``'s imports on this server, newest first."""
        jobs = [j for j in self.jobs.values() if j.owner == user]
        return [j.as_dict() for j in sorted(jobs, key=lambda j: j.created_at, reverse=True)]

    async def wait(self, import_id: str, user: str, timeout: float) -> dict[str, Any]:
        """The record after the job ended or ``timeout`` seconds passed (no error then)."""
        job = self._job(import_id, user)
        if job.task is not None and timeout > 0 and job.status not in DONE:
            try:
                await asyncio.wait_for(asyncio.shield(job.task), timeout)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass
        return job.as_dict()

    async def cancel(self, import_id: str, user: str) -> dict[str, Any]:
        """Cancel a queued or downloading import (its partial file is removed) and return
        its record. A finished one is left as it is; one being stored raises
        :class:`Conflict` (delete the dataset once it is there)."""
        job = self._job(import_id, user)
        if job.status == "storing":
            raise Conflict("the import is being stored already; delete the dataset once it is there",
                           status=job.status)
        if job.status not in DONE and job.task is not None:
            job.cancel_requested = True
            job.stop.set()
            if job.closer is not None:
                try:
                    job.closer()
                except Exception:  # noqa: BLE001 - best effort
                    pass
            job.task.cancel()
            await asyncio.wait({job.task}, timeout=30)
        return job.as_dict()

    async def shutdown(self) -> None:
        """Cancel every running import (server stop)."""
        tasks = [j.task for j in self.jobs.values() if j.task is not None and not j.task.done()]
        for j in self.jobs.values():
            j.stop.set()
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ---- the job ------------------------------------------------------------------

    def _emit(self, job: ImportJob, message: str = "") -> None:
        job.last_event = time.monotonic()
        if self.event_logger is None:
            return
        try:
            self.event_logger.emit(schema_id=IMPORT_EVENT_SCHEMA_ID, data={
                "import_id": job.id, "status": job.status, "bytes_done": job.bytes_done,
                "bytes_total": job.bytes_total, "name": job.name or "",
                "dataset_id": (job.dataset or {}).get("id"), "error_status": (job.error or {}).get("status"),
                "message": message[:2000],
            })
        except Exception as e:  # noqa: BLE001 - events never break an import
            self.log.warning("notebook_dag: dataset import event not sent: %s", e)

    def _progress(self, job: ImportJob, done: int, total: int | None) -> None:
        job.bytes_done = done
        new_total = total is not None and total != job.bytes_total
        if total is not None:
            job.bytes_total = total
        if new_total or time.monotonic() - job.last_event >= PROGRESS_EVERY:
            self._emit(job, "downloading")

    async def _run(self, job: ImportJob, fetch: Callable[[ImportJob, Any, UploadSink], Awaitable[UploadSink]],
                   target: Any) -> None:
        svc = self.service
        sinks: list[UploadSink] = []
        try:
            sink = svc.files.new_upload(svc.max_upload_bytes)
            sinks.append(sink)
            job.status = "downloading"
            self._emit(job, "downloading")
            timeout = svc.import_timeout or None
            try:
                async with asyncio.timeout(timeout):
                    sink = await fetch(job, target, sink)
            except TimeoutError:
                raise GatewayTimeout(f"the download took longer than {timeout:g} s "
                                     "(DatasetService.import_timeout)") from None
            sinks.append(sink)
            sink, name = await asyncio.to_thread(unpack_single_table, sink, svc.files, svc.max_upload_bytes, job.name,
                                                 job.name_given)
            sinks.append(sink)
            job.name = name
            job.bytes_done = sink.size
            job.status = "storing"
            self._emit(job, "storing")
            description = job.description or f"Imported from {job.source.get('url') or 'Kaggle ' + job.source['kaggle']}"
            out, _ = await asyncio.shield(svc.add_upload(sink, name, job.project_id, job.owner, description,
                                                         job.tags, job.format))
            job.dataset = out
            job.status = "succeeded"
        except asyncio.CancelledError:
            job.status = "cancelled"
            if not job.cancel_requested:  # a server stop: let it go on
                raise
        except NotebookDagError as e:
            job.status = "failed"
            job.error = {"status": status_for(e), "reason": e.reason, "message": e.message}
        except Exception as e:  # noqa: BLE001 - recorded for the user
            self.log.exception("notebook_dag: dataset import %s failed", job.id)
            job.status = "failed"
            job.error = {"status": 500, "reason": "error", "message": f"{type(e).__name__}: {e}"[:2000]}
        finally:
            for s in sinks:
                s.abort()  # no-op for the one moved into the store
            job.finished_at = _now()
            job.closer = None
            self._emit(job, (job.error or {}).get("message", job.status))
            if job.status != "cancelled":
                await self._notify(job)

    async def _notify(self, job: ImportJob) -> None:
        notifications = getattr(self.services, "notifications", None)
        if notifications is None:
            return
        what = job.source.get("url") or f"Kaggle {job.source.get('kaggle')}"
        if job.status == "succeeded" and job.dataset is not None:
            title = f"Imported {job.dataset.get('name', job.name)}"
            message = f"{job.bytes_done} bytes from {what}"
            target: dict[str, Any] = {"dataset_id": job.dataset["id"]}
        else:
            title = f"Import of {job.name} failed"
            message = (job.error or {}).get("message", "")
            target = {"url": job.source["url"]} if "url" in job.source else {"import_id": job.id}
        try:
            level = "success" if job.status == "succeeded" else "error"
            await notifications.notify(job.owner, "import", title, message, target, level=level)
        except Exception as e:  # noqa: BLE001 - notify() never raises by contract; be safe anyway
            self.log.warning("notebook_dag: import notification failed: %s", e)

    async def _in_thread(self, job: ImportJob, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a thread; when the job is cancelled (or times out) the thread is
        told to stop (``job.stop``, ``job.closer``) and awaited a little before the
        cancellation goes on, so that the partial file is no longer written."""
        task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            job.stop.set()
            if job.closer is not None:
                try:
                    job.closer()
                except Exception:  # noqa: BLE001
                    pass
            await asyncio.wait({task}, timeout=10)
            raise

    def _reporter(self, job: ImportJob) -> Callable[[int, int | None], None]:
        loop = asyncio.get_running_loop()
        return lambda done, total: loop.call_soon_threadsafe(self._progress, job, done, total)

    # ---- HTTP ---------------------------------------------------------------------

    async def _fetch_http(self, job: ImportJob, url: str, sink: UploadSink) -> UploadSink:
        import aiohttp

        allow_private = bool(self.service.import_allow_private_addresses)
        connector = aiohttp.TCPConnector(resolver=_GuardedResolver(allow_private), limit=1)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=60)
        resumes = 0
        state: dict[str, Any] = {"resumable": False, "total": None}
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False,
                                         auto_decompress=False) as session:
            while True:
                try:
                    await self._http_once(session, job, url, sink, state, allow_private)
                    return sink
                except RefusedURL:
                    raise
                except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, ConnectionResetError,
                        _Truncated) as e:
                    if not state["resumable"] or sink.size == 0 or resumes >= MAX_RESUMES:
                        raise BadGateway(f"the download from {redact(url)} broke off after {sink.size} bytes: "
                                         f"{short_error(e)}") from None
                    resumes += 1
                    self.log.info("notebook_dag: import %s resumes at byte %d", job.id, sink.size)
                except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
                    raise GatewayTimeout(f"{redact(url)} did not answer in time") from None
                except aiohttp.ClientConnectorError as e:
                    if isinstance(e.__cause__, RefusedURL):
                        raise e.__cause__ from None
                    raise BadGateway(f"cannot reach {redact(url)}: {short_error(e)}") from None
                except aiohttp.ClientError as e:
                    raise BadGateway(f"the download from {redact(url)} failed: {short_error(e)}") from None

    async def _http_once(self, session: Any, job: ImportJob, url: str, sink: UploadSink, state: dict[str, Any],
                         allow_private: bool) -> None:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_request_url(current, allow_private)
            headers = {"Accept-Encoding": "identity"}
            if sink.size:
                headers["Range"] = f"bytes={sink.size}-"
            async with session.get(current, allow_redirects=False, headers=headers) as r:
                if r.status in (301, 302, 303, 307, 308) and r.headers.get("Location"):
                    current = urljoin(current, r.headers["Location"])
                    continue
                _raise_for_http(r.status, redact(current))
                if sink.size:
                    start = _content_range_start(r.headers.get("Content-Range", ""))
                    if r.status != 206 or start != sink.size:
                        raise BadGateway(f"{redact(url)} broke off after {sink.size} bytes and did not resume "
                                         "from there")
                else:
                    length = r.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() and "Content-Encoding" not in r.headers \
                        else None
                    limit = self.service.max_upload_bytes
                    if total is not None and total > limit:
                        raise PayloadTooLarge(f"{redact(url)} is {total} bytes, over the limit of {limit} bytes",
                                              limit=limit)
                    state["total"] = total
                    state["resumable"] = total is not None and r.headers.get("Accept-Ranges", "") == "bytes"
                    self._progress(job, 0, total)
                async for chunk in r.content.iter_chunked(CHUNK):
                    if sink.feed(chunk):
                        await asyncio.to_thread(sink.flush)
                    self._progress(job, sink.size, state["total"])
                if state["total"] is not None and sink.size < state["total"]:
                    raise _Truncated(f"{sink.size} of {state['total']} bytes")
                return
        raise BadGateway(f"{redact(url)} redirects more than {MAX_REDIRECTS} times")

    # ---- fsspec -------------------------------------------------------------------

    async def _fetch_fsspec(self, job: ImportJob, url: str, sink: UploadSink) -> UploadSink:
        options = dict((self.service.import_storage_options or {}).get(protocol(url), {}))
        report = self._reporter(job)
        limit = self.service.max_upload_bytes

        def copy() -> None:
            try:
                fs, path = open_fs(url, options)
                info = fs.info(path)
                if info.get("type") == "directory":
                    raise Unprocessable(f"{redact(url)} is a directory; import one file of it")
                total = info.get("size")
                total = int(total) if isinstance(total, (int, float)) else None
                if total is not None and total > limit:
                    raise PayloadTooLarge(f"{redact(url)} is {total} bytes, over the limit of {limit} bytes",
                                          limit=limit)
                report(0, total)
                with fs.open(path, "rb") as f:
                    job.closer = getattr(f, "close", None)
                    while not job.stop.is_set():
                        chunk = f.read(CHUNK)
                        if not chunk:
                            break
                        if sink.feed(chunk):
                            sink.flush()
                        report(sink.size, total)
            except NotebookDagError:
                raise
            except Exception as e:  # noqa: BLE001 - mapped below
                if job.stop.is_set():
                    return
                raise _storage_error(e, url) from None

        await self._in_thread(job, copy)
        return sink

    # ---- Kaggle -------------------------------------------------------------------

    async def _fetch_kaggle(self, job: ImportJob, ref: tuple[str, str, str | None], sink: UploadSink) -> UploadSink:
        report = self._reporter(job)
        limit = self.service.max_upload_bytes

        def copy() -> None:
            owner, slug, file = ref
            try:
                api = _kaggle_api()
                if file is None:
                    file = _single_file(api, owner, slug)
                    if not job.name_given:
                        job.name = _default_name(posixpath.basename(file))
                req = _kaggle_modules()["ApiDownloadDatasetRequest"]()
                req.owner_slug, req.dataset_slug, req.file_name = owner, slug, file
                resp = api.download_dataset(req)
                job.closer = resp.close
                try:
                    length = resp.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    if total is not None and total > limit:
                        raise PayloadTooLarge(f"{owner}/{slug}/{file} is {total} bytes, over the limit of {limit} "
                                              "bytes", limit=limit)
                    report(0, total)
                    for chunk in resp.iter_content(CHUNK):
                        if job.stop.is_set():
                            return
                        if sink.feed(chunk):
                            sink.flush()
                        report(sink.size, total)
                finally:
                    resp.close()
            except NotebookDagError:
                raise
            except Exception as e:  # noqa: BLE001 - mapped below
                if job.stop.is_set():
                    return
                raise _kaggle_error(e, f"{owner}/{slug}" + (f"/{file}" if file else "")) from None

        await self._in_thread(job, copy)
        return sink

    async def search_kaggle(self, search: str, page: int) -> dict[str, Any]:
        """Kaggle datasets matching ``search`` (:class:`~notebook_dag.datasets.models.KaggleSearchOut`),
        20 a page. Errors as for imports: 403 refused credentials, 502/504 Kaggle failing
        or slower than :data:`SEARCH_TIMEOUT`, 503 no client installed."""
        _kaggle_modules()  # 503 now when the client is missing
        try:
            return await asyncio.wait_for(asyncio.to_thread(search_datasets, search, page), SEARCH_TIMEOUT)
        except asyncio.TimeoutError:
            raise GatewayTimeout("Kaggle did not answer the search in time") from None


def _default_name(name: str) -> str:
    try:
        return check_name(name)
    except BadRequest:
        return "import"


class _Truncated(Exception):
    """The body ended before its Content-Length."""


def _content_range_start(value: str) -> int | None:
    m = re.match(r"bytes (\d+)-", value.strip())
    return int(m.group(1)) if m else None


def _raise_for_http(status: int, url: str) -> None:
    if status < 400:
        return
    if status in (404, 410):
        raise SourceNotFound(f"{url} was not found (HTTP {status} from the source)", source_status=status)
    if status in (401, 403, 407):
        raise SourceDenied(f"{url} refused access (HTTP {status} from the source)", source_status=status)
    if status in (408, 504):
        raise GatewayTimeout(f"{url} timed out (HTTP {status} from the source)", source_status=status)
    raise BadGateway(f"{url} answered HTTP {status}", source_status=status)


def _storage_error(e: BaseException, url: str) -> NotebookDagError:
    from .objectstore import no_such_bucket

    where = redact(url)
    text = short_error(e)
    if isinstance(e, FileNotFoundError) or no_such_bucket(e):
        return SourceNotFound(f"{where} was not found: {text}")
    if isinstance(e, PermissionError) or any(w in text for w in ("AccessDenied", "InvalidAccessKeyId",
                                                                   "SignatureDoesNotMatch", "Forbidden")):
        return SourceDenied(f"{where} refused access: {text}")
    if isinstance(e, TimeoutError) or "timeout" in type(e).__name__.lower():
        return GatewayTimeout(f"{where} did not answer in time: {text}")
    if isinstance(e, storage_errors()):
        return BadGateway(f"reading {where} failed: {text}")
    return BadGateway(f"reading {where} failed: {text}")


# ---- archives -----------------------------------------------------------------------

def unpack_single_table(sink: UploadSink, files: Any, limit: int, name: str | None,
                        keep_name: bool = False) -> tuple[UploadSink, str]:
    """When ``sink`` holds a zip archive (not an Excel workbook) with exactly one table
    file, stream that member into a new sink (the same ``limit``) and return it with the
    member's name (``name`` when ``keep_name``, or when it names a table file rather
    than the archive); else return ``sink`` and ``name`` unchanged. Runs in a thread.
    Raises :class:`Unprocessable` for an archive without exactly one table."""
    name = name or "import"
    sink.flush()
    sink._file.flush()  # noqa: SLF001 - read the bytes written so far
    with open(sink.path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            return sink, name
    try:
        z = zipfile.ZipFile(sink.path)
    except zipfile.BadZipFile:
        return sink, name
    with z:
        members = [i for i in z.infolist() if not i.is_dir()]
        if any(i.filename == "[Content_Types].xml" for i in members):  # an .xlsx workbook
            return sink, name
        tables = [i for i in members if i.filename.lower().endswith(TABLE_SUFFIXES)]
        if len(tables) != 1:
            raise Unprocessable(f"the archive holds {len(tables)} table files (of {len(members)}); "
                                "import a single table file")
        member = tables[0]
        out = files.new_upload(limit)
        try:
            with z.open(member) as src:
                while chunk := src.read(CHUNK):
                    if out.feed(chunk):
                        out.flush()
        except BaseException:
            out.abort()
            raise
    sink.abort()
    inner = posixpath.basename(member.filename)
    keep_name = keep_name or name.lower().endswith(TABLE_SUFFIXES)
    return out, name if keep_name else _default_name(inner)
