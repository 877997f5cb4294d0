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
from ..base_handler import API, DagAPIHandler
from ..errors import BadRequest, NotebookDagError, PayloadTooLarge, Unavailable
from ..routes import (BOOLEAN, ETAG, IF_MATCH, IF_NONE_MATCH, LOCATION, OFFSET, PAGE, STRING, TAGS, Op, Param, Q,
                      RawBody, Route, integer, one_of)
from . import analysis_models as am
from . import models as dm
from .analysis import KINDS, MAX_CATEGORIES, NORMALITY_SAMPLE, SAMPLE_ROWS
from .charts import DEFAULT_LIMIT, MAX_LIMIT
from .import_handlers import IMPORT_ROUTES
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


class DatasetAnalysisHandler(DatasetBase):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        kind = self.get_query_argument("kind", "") or ""
        self.reply(am.AnalysisOut, await self.datasets.analysis(dataset_id, self.user, self.version_arg(), kind))


class DatasetChartsHandler(DatasetBase):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        limit = self.query_int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        self.reply(am.ChartsOut, await self.datasets.charts(dataset_id, self.user, self.version_arg(), limit))


_R = "/datasets/{dataset_id}"
_VERSION = Param("version", integer(1, 10**9), "a version number (default: the current version)")
_WAIT = Param("wait", {"type": "number", "minimum": 0, "maximum": 60}, "seconds to wait for a profile being computed")
_FORCE = Param("force", BOOLEAN, "compute again even when stored")
_FORMAT = Param("format", one_of(dm.DatasetFormat.__args__), "the file format (default: detected from the content)")
_UPLOAD = RawBody("application/octet-stream", "the file itself, streamed (any content type but multipart/form-data); "
                                              "requires ?name=")

#: the datasets routes
ROUTES: tuple[Route, ...] = (
    *IMPORT_ROUTES,  # before /datasets/{dataset_id}, whose id pattern matches "import" and "kaggle"
    Route("/datasets", DatasetsHandler, (
        Op("get", "List and search datasets", response=dm.DatasetList, errors=(503,), query=(
            Q, TAGS, Param("project_id", STRING, "only the datasets of this project"),
            Param("sort", one_of(dm.DatasetSort.__args__), "order (default -updated: newest first)"), *PAGE)),
        Op("post", "Upload a file as the raw body, or register a file under the server root (JSON body)", 201,
           dm.UploadOut, request=dm.DatasetRegister, raw_body=_UPLOAD, also=(200,), errors=(404, 409, 413, 415, 422, 503),
           response_headers=(LOCATION, ETAG), query=(
               Param("name", STRING, "the dataset's name: the raw body is then the file (without it, the body is "
                                     "JSON registering a file under the server root)"),
               Param("project_id", STRING, "the project the dataset belongs to"), _FORMAT,
               Param("description", STRING, "a description of the dataset"),
               Param("tags", STRING, "comma-separated tags"),
               Param("tag", {"type": "array", "items": STRING}, "a tag (repeatable)")),
           description="201: a new dataset or version; 200: the same content as the current version. Without "
                       "?name= the body is JSON (DatasetRegister, at most 1 MiB)."),
    )),
    Route(_R, DatasetHandler, (
        Op("get", "Get a dataset with its current version", response=dm.DatasetOut, errors=(503,),
           headers=(IF_NONE_MATCH,), response_headers=(ETAG,)),
        Op("patch", "Rename, describe, tag, move to a project, or make an older version current",
           response=dm.DatasetOut, request=dm.DatasetUpdate, errors=(409, 412, 503), headers=(IF_MATCH,),
           response_headers=(ETAG,)),
        Op("delete", "Delete a dataset, its versions and uploaded bytes no other version uses", 204,
           errors=(409, 412, 503), headers=(IF_MATCH,)),
    )),
    Route(f"{_R}/versions", DatasetVersionsHandler, (
        Op("get", "Every version, oldest first", response=dm.VersionList, errors=(503,)),
    )),
    Route(f"{_R}/preview", DatasetPreviewHandler, (
        Op("get", "Rows as JSON, reading only what is needed; column dtypes of the whole file",
           response=dm.PreviewOut, errors=(409, 422, 503), query=(
               _VERSION, Param("offset", integer(0, 10**12), OFFSET.description),
               Param("limit", integer(1, 1000), "rows (default 50)")),
           description="503 while a large file's profile still reads the column types"),
    )),
    Route(f"{_R}/profile", DatasetProfileHandler, (
        Op("get", "The quick profile", response=dm.ProfileOut, errors=(503,), query=(_VERSION, _WAIT)),
        Op("post", "Compute the quick profile when not stored", 202, dm.ProfileOut, also=(200,),
           errors=(409, 503), query=(_VERSION, _WAIT, _FORCE)),
    )),
    Route(f"{_R}/report", DatasetReportHandler, (
        Op("get", "The full ydata-profiling report", media_type="text/html", errors=(409, 503), query=(_VERSION,)),
        Op("post", "Build the full report in a child process (progress as dataset/v1 events)", 202,
           dm.ReportOut, also=(200,), errors=(409, 503), query=(_VERSION, _FORCE)),
    )),
    Route(f"{_R}/report/status", DatasetReportStatusHandler, (
        Op("get", "Status and progress of the full report", response=dm.ReportOut, errors=(503,),
           query=(_VERSION,)),
    )),
    Route(f"{_R}/analysis", DatasetAnalysisHandler, (
        Op("get", "Statistics, correlations or k-means clustering of a version, with the code reproducing it",
           response=am.AnalysisOut, errors=(409, 422, 503), query=(
               Param("kind", one_of(KINDS), "statistics: per-column descriptive statistics, normality "
                     "(D'Agostino-Pearson, Shapiro-Wilk under 20 values) and IQR outliers; correlation: Pearson, "
                     "Spearman, Cramér's V and correlation ratio with p-values, and the strongest pairs; "
                     "clustering: k-means on the standardised numeric columns, k in 2..8 by silhouette",
                     required=True),
               _VERSION),
           description=f"Computed off the event loop and cached by content hash, kind and parameters. "
                       f"Spearman, Cramér's V and the correlation ratio use a random sample of {SAMPLE_ROWS} rows "
                       f"beyond that many (result.sampling says so); normality tests at most {NORMALITY_SAMPLE} "
                       f"values; text columns with at most {MAX_CATEGORIES} distinct values are categorical. "
                       "422: an unknown kind, or a file that cannot be analysed."),
    )),
    Route(f"{_R}/charts", DatasetChartsHandler, (
        Op("get", "Ranked chart suggestions with matplotlib code and a PNG preview drawn on the server",
           response=am.ChartsOut, errors=(409, 422, 503), query=(
               _VERSION, Param("limit", integer(1, MAX_LIMIT), f"charts at most (default {DEFAULT_LIMIT})")),
           description="Histograms of skewed numerics, bars of low-cardinality categories, scatters of the most "
                       "correlated numeric pairs, lines over a datetime column, box plots of a numeric by a "
                       "category; cached by content hash and parameters."),
    )),
    Route(f"{_R}/lineage", DatasetLineageHandler, (
        Op("get", "Blocks of the user's projects that read or write the dataset", response=dm.LineageOut,
           errors=(503,)),
    )),
)
