"""The notebook_dag server extension: configuration, services and routes."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, List, Type, Unicode, default

from ._threads import run_in_thread
from .activity import ActivityService
from .blocks import BlockService
from .dag import DagService
from .events import RunEvents, on_kernel_reset, register_schemas
from .execution import RunService, mark_interrupted_runs
from . import handlers
from .ai import handlers as ai_handlers
from .base_handler import APINotFoundHandler
from .datasets import handlers as dataset_handlers
from .notebooks import NotebookStore
from .openapi import openapi_document
from .projects import ProjectService
from .routes import Route, tornado_rules
from .services import Services
from .storage import Database


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


def api_routes() -> tuple[Route, ...]:
    """The whole route table: the core routes, then those of the AI and datasets features."""
    return handlers.ROUTES + ai_handlers.ROUTES + dataset_handlers.ROUTES


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

    block_timeout = Float(
        0.0, help="Per-block execution time limit in seconds; 0 means no limit."
    ).tag(config=True)

    max_output_bytes = Int(
        1 << 20,
        help="Bytes of outputs a block's run keeps (stored in the run history and returned by "
        "GET /runs/{id}); 0 means no limit. Counted while the outputs arrive: stream text is cut "
        "at the limit, later outputs are dropped, and a final stderr line says how much was not "
        "stored. Images count by their encoded size.",
    ).tag(config=True)

    max_parallel = Int(
        1,
        help="Default for a run's max_parallel: at most this many blocks execute at once. Above 1, "
        "independent blocks run on max_parallel - 1 warm worker kernels per project (started on "
        "a project's first parallel run, kept until the project is deleted or the server stops) "
        "and their results are brought back into the project kernel; see docs/parallel.md. "
        "Remote (gateway) kernels always run sequentially.",
    ).tag(config=True)

    worker_idle_timeout = Float(
        600.0,
        help="Seconds without a parallel run after which a project's worker kernels are shut down "
        "(the next parallel run starts them again); 0 keeps them until the project is deleted.",
    ).tag(config=True)

    max_upload_bytes = Int(
        2 << 30, help="Largest dataset upload accepted, in bytes (larger ones get 413)."
    ).tag(config=True)
    datasets_dir = Unicode(
        help="Directory of uploaded dataset files and reports. Default: datasets/ next to an "
        "SQLite database, else <jupyter data dir>/notebook_dag/datasets.",
    ).tag(config=True)
    datasets_storage_url = Unicode(
        "",
        help="Where dataset files and reports are stored: empty for datasets_dir; a file:// URL or a "
        "directory for that directory; any fsspec URL such as s3://bucket/prefix (s3fs) for object "
        "storage, where datasets_dir then keeps only partial uploads and a local read cache.",
    ).tag(config=True)
    datasets_storage_options = Dict(
        help="Keyword arguments of the fsspec filesystem of datasets_storage_url, e.g. for S3 "
        "{'endpoint_url': 'https://minio.example.org', 'key': ..., 'secret': ...}. Credentials may "
        "instead come from the AWS environment variables, ~/.aws or an instance role. Kernels never get "
        "them: notebook_dag.load() reads datasets through the server.",
    ).tag(config=True)
    datasets_cache_bytes = Int(
        10 << 30,
        help="Size limit in bytes of the local read cache of datasets on object storage (least "
        "recently used files are evicted first); 0 means no limit.",
    ).tag(config=True)
    profile_in_subprocess = Bool(
        True, help="Compute quick dataset profiles in a worker process (else in a thread)."
    ).tag(config=True)
    report_max_rows = Int(
        100_000, help="Datasets with more rows are sampled to this many rows for the full report."
    ).tag(config=True)
    report_timeout = Float(900.0, help="Seconds a full dataset report may take; 0 means no limit.").tag(config=True)

    kernel_token_lifetime = Float(
        12 * 3600.0,
        help="Seconds a kernel's NOTEBOOK_DAG_KERNEL_TOKEN stays valid (the token notebook_dag.load() "
        "reads datasets with, scoped to the user the kernel was started for); a restart of the kernel "
        "gives it a new one. Kernels never receive the database URL or any credential of it.",
    ).tag(config=True)

    local_user = Unicode(
        help="Owner name of everything created on a personal server, where Jupyter's own "
        "identity provider makes every login an anonymous user. Default: the OS user.",
    ).tag(config=True)

    server_id = Unicode(
        help="Name of this server among the servers sharing one database, stored with each run "
        "it executes: at start-up a server marks only its own unfinished runs as interrupted. "
        "Default: the JupyterHub user and server name of a single-user server "
        "(JUPYTERHUB_USER, JUPYTERHUB_SERVER_NAME), else empty (one server per database).",
    ).tag(config=True)

    dag_cache_ttl = Float(
        10.0, help="Seconds after which a cached GET /projects/{id}/dag body is recomputed in the background "
        "although this server saw no change: what only another server on the same database wrote shows "
        "within this time. Changes this server makes, and edited files beside the notebook, show at once.",
    ).tag(config=True)

    project_service_class = Type(ProjectService, help="Class of the project service.").tag(config=True)
    block_service_class = Type(BlockService, help="Class of the block service.").tag(config=True)
    dag_service_class = Type(DagService, help="Class of the DAG service.").tag(config=True)
    run_service_class = Type(RunService, help="Class of the run service.").tag(config=True)

    ai_providers = List(
        Dict(),
        help="AI providers in fallback order, each {'name', 'kind': 'openai'|'ollama'|'gemini', 'model', "
        "'base_url'?, 'api_key'?, 'api_key_env'?, 'temperature'?, 'max_tokens'?}. Keys default to "
        "OPENAI_API_KEY / GOOGLE_API_KEY / OLLAMA_API_KEY from the environment. When empty, the JSON "
        "list in the NOTEBOOK_DAG_AI_PROVIDERS environment variable is used.",
    ).tag(config=True)
    ai_fallback_order = List(
        Unicode(), help="Provider names tried first, in this order (the others follow in configured order)."
    ).tag(config=True)
    ai_timeout = Float(60.0, help="Seconds one AI provider may take for one answer before the next is tried.").tag(config=True)
    ai_rate_limit = Int(20, help="AI requests per user within ai_rate_window seconds; 0 disables the limit.").tag(config=True)
    ai_rate_window = Float(60.0, help="Length of the AI rate-limit sliding window, in seconds.").tag(config=True)
    ai_context_chars = Int(6000, help="Character budget of the project context sent to the model.").tag(config=True)
    ai_introspection_timeout = Float(
        2.0, help="Seconds to wait for the project's kernel to report variable types for the AI context."
    ).tag(config=True)
    ai_use_jupyter_ai = Bool(True, help="Offer the model chosen in jupyter-ai (its config.json) as a provider.").tag(config=True)
    ai_jupyter_ai_config = Unicode(
        "", help="Path of jupyter-ai's config.json; default <jupyter data dir>/jupyter_ai/config.json."
    ).tag(config=True)

    @default("db_url")
    def _default_db_url(self) -> str:
        return "sqlite:///" + os.path.join(jupyter_data_dir(), "notebook_dag", "notebook_dag.db")

    @default("server_id")
    def _default_server_id(self) -> str:
        user = os.environ.get("JUPYTERHUB_USER", "")
        name = os.environ.get("JUPYTERHUB_SERVER_NAME", "")
        return f"hub:{user}/{name}" if user else ""

    @default("local_user")
    def _default_local_user(self) -> str:
        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no passwd entry in some containers
            return "local"

    def initialize_settings(self) -> None:
        migrated = run_in_thread(lambda: self._prepare_database(self.db_url, self.server_id), "notebook_dag-migrate")
        if migrated:
            self.log.warning("notebook_dag: %d run(s) left unfinished by the last server stop were marked "
                             "interrupted (POST /runs/{id}/resume continues them)", migrated)
        event_logger = getattr(self.serverapp, "event_logger", None)
        if event_logger is not None:
            register_schemas(event_logger)
        db = Database(self.db_url)
        store = NotebookStore(self.serverapp.contents_manager)
        blocks = self.block_service_class(db, store)
        dag = self.dag_service_class(db, blocks)
        projects = self.project_service_class(db, store)
        runs = self.run_service_class(
            db, dag, self.serverapp.kernel_manager, RunEvents(event_logger), self.log, self.block_timeout or None,
            projects=projects, max_parallel=max(1, self.max_parallel),
        )
        runs.server_id = self.server_id
        runs.notebook_dir = notebook_os_dir(self.serverapp.contents_manager)
        runs.worker_idle_timeout = self.worker_idle_timeout
        runs.max_output_bytes = max(0, self.max_output_bytes)
        on_kernel_reset(event_logger, runs.states.forget)
        self.services = Services(
            db=db, projects=projects, blocks=blocks, dag=dag, runs=runs,
            activity=ActivityService(db, event_logger),
        )
        self.services.dag_cache.ttl = self.dag_cache_ttl
        try:
            from .ai.service import create_ai_service

            self.services.ai = create_ai_service(self, self.services)
        except ImportError as e:  # the AI routes then answer 503
            self.log.warning("notebook_dag: AI generation is off (%s)", e)
        from .datasets.app import create_datasets_service

        self.services.datasets = create_datasets_service(self, self.services, event_logger)
        tokens = self._install_kernel_credentials()
        self.settings.update(notebook_dag_services=self.services, notebook_dag_local_user=self.local_user,
                             notebook_dag_kernel_tokens=tokens, notebook_dag_openapi=openapi_document(api_routes()))
        self.log.info("notebook_dag: database %s", db.engine.url.render_as_string(hide_password=True))

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

        tokens = KernelTokens(self.kernel_token_lifetime)
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

        self.handlers.extend(kernel_routes() + url_rules())

    async def stop_extension(self) -> None:
        services = getattr(self, "services", None)
        if services is not None:
            await services.runs.shutdown()
            if getattr(services, "ai", None) is not None:
                await services.ai.chain.aclose()
            if getattr(services, "datasets", None) is not None:
                await services.datasets.jobs.shutdown()
            await services.db.dispose()
