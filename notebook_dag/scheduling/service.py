"""The schedules service: job definitions of jupyter-scheduler created from projects, and
the runs their jobs start by calling back into the server (see :mod:`notebook_dag.scheduling`).

jupyter-scheduler's own calls (its ``Scheduler`` methods, synchronous, on SQLite by
default) are made as its own handlers make them: the writes (create or delete a
definition, which also touch its cron task runner) on the event loop, the reads in a
thread."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from sqlalchemy import delete, select
from traitlets import Float
from traitlets.config import LoggingConfigurable

from ..errors import Conflict, NotFound, Unprocessable
from ..kernel_auth import InvalidToken, KernelTokens, api_url
from ..models import RunCreate
from . import SCOPE, TAG, register_credentials
from .models import ScheduleCreate
from .orm import Schedule

TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")
EXECUTION_MANAGER = "notebook_dag.scheduling.executor.DagExecutionManager"


class SchedulerUnavailable(Conflict):
    """jupyter-scheduler is not installed, not enabled, or does not execute jobs with
    notebook_dag's execution manager (HTTP 409, ``reason: scheduler_unavailable``)."""

    reason = "scheduler_unavailable"


def _invalid(field: str, msg: str) -> Unprocessable:
    return Unprocessable(f"the request body does not match the schema: {field}: {msg}",
                         errors=[{"loc": [field], "msg": msg, "type": "value_error"}])


def check_cron(schedule: str) -> None:
    """Raise :class:`Unprocessable` unless jupyter-scheduler's croniter parses ``schedule``
    as five fields."""
    from croniter import croniter

    if len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise _invalid("schedule", f"{schedule!r} is not a cron expression of five fields (e.g. '0 6 * * 1-5')")


def check_timezone(name: str) -> None:
    """Raise :class:`Unprocessable` unless pytz (what jupyter-scheduler uses) knows ``name``."""
    import pytz

    try:
        pytz.timezone(name)
    except pytz.UnknownTimeZoneError:
        raise _invalid("timezone", f"{name!r} is not a known time zone (e.g. 'UTC', 'Europe/Paris')") from None


