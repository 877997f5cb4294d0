"""Wiring of the datasets feature into :class:`notebook_dag.app.NotebookDagApp`."""

from __future__ import annotations

import os
from typing import Any

from .jobs import DatasetEvents, DatasetJobs, recover_interrupted
from .service import DatasetService
from .store import DatasetFiles


def default_datasets_dir(db_url: str) -> str:
    """``datasets/`` next to an SQLite database file; else in the Jupyter data directory."""
    from jupyter_core.paths import jupyter_data_dir
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return os.path.join(os.path.dirname(os.path.abspath(os.path.expanduser(url.database))), "datasets")
    return os.path.join(jupyter_data_dir(), "notebook_dag", "datasets")


def create_datasets_service(app: Any, services: Any, event_logger: Any) -> DatasetService:
    """Build the service from the app's traitlets (``datasets_dir``, ``max_upload_bytes``,
    ``profile_in_subprocess``, ``report_max_rows``, ``report_timeout``) after the
    database was migrated.

    Also: marks profiles and reports left running by a previous server as failed, removes
    partial uploads, and exports ``NOTEBOOK_DAG_DB_URL`` to the server's environment so
    that kernels find the database for ``notebook_dag.load()``.
    """
    from .._threads import run_in_thread
    from ..kernel_api import ENV_DB_URL
    from ..notebooks import NotebookStore

    profiles, reports = run_in_thread(lambda: recover_interrupted(app.db_url), "notebook_dag-datasets")
    if profiles or reports:
        app.log.warning("notebook_dag: %d profile(s) and %d report(s) interrupted by the last server stop "
                        "were marked failed", profiles, reports)
    files = DatasetFiles(app.datasets_dir or default_datasets_dir(app.db_url))
    files.clean_tmp()
    os.environ[ENV_DB_URL] = app.db_url
    jobs = DatasetJobs(
        services.db, files, DatasetEvents(event_logger), app.log,
        profile_in_subprocess=app.profile_in_subprocess, report_max_rows=app.report_max_rows,
        report_timeout=app.report_timeout or None,
    )
    store = NotebookStore(app.serverapp.contents_manager)
    return DatasetService(services.db, files, jobs, services.projects, store, app.serverapp.root_dir,
                          app.max_upload_bytes)
