"""The notebook_dag server extension: configuration, services and routes."""

from __future__ import annotations

import asyncio
import getpass
import os
from copy import deepcopy
from collections.abc import Callable
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Type, Unicode, default

from ._threads import run_in_thread
from .activity import ActivityService
from .blocks import BlockService
from .dag import DagService
from .dag_cache import DagCache
from .documents import LiveDocuments
from .events import RunEvents, on_kernel_reset, register_schemas
from .execution import RunService
from . import handlers
from .ai import handlers as ai_handlers
from .artifacts import handlers as artifact_handlers
from .base_handler import APINotFoundHandler
from .datasets import handlers as dataset_handlers
from .notebooks import NotebookStore
from .notifications import handlers as notification_handlers
from .openapi import openapi_document
from .projects import ProjectService
from .run_records import mark_interrupted_runs
from .routes import Route, tornado_rules
from .scheduling import handlers as schedule_handlers
from .services import Services
from .storage import Database
from .templates import handlers as template_handlers
from .templates.service import TemplateService


def notebook_os_dir(contents_manager: Any) -> Callable[[str], str | None]:
    """The OS directory of a notebook's contents path, for a contents manager on the
    local disk (``_get_os_path``, as ``FileContentsManager`` has); None elsewhere."""
    get_os_path = getattr(contents_manager, "_get_os_path", None)

    def directory(path: str) -> str | None:
        if get_os_path is None:
            return None
        try:
            return os.path.dirname(get_os_path(path))
        except Exception:  # noqa: BLE001 - outside the root, or not a file system
            return None

    return directory


#: ``NotebookDagApp`` settings that moved to a service: old name -> (class, new name).
#: The old names keep working, with a deprecation warning at start-up.
DEPRECATED_SETTINGS: dict[str, tuple[str, str]] = {
    **{name: ("RunService", name) for name in
       ("block_timeout", "max_output_bytes", "max_parallel", "worker_idle_timeout", "server_id")},
    **{name: ("DatasetService", name) for name in
       ("max_upload_bytes", "datasets_dir", "profile_in_subprocess", "report_max_rows", "report_timeout")},
    "datasets_storage_url": ("DatasetService", "storage_url"),
    "datasets_storage_options": ("DatasetService", "storage_options"),
    "datasets_cache_bytes": ("DatasetService", "cache_bytes"),
    "kernel_token_lifetime": ("KernelTokens", "lifetime"),
    "dag_cache_ttl": ("DagCache", "ttl"),
    **{f"ai_{name}": ("AIService", name) for name in
       ("providers", "fallback_order", "timeout", "rate_limit", "rate_window", "context_chars",
        "introspection_timeout", "use_jupyter_ai", "jupyter_ai_config")},
}


def _collaboration(serverapp: Any) -> Any:
    """The adapter to jupyter-collaboration's shared documents for
    :class:`LiveDocuments` (``notebook_dag.collab.CollaborationDocuments``), or None."""
    from .collab import collaboration_documents

    return collaboration_documents(serverapp, serverapp.log)


def api_routes() -> tuple[Route, ...]:
    """The whole route table: the core routes, then those of the AI, datasets, templates,
    notifications, artifacts and schedules features."""
    return (handlers.ROUTES + ai_handlers.ROUTES + dataset_handlers.ROUTES + template_handlers.ROUTES
            + notification_handlers.ROUTES + artifact_handlers.ROUTES + schedule_handlers.ROUTES)


def url_rules() -> list[tuple[str, type, dict[str, Any]]]:
    """The tornado rules of :func:`api_routes`, then a JSON 404 for any other API path."""
    return tornado_rules(api_routes(), not_found=APINotFoundHandler)


