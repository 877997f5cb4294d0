"""Wiring of the datasets feature into :class:`notebook_dag.app.NotebookDagApp`."""

from __future__ import annotations

import os
from typing import Any

from .imports import DatasetImports
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
    """Build the service (of class ``app.dataset_service_class``, with ``parent=app``, so
    configured as ``c.DatasetService.<trait>``: ``datasets_dir``, ``storage_url``,
    ``storage_options``, ``cache_bytes``, ``max_upload_bytes``, ``profile_in_subprocess``,
    ``report_max_rows``, ``report_timeout``) after the database (``app.db_url``) was
    migrated; dataset jobs carry the run service's ``server_id``.

    Also: marks profiles and reports left running by a previous process of this server
    (``server_id``) as failed and removes this server's partial uploads. Nothing goes into
    the environment: kernels read datasets through the server
    (:mod:`notebook_dag.datasets.kernel`).
    """
    from .._threads import run_in_thread
    from ..notebooks import NotebookStore

    log = app.log
    store = NotebookStore(app.serverapp.contents_manager, getattr(services, "documents", None))  # live documents too
    cls = getattr(app, "dataset_service_class", DatasetService)
    service = cls(services.db, None, None, services.projects, store, app.serverapp.root_dir, parent=app, log=log)
    server_id = services.runs.server_id or ""
    profiles, reports = run_in_thread(lambda: recover_interrupted(app.db_url, server_id), "notebook_dag-datasets")
    if profiles or reports:
        log.warning("notebook_dag: %d profile(s) and %d report(s) interrupted by the last server stop "
                    "were marked failed", profiles, reports)
    url = service.storage_url or ""
    cache_bytes = service.cache_bytes
    files = DatasetFiles(
        service.datasets_dir or default_datasets_dir(app.db_url), url=url,
        storage_options=dict(service.storage_options or {}), server_id=server_id,
        cache_bytes=cache_bytes if cache_bytes and cache_bytes > 0 else None,
    )
    if files.remote:
        services.runs.dataset_storage = (url, dict(service.storage_options or {}))  # handovers of remote runs
        if files.open_error:
            log.error("notebook_dag: the dataset storage %s cannot be opened (%s); dataset uploads and "
                      "reads answer 503 until it is fixed", files.label, files.open_error)
        else:
            log.info("notebook_dag: dataset files in %s (local cache %s)", files.label, files.cache)
    elif url and service.datasets_dir:
        log.info("notebook_dag: DatasetService.storage_url %s replaces datasets_dir for dataset files", url)
    files.clean_tmp()
    service.files = files
    service.jobs = DatasetJobs(
        services.db, files, DatasetEvents(event_logger), log,
        profile_in_subprocess=service.profile_in_subprocess, report_max_rows=service.report_max_rows,
        report_timeout=service.report_timeout or None, server_id=server_id,
    )
    service.imports = DatasetImports(service, services, event_logger, log)  # POST /datasets/import
    service.jobs.shutdown_hooks.append(service.imports.shutdown)
    services.runs.input_sources.append(service.block_inputs)  # a new dataset version makes its readers stale
    services.runs.sql_view_sources.append(service.sql_views)  # SQL blocks query datasets as views
    return service
