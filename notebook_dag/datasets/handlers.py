"""REST handlers of the datasets feature under ``/notebook-dag/api/datasets``.

``POST /datasets`` streams the request body to disk (``@web.stream_request_body``): with
a ``name`` query argument the raw body is the file (``?name=iris.csv&project_id=...&
format=...&description=...&tags=a,b``); without one, a JSON body registers a file that
is already under the server root (:class:`~notebook_dag.datasets.models.DatasetRegister`,
at most 1 MiB).
Authentication and authorization are checked in ``prepare()``, before any byte of the
body is accepted, and again by the decorators on ``post``.
"""

from __future__ import annotations

import asyncio

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import etags
from ..errors import BadRequest, NotebookDagError, PayloadTooLarge, Unavailable
from ..handlers import API, ID, DagAPIHandler
from . import models as dm
from .service import DatasetService
from .store import UploadSink, check_size

JSON_LIMIT = 1 << 20
#: extra bytes tornado lets through past the limit, so that our own byte count answers
#: 413 first for chunked bodies (tornado would answer 400 and close the connection)
STREAM_SLACK = 16 << 20
REPORT_CSP = ("sandbox allow-scripts allow-popups; frame-ancestors 'self'; default-src 'none'; "
              "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:")


class DatasetBase(DagAPIHandler):
    """Shared helpers: the service and the common query arguments."""

    @property
    def datasets(self) -> DatasetService:
        svc = getattr(self.services, "datasets", None)
        if svc is None:
            raise Unavailable("the datasets service is not configured")
        return svc

    def version_arg(self) -> int | None:
        v = self.query_int("version", 0, 1, 10**9)
        return v or None

    def float_arg(self, name: str, high: float) -> float:
        raw = self.get_query_argument(name, "") or ""
        if not raw:
            return 0.0
        try:
            value = float(raw)
        except ValueError:
            raise BadRequest(f"query parameter {name!r} must be a number, got {raw!r}") from None
        if not 0 <= value <= high:
            raise BadRequest(f"query parameter {name!r} must be between 0 and {high}, got {value}")
        return value


@web.stream_request_body
class DatasetsHandler(DatasetBase):
    _sink: UploadSink | None = None
    _json: list[bytes] | None = None
    _json_size = 0

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self._finished or self.request.method != "POST":
            return
        # nothing of the body is read before the user is known and allowed to write
        if self.current_user is None:
            raise web.HTTPError(403)
        allowed = await ensure_async(self.authorizer.is_authorized(self, self.current_user, "write", self.auth_resource))
        if not allowed:
            raise web.HTTPError(403)
        try:
            await self._open_body()
        except NotebookDagError as e:
            self.send_error(exc_info=(type(e), e, e.__traceback__))

    async def _open_body(self) -> None:
        svc = self.datasets
        name = self.get_query_argument("name", None)
        if name is None:  # a JSON body registering a file under the server root
            check_size(self.request.headers.get("Content-Length"), JSON_LIMIT)
            self.request.connection.set_max_body_size(JSON_LIMIT + STREAM_SLACK)
            self._json = []
            return
        if self.request.headers.get("Content-Type", "").startswith("multipart/form-data"):
            raise BadRequest("send the file as the raw request body, not as multipart/form-data")
        name = svc.ensure_upload_allowed(name, self.get_query_argument("format", None))
        await svc.check_project(self.get_query_argument("project_id", None) or None, self.user)
        check_size(self.request.headers.get("Content-Length"), svc.max_upload_bytes)
        self.request.connection.set_max_body_size(svc.max_upload_bytes + STREAM_SLACK)
        self._sink = svc.files.new_upload(svc.max_upload_bytes)

    async def data_received(self, chunk: bytes) -> None:  # type: ignore[override]
        if self._finished:
            return
        try:
            if self._json is not None:
                self._json_size += len(chunk)
                if self._json_size > JSON_LIMIT:
                    raise PayloadTooLarge(f"a JSON body must be at most {JSON_LIMIT} bytes")
                self._json.append(chunk)
            elif self._sink is not None and self._sink.feed(chunk):
                await asyncio.to_thread(self._sink.flush)
        except PayloadTooLarge as e:
            self._discard()
            self.send_error(exc_info=(type(e), e, e.__traceback__))

    def _discard(self) -> None:
        if self._sink is not None:
            self._sink.abort()
            self._sink = None
        self._json = None

    def on_connection_close(self) -> None:
        self._discard()
        super().on_connection_close()

    def on_finish(self) -> None:
        if self._sink is not None and not self._sink.closed:
            self._sink.abort()
        super().on_finish()

    @web.authenticated
    @authorized
    async def get(self) -> None:
        sort = self.get_query_argument("sort", "-updated")
        if sort not in dm.DatasetSort.__args__:
            raise BadRequest(f"sort must be one of {', '.join(dm.DatasetSort.__args__)}")
        rows, total = await self.datasets.list(
            self.user, q=self.get_query_argument("q", None), tag=self.query_list("tag"),
            project_id=self.get_query_argument("project_id", None), sort=sort,
            limit=self.query_int("limit", 50, 1, 1000), offset=self.query_int("offset", 0, 0, 10**9),
        )
        self.reply(dm.DatasetList, {"datasets": rows, "total": total})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        svc = self.datasets
        if self._json is not None:
            self.request.body = b"".join(self._json)
            self._json = None
            out, created = await svc.register(self.body(dm.DatasetRegister), self.user)
        elif self._sink is not None:
            sink, self._sink = self._sink, None
            tags = [t for raw in self.get_query_arguments("tags") + self.get_query_arguments("tag")
                    for t in raw.split(",") if t.strip()]
            try:
                out, created = await svc.add_upload(
                    sink, svc.ensure_upload_allowed(self.get_query_argument("name"), None),
                    self.get_query_argument("project_id", None) or None, self.user,
                    description=self.get_query_argument("description", "") or "",
                    tags=list(dict.fromkeys(t.strip() for t in tags)),
                    fmt=self.get_query_argument("format", None),
                )
            finally:
                sink.abort()  # no-op once the file was moved into the store
        else:  # pragma: no cover - prepare() always sets one of them
            raise BadRequest("no request body")
        self.set_header("Location", f"{self.base_url.rstrip('/')}{API}/datasets/{out['id']}")
        etags.reply(self, dm.UploadOut, out, 201 if created else 200)


