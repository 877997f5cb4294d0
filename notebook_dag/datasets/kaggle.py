"""The Kaggle client helpers of dataset imports (:mod:`notebook_dag.datasets.imports`).

Kaggle is read with the official client (``kagglehub``, over ``kagglesdk``), imported
only when a Kaggle import or search needs it. Its credentials are the user's own Kaggle
configuration (``~/.kaggle/kaggle.json``, ``KAGGLE_CONFIG_DIR``,
``KAGGLE_USERNAME``/``KAGGLE_KEY`` or ``KAGGLE_API_TOKEN`` in the server's environment),
read by kagglehub; nothing here stores them.

- :func:`parse_kaggle_ref` checks an ``owner/dataset[/file]`` reference;
- :func:`_kaggle_modules` and :func:`_kaggle_api` give the client's request types and
  its dataset API;
- :func:`search_datasets` is the dataset search (``GET /datasets/kaggle``);
- :func:`_single_file` picks the file of a dataset imported without a file name;
- :func:`_kaggle_error` maps a failure of the client to the error of the import.

Everything but :func:`parse_kaggle_ref` blocks on the network or on imports: the server
calls it in threads. Errors: :class:`~notebook_dag.errors.BadRequest` (400, a malformed
reference), :class:`~notebook_dag.errors.Unavailable` (503, the client is not installed),
:class:`~notebook_dag.errors.Unprocessable` (422, a dataset with no file or several to
choose from), and from :func:`_kaggle_error`
:class:`~notebook_dag.datasets.import_urls.SourceDenied` (403),
:class:`~notebook_dag.datasets.import_urls.SourceNotFound` (404),
:class:`~notebook_dag.errors.BadGateway` (502) and
:class:`~notebook_dag.errors.GatewayTimeout` (504).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import BadGateway, BadRequest, GatewayTimeout, NotebookDagError, Unavailable, Unprocessable
from .import_urls import SourceDenied, SourceNotFound
from .objectstore import short_error

#: names of table files: the one picked from a dataset of several files, or from a zip archive
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".json", ".jsonl", ".ndjson", ".xlsx", ".xls")
_KAGGLE_REF = re.compile(r"^([A-Za-z0-9_.\-]+)/([A-Za-z0-9_.\-]+)(?:/(.+))?$")


def parse_kaggle_ref(ref: str | None) -> tuple[str, str, str | None]:
    """``owner/dataset[/file]`` → ``(owner, dataset, file or None)``; :class:`BadRequest` otherwise."""
    m = _KAGGLE_REF.match((ref or "").strip())
    if not m or ".." in m.group(0).split("/"):
        raise BadRequest(f"kaggle must be owner/dataset or owner/dataset/file, got {ref!r}")
    return m.group(1), m.group(2), m.group(3)


def _kaggle_modules() -> dict[str, Any]:
    try:
        from kagglehub.clients import build_kaggle_client
        from kagglesdk.datasets.types.dataset_api_service import (ApiDownloadDatasetRequest,
                                                                   ApiListDatasetFilesRequest, ApiListDatasetsRequest)
    except ImportError as e:
        raise Unavailable(f"the Kaggle client is not installed on this server (pip install kagglehub): {e}") from None
    return {"build": build_kaggle_client, "ApiDownloadDatasetRequest": ApiDownloadDatasetRequest,
            "ApiListDatasetFilesRequest": ApiListDatasetFilesRequest, "ApiListDatasetsRequest": ApiListDatasetsRequest}


def _kaggle_api() -> Any:
    """The dataset API of the official client, with the user's own Kaggle credentials
    (read by kagglehub from ``~/.kaggle/kaggle.json``, ``KAGGLE_CONFIG_DIR`` or the
    environment) and endpoint (``KAGGLE_API_ENVIRONMENT``)."""
    return _kaggle_modules()["build"]().datasets.dataset_api_client


def search_datasets(search: str, page: int) -> dict[str, Any]:
    """Kaggle datasets matching ``search``, page ``page`` (20 a page), as
    :class:`~notebook_dag.datasets.models.KaggleSearchOut`. Blocks; errors as
    :func:`_kaggle_error` maps them, 503 when the client is not installed."""
    mods = _kaggle_modules()
    try:
        req = mods["ApiListDatasetsRequest"]()
        req.search = search
        req.page = page
        resp = _kaggle_api().list_datasets(req)
    except Exception as e:  # noqa: BLE001
        raise _kaggle_error(e, "the dataset search") from None
    out = []
    for d in resp.datasets or []:
        updated = d.last_updated
        out.append({"ref": d.ref, "title": d.title or d.ref, "subtitle": d.subtitle or "",
                    "size_bytes": d.total_bytes, "url": d.url or f"https://www.kaggle.com/datasets/{d.ref}",
                    "last_updated": updated.isoformat() if hasattr(updated, "isoformat") else updated,
                    "downloads": d.download_count or 0, "votes": d.vote_count or 0,
                    "license": d.license_name or ""})
    return {"datasets": out, "page": page}


def _single_file(api: Any, owner: str, slug: str) -> str:
    req = _kaggle_modules()["ApiListDatasetFilesRequest"]()
    req.owner_slug, req.dataset_slug = owner, slug
    files = [f.name for f in (api.list_dataset_files(req).dataset_files or [])]
    if len(files) == 1:
        return files[0]
    tables = [f for f in files if f.lower().endswith(TABLE_SUFFIXES)]
    if len(tables) == 1:
        return tables[0]
    if not files:
        raise Unprocessable(f"the Kaggle dataset {owner}/{slug} has no files")
    shown = ", ".join(files[:20]) + (" ..." if len(files) > 20 else "")
    raise Unprocessable(f"the Kaggle dataset {owner}/{slug} has {len(files)} files ({shown}); import one of them "
                        f"as {owner}/{slug}/<file>", files=files[:200])


def _kaggle_error(e: BaseException, what: str) -> NotebookDagError:
    import requests

    if isinstance(e, requests.HTTPError) and e.response is not None:
        status = e.response.status_code
        if status in (401, 403):
            return SourceDenied(f"Kaggle refused {what} (HTTP {status}): set up your Kaggle credentials "
                                "(~/.kaggle/kaggle.json, or KAGGLE_USERNAME and KAGGLE_KEY, or KAGGLE_API_TOKEN in "
                                "the server's environment) and accept the dataset's rules on kaggle.com",
                                source_status=status)
        if status == 404:
            return SourceNotFound(f"Kaggle has no {what} (HTTP 404)", source_status=status)
        if status in (408, 504):
            return GatewayTimeout(f"Kaggle timed out on {what} (HTTP {status})", source_status=status)
        return BadGateway(f"Kaggle answered HTTP {status} for {what}", source_status=status)
    if isinstance(e, requests.Timeout):
        return GatewayTimeout(f"Kaggle did not answer in time for {what}")
    if isinstance(e, requests.RequestException):
        return BadGateway(f"cannot reach Kaggle for {what}: {short_error(e)}")
    return BadGateway(f"the Kaggle client failed on {what}: {short_error(e)}")
