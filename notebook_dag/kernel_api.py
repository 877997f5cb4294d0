"""``notebook_dag.load()``: datasets from inside a kernel, read through the server.

A kernel holds no database credential. The server gives every kernel it starts (runs of
the DAG, parallel workers and ordinary notebook sessions alike; see
:mod:`notebook_dag.kernel_auth`) two environment variables: ``NOTEBOOK_DAG_API_URL``, the
server's loopback URL, and ``NOTEBOOK_DAG_KERNEL_TOKEN``, a short-lived token of the user
the kernel was started for, good for reading datasets and nothing else. With them:

1. ``GET <api>/notebook-dag/api/kernel/datasets/resolve`` finds the dataset by name (or
   id) among the datasets that user may read: their own and those of every project
   they may see (owner, member of any role, or shared with all), exactly as the REST
   API decides. When the name exists several times, ``project=`` (a project id or name)
   chooses; the project of a project kernel (``NOTEBOOK_DAG_PROJECT_ID``, set by the
   server) is preferred otherwise (see :func:`choose_dataset`).
2. The answer holds the path of a local file with the version's bytes (the registered
   file, the uploaded copy, or the server's verified cache copy of an object on object
   storage), which is read with pandas the way the server previews it. A kernel that
   cannot open that path (another file system) downloads the bytes from
   ``.../kernel/datasets/{id}/content`` into its cache, checked against their SHA-256.

Outside a server-started kernel (no token), ``load()`` reads a database directly, and
only one the caller names or owns: ``db_url=``, else the ``NOTEBOOK_DAG_DB_URL``
environment variable of the caller's own process (the server never sets it), else the
default SQLite file of this OS user (``notebook_dag.db`` in the Jupyter data directory)
when it exists. Otherwise it raises :class:`NoKernelToken`, saying how to get a token.
Objects on object storage are then read with the storage options in
``NOTEBOOK_DAG_DATASETS_STORAGE_OPTIONS`` (JSON) when their protocol is the one of
``NOTEBOOK_DAG_DATASETS_URL``, else the environment's credentials.

Nothing here imports pandas or SQLAlchemy until it is called.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

from ._threads import run_in_thread
from .datasets.objectstore import is_url

ENV_DB_URL = "NOTEBOOK_DAG_DB_URL"
ENV_PROJECT = "NOTEBOOK_DAG_PROJECT_ID"
ENV_API_URL = "NOTEBOOK_DAG_API_URL"
ENV_TOKEN = "NOTEBOOK_DAG_KERNEL_TOKEN"
#: seconds one request to the server may take
REQUEST_TIMEOUT = 600.0

ENV_STORAGE_URL = "NOTEBOOK_DAG_DATASETS_URL"
ENV_STORAGE_OPTIONS = "NOTEBOOK_DAG_DATASETS_STORAGE_OPTIONS"
ENV_CACHE_DIR = "NOTEBOOK_DAG_DATASETS_CACHE"
ENV_CACHE_BYTES = "NOTEBOOK_DAG_DATASETS_CACHE_BYTES"


class NoKernelToken(RuntimeError):
    """``notebook_dag.load()`` ran outside a kernel started by a notebook_dag server, and
    no database of the caller's own was named or found."""


def default_db_url() -> str:
    """The URL the server uses when ``NotebookDagApp.db_url`` is not configured."""
    from jupyter_core.paths import jupyter_data_dir

    return "sqlite:///" + os.path.join(jupyter_data_dir(), "notebook_dag", "notebook_dag.db")


def _run_async(coro_factory: Any) -> Any:
    """``asyncio.run(coro_factory())`` on a short-lived thread: a kernel already runs an
    event loop, and the database drivers installed with notebook_dag are asyncio ones."""
    return run_in_thread(coro_factory, "notebook_dag-load")


def dataset_file(name: str, version: int | None = None, project: str | None = None,
                 db_url: str | None = None) -> tuple[str, str]:
    """``(absolute local file path, format)`` of a dataset version: through the server in
    a kernel it started, else from the caller's own database (see the module docstring).
    Raises what :func:`load` raises."""
    token = os.environ.get(ENV_TOKEN)
    if db_url is None and token:
        return _server_file(name, version, project, token)
    url = db_url or os.environ.get(ENV_DB_URL)
    if url is None:
        default = default_db_url()
        if not os.path.isfile(default[len("sqlite:///"):]):
            raise NoKernelToken(
                "notebook_dag.load() reads datasets through the Jupyter server, and this process has no "
                f"{ENV_TOKEN}: run it in a kernel started by a Jupyter server with notebook_dag (a notebook "
                "session or a run of a project; restart a kernel started before the extension was enabled), "
                "or pass db_url= to read a database of your own")
        url = default
    return _database_file(name, version, project, url)