class ScheduleService(LoggingConfigurable):
    """``services``: the app's :class:`~notebook_dag.services.Services`; ``serverapp``:
    the Jupyter server (its web app's settings hold jupyter-scheduler's ``scheduler``)."""

    token_lifetime = Float(
        600.0,
        help="Seconds a scheduled job's token stays valid (it lets the job's process start and watch the one "
        "run of its job, nothing else); every answer to the job's process carries a renewed token.",
    ).tag(config=True)

    def __init__(self, services: Any, serverapp: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.serverapp = serverapp
        self.tokens = KernelTokens(lifetime=self.token_lifetime)
        #: job id -> (run id, owner, project id) of the runs jobs started (in memory: a
        #: job's token dies with the server anyway)
        self.job_runs: dict[str, tuple[str, str, str]] = {}
        self._starting: dict[str, asyncio.Lock] = {}
        register_credentials(self.job_credentials)

    # ---- jupyter-scheduler -------------------------------------------------------

    def wire(self) -> bool:
        """Make jupyter-scheduler execute jobs with notebook_dag's execution manager, unless
        its ``Scheduler.execution_manager_class`` was configured to another class than
        jupyter-scheduler's default (then :meth:`scheduler` says so). Config files cannot
        do this for an installed package: ``jupyter_server_config.d`` JSON only enables
        extensions, so the app calls this once the server extensions are loaded, and
        :meth:`scheduler` again. Returns whether jobs now run through notebook_dag."""
        web_app = getattr(self.serverapp, "web_app", None)
        sched = web_app.settings.get("scheduler") if web_app is not None else None
        if sched is None:
            return False
        from jupyter_scheduler.executors import DefaultExecutionManager

        from .executor import DagExecutionManager

        if getattr(sched, "execution_manager_class", None) is DefaultExecutionManager:
            sched.execution_manager_class = DagExecutionManager
            self.log.info("notebook_dag: jupyter-scheduler runs notebook_dag's scheduled jobs with %s",
                          EXECUTION_MANAGER)
        cls = sched.execution_manager_class
        return isinstance(cls, type) and issubclass(cls, DagExecutionManager)

    def scheduler(self) -> Any:
        """jupyter-scheduler's ``Scheduler`` of this server. Raises
        :class:`SchedulerUnavailable` when it is not installed or enabled, or executes
        jobs with another execution manager than notebook_dag's."""
        web_app = getattr(self.serverapp, "web_app", None)
        sched = web_app.settings.get("scheduler") if web_app is not None else None
        if sched is None:
            raise SchedulerUnavailable(
                "scheduled runs need jupyter-scheduler: it is not installed or its server extension is not enabled "
                "(pip install 'notebook_dag[scheduler]', then jupyter server extension enable jupyter_scheduler)")
        from .executor import DagExecutionManager

        self.wire()
        cls = getattr(sched, "execution_manager_class", None)
        if not (isinstance(cls, type) and issubclass(cls, DagExecutionManager)):
            name = f"{cls.__module__}.{cls.__name__}" if isinstance(cls, type) else repr(cls)
            raise SchedulerUnavailable(
                f"jupyter-scheduler executes jobs with {name}, which cannot run a DAG: set "
                f"c.Scheduler.execution_manager_class = '{EXECUTION_MANAGER}' (notebook_dag's server config does)")
        return sched

    def _environment(self) -> str:
        """The name of jupyter-scheduler's first runtime environment (a job definition
        needs one; a DAG runs on the project's kernels whatever it says)."""
        manager = self.serverapp.web_app.settings.get("environments_manager")
        try:
            envs = manager.list_environments() if manager is not None else []
        except Exception:  # noqa: BLE001 - e.g. a broken conda
            envs = []
        return envs[0].name if envs else "notebook_dag"

    @classmethod
    def _out(cls, row: Schedule, definition: Any) -> dict[str, Any]:
        """The :class:`ScheduleOut` dict: jupyter-scheduler's definition as it is now (its
        UI may have changed the parameters, paused it or renamed it), else our row."""
        try:
            mode, max_parallel = cls._parameters(definition.parameters, row)
        except Unprocessable:  # parameters a job run would refuse: show what the schedule was made with
            mode, max_parallel = row.mode, row.max_parallel
        return {"id": row.definition_id, "project_id": row.project_id, "name": definition.name,
                "schedule": definition.schedule, "timezone": definition.timezone, "mode": mode,
                "max_parallel": max_parallel, "active": bool(definition.active), "owner": row.owner,
                "created_at": row.created_at}

    # ---- the REST routes -----------------------------------------------------------

    async def create(self, project: Any, body: ScheduleCreate, user: str) -> dict[str, Any]:
        """A job definition running ``project``'s DAG on ``body.schedule`` as ``user`` (who
        has edit rights); the :class:`ScheduleOut` dict. Raises
        :class:`SchedulerUnavailable` (409), :class:`Unprocessable` (422: bad cron or time
        zone), :class:`NotFound` (the notebook is no file under the server's root)."""
        from jupyter_scheduler.exceptions import InputUriError
        from jupyter_scheduler.models import CreateJobDefinition

        sched = self.scheduler()
        check_cron(body.schedule)
        check_timezone(body.timezone)
        parameters = {"mode": body.mode}
        if body.max_parallel is not None:
            parameters["max_parallel"] = str(body.max_parallel)
        model = CreateJobDefinition(
            input_uri=project.notebook_path, runtime_environment_name=await asyncio.to_thread(self._environment),
            output_formats=["ipynb"], parameters=parameters, tags=[TAG, f"notebook_dag:project:{project.id}"],
            name=body.name or f"{project.name} DAG", schedule=body.schedule, timezone=body.timezone)
        try:
            definition_id = sched.create_job_definition(model)
        except InputUriError:
            raise NotFound(f"the notebook {project.notebook_path!r} is no file under the server's root, which "
                           "jupyter-scheduler needs") from None
        row = Schedule(definition_id=definition_id, project_id=project.id, owner=user, mode=body.mode,
                       max_parallel=body.max_parallel)
        try:
            async with self.services.db.session() as s:
                s.add(row)
                await s.flush()
                await s.refresh(row)
        except BaseException:
            sched.delete_job_definition(definition_id)  # no definition without its binding
            raise
        definition = await asyncio.to_thread(sched.get_job_definition, definition_id)
        return self._out(row, definition)

    async def list(self, project: Any) -> list[dict[str, Any]]:
        """The project's schedules whose job definitions still exist, oldest first."""
        sched = self.scheduler()
        async with self.services.db.session() as s:
            rows = (await s.scalars(select(Schedule).where(Schedule.project_id == project.id)
                                    .order_by(Schedule.created_at))).all()
        out = []
        for row in rows:
            try:
                definition = await asyncio.to_thread(sched.get_job_definition, row.definition_id)
            except Exception:  # noqa: BLE001 - deleted in jupyter-scheduler's own UI
                continue
            out.append(self._out(row, definition))
        return out

    async def delete(self, project: Any, definition_id: str) -> None:
        """Delete the job definition (and, as jupyter-scheduler does, its jobs). Raises
        :class:`NotFound` unless it is one of ``project``'s schedules."""
        sched = self.scheduler()
        async with self.services.db.session() as s:
            row = await s.get(Schedule, definition_id)
            if row is None or row.project_id != project.id:
                raise NotFound(f"no schedule {definition_id!r} in this project")
        sched.delete_job_definition(definition_id)
        async with self.services.db.session() as s:
            await s.execute(delete(Schedule).where(Schedule.definition_id == definition_id))

    async def forget_project(self, project_id: str) -> None:
        """Delete the job definitions of a project being deleted (its ``schedules`` rows go
        with it by cascade). Without jupyter-scheduler, nothing: the definitions it may
        still hold would fail their jobs with a message naming the deleted schedule."""
        try:
            sched = self.scheduler()
        except SchedulerUnavailable:
            return
        async with self.services.db.session() as s:
            ids = (await s.scalars(select(Schedule.definition_id).where(Schedule.project_id == project_id))).all()
        for definition_id in ids:
            try:
                sched.delete_job_definition(definition_id)
            except Exception:  # noqa: BLE001 - never keep a project from being deleted
                self.log.warning("notebook_dag: could not delete the job definition %s of deleted project %s",
                                 definition_id, project_id, exc_info=True)

    # ---- the jobs' processes -------------------------------------------------------

    def job_credentials(self, job_id: str) -> tuple[str, str] | None:
        """``(api_url, token)`` for the process of job ``job_id``; None on a UNIX socket."""
        url = api_url(self.serverapp)
        return (url, self.tokens.issue(job_id, (SCOPE,))) if url else None

    def verify(self, token: str, job_id: str) -> None:
        """Raise :class:`InvalidToken` unless ``token`` is a valid job token for ``job_id``."""
        if self.tokens.verify(token, SCOPE).user != job_id:
            raise InvalidToken("the job token is for another job")

    @staticmethod
    def _parameters(parameters: dict[str, str] | None, row: Schedule) -> tuple[str, int | None]:
        """The run's mode and max_parallel: the job's parameters where it has them (a job
        run from jupyter-scheduler's UI may change them), else the schedule's."""
        parameters = parameters or {}
        mode = parameters.get("mode", row.mode)
        if mode not in ("stale", "all"):
            raise Unprocessable(f"the job parameter mode must be stale or all, got {mode!r}")
        raw = parameters.get("max_parallel")
        if raw is None or raw == "":
            return mode, row.max_parallel
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= 64:
            raise Unprocessable(f"the job parameter max_parallel must be a whole number from 1 to 64, got {raw!r}")
        return mode, value

    async def start_job_run(self, job_id: str) -> dict[str, Any]:
        """Start the run of job ``job_id`` (once: again, the same run) as its schedule's
        owner; ``{"run_id", "status"}``. Raises :class:`NotFound` (no such job, or not of a
        notebook_dag schedule, or the project is gone or no longer visible to the owner),
        :class:`Forbidden`-like errors of the project service when the owner lost edit
        rights, :class:`Unprocessable` for bad job parameters."""
        lock = self._starting.setdefault(job_id, asyncio.Lock())
        async with lock:
            if job_id in self.job_runs:
                return await self.job_run(job_id, notebook=False)
            sched = self.scheduler()
            try:
                job = await asyncio.to_thread(sched.get_job, job_id, False)
            except Exception:  # noqa: BLE001 - sqlalchemy's NoResultFound
                raise NotFound(f"no job {job_id!r} in jupyter-scheduler") from None
            row = None
            if job.job_definition_id:
                async with self.services.db.session() as s:
                    row = await s.get(Schedule, job.job_definition_id)
            if row is None:
                raise NotFound(f"job {job_id!r} is of no notebook_dag schedule (was the schedule or its project "
                               "deleted?)")
            project = await self.services.projects.get(row.project_id, row.owner, "edit")
            mode, max_parallel = self._parameters(job.parameters, row)
            run = await self.services.runs.start(project, RunCreate(mode=mode, max_parallel=max_parallel), row.owner)
            self.job_runs[job_id] = (run["id"], row.owner, project.id)
            await self.services.activity.record(project.id, row.owner, "scheduled_run", run_id=run["id"],
                                                schedule_id=row.definition_id, job_id=job_id, mode=mode)
            self.log.info("notebook_dag: job %s of schedule %s started run %s of project %s as %s", job_id,
                          row.definition_id, run["id"], project.id, row.owner)
            return {"run_id": run["id"], "status": run["status"]}

    async def job_run(self, job_id: str, notebook: bool = True) -> dict[str, Any]:
        """``{"run_id", "status", "reason", "notebook"}`` of the run job ``job_id`` started;
        ``notebook`` (once the run ended): the project's notebook with the run's outputs.
        Raises :class:`NotFound` when the job started no run (in this server process)."""
        if job_id not in self.job_runs:
            raise NotFound(f"job {job_id!r} started no run")
        run_id, owner, project_id = self.job_runs[job_id]
        run = await self.services.runs.get(run_id, owner, outputs=False)
        out = {"run_id": run_id, "status": run["status"], "reason": run.get("reason")}
        if notebook and run["status"] in TERMINAL:
            run = await self.services.runs.get(run_id, owner, outputs=True)
            project = await self.services.projects.get(project_id, owner)
            out["notebook"] = await self.output_notebook(project, run)
        return out

    async def output_notebook(self, project: Any, run: dict[str, Any]) -> dict[str, Any]:
        """The project's notebook as it is now, each code cell with its outputs and
        execution count of ``run`` (none for the cells it did not execute), and
        ``metadata.notebook_dag`` naming the run."""
        nb = copy.deepcopy(await self.services.blocks.notebook(project))
        blocks = {b["block_id"]: b for b in run["blocks"]}
        for cell in nb.cells:
            if cell.get("cell_type") != "code":
                continue
            b = blocks.get(cell.get("id"))
            cell["outputs"] = list(b["outputs"]) if b else []
            cell["execution_count"] = b["execution_count"] if b else None
        nb.metadata["notebook_dag"] = {"project_id": project.id, "run_id": run["id"], "status": run["status"]}
        return dict(nb)