class DatasetHandler(DatasetBase):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        etags.reply(self, dm.DatasetOut, await self.datasets.get(dataset_id, self.user))

    @web.authenticated
    @authorized
    async def patch(self, dataset_id: str) -> None:
        body, expected = self.body(dm.DatasetUpdate), etags.if_match(self, "dataset", dataset_id)
        etags.reply(self, dm.DatasetOut, await self.datasets.update(dataset_id, body, self.user, expected))

    @web.authenticated
    @authorized
    async def delete(self, dataset_id: str) -> None:
        await self.datasets.delete(dataset_id, self.user, etags.if_match(self, "dataset", dataset_id))
        self.set_status(204)
        self.finish()


class DatasetVersionsHandler(DatasetBase):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.reply(dm.VersionList, await self.datasets.versions(dataset_id, self.user))


class DatasetPreviewHandler(DatasetBase):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        out = await self.datasets.preview(
            dataset_id, self.user, self.version_arg(),
            offset=self.query_int("offset", 0, 0, 10**12), limit=self.query_int("limit", 50, 1, 1000),
        )
        self.reply(dm.PreviewOut, out)


class DatasetProfileHandler(DatasetBase):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        out = await self.datasets.profile(dataset_id, self.user, self.version_arg(), wait=self.float_arg("wait", 60))
        self.reply(dm.ProfileOut, out)

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        out = await self.datasets.profile(dataset_id, self.user, self.version_arg(), wait=self.float_arg("wait", 60),
                                          start=True, force=self.query_bool("force"))
        self.reply(dm.ProfileOut, out, 202 if out["status"] == "pending" else 200)


class DatasetReportHandler(DatasetBase):
    """``GET`` serves the HTML (sandboxed by its Content-Security-Policy, so the report's
    scripts run in an opaque origin); ``POST`` queues a build."""

    @property
    def content_security_policy(self) -> str:
        return REPORT_CSP

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        svc = self.datasets
        location = await svc.report_file(dataset_id, self.user, self.version_arg())
        f = await asyncio.to_thread(svc.files.open_report, location)
        try:
            chunk = await asyncio.to_thread(f.read, 1 << 18)  # a store failing here still answers 503
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            while chunk:
                self.write(chunk)
                await self.flush()
                chunk = await asyncio.to_thread(f.read, 1 << 18)
        finally:
            await asyncio.to_thread(f.close)
        self.finish(set_content_type="text/html; charset=UTF-8")

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        out, started = await self.datasets.report(dataset_id, self.user, self.version_arg(), start=True,
                                                  force=self.query_bool("force"))
        self.reply(dm.ReportOut, out, 202 if started or out["status"] in ("queued", "running") else 200)


class DatasetReportStatusHandler(DatasetBase):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        out, _ = await self.datasets.report(dataset_id, self.user, self.version_arg())
        self.reply(dm.ReportOut, out)


class DatasetLineageHandler(DatasetBase):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.reply(dm.LineageOut, await self.datasets.lineage(dataset_id, self.user))


def dataset_routes() -> list[tuple[str, type[DagAPIHandler]]]:
    """``(url pattern, handler)`` pairs of the datasets API."""
    did = ID.format("dataset_id")
    base = rf"{API}/datasets/{did}"
    return [
        (rf"{API}/datasets", DatasetsHandler),
        (base, DatasetHandler),
        (rf"{base}/versions", DatasetVersionsHandler),
        (rf"{base}/preview", DatasetPreviewHandler),
        (rf"{base}/profile", DatasetProfileHandler),
        (rf"{base}/report", DatasetReportHandler),
        (rf"{base}/report/status", DatasetReportStatusHandler),
        (rf"{base}/lineage", DatasetLineageHandler),
    ]