def _request(url: str, token: str) -> Any:
    """The response of a GET to the server with the kernel token. Raises ``LookupError``
    (404), ``FileNotFoundError`` (404 for a file that is gone), ``PermissionError``
    (401/403) or ``OSError`` (the server is unreachable or fails)."""
    req = urllib.request.Request(url, headers={"Authorization": f"notebook-dag-kernel {token}"})
    context = None
    if urllib.parse.urlsplit(url).hostname in ("127.0.0.1", "::1"):
        # the server's own loopback address, where its certificate (if any) names another host
        import ssl

        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        return urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT, context=context)
    except urllib.error.HTTPError as e:
        try:
            body = json.loads(e.read() or b"{}")
        except ValueError:
            body = {}
        message = body.get("message") or e.reason
        if e.code == 404:
            raise (FileNotFoundError if body.get("detail") == "file_gone" else LookupError)(message) from None
        if e.code in (401, 403):
            raise PermissionError(f"the server refused this kernel's token: {message}") from None
        raise OSError(f"the server answered {e.code}: {message}") from None
    except urllib.error.URLError as e:
        raise OSError(f"the Jupyter server at {url.split('/notebook-dag/')[0]} cannot be reached ({e.reason}); "
                      "was it stopped? Restart the kernel from a running server") from None


def _server_file(name: str, version: int | None, project: str | None, token: str) -> tuple[str, str]:
    base = os.environ.get(ENV_API_URL)
    if not base:
        raise NoKernelToken(f"{ENV_API_URL} is not set (the server listens on a UNIX socket?): "
                            "notebook_dag.load() cannot reach the server from this kernel")
    api = base.rstrip("/") + "/notebook-dag/api/kernel/datasets"
    query = {"name": name, "project": project, "version": version, "prefer": os.environ.get(ENV_PROJECT)}
    with _request(f"{api}/resolve?" + urllib.parse.urlencode({k: v for k, v in query.items() if v}), token) as r:
        found = json.load(r)
    what = f"{found['name']!r} version {found['version']}"
    if found["changed_on_disk"]:
        warnings.warn(f"the file of {what} changed since it was registered", stacklevel=4)
    path = found.get("path")
    if path and os.path.isfile(path) and os.access(path, os.R_OK) and (
            found["changed_on_disk"] or os.path.getsize(path) == found["size_bytes"]):
        return path, found["format"]
    return _download(f"{api}/{found['dataset_id']}/content?version={found['version']}", token, found), found["format"]


def _download(url: str, token: str, found: dict[str, Any]) -> str:
    """The bytes at ``url`` in this kernel's cache, named and verified by their SHA-256."""
    from .datasets.objectstore import cache_path

    sha = found["sha256"]
    suffix = os.path.splitext(found.get("name") or "")[1]
    dest = cache_path(_cache_dir(), sha, suffix)
    if dest.is_file():
        return str(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, _request(url, token) as r:
            while chunk := r.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha:
            raise OSError(f"the bytes of dataset {found['name']!r} version {found['version']} do not match "
                          "their SHA-256")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return str(dest)


def _database_file(name: str, version: int | None, project: str | None, db_url: str) -> tuple[str, str]:
    """:func:`dataset_file` read from the database at ``db_url`` (no user filter: the
    caller's own database)."""
    from sqlalchemy import or_, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from .datasets.orm import Dataset, DatasetVersion
    from .storage.database import to_async_url
    from .storage.orm import Project

    url = to_async_url(db_url)
    prefer = os.environ.get(ENV_PROJECT)

    async def query() -> tuple[Any, Any, int]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(
                    select(Dataset.id, Dataset.name, Dataset.project_id, Dataset.current_version,
                           Project.name.label("project_name"))
                    .outerjoin(Project, Project.id == Dataset.project_id)
                    .where(or_(Dataset.name == name, Dataset.id == name))
                )).all()
                chosen = choose_dataset(name, rows, project, prefer)
                number = version or chosen.current_version
                found = (await conn.execute(
                    select(DatasetVersion.file_path, DatasetVersion.format, DatasetVersion.size_bytes,
                           DatasetVersion.source, DatasetVersion.mtime, DatasetVersion.sha256)
                    .where(DatasetVersion.dataset_id == chosen.id, DatasetVersion.version == number)
                )).first()
                return chosen, found, number
        finally:
            await engine.dispose()

    _, found, number = _run_async(query)
    if found is None:
        raise LookupError(f"dataset {name!r} has no version {number}")
    if is_url(found.file_path):
        return fetch_object(found.file_path, found.sha256, f"dataset {name!r} version {number}"), found.format
    if not os.path.isfile(found.file_path):
        raise FileNotFoundError(f"the file of dataset {name!r} version {number} is gone: {found.file_path}")
    if found.source == "path":
        st = os.stat(found.file_path)
        if st.st_size != found.size_bytes or (found.mtime is not None and abs(st.st_mtime - found.mtime) > 1e-6):
            warnings.warn(f"{found.file_path} changed since version {number} of {name!r} was registered",
                          stacklevel=3)
    return found.file_path, found.format


