"""REST handlers of dataset imports (:mod:`notebook_dag.datasets.imports`):
``POST /datasets/import``, ``GET /datasets/imports[/{id}]``, ``DELETE /datasets/imports/{id}``
and ``GET /datasets/kaggle?search=``. Their routes come before ``/datasets/{dataset_id}``
in :data:`notebook_dag.datasets.handlers.ROUTES`."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..base_handler import API, DagAPIHandler
from ..errors import BadRequest, Unavailable
from ..routes import LOCATION, STRING, Op, Param, Route, integer
from . import models as dm
from .imports import DatasetImports


class ImportBase(DagAPIHandler):
    @property
    def imports(self) -> DatasetImports:
        imports = getattr(getattr(self.services, "datasets", None), "imports", None)
        if imports is None:
            raise Unavailable("dataset imports are not configured")
        return imports

    def wait_arg(self) -> float:
        raw = self.get_query_argument("wait", "") or ""
        try:
            value = float(raw or 0)
        except ValueError:
            raise BadRequest(f"query parameter 'wait' must be a number, got {raw!r}") from None
        if not 0 <= value <= 60:
            raise BadRequest(f"query parameter 'wait' must be between 0 and 60, got {value}")
        return value


class DatasetImportHandler(ImportBase):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        out = await self.imports.start(self.body(dm.DatasetImport), self.user)
        self.set_header("Location", f"{self.base_url.rstrip('/')}{API}/datasets/imports/{out['id']}")
        self.reply(dm.ImportOut, out, 202)


class DatasetImportsHandler(ImportBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(dm.ImportList, {"imports": self.imports.list(self.user)})


class DatasetImportStatusHandler(ImportBase):
    @web.authenticated
    @authorized
    async def get(self, import_id: str) -> None:
        self.reply(dm.ImportOut, await self.imports.wait(import_id, self.user, self.wait_arg()))

    @web.authenticated
    @authorized
    async def delete(self, import_id: str) -> None:
        self.reply(dm.ImportOut, await self.imports.cancel(import_id, self.user))


class KaggleSearchHandler(ImportBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        search = (self.get_query_argument("search", "") or "").strip()[:200]
        out = await self.imports.search_kaggle(search, self.query_int("page", 1, 1, 1000))
        self.reply(dm.KaggleSearchOut, out)


_FAILURES = ("403: source_unauthorized (the source refused the credentials, or there were none), 404: "
             "source_not_found, 413: over DatasetService.max_upload_bytes, 422: not a table (or a Kaggle dataset "
             "of several files without one named), 502: unreachable or failing source, 504: over "
             "DatasetService.import_timeout")

#: the dataset import routes (before /datasets/{dataset_id}, whose id pattern matches "import")
IMPORT_ROUTES: tuple[Route, ...] = (
    Route("/datasets/import", DatasetImportHandler, (
        Op("post", "Import a file from a URL (https, s3, gs, any installed fsspec protocol) or from Kaggle, "
                   "in the background", 202, dm.ImportOut, request=dm.DatasetImport, errors=(404, 503),
           response_headers=(LOCATION,),
           description="The file is streamed into storage with the size limit, validation, hashing, "
                       "deduplication and versioning of uploads. 400 (reason refused_url) for file:// URLs, local "
                       "paths, local fsspec protocols, and hosts with a private or loopback address unless "
                       "DatasetService.import_allow_private_addresses. Follow it with GET /datasets/imports/{id} "
                       "(or dataset_import/v1 events); a failure is recorded on the import as error "
                       f"{{status, reason, message}}: {_FAILURES}. Kaggle credentials are the server user's own "
                       "Kaggle configuration (~/.kaggle/kaggle.json or KAGGLE_* environment variables)."),
    )),
    Route("/datasets/imports", DatasetImportsHandler, (
        Op("get", "The requesting user's imports on this server, newest first", response=dm.ImportList,
           errors=(503,)),
    )),
    Route("/datasets/imports/{import_id}", DatasetImportStatusHandler, (
        Op("get", "Status, bytes done and total, error or resulting dataset of an import",
           response=dm.ImportOut, errors=(503,), query=(
               Param("wait", {"type": "number", "minimum": 0, "maximum": 60},
                     "seconds to wait for the import to end (default 0)"),)),
        Op("delete", "Cancel an import (nothing of it is kept); a finished one is returned as it is",
           response=dm.ImportOut, errors=(409, 503), description="409 while the downloaded file is being stored"),
    )),
    Route("/datasets/kaggle", KaggleSearchHandler, (
        Op("get", "Search Kaggle datasets through the official Kaggle client", response=dm.KaggleSearchOut,
           errors=(403, 502, 503, 504), query=(
               Param("search", STRING, "words to search for (empty: Kaggle's hottest datasets)"),
               Param("page", integer(1, 1000), "page of 20 results (default 1)")),
           description="403: Kaggle refused the server user's credentials; 503: no Kaggle client installed"),
    )),
)
