"""Wiring of the datasets feature into :class:`notebook_dag.app.NotebookDagApp`."""

from __future__ import annotations

import json
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


def export_kernel_environment(db_url: str, files: DatasetFiles, log: Any = None) -> None:
    """Put what ``notebook_dag.load()`` needs into this process's environment, which every
    kernel it launches inherits: the database URL, and with object storage its URL,
    storage options (JSON, credentials included when configured there), read cache
    directory and limit. Variables of a previous configuration are removed."""
    from ..kernel_api import ENV_CACHE_BYTES, ENV_CACHE_DIR, ENV_DB_URL, ENV_STORAGE_OPTIONS, ENV_STORAGE_URL

    os.environ[ENV_DB_URL] = db_url
    for name in (ENV_STORAGE_URL, ENV_STORAGE_OPTIONS, ENV_CACHE_DIR, ENV_CACHE_BYTES):
        os.environ.pop(name, None)
    if not files.remote:
        return
    os.environ[ENV_STORAGE_URL] = files.url
    os.environ[ENV_CACHE_DIR] = str(files.cache)
    os.environ[ENV_CACHE_BYTES] = str(files.cache_bytes or 0)  # 0: no limit
    if files.storage_options:
        try:
            os.environ[ENV_STORAGE_OPTIONS] = json.dumps(files.storage_options)
        except (TypeError, ValueError) as e:
            if log is not None:
                log.warning("notebook_dag: datasets_storage_options are not JSON (%s): kernels get none, so "
                            "notebook_dag.load() relies on the environment's credentials", e)


def create_datasets_service(app: Any, services: Any, event_logger: Any) -> DatasetService:
    """Build the service from the app's traitlets (``datasets_dir``, ``datasets_storage_url``,
    ``datasets_storage_options``, ``datasets_cache_bytes``, ``max_upload_bytes``,
    ``profile_in_subprocess``, ``report_max_rows``, ``report_timeout``, ``server_id``) after
    the database was migrated.

    Also: marks profiles and reports left running by a previous process of this server
    (``server_id``) as failed, removes this server's partial uploads, and exports
    ``NOTEBOOK_DAG_DB_URL`` (and the storage settings, see
    :func:`export_kernel_environment`) to the server's environment so that kernels find
    the datasets for ``notebook_dag.load()``.
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
    export_kernel_environment(app.db_url, files, app.log)
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