def _cache_dir() -> str:
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured:
        try:
            os.makedirs(configured, exist_ok=True)
            if os.access(configured, os.W_OK):
                return configured
        except OSError:
            pass
    from jupyter_core.paths import jupyter_data_dir

    return os.path.join(jupyter_data_dir(), "notebook_dag", "datasets", "cache")


def fetch_object(url: str, sha256: str, what: str = "the dataset") -> str:
    """A local path holding the object at ``url`` whose SHA-256 is ``sha256``: a copy in
    the cache, downloaded and verified the first time. Raises ``FileNotFoundError`` when
    the object (or its bucket) is gone and ``OSError`` when the store cannot be read
    (unreachable, refused credentials) or the bytes do not match the hash."""
    import json

    from .datasets.objectstore import DEFAULT_CACHE_BYTES, cached_copy, open_fs, protocol, redact, storage_errors

    options: dict[str, Any] = {}
    if protocol(url) == protocol(os.environ.get(ENV_STORAGE_URL, "")):
        options = json.loads(os.environ.get(ENV_STORAGE_OPTIONS) or "{}")
    try:
        limit = int(os.environ.get(ENV_CACHE_BYTES) or DEFAULT_CACHE_BYTES)
    except ValueError:
        limit = DEFAULT_CACHE_BYTES
    fs, path = open_fs(url, options)
    try:
        return str(cached_copy(fs, path, sha256, _cache_dir(), limit if limit > 0 else None))
    except FileNotFoundError as e:
        raise FileNotFoundError(f"the file of {what} is gone: {redact(url)} ({e})") from None
    except OSError:
        raise
    except storage_errors() as e:
        raise OSError(f"could not read {what} from {redact(url)}: {type(e).__name__}: {e}") from e


def choose_dataset(name: str, rows: list[Any], project: str | None = None, prefer: str | None = None) -> Any:
    """The row (``id``, ``name``, ``project_id``, ``project_name``) that ``name`` means:
    the dataset with that id; with ``project`` (an id or a name, given by the caller) the
    one of that project, else a project-less one; with ``prefer`` (the kernel's project)
    the same when one matches; else the only one. Raises ``LookupError`` when none
    matches or the name stays ambiguous."""
    if not rows:
        raise LookupError(f"no dataset named {name!r}")
    by_id = [r for r in rows if r.id == name]
    if by_id:
        return by_id[0]
    for wanted, required in ((project, True), (prefer, False)):
        if not wanted:
            continue
        mine = [r for r in rows if wanted in (r.project_id, r.project_name)]
        if len(mine) == 1:
            return mine[0]
        if not mine:
            loose = [r for r in rows if r.project_id is None]
            if len(loose) == 1:
                return loose[0]
            if required:
                raise LookupError(f"no dataset named {name!r} in project {wanted!r}")
        else:
            rows = mine
        break
    if len(rows) == 1:
        return rows[0]
    where = ", ".join(sorted(f"{r.project_name!r} ({r.project_id})" if r.project_id else "no project" for r in rows))
    raise LookupError(f"several datasets are named {name!r} ({where}); pass project=... or the dataset id")


def load(name: str, version: int | None = None, project: str | None = None, db_url: str | None = None) -> Any:
    """The DataFrame of dataset ``name`` (or its id): the current version, or ``version``
    (1-based) of it.

    ``project`` (a project id or name) picks among datasets of the same name in several
    projects. In a kernel started by the server, the dataset is asked of the server with
    the kernel's token, so only datasets the kernel's user may read are found;
    ``db_url`` reads that database of the caller's own directly instead (see the module
    docstring). Raises ``LookupError`` when no dataset or version matches (or the name is
    ambiguous, or the user may not read it), ``FileNotFoundError`` when the version's
    file is gone, ``PermissionError`` when the server refuses the token (expired: restart
    the kernel), :class:`NoKernelToken` outside a server-started kernel without a
    database of one's own, and ``OSError`` when the server or object storage cannot be
    read.

    >>> import notebook_dag
    >>> df = notebook_dag.load("iris.csv")             # doctest: +SKIP
    >>> old = notebook_dag.load("iris.csv", version=1)  # doctest: +SKIP
    """
    from .datasets.formats import read_frame

    path, fmt = dataset_file(name, version, project, db_url)
    return read_frame(path, fmt)