class NotebookDagApp(ExtensionApp):
    """Turns notebooks into projects whose cells form a DAG, and runs them on kernels."""

    name = "notebook_dag"
    description = __doc__
    load_other_extensions = True

    db_url = Unicode(
        help="SQLAlchemy URL of the database (sqlite:///path.db or postgresql://user@host/db). "
        "Defaults to an SQLite file in the Jupyter data directory.",
    ).tag(config=True)

    local_user = Unicode(
        help="Owner name of everything created on a personal server, where Jupyter's own "
        "identity provider makes every login an anonymous user. Default: the OS user.",
    ).tag(config=True)

    project_service_class = Type(ProjectService, klass=ProjectService, help="Class of the project service.").tag(config=True)
    block_service_class = Type(BlockService, klass=BlockService, help="Class of the block service.").tag(config=True)
    dag_service_class = Type(DagService, klass=DagService, help="Class of the DAG service.").tag(config=True)
    run_service_class = Type(
        RunService, klass=RunService, help="Class of the run service (configured as c.RunService.<trait>)."
    ).tag(config=True)
    dataset_service_class = Type(
        "notebook_dag.datasets.service.DatasetService", klass="notebook_dag.datasets.service.DatasetService",
        help="Class of the datasets service (configured as c.DatasetService.<trait>).",
    ).tag(config=True)
    template_service_class = Type(
        TemplateService, klass=TemplateService,
        help="Class of the project template service (configured as c.TemplateService.<trait>).",
    ).tag(config=True)
    ai_service_class = Type(
        "notebook_dag.ai.service.AIService", klass="notebook_dag.ai.service.AIService",
        help="Class of the AI service (configured as c.AIService.<trait>).",
    ).tag(config=True)

    def _load_config(self, cfg: Any, section_names: Any = None, traits: Any = None) -> None:
        # the deprecated names are no traits of the app any more: keep traitlets from
        # calling them unrecognized (initialize_settings moves them, with a warning)
        mine = cfg.get(type(self).__name__)
        if mine is not None and any(name in mine for name in DEPRECATED_SETTINGS):
            cfg = deepcopy(cfg)
            for name in DEPRECATED_SETTINGS:
                cfg[type(self).__name__].pop(name, None)
        super()._load_config(cfg, section_names, traits)

    def move_deprecated_settings(self) -> list[str]:
        """Copy each deprecated ``NotebookDagApp.<old>`` set in :attr:`config` to
        ``<Service>.<new>`` (see :data:`DEPRECATED_SETTINGS`) unless that is set too, logging
        one deprecation warning per name (once: a later call skips the names moved before);
        returns the old names moved now."""
        found = []
        section = self.config.get("NotebookDagApp", {})
        done = self.__dict__.setdefault("_moved_settings", set())
        for old, (cls, new) in DEPRECATED_SETTINGS.items():
            if old not in section or old in done:
                continue
            found.append(old)
            done.add(old)
            target = self.config[cls]
            if new in target:
                self.log.warning("notebook_dag: NotebookDagApp.%s is deprecated and ignored: %s.%s is set too",
                                 old, cls, new)
            else:
                target[new] = section[old]
                self.log.warning("notebook_dag: NotebookDagApp.%s is deprecated; set %s.%s instead", old, cls, new)
        return found

    @default("db_url")
    def _default_db_url(self) -> str:
        return "sqlite:///" + os.path.join(jupyter_data_dir(), "notebook_dag", "notebook_dag.db")

    @default("local_user")
    def _default_local_user(self) -> str:
        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no passwd entry in some containers
            return "local"

    def initialize_settings(self) -> None:
        self.move_deprecated_settings()
        event_logger = getattr(self.serverapp, "event_logger", None)
        if event_logger is not None:
            register_schemas(event_logger)
        db = Database(self.db_url)
        documents = LiveDocuments(collab=_collaboration(self.serverapp), parent=self)
        store = NotebookStore(self.serverapp.contents_manager, documents)
        blocks = self.block_service_class(db, store)
        dag = self.dag_service_class(db, blocks)
        projects = self.project_service_class(db, store)
        runs = self.run_service_class(
            db, dag, self.serverapp.kernel_manager, RunEvents(event_logger), self.log, projects=projects, parent=self,
        )
        migrated = run_in_thread(lambda: self._prepare_database(self.db_url, runs.server_id), "notebook_dag-migrate")
        if migrated:
            self.log.warning("notebook_dag: %d run(s) left unfinished by the last server stop were marked "
                             "interrupted (POST /runs/{id}/resume continues them)", migrated)
        runs.notebook_dir = notebook_os_dir(self.serverapp.contents_manager)
        on_kernel_reset(event_logger, runs.states.forget)
        self.services = Services(
            db=db, projects=projects, blocks=blocks, dag=dag, runs=runs,
            activity=ActivityService(db, event_logger), dag_cache=DagCache(parent=self), documents=documents,
        )
        try:
            from .ai.service import create_ai_service

            self.services.ai = create_ai_service(self, self.services)
        except ImportError as e:  # the AI routes then answer 503
            self.log.warning("notebook_dag: AI generation is off (%s)", e)
        from .datasets.app import create_datasets_service

        self.services.datasets = create_datasets_service(self, self.services, event_logger)
        self.services.templates = self.template_service_class(parent=self, log=self.log)
        from .notifications.app import create_notification_service

        self.services.notifications = create_notification_service(self, self.services, event_logger)
        self._install_artifacts()
        tokens = self._install_kernel_credentials()
        from .scheduling.service import ScheduleService  # jupyter-scheduler itself is imported when used

        schedules = ScheduleService(self.services, self.serverapp, parent=self, log=self.log)
        self.settings.update(notebook_dag_schedules=schedules)
        # jupyter-scheduler's Scheduler exists once its extension is loaded: before or after
        # this one, so both now and on the loop's first turn (before any job can start).
        schedules.wire()
        asyncio.get_event_loop().call_soon(schedules.wire)
        self.settings.update(notebook_dag_services=self.services, notebook_dag_local_user=self.local_user,
                             notebook_dag_kernel_tokens=tokens, notebook_dag_openapi=openapi_document(api_routes()))
        self.log.info("notebook_dag: database %s", db.engine.url.render_as_string(hide_password=True))

    def _install_artifacts(self) -> None:
        """Record the files runs write beside notebooks (``c.ArtifactService``); their
        changes outside runs make their readers stale (an input source of the runs)."""
        from .artifacts import ArtifactService
        from .artifacts.service import sqlite_files

        s = self.services
        artifacts = ArtifactService(s.db, s.projects, s.runs.notebook_dir, parent=self, log=self.log)
        files = getattr(s.datasets, "files", None)  # the datasets' storage and cache: never artifacts
        if files is not None:
            artifacts.skip_paths = [*artifacts.skip_paths, str(files.root)]
        # the database itself, when it is an SQLite file beside notebooks: every run writes it
        artifacts.skip_files = [*artifacts.skip_files, *sqlite_files(s.db.engine.url)]
        s.artifacts = s.runs.artifacts = artifacts
        s.runs.input_sources.append(artifacts.block_inputs)

    def kernel_owner(self) -> str | None:
        """The user of kernels started outside a run (by JupyterLab): the server's owner,
        ``local_user`` behind Jupyter's own identity providers, else ``JUPYTERHUB_USER``;
        None when unknown (such kernels then get no token)."""
        provider = getattr(self.serverapp, "identity_provider", None)
        if provider is None or type(provider).__module__.startswith("jupyter_server."):
            return self.local_user
        return os.environ.get("JUPYTERHUB_USER") or None

    def _install_kernel_credentials(self) -> Any:
        """Give every kernel the server starts a dataset-read token instead of any database
        credential (see :mod:`notebook_dag.kernel_auth`); returns the token issuer."""
        from .kernel_auth import KernelCredentials, KernelTokens

        tokens = KernelTokens(parent=self)
        KernelCredentials(self.serverapp, tokens, self.kernel_owner).install(self.serverapp.kernel_manager)
        return tokens

    @staticmethod
    async def _prepare_database(url: str, server_id: str = "") -> int:
        """Apply migrations and mark runs of a previous process of this server as interrupted."""
        db = Database(url)
        try:
            await db.migrate()
            return await mark_interrupted_runs(db, server_id)
        finally:
            await db.dispose()

    def initialize_handlers(self) -> None:
        from .datasets.kernel import kernel_routes  # token-authenticated: before the API's catch-all

        self.handlers.extend(kernel_routes() + schedule_handlers.job_routes() + url_rules())

    async def stop_extension(self) -> None:
        services = getattr(self, "services", None)
        if services is not None:
            await services.runs.shutdown()
            if getattr(services, "ai", None) is not None:
                await services.ai.chain.aclose()
            if getattr(services, "datasets", None) is not None:
                await services.datasets.jobs.shutdown()
            if getattr(services, "notifications", None) is not None:
                await services.notifications.drain()  # those of the runs just stopped
            await services.db.dispose()
