"""The notebook_dag server extension: configuration, services and routes."""

from __future__ import annotations

import asyncio
import getpass
import os
import threading
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Type, Unicode, default

from .activity import ActivityService
from .blocks import BlockService
from .dag import DagService
from .events import RunEvents, on_kernel_reset, register_schemas
from .execution import RunService, mark_interrupted_runs
from .handlers import route_table
from .notebooks import NotebookStore
from .projects import ProjectService
from .services import Services
from .storage import Database


def _run_in_thread(coro_factory: Any) -> Any:
    """Run ``asyncio.run(coro_factory())`` on a fresh thread and return its result.

    Used once at start-up, when the server's own loop may or may not be running."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro_factory())
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            box["error"] = e

    t = threading.Thread(target=target, name="notebook_dag-migrate")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


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

    local_user = Unicode(
        help="Owner name of everything created on a personal server, where Jupyter's own "
        "identity provider makes every login an anonymous user. Default: the OS user.",
    ).tag(config=True)

    project_service_class = Type(ProjectService, help="Class of the project service.").tag(config=True)
    block_service_class = Type(BlockService, help="Class of the block service.").tag(config=True)
    dag_service_class = Type(DagService, help="Class of the DAG service.").tag(config=True)
    run_service_class = Type(RunService, help="Class of the run service.").tag(config=True)

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
        migrated = _run_in_thread(lambda: self._prepare_database(self.db_url))
        if migrated:
            self.log.warning("notebook_dag: %d run(s) interrupted by the last server stop were marked failed", migrated)
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
            projects=projects,
        )
        on_kernel_reset(event_logger, runs.states.forget)
        self.services = Services(
            db=db, projects=projects, blocks=blocks, dag=dag, runs=runs,
            activity=ActivityService(db, event_logger),
        )
        self.settings.update(notebook_dag_services=self.services, notebook_dag_local_user=self.local_user)
        self.log.info("notebook_dag: database %s", db.engine.url.render_as_string(hide_password=True))

    @staticmethod
    async def _prepare_database(url: str) -> int:
        """Apply migrations and mark runs of a previous process as interrupted."""
        db = Database(url)
        try:
            await db.migrate()
            return await mark_interrupted_runs(db)
        finally:
            await db.dispose()

    def initialize_handlers(self) -> None:
        self.handlers.extend(route_table())

    async def stop_extension(self) -> None:
        services = getattr(self, "services", None)
        if services is not None:
            await services.runs.shutdown()
            await services.db.dispose()
