"""Wiring of the datasets feature into :class:`notebook_dag.app.NotebookDagApp`."""

from __future__ import annotations

import os
from typing import Any

from .jobs import DatasetEvents, DatasetJobs, recover_interrupted
from .objectstore import DEFAULT_CACHE_BYTES
from .service import DatasetService
from .store import DatasetFiles

#: the app's settings of the datasets storage, with their defaults
STORAGE_SETTINGS = {"datasets_storage_url": "", "datasets_storage_options": {},
                    "datasets_cache_bytes": DEFAULT_CACHE_BYTES}


def default_datasets_dir(db_url: str) -> str:
    """``datasets/`` next to an SQLite database file; else in the Jupyter data directory."""
    from jupyter_core.paths import jupyter_data_dir
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return os.path.join(os.path.dirname(os.path.abspath(os.path.expanduser(url.database))), "datasets")
    return os.path.join(jupyter_data_dir(), "notebook_dag", "datasets")


def storage_setting(app: Any, name: str) -> Any:
    """The app's trait ``name`` (one of :data:`STORAGE_SETTINGS`); while the app does not
    declare it, the value configured for ``NotebookDagApp.<name>`` (else its default)."""
    if app.has_trait(name):
        return getattr(app, name)
    value = app.config.get("NotebookDagApp", {}).get(name)
    return STORAGE_SETTINGS[name] if value is None else value


def create_datasets_service(app: Any, services: Any, event_logger: Any) -> DatasetService:
    """Build the service from the app's traitlets (``datasets_dir``, ``datasets_storage_url``,
    ``datasets_storage_options``, ``datasets_cache_bytes``, ``max_upload_bytes``,
    ``profile_in_subprocess``, ``report_max_rows``, ``report_timeout``, ``server_id``) after
    the database was migrated.

    Also: marks profiles and reports left running by a previous process of this server
    (``server_id``) as failed and removes this server's partial uploads. Nothing goes into
    the environment: kernels read datasets through the server
    (:mod:`notebook_dag.datasets.kernel`).
    """
    from .._threads import run_in_thread
    from ..notebooks import NotebookStore

    server_id = getattr(app, "server_id", "") or ""
    profiles, reports = run_in_thread(lambda: recover_interrupted(app.db_url, server_id), "notebook_dag-datasets")
    if profiles or reports:
        app.log.warning("notebook_dag: %d profile(s) and %d report(s) interrupted by the last server stop "
                        "were marked failed", profiles, reports)
    url = storage_setting(app, "datasets_storage_url") or ""
    cache_bytes = storage_setting(app, "datasets_cache_bytes")
    files = DatasetFiles(
        app.datasets_dir or default_datasets_dir(app.db_url), url=url,
        storage_options=dict(storage_setting(app, "datasets_storage_options") or {}), server_id=server_id,
        cache_bytes=cache_bytes if cache_bytes and cache_bytes > 0 else None,
    )
    if files.remote:
        if files.open_error:
            app.log.error("notebook_dag: the dataset storage %s cannot be opened (%s); dataset uploads and "
                          "reads answer 503 until it is fixed", files.label, files.open_error)
        else:
            app.log.info("notebook_dag: dataset files in %s (local cache %s)", files.label, files.cache)
    elif url and app.datasets_dir:
        app.log.info("notebook_dag: datasets_storage_url %s replaces datasets_dir for dataset files", url)
    files.clean_tmp()
    jobs = DatasetJobs(
        services.db, files, DatasetEvents(event_logger), app.log,
        profile_in_subprocess=app.profile_in_subprocess, report_max_rows=app.report_max_rows,
        report_timeout=app.report_timeout or None, server_id=server_id,
    )
    store = NotebookStore(app.serverapp.contents_manager)
    service = DatasetService(services.db, files, jobs, services.projects, store, app.serverapp.root_dir,
                             app.max_upload_bytes)
    services.runs.input_sources.append(service.block_inputs)  # a new dataset version makes its readers stale
    return service
