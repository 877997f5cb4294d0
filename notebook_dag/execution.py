"""Runs: planning, kernels, history and live progress on the Jupyter server.

A run is accepted at once (202) and executed by a background task. Runs on the same
kernel wait for each other (one lock per kernel), so a kernel never interleaves two
runs. Kernels come from the server's kernel manager, so a server started with
``--gateway-url`` runs blocks on remote kernels with no special code here.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import selectinload

from .dag import BuiltDag, DagService, plan_blocks
from .engine import Engine, utcnow
from .errors import Conflict, NotFound, Unprocessable
from .events import RunEvents
from .foreign import ForeignExecutions
from .gateway import is_remote
from .kernel_auth import kernel_user
from .models import RunCreate
from .parallel import ParallelEngine
from .parallel.handover import HandoverStore, handover_for
from .planner import later_changes, plan_run
from .project_kernels import ActivityPause, ProjectKernels
from .recorder import RunRecorder
from .run_planning import gather_sql_views, gather_versions, labeller, preparation, runs_sql, sql_setup, sync_rows
from .run_records import ACTIVE_RUN_STATUSES, SERVER_STOPPED, run_dict
from .run_settings import RunSettings
from .staleness import KernelStates, Versions
from .storage import Database, Project, Run, RunBlock
from .worker_pools import ProjectWorkerPools


@dataclass
class _Job:
    """A queued run: what to execute, on which kernel, and whether up-to-date blocks
    may be left out (``must_run`` are executed regardless)."""

    run_id: str
    project: Project
    plan: list[str]
    dag: BuiltDag
    kernel_id: str | None
    skip_fresh: bool
    must_run: set[str]
    max_parallel: int = 1
    mode: str = "all"
    user: str | None = None
    #: ``time.monotonic()`` when it was queued (how long the user waited for its end)
    queued_at: float = field(default_factory=time.monotonic)


class RunService(RunSettings):
    """Starts, tracks, cancels and lists runs.

    Configurable as ``c.RunService.<trait>`` (created with ``parent=`` the app):
    ``block_timeout`` is the per-block limit in seconds (0: none); ``max_parallel``
    the default number of blocks a run executes at once (above 1, on the project kernel
    and a per-project :class:`~notebook_dag.parallel.WorkerPool` of warm worker kernels,
    see :class:`~notebook_dag.parallel.ParallelEngine` and ``docs/parallel.md``).
    The constructor's ``block_timeout`` and ``max_parallel``, when not None, override the
    configuration; ``log`` is a :class:`logging.Logger`.
    """

    def __init__(
        self,
        db: Database,
        dag: DagService,
        kernel_manager: Any,
        events: RunEvents,
        log: logging.Logger,
        block_timeout: float | None = None,
        projects: Any | None = None,
        max_parallel: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(log=log, **kwargs)
        self.db = db
        self.projects = projects
        self.dag = dag
        self.kernel_manager = kernel_manager
        self.states = KernelStates()
        self.kernels = ProjectKernels(kernel_manager, log, self.states)
        self.events = events
        # every run or block status change is stored before or just after its event:
        # both make the project's DAG view stale
        if getattr(events, "changes", None) is None:
            events.changes = db.changes
        if block_timeout is not None:
            self.block_timeout = block_timeout
        if max_parallel is not None:
            self.max_parallel = max_parallel
        #: warm worker kernels per project id, for parallel runs
        self.workers = ProjectWorkerPools(
            kernel_manager, lambda pid: any(self._project_of.get(r) == pid for r in self._engines), log)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._engines: dict[str, Engine | ParallelEngine] = {}
        self._project_of: dict[str, str] = {}
        self._cancelled: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        #: set by :meth:`shutdown`: runs stopped now end ``interrupted``, not ``cancelled``
        self._stopping = False
        #: OS directory of a notebook's contents path (None: not on a local disk), for the
        #: files and local modules blocks read
        self.notebook_dir: Callable[[str], str | None] = lambda path: None
        #: more inputs outside the code: async ``(project, dag, user) -> (extra_reads,
        #: world)`` (the datasets feature adds the datasets blocks load)
        self.input_sources: list[Callable[..., Awaitable[tuple[dict[str, set[str]], dict[str, str]]]]] = []
        #: the views SQL blocks need: async ``(project, dag, user) -> {view name: dataset
        #: id}`` (the datasets feature adds the datasets SQL blocks read)
        self.sql_view_sources: list[Callable[..., Awaitable[dict[str, str]]]] = []
        #: called with ``{"run_id", "project_id", "project_name", "user", "status", "reason",
        #: "seconds"}`` once a run of this process has ended and its end is stored and
        #: emitted (notifications): synchronous, they must not wait; an error is logged
        self.run_end_hooks: list[Callable[[dict[str, Any]], None]] = []
        #: the final ``(status, reason)`` of each run being ended, for :attr:`run_end_hooks`
        self._ended: dict[str, tuple[str, str | None]] = {}
        #: records the files runs write beside the notebook
        #: (:class:`notebook_dag.artifacts.ArtifactService`, set by the app; None: not recorded)
        self.artifacts: Any = None
        #: ``(fsspec URL, options)`` of the dataset storage when it is remote (set by the
        #: datasets feature): the default handover store of runs on remote kernels
        self.dataset_storage: tuple[str, dict[str, Any]] | None = None
        #: executions by other clients (the notebook's user) in kernels runs go to
        self.foreign = ForeignExecutions(kernel_manager, self.states, self._foreign_versions,
                                         self.kernels.sessions, log, getattr(events, "kernel_changed", None))

    async def start(self, project: Project, body: RunCreate, user: str) -> dict[str, Any]:
        """Plan and queue a run; returns ``{"id", "status"}`` immediately.

        Modes: ``all``, ``block``, ``upstream``, ``downstream`` (see
        :func:`notebook_dag.dag.plan_blocks`) and ``stale`` (every block not up to date).
        Unless ``force`` (or mode ``block``), planned blocks already up to date in the
        kernel are not executed and end with status ``up_to_date``.

        Raises :class:`NotFound` for an unknown ``block_id`` or ``kernel_id``,
        :class:`BadRequest` for a mode without its block, :class:`Unprocessable`
        when a ``block`` run names a cell with no code.
        """
        if body.kernel_id is not None and body.kernel_id not in self.kernel_manager:
            raise NotFound(f"no running kernel {body.kernel_id!r}")
        if body.kernel_id is not None and body.kernel_id != self.kernels.current(project.id):
            self.foreign.watch(body.kernel_id, project.id)
        dag = await self.dag.build(project)
        plan = plan_blocks(dag, "all" if body.mode == "stale" else body.mode, body.block_id)
        if body.mode == "block" and not plan:
            raise Unprocessable(f"block {body.block_id!r} is not a code cell with code to run")
        return await self._queue(project, dag, plan, body.mode, body.block_id, body.kernel_id, user,
                                 skip_fresh=not body.force,
                                 max_parallel=body.max_parallel or self.max_parallel)

    async def retry(self, run_id: str, user: str, force: bool = False) -> dict[str, Any]:
        """Start a new run of the blocks of ``run_id`` that did not succeed, with what
        they need: their upstream blocks that are not up to date in the kernel.

        This is also how an ``interrupted`` run resumes after a server restart. A run is
        retried (or resumed) at most once: retry the new run to try again. Raises
        :class:`NotFound` for an unknown run and :class:`Conflict` when the run is still
        going, every block succeeded, or it was already retried or resumed."""
        old = await self._load(run_id, user, "edit", outputs=False)
        if old.status in ACTIVE_RUN_STATUSES:
            raise Conflict(f"run {run_id} is still {old.status}", status=old.status)
        # one lock per project across processes on one database: a second retry of the run
        # waits, then finds the first one's run
        async with self.db.lock(f"retries:{old.project_id}"):
            return await self._retry(old, user, force)

    async def _retry(self, old: Run, user: str, force: bool) -> dict[str, Any]:
        run_id = old.id
        async with self.db.session() as s:
            child = await self._retried_by(s, run_id)
        if child is not None:
            raise Conflict(f"run {run_id} was already retried or resumed by run {child}; retry that run instead",
                           status=old.status)
        todo = {b.block_id for b in old.blocks if b.status not in ("succeeded", "up_to_date")}
        if not todo:
            raise Conflict(f"every block of run {run_id} succeeded; nothing to retry")
        dag = await self.dag.build(old.project)
        todo &= set(dag.cells)
        if not todo:
            raise Conflict(f"the blocks of run {run_id} that did not succeed are no longer in the notebook")
        needed = set(todo)
        for b in todo:
            needed |= nx.ancestors(dag.graph, b)
        plan = [b for b in plan_blocks(dag, "all") if b in needed]
        explicit = old.kernel_id in self.kernel_manager and old.kernel_id != self.kernels.current(old.project_id)
        return await self._queue(old.project, dag, plan, "retry", None, old.kernel_id if explicit else None,
                                 user, skip_fresh=not force, parent_id=run_id, must_run=todo,
                                 max_parallel=old.max_parallel or 1)

    async def _queue(
        self,
        project: Project,
        dag: BuiltDag,
        plan: list[str],
        mode: str,
        block_id: str | None,
        kernel_id: str | None,
        user: str,
        skip_fresh: bool,
        parent_id: str | None = None,
        must_run: set[str] | None = None,
        max_parallel: int = 1,
    ) -> dict[str, Any]:
        async with self.db.session() as s:
            run = Run(project_id=project.id, mode=mode, block_id=block_id, owner=user, kernel_id=kernel_id, parent_id=parent_id,
                      server=self.server_id, max_parallel=max_parallel)
            s.add(run)
            await s.flush()
            if plan:  # one executemany: a 2,000-block plan is one statement, not 2,000 ORM objects
                await s.execute(insert(RunBlock.__table__), [
                    {"run_id": run.id, "block_id": b, "seq": seq, "status": "queued",
                     "source": str(dag.cells[b].get("source", "")), "outputs": []}
                    for seq, b in enumerate(plan)
                ])
            run_id = run.id
        self.events.emit(run_id, project.id, "queued")
        job = _Job(run_id, project, plan, dag, kernel_id, skip_fresh, must_run or set(), max_parallel, mode, user)
        task = asyncio.create_task(self._execute(job))
        self._tasks[run_id] = task
        self._project_of[run_id] = project.id
        task.add_done_callback(lambda _t, rid=run_id: (self._tasks.pop(rid, None), self._project_of.pop(rid, None)))
        return {"id": run_id, "status": "queued"}

    @staticmethod
    async def _retried_by(s: Any, run_id: str) -> str | None:
        """The id of a run retrying or resuming ``run_id``, if any."""
        return await s.scalar(select(Run.id).where(Run.parent_id == run_id).limit(1))

    async def versions(self, project: Project, dag: BuiltDag, user: str | None = None) -> Versions:
        """Value fingerprints of the DAG's code blocks with their inputs outside the code
        (files and local modules beside the notebook, and what :attr:`input_sources`
        add), computed off the event loop."""
        return await gather_versions(project, dag, user, self.notebook_dir(project.notebook_path),
                                     self.input_sources, self.log)

    def block_states(self, project: Project, v: Versions, ever_run: set[str],
                     kernel_id: str | None = None) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Per code block: ``up_to_date``, ``stale`` or ``never_run`` in ``kernel_id``
        (default: the project kernel); and per block the names whose value in that kernel
        is not the one a fresh run gives it (see :func:`notebook_dag.planner.later_changes`).
        Raises :class:`NotFound` for a kernel that is not running."""
        if kernel_id is not None and kernel_id not in self.kernel_manager:
            raise NotFound(f"no running kernel {kernel_id!r}")
        if kernel_id is not None and kernel_id != self.kernels.current(project.id):
            # the notebook's own kernel: from now on, cells the user runs there count too
            self.foreign.watch(kernel_id, project.id)
        state = self.states.of(kernel_id or self.kernels.current(project.id))
        return state.states(v, ever_run), later_changes(v, state)

    async def _plan(self, job: _Job, kid: str, own: bool
                    ) -> tuple[list[str], Versions, dict[str, str], asyncio.Future[None] | None]:
        """The blocks a run executes in kernel ``kid`` (see :func:`plan_run`), with the
        versions they were planned with, a note per block executed for a reason of its
        own, and the silent preparation still executing in the kernel (None: none; await
        it before the first block). Restarts the project's kernel when its state cannot
        be repaired, deletes names no cell binds any more, and makes edited local modules
        import afresh."""
        v = await self.versions(job.project, job.dag, job.user)
        state = self.states.of(kid)
        if job.mode == "block":
            if not runs_sql(job.plan, v):
                return job.plan, v, {}, None
            code = sql_setup(await gather_sql_views(job.project, job.dag, job.user, self.sql_view_sources, self.log))
            return job.plan, v, {}, asyncio.ensure_future(self._prepare(kid, code, []))
        label = labeller(job.dag)
        complete = job.mode in ("all", "stale")
        targets = v.order if complete else job.plan
        force = job.plan if not job.skip_fresh else job.must_run
        plan = plan_run(v, state, targets, force=force, complete=complete, label=label)
        notes = dict(plan.notes)
        if plan.restart is not None:
            why = plan.restart
            if own:
                self.log.info("notebook_dag: restarting kernel %s: %s", kid, why)
                await self.kernels.restart(kid)
                state = self.states.of(kid)
                plan = plan_run(v, state, v.order, complete=True, label=label)
                notes = {b: f"the kernel was restarted first: {why}" for b in plan.blocks[:1]}
            else:
                notes = {b: f"may differ from a fresh run: {plan.restart}; restart the kernel for an exact run"
                         for b in plan.blocks}
        sql_views = None
        if runs_sql(plan.blocks, v):
            sql_views = await gather_sql_views(job.project, job.dag, job.user, self.sql_view_sources, self.log)
        code, libs, modules_changed = preparation(plan, v, state, sql_views)
        if modules_changed:
            job.max_parallel = 1  # worker kernels would keep the old module
        if code and not libs:
            # nothing here depends on its outcome: it executes while the run's rows are stored
            return plan.blocks, v, notes, asyncio.ensure_future(self._prepare(kid, code, [*plan.cleanup, *plan.reset]))
        if code and await self.kernels.execute_silently(kid, code):
            state.forget_names([*plan.cleanup, *plan.reset])
        elif libs and own:  # the configuration could not be reset: a fresh process has it
            self.log.info("notebook_dag: restarting kernel %s: resetting %s failed", kid, ", ".join(libs))
            await self.kernels.restart(kid)
            state = self.states.of(kid)
            plan = plan_run(v, state, v.order, complete=True, label=label)
            notes = {b: f"the kernel was restarted first: the configuration of {', '.join(libs)} could not be reset"
                     for b in plan.blocks[:1]}
        return plan.blocks, v, notes, None

    async def _prepare(self, kid: str, code: str, names: list[str]) -> None:
        """Execute the preparation ``code`` silently in kernel ``kid``; once it ran,
        the kernel no longer holds ``names``. Never raises."""
        state = self.states.of(kid)
        if await self.kernels.execute_silently(kid, code):
            state.forget_names(names)

    async def _execute(self, job: _Job) -> None:
        run_id, project = job.run_id, job.project
        # kernels started for this run (project and workers) read datasets as the run's user
        kernel_user.set((job.user or project.owner, project.id))
        # one run at a time per kernel; naming the project's own kernel explicitly is the same kernel
        own = job.kernel_id is None or job.kernel_id == self.kernels.current(project.id)
        lock = self._locks.setdefault(f"project:{project.id}" if own else job.kernel_id, asyncio.Lock())
        pause: ActivityPause | None = None
        try:
            async with lock:
                if run_id in self._cancelled:
                    if self._stopping:
                        await self._finish(run_id, project.id, "interrupted", SERVER_STOPPED, cancel_blocks=True)
                    else:
                        await self._finish(run_id, project.id, "cancelled", "cancelled before it started", cancel_blocks=True)
                    return
                nb, graph = job.dag.nb, job.dag.graph
                kernel_name = (nb.metadata.get("kernelspec") or {}).get("name")
                kid = job.kernel_id or await self.kernels.get(project, kernel_name)
                if job.kernel_id is not None:
                    self.kernels.watch(kid)
                pause = ActivityPause(self.kernel_manager, kid)
                # the notebook directory's files before the first block, walked while the run is planned
                files = asyncio.ensure_future(self.artifacts.begin(project)) if self.artifacts is not None else None
                try:
                    plan, v, notes, prepared = await self._plan(job, kid, own)
                except BaseException:
                    if files is not None:
                        files.cancel()
                    raise
                if self.artifacts is not None and self.artifacts.drifting(v):
                    # files the run writes anew no longer differ from the run's
                    v = await asyncio.to_thread(self.artifacts.settle, v, plan, job.dag)
                try:  # one transaction for the run's rows
                    async with self.db.session() as s:
                        fresh = await sync_rows(s, run_id, job.plan, plan, v.order, job.dag.cells)
                        await self._mark_up_to_date(s, run_id, fresh, v)
                        await s.execute(update(Run).where(Run.id == run_id).values(status="running", started_at=utcnow(), kernel_id=kid))
                finally:
                    if prepared is not None:
                        await prepared
                for b in fresh:
                    self.events.emit(run_id, project.id, "up_to_date", b)
                self.events.emit(run_id, project.id, "running")
                dead = asyncio.Event()

                def on_dead() -> None:
                    dead.set()

                self.kernel_manager.add_restart_callback(kid, on_dead, "restart")
                self.kernel_manager.add_restart_callback(kid, on_dead, "dead")
                engine = self._engine(job, own, kid, nb, graph, len(plan))
                self._engines[run_id] = engine
                if run_id in self._cancelled:
                    if self._stopping:
                        engine.stop_reason = SERVER_STOPPED
                    engine.cancel_requested.set()
                recorder = RunRecorder(self, run_id, project.id, kid, v, notes, on_block=pause.touch)
                before = await files if files is not None else None
                try:
                    outcome = await engine.run(plan, recorder, dead, await self.kernels.client(kid))
                except BaseException:
                    await recorder.flush()
                    raise
                finally:
                    # the activity watcher is resumed once the run's end is announced (below)
                    self._engines.pop(run_id, None)
                    if isinstance(engine, ParallelEngine):
                        self.workers.release(project.id, self.worker_idle_timeout)
                    for event in ("restart", "dead"):
                        try:
                            self.kernel_manager.remove_restart_callback(kid, on_dead, event)
                        except Exception:  # noqa: BLE001 - the kernel is gone
                            pass
                if outcome.kernel_died:
                    await recorder.flush()  # before the kernel's shutdown
                    self.kernels.drop_client(kid)
                    self.states.forget(kid)
                    if job.kernel_id is None:
                        await self.kernels.discard(project.id)
                if self.artifacts is not None:  # stored before the run's end is announced
                    await self.artifacts.record(run_id, project, before, recorder.intervals)
                status, reason = outcome.status, outcome.reason
                if self._stopping and status == "cancelled":
                    status, reason = "interrupted", SERVER_STOPPED
                # the blocks' last results and the run's end in one transaction
                await self._finish(run_id, project.id, status, reason,
                                   recorder=None if outcome.kernel_died else recorder)
        except asyncio.TimeoutError:
            self.kernels.drop_client(job.kernel_id or "")
            await self._finish(run_id, project.id, "failed", "the kernel did not become ready within 120 s", cancel_blocks=True)
        except Exception as e:  # a bug or an unreachable kernel must not leave the run "running"
            self.log.exception("notebook_dag: run %s failed unexpectedly", run_id)
            await self._finish(run_id, project.id, "failed", f"internal error: {e}", cancel_blocks=True)
        finally:
            if pause is not None:  # after the run's end: reconnecting the watcher is off its critical path
                pause.resume()
            self._cancelled.discard(run_id)
            self._announce_end(job)

    def _announce_end(self, job: _Job) -> None:
        """Tell :attr:`run_end_hooks` that ``job``'s run ended (if it did: stored by :meth:`_finish`)."""
        ended = self._ended.pop(job.run_id, None)
        if ended is None:
            return
        end = {"run_id": job.run_id, "project_id": job.project.id, "project_name": job.project.name,
               "user": job.user or job.project.owner, "status": ended[0], "reason": ended[1],
               "seconds": time.monotonic() - job.queued_at}
        for hook in self.run_end_hooks:
            try:
                hook(end)
            except Exception:  # noqa: BLE001 - never fail (or slow) the run for a listener
                self.log.exception("notebook_dag: a run end hook failed for run %s", job.run_id)

    def _engine(self, job: _Job, own: bool, kid: str, nb: Any, graph: Any, blocks: int) -> Engine | ParallelEngine:
        """The engine of a run: parallel on the project's worker pool when the run allows
        more than one block at once, has more than one block, and runs on the project's own
        kernel, local or remote; a remote kernel needs an object store for handovers
        (:meth:`handover_store`), else it runs sequentially."""
        handle = self.kernel_manager.get_kernel(kid)
        store = self.handover_store(job.run_id) if is_remote(handle) else None
        if job.max_parallel <= 1 or blocks <= 1 or not own or (is_remote(handle) and store is None):
            return Engine(handle, nb, graph, self.block_timeout or None, max_output_bytes=self.max_output_bytes, log=self.log)
        # a run uses at most max_parallel - 1 workers beside the project kernel
        pool = self.workers.take(job.project.id, job.max_parallel - 1,
                                 posixpath.dirname(job.project.notebook_path), handle.kernel_name)
        return ParallelEngine(self.kernel_manager, kid, nb, graph, pool=pool, max_parallel=job.max_parallel,
                              timeout=self.block_timeout or None, kernel_name=handle.kernel_name,
                              max_output_bytes=self.max_output_bytes, handover=store)

    def handover_store(self, run_id: str) -> HandoverStore | None:
        """The object store a parallel run on remote kernels hands values over through
        (``handover_storage_url``, else the remote dataset storage), None without one."""
        url, options = self.handover_storage_url, dict(self.handover_storage_options or {})
        if not url and self.dataset_storage is not None:
            url, options = self.dataset_storage[0], {**self.dataset_storage[1], **options}
        if not url or "://" not in url or url.startswith("file://"):
            return None
        return handover_for(url, options, run_id, self.handover_role_arn)

    @staticmethod
    async def _mark_up_to_date(s: Any, run_id: str, blocks: list[str], v: Versions) -> None:
        """Mark ``blocks`` of the run ``up_to_date`` in session ``s`` (one ``executemany``)."""
        if not blocks:
            return
        table = RunBlock.__table__
        await s.execute(
            update(table).where(table.c.run_id == run_id, table.c.block_id == bindparam("_block"))
            .values(status="up_to_date", fingerprint=bindparam("_fp")),
            [{"_block": b, "_fp": v.fp.get(b)} for b in blocks],
        )

    async def _finish(self, run_id: str, project_id: str, status: str, reason: str | None, cancel_blocks: bool = False,
                      recorder: RunRecorder | None = None) -> None:
        """Store the run's end (with what ``recorder`` has not stored yet, in the same
        transaction), then emit it: a client told the run ended finds it stored."""
        async def finish(s: Any) -> None:
            await s.execute(update(Run).where(Run.id == run_id).values(status=status, reason=reason, finished_at=utcnow()))
            if cancel_blocks:
                await s.execute(
                    update(RunBlock)
                    .where(RunBlock.run_id == run_id, RunBlock.status.in_(ACTIVE_RUN_STATUSES))
                    .values(status="cancelled", error=reason)
                )

        if recorder is not None:
            await recorder.flush(then=finish)
        else:
            async with self.db.session() as s:
                await finish(s)
        if run_id in self._tasks:  # a run of this process: _execute announces it
            self._ended[run_id] = (status, reason)
        self.events.emit(run_id, project_id, status, message=reason)

    async def _load(self, run_id: str, user: str, need: str = "view", outputs: bool = True) -> Run:
        """The run if ``user`` may ``need`` its project (see ProjectService.get), with its
        blocks and project; the blocks' outputs are not read unless ``outputs``."""
        blocks = selectinload(Run.blocks)
        if not outputs:
            blocks = blocks.defer(RunBlock.outputs, raiseload=True)
        async with self.db.session() as s:
            run = await s.get(Run, run_id, options=[blocks, selectinload(Run.project)])
        if run is None:
            raise NotFound(f"no run {run_id!r}")
        try:
            await self.projects.get(run.project_id, user, need)
        except NotFound:
            raise NotFound(f"no run {run_id!r}") from None
        return run

    async def get(self, run_id: str, user: str, outputs: bool = True) -> dict[str, Any]:
        """The run with its blocks and their outputs (each block's at most
        ``max_output_bytes`` when it ran; ``[]`` unless ``outputs``). Raises
        :class:`NotFound` if unknown or not visible to ``user``."""
        return run_dict(await self._load(run_id, user, outputs=outputs), with_outputs=outputs)

    async def list(self, project: Project, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """The project's runs, newest first, without outputs; and their total."""
        async with self.db.session() as s:
            total = await s.scalar(select(func.count()).select_from(Run).where(Run.project_id == project.id))
            rows = (
                await s.execute(
                    select(Run)
                    .where(Run.project_id == project.id)
                    # the outputs (up to max_output_bytes per block) are never read for a list
                    .options(selectinload(Run.blocks).defer(RunBlock.outputs, raiseload=True))
                    .order_by(Run.created_at.desc(), Run.id)
                    .limit(limit)
                    .offset(offset)
                )
            ).scalars()
            return [run_dict(r, with_outputs=False) for r in rows], int(total or 0)

    async def cancel(self, run_id: str, user: str) -> dict[str, Any]:
        """Cancel a queued or running run (the kernel is interrupted).
        Raises :class:`Conflict` when the run has already ended."""
        run = await self._load(run_id, user, "edit", outputs=False)
        if run.status not in ACTIVE_RUN_STATUSES:
            raise Conflict(f"run {run_id} has already ended ({run.status})", status=run.status)
        self._cancelled.add(run_id)
        engine = self._engines.get(run_id)
        if engine is not None:
            await engine.cancel()
        elif run_id not in self._tasks:  # a queued run of a previous server process
            await self._finish(run_id, run.project_id, "cancelled", "cancelled by the user", cancel_blocks=True)
        return {"id": run_id, "status": "cancelling"}

    async def forget_project(self, project_id: str) -> None:
        """Cancel the project's runs in progress and shut its kernel down (project deleted)."""
        runs = [rid for rid, pid in self._project_of.items() if pid == project_id]
        for run_id in runs:
            self._cancelled.add(run_id)
            engine = self._engines.get(run_id)
            if engine is not None:
                await engine.cancel()
        tasks = [self._tasks[r] for r in runs if r in self._tasks]
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        await self.workers.shutdown(project_id)
        await self.kernels.discard(project_id)

    async def _foreign_versions(self, project_id: str
                                ) -> tuple[Versions, dict[str, str], list[tuple[str, str]]] | None:
        """For :class:`~notebook_dag.foreign.ForeignExecutions`: the project's versions now,
        the source of each code block and the notebook's ``(cell id, source)`` code cells
        in order; None when the project was deleted."""
        async with self.db.session() as s:
            project = await s.get(Project, project_id)
        if project is None:
            return None
        dag = await self.dag.build(project)
        v = await self.versions(project, dag, project.owner)
        sources = {b: str(dag.cells[b].get("source", "")) for b in v.order}
        cells = [(c["id"], str(c.get("source", ""))) for c in dag.nb.cells if c.get("cell_type") == "code"]
        return v, sources, cells

    async def shutdown(self) -> None:
        """Stop every run still in progress (server stop): running and queued runs of this
        process end ``interrupted`` (reason :data:`SERVER_STOPPED`), so
        ``POST /runs/{id}/resume`` continues them as after a crash."""
        self._stopping = True
        for run_id in list(self._tasks):
            self._cancelled.add(run_id)
        for run_id, engine in list(self._engines.items()):
            await engine.cancel(reason=SERVER_STOPPED)
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        await self.workers.shutdown_all()
        self.foreign.stop_all()
        await self.kernels.discard_all()
