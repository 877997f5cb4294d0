"""``notebook_dag.load()``: datasets from inside a kernel, where there is no server.

The kernel reads the extension's database directly with SQLAlchemy (the same asyncio
drivers as the server, aiosqlite or asyncpg, on a short-lived thread so the call is
synchronous for the user):

1. The database URL is the ``NOTEBOOK_DAG_DB_URL`` environment variable. The server
   extension sets it in its own environment at start-up, so every kernel it launches
   (runs of the DAG and ordinary notebook sessions alike) inherits it. Outside such a
   kernel, the default of ``NotebookDagApp.db_url`` is used: ``notebook_dag.db`` in the
   Jupyter data directory.
2. The dataset is found by name (or id) among the datasets in the database; when the
   name exists in several projects, ``project=`` (a project id or name) or the
   ``NOTEBOOK_DAG_PROJECT_ID`` environment variable chooses, a dataset of that project
   winning over a project-less one.
3. The version's file (an uploaded copy under ``datasets_dir``, the registered file
   under the server root, or an object on object storage) is read with pandas, the same
   way the server previews it. An object (``s3://...``) is first downloaded into a local
   cache where it is named by its SHA-256 and verified against it (so each content is
   downloaded once): the filesystem is opened with the options in
   ``NOTEBOOK_DAG_DATASETS_STORAGE_OPTIONS`` (JSON) when its protocol is the one of
   ``NOTEBOOK_DAG_DATASETS_URL``, and the cache is ``NOTEBOOK_DAG_DATASETS_CACHE`` (at
   most ``NOTEBOOK_DAG_DATASETS_CACHE_BYTES``), all set by the server like the database
   URL. Credentials not in those options come from the environment the usual way (for
   S3: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``~/.aws``, instance roles).

Nothing here imports pandas or SQLAlchemy until it is called.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from ._threads import run_in_thread
from .datasets.objectstore import is_url

ENV_DB_URL = "NOTEBOOK_DAG_DB_URL"
ENV_PROJECT = "NOTEBOOK_DAG_PROJECT_ID"
ENV_STORAGE_URL = "NOTEBOOK_DAG_DATASETS_URL"
ENV_STORAGE_OPTIONS = "NOTEBOOK_DAG_DATASETS_STORAGE_OPTIONS"
ENV_CACHE_DIR = "NOTEBOOK_DAG_DATASETS_CACHE"
ENV_CACHE_BYTES = "NOTEBOOK_DAG_DATASETS_CACHE_BYTES"


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
    """``(absolute local file path, format)`` of a dataset version; an object on object
    storage is downloaded into the local cache first (see the module docstring). Raises
    what :func:`load` raises."""
    from sqlalchemy import or_, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from .datasets.orm import Dataset, DatasetVersion
    from .storage.database import to_async_url
    from .storage.orm import Project

    url = to_async_url(db_url or os.environ.get(ENV_DB_URL) or default_db_url())
    chosen_project = project or os.environ.get(ENV_PROJECT)

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
                chosen = _choose(name, rows, chosen_project)
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


def _choose(name: str, rows: list[Any], project: str | None) -> Any:
    if not rows:
        raise LookupError(f"no dataset named {name!r}")
    by_id = [r for r in rows if r.id == name]
    if by_id:
        return by_id[0]
    if project:
        mine = [r for r in rows if project in (r.project_id, r.project_name)]
        if len(mine) == 1:
            return mine[0]
        if not mine:
            loose = [r for r in rows if r.project_id is None]
            if len(loose) == 1:
                return loose[0]
            raise LookupError(f"no dataset named {name!r} in project {project!r}")
        rows = mine
    if len(rows) == 1:
        return rows[0]
    where = ", ".join(sorted(f"{r.project_name!r} ({r.project_id})" if r.project_id else "no project" for r in rows))
    raise LookupError(f"several datasets are named {name!r} ({where}); pass project=... or the dataset id")


def load(name: str, version: int | None = None, project: str | None = None, db_url: str | None = None) -> Any:
    """The DataFrame of dataset ``name`` (or its id): the current version, or ``version``
    (1-based) of it.

    ``project`` (a project id or name) picks among datasets of the same name in several
    projects. ``db_url`` overrides the database (see the module docstring). Raises
    ``LookupError`` when no dataset or version matches (or the name is ambiguous),
    ``FileNotFoundError`` when the version's file is gone, and ``OSError`` when object
    storage cannot be read.

    >>> import notebook_dag
    >>> df = notebook_dag.load("iris.csv")             # doctest: +SKIP
    >>> old = notebook_dag.load("iris.csv", version=1)  # doctest: +SKIP
    """
    from .datasets.formats import read_frame

    path, fmt = dataset_file(name, version, project, db_url)
    return read_frame(path, fmt)
