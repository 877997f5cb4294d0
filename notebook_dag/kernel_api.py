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
3. The version's file (an uploaded copy under ``datasets_dir`` or the registered file
   under the server root) is read with pandas, the same way the server previews it.

Nothing here imports pandas or SQLAlchemy until it is called.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from ._threads import run_in_thread

ENV_DB_URL = "NOTEBOOK_DAG_DB_URL"
ENV_PROJECT = "NOTEBOOK_DAG_PROJECT_ID"


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
    """``(absolute file path, format)`` of a dataset version; see :func:`load`."""
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
                           DatasetVersion.source, DatasetVersion.mtime)
                    .where(DatasetVersion.dataset_id == chosen.id, DatasetVersion.version == number)
                )).first()
                return chosen, found, number
        finally:
            await engine.dispose()

    _, found, number = _run_async(query)
    if found is None:
        raise LookupError(f"dataset {name!r} has no version {number}")
    if not os.path.isfile(found.file_path):
        raise FileNotFoundError(f"the file of dataset {name!r} version {number} is gone: {found.file_path}")
    if found.source == "path":
        st = os.stat(found.file_path)
        if st.st_size != found.size_bytes or (found.mtime is not None and abs(st.st_mtime - found.mtime) > 1e-6):
            warnings.warn(f"{found.file_path} changed since version {number} of {name!r} was registered",
                          stacklevel=3)
    return found.file_path, found.format


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
    ``LookupError`` when no dataset or version matches (or the name is ambiguous) and
    ``FileNotFoundError`` when the version's file is gone.

    >>> import notebook_dag
    >>> df = notebook_dag.load("iris.csv")             # doctest: +SKIP
    >>> old = notebook_dag.load("iris.csv", version=1)  # doctest: +SKIP
    """
    from .datasets.formats import read_frame

    path, fmt = dataset_file(name, version, project, db_url)
    return read_frame(path, fmt)
