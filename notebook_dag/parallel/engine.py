"""The parallel engine: independent blocks of the DAG run at the same time on the
project kernel and warm worker kernels, with values handed over through files.

Same contract as :class:`notebook_dag.engine.Engine` (``run(plan, listener, dead,
client) -> RunOutcome``, the same listener calls, cells executed by nbclient's
``async_execute_cell``); see ``docs/parallel.md`` for the design and its limits.

Scheduling is greedy list scheduling (Graham, "Bounds on multiprocessing timing
anomalies", 1969): whenever a kernel is free, the first ready block in plan order that
may run there starts; among free kernels a block goes where most of its inputs already
are (ties: the project kernel, which saves bringing its products back). What a run does
to move values between kernels (store set-up, snapshots, exports, bring-back) is the
mixin :class:`~notebook_dag.parallel.exchange.ValueExchange`.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import re
from collections.abc import Sequence
from typing import Any

import networkx as nx
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from ..engine import BlockResult, RunListener, RunOutcome, cell_label, cell_result, utcnow
from ..outputs import BoundedNotebookClient
from .config import BASELINE, ConfigReplay, add_config_waits, setter_blocks
from .effects import BlockEffects, block_effects, plan_ancestors
from .exchange import RunStats, ValueExchange, _Done
from .handover import HandoverStore, LocalHandover
from .kernels import KernelDied, KernelSlot, RequestError, RequestTimeout, WorkerPool, ready_client
from .values import Values

#: Cells that may change process state workers must share (cwd, environment,
#: ``sys.path``, warning filters): after one ran in the project kernel its state is read again.
_PROCESS_STATE = re.compile(r"chdir|environ|putenv|sys\.path|site\.|warnings|%cd|%env|%load_ext|%config")


class ParallelEngine(ValueExchange):
    """Runs planned blocks of ``nb`` on the project kernel ``project_kernel_id`` and the
    workers of ``pool``, at most ``max_parallel`` blocks at once (the project kernel
    counts as one of them, so ``pool`` needs ``max_parallel - 1`` workers).

    ``kernel_manager``: jupyter_server's ``MappingKernelManager`` or
    :class:`notebook_dag.parallel.LocalKernels`; ``graph``: the cell-id DAG (a failed
    block skips only its descendants, as in :class:`~notebook_dag.engine.Engine`);
    ``timeout``: per-block limit in seconds (None: none). ``use_project_kernel=False``
    keeps blocks that may run anywhere off the project kernel. ``max_output_bytes`` caps
    the outputs kept per block (0: no limit; see
    :class:`notebook_dag.outputs.BoundedNotebookClient`). ``handover``: where values travel
    between kernels (default: a :class:`~notebook_dag.parallel.handover.LocalHandover`
    directory; an :class:`~notebook_dag.parallel.handover.FsspecHandover` for kernels
    that share no filesystem with the server); its objects are removed after the run. A
    worker that cannot reach the store takes no block of the run; when the project kernel
    cannot (or no worker can), every block runs there, its note saying why.

    After a run the project kernel holds every value the blocks produced (brought back
    from the workers), and :attr:`stats` describes the run.
    """

    def __init__(
        self,
        kernel_manager: Any,
        project_kernel_id: str,
        nb: Any,
        graph: nx.DiGraph,
        *,
        pool: WorkerPool,
        max_parallel: int = 2,
        timeout: float | None = None,
        kernel_name: str = "python3",
        use_project_kernel: bool = True,
        max_output_bytes: int = 0,
        handover: HandoverStore | None = None,
    ) -> None:
        self.kernel_manager = kernel_manager
        self.project_kernel_id = project_kernel_id
        self.nb = copy.deepcopy(nb)
        self.graph = graph
        self.pool = pool
        self.max_parallel = max(1, int(max_parallel))
        self.timeout = timeout
        self.kernel_name = kernel_name
        self.use_project_kernel = use_project_kernel
        self.index = {c["id"]: i for i, c in enumerate(self.nb.cells)}
        self.effects: dict[str, BlockEffects] = block_effects(self.nb, graph)
        self.cancel_requested = asyncio.Event()
        self.max_output_bytes = max(0, int(max_output_bytes))
        self.handover = handover
        #: what cancelled blocks and the outcome say (see :meth:`cancel`)
        self.stop_reason = "cancelled by the user"
        self.stats = RunStats()
        self._jobs: dict[asyncio.Task[_Done], tuple[str, KernelSlot]] = {}
        self._clients: dict[str, BoundedNotebookClient] = {}
        self._stop: str | None = None

    # -- public ------------------------------------------------------------------------
    async def cancel(self, attempts: int = 10, reason: str | None = None) -> None:
        """Stop the run: every busy kernel is interrupted (again every second, up to
        ``attempts`` times, since an interrupt that arrives before the cell starts is
        lost) until the running blocks have ended; the rest are cancelled. ``reason``
        replaces ``"cancelled by the user"`` as what they and the outcome say."""
        if reason:
            self.stop_reason = reason
        self.cancel_requested.set()
        for _ in range(attempts):
            jobs = list(self._jobs)
            if not jobs:
                return
            await asyncio.gather(*(slot.interrupt() for _, slot in self._jobs.values()))
            await asyncio.wait(jobs, timeout=1)

    async def run(
        self, plan: Sequence[str], listener: RunListener, dead: asyncio.Event | None = None, client: Any | None = None
    ) -> RunOutcome:
        """Execute ``plan`` (cell ids in topological order), reporting to ``listener``.

        ``dead`` is set by the caller when the project kernel dies or restarts (the run
        then ends at once, ``kernel_died``); ``client`` a ready client of the project
        kernel to reuse (else one is made and closed afterwards). Never raises for a
        failing cell or a dead kernel; a dead worker fails its block and is replaced.
        """
        handle = self.kernel_manager.get_kernel(self.project_kernel_id)
        kc = client
        if kc is None:
            try:
                kc = await ready_client(handle)
            except asyncio.TimeoutError:
                outcome = RunOutcome("failed", "The kernel did not become ready within 120 s.", kernel_died=True)
                for b in plan:
                    await listener.block_finished(b, BlockResult("skipped", error=outcome.reason))
                return outcome
        project = KernelSlot("project", self.project_kernel_id, handle, kc, died=dead or asyncio.Event())
        store = self.handover or LocalHandover()
        self.stats = RunStats()
        self._store_error: str | None = None
        # a remote store's set-up (STS) overlaps the kernels' (awaited before use_store)
        self._opening = asyncio.ensure_future(self._open(store))
        try:
            if not store.remote:
                await self._opening
            async with self.pool.session():
                return await self._run(list(plan), listener, project, store)
        finally:
            await self._opening

            async def forget() -> None:
                if store.remote and not project.died.is_set():
                    try:  # the project kernel forgets the run's credentials
                        await project.call("use_store", None, timeout=10)
                    except Exception:  # noqa: BLE001 - interrupted or gone: the credentials expire anyway
                        pass

            await asyncio.gather(forget(), store.close())
            if client is None:
                kc.stop_channels()

    # -- the run -----------------------------------------------------------------------
    async def _run(self, plan: list[str], listener: RunListener, project: KernelSlot, store: HandoverStore) -> RunOutcome:
        self._project, self._store, self._plan = project, store, plan
        self._pos = {b: i for i, b in enumerate(plan)}
        self._seq = itertools.count()
        self.values = Values(project.key)
        self._forced: dict[str, str] = {}
        self._next_count: dict[str, int] = {}
        self._stop = None
        self._degraded: str | None = None
        self._started: set[str] = set()
        self._pending: set[str] = set(plan)
        self._store_ok: set[str] = set()  # keys of the kernels that use the remote store in this run
        try:
            info = await project.install(getattr(store, "dir", None) or "", worker=False)
            self._base = int(info["count"])
            self._next_count[project.key] = self._base
            if info["problems"]:
                self._degraded = "; ".join(info["problems"])
        except (RequestError, RequestTimeout) as e:
            self._base, self._degraded = None, f"the project kernel cannot take part in handovers ({e})"
        except KernelDied:
            outcome = RunOutcome("failed", "The kernel died before the run started.", kernel_died=True)
            for b in plan:
                await listener.block_finished(b, BlockResult("skipped", error=outcome.reason))
            return outcome
        if self._degraded is None and self.max_parallel > 1 and self.pool.size:
            try:
                await self.pool.start()
            except Exception as e:  # noqa: BLE001 - run with the workers that did start
                self._degraded = None if self.pool.workers else f"no worker kernel could be started ({e})"
        if self._degraded is None and store.remote and self.max_parallel > 1 and self.pool.workers:
            await self._use_store(store)
        self._state: dict[str, Any] | None = None
        self._state_version = 0
        self._state_applied: dict[str, int] = {}
        self._config: ConfigReplay | None = None
        if self._workers_on():
            await self._read_state()
            self._config = ConfigReplay(plan, setter_blocks({b: self.effects[b].config for b in plan}), project.key)
            await self._snapshot_config(BASELINE)
        self._ancestors = plan_ancestors(self.graph, plan)
        await self._prelude(plan)
        if self._config is not None:  # a block starts after the setter whose snapshot it needs
            self._ancestors = add_config_waits(self._ancestors, self._config.needs)
        outcome = await self._schedule(plan, listener)
        if not project.died.is_set():
            problem = await self._bring_back()
            if problem and outcome.status == "succeeded":
                outcome = RunOutcome("failed", problem)
        return outcome

    async def _schedule(self, plan: list[str], listener: RunListener) -> RunOutcome:
        pending = list(plan)
        final: dict[str, str] = {}
        bad: set[str] = set()
        outcome = RunOutcome("succeeded")
        project = self._project
        cancel_wait = asyncio.ensure_future(self.cancel_requested.wait())
        dead_wait = asyncio.ensure_future(project.died.wait())
        try:
            while True:
                if self._stop is None and (self.cancel_requested.is_set() or project.died.is_set()):
                    self._stop = self.stop_reason if not project.died.is_set() else "the project kernel died"
                    await asyncio.gather(*(s.interrupt() for _, s in self._jobs.values() if s is not project))
                if self._stop is not None:
                    died = project.died.is_set()
                    if died and outcome.status != "failed":
                        outcome = RunOutcome("failed", "The kernel died during the run.", kernel_died=True)
                    for b in pending:
                        await listener.block_finished(b, BlockResult("skipped" if died else "cancelled", error=self._stop))
                    pending.clear()
                else:
                    for b in list(pending):  # a failed block skips its descendants, as in Engine
                        if any(p in bad for p in self.graph.predecessors(b)):
                            pending.remove(b)
                            bad.add(b)
                            final[b] = "skipped"
                            self._settle(b)
                            await listener.block_finished(b, BlockResult("skipped", error="an upstream block did not succeed"))
                    for b, slot, job in self._dispatch(pending, final):
                        pending.remove(b)
                        self._pending.discard(b)
                        if b not in self._started:
                            self._started.add(b)
                            await listener.block_started(b)
                        task = asyncio.ensure_future(job)
                        self._jobs[task] = (b, slot)
                if not self._jobs:
                    if pending:  # cannot happen: the project kernel can run every block
                        raise RuntimeError(f"parallel run stalled with {len(pending)} blocks left")
                    break
                done, _ = await asyncio.wait([*self._jobs, cancel_wait, dead_wait], return_when=asyncio.FIRST_COMPLETED)
                for task in [t for t in done if t in self._jobs]:
                    b, slot = self._jobs.pop(task)
                    d = task.result()
                    if slot is project:
                        slot.busy = False
                    elif not d.replaced:
                        await self.pool.release(slot)
                    r = d.result
                    if d.fallback is not None and self._stop is None:
                        self._forced[b] = d.fallback
                        self.stats.fallbacks.append(b)
                        pending.insert(sum(1 for p in pending if self._pos[p] < self._pos[b]), b)
                        self._pending.add(b)
                        continue
                    if d.fallback is not None:
                        r = BlockResult("cancelled", error=self._stop, kernel=r.kernel)
                    self.stats.blocks[r.kernel or "?"] = self.stats.blocks.get(r.kernel or "?", 0) + 1
                    await listener.block_finished(b, r)
                    final[b] = r.status
                    self._settle(b)
                    if r.status == "succeeded":
                        continue
                    bad.add(b)
                    if r.kernel_died:
                        project.died.set()
                        outcome = RunOutcome("failed", f"The kernel died while running block {b}.", kernel_died=True)
                    elif r.status == "cancelled" and outcome.status == "succeeded":
                        outcome = RunOutcome("cancelled", self.stop_reason)
                    elif r.status == "failed" and outcome.status != "failed":
                        outcome = RunOutcome("failed", f"{cell_label(self.nb, b).capitalize()} failed: {r.error}")
        finally:
            cancel_wait.cancel()
            dead_wait.cancel()
        if self.cancel_requested.is_set() and outcome.status == "succeeded":
            outcome = RunOutcome("cancelled", self.stop_reason)
        return outcome

    # -- placement ---------------------------------------------------------------------
    def _dispatch(self, pending: list[str], final: dict[str, str]) -> list[tuple[str, KernelSlot, Any]]:
        """Start as many ready blocks as free kernels allow: blocks pinned to the project
        kernel first, then the others in plan order. Returns ``(block, kernel, job
        coroutine)`` triples."""
        out: list[tuple[str, KernelSlot, Any]] = []
        project = self._project
        workers_on = self._workers_on()
        ready = [b for b in pending if all(a in final for a in self._ancestors[b])]
        pins = {b: self._pin(b, workers_on) for b in ready}
        for b in sorted(ready, key=lambda b: pins[b] is None):
            pin = pins[b]
            e = self.effects[b]
            choices: list[tuple[tuple[int, bool], KernelSlot, Any]] = []
            in_use = sum(1 for _, s in self._jobs.values() if s is not project) + sum(1 for _, s, _ in out if s is not project)
            if pin is None and in_use < self.max_parallel - 1:
                for w in self.pool.idle():
                    if not self._usable(w):
                        continue
                    loads = self.values.loads(e, w.key)
                    if loads is not None:
                        choices.append(((self.values.held(e, w.key), False), w, loads))
            if not project.busy and (pin is not None or self.use_project_kernel or self.values.loads(e, "?") is None):
                loads = self.values.loads(e, project.key)
                if loads is not None:
                    choices.append(((self.values.held(e, project.key), True), project, loads))
            if not choices:
                continue
            _, slot, (files, deletes) = max(choices, key=lambda c: c[0])
            note = None
            if slot is project:
                project.busy = True
                stuck = self.values.stuck(e) if pin is None else None
                if pin or stuck:
                    note = f"ran in the project kernel because {pin or stuck}"
            else:
                slot = self.pool.try_acquire([slot.key])
            out.append((b, slot, self._job(b, slot, files, deletes, note)))
        return out

    def _pin(self, b: str, workers_on: bool) -> str | None:
        """Why ``b`` must run in the project kernel ("" when parallelism is off)."""
        pin = self._forced.get(b) or self.effects[b].pin or self._degraded
        if pin is None and self._config is not None:
            pin = self._config.problem(b)
        if pin is None and not workers_on:
            pin = "" if self.max_parallel <= 1 or not self.pool.size else "no worker kernel is available"
        return pin

    # -- one block ---------------------------------------------------------------------
    def _client_for(self, slot: KernelSlot) -> BoundedNotebookClient:
        c = self._clients.get(slot.key)
        if c is None:
            c = BoundedNotebookClient(
                self.nb,
                km=slot.handle,
                kernel_name=self.kernel_name,
                timeout=int(self.timeout) if self.timeout else None,
                allow_errors=False,
                interrupt_on_timeout=False,
                max_output_bytes=self.max_output_bytes,
            )
            self._clients[slot.key] = c
        c.kc = slot.client
        return c

    async def _job(self, b: str, slot: KernelSlot, files: list[list[Any]], deletes: list[str], note: str | None) -> _Done:
        """Load ``b``'s inputs on ``slot``, execute it, record and export its products."""
        project = slot is self._project
        count = None if self._base is None else self._base + self._pos[b]
        started = utcnow()
        state = None
        if not project and self._state is not None and self._state_applied.get(slot.key) != self._state_version:
            state = self._state
        config = self._config.to_apply(b, slot.key) if self._config is not None else None
        try:
            if self._base is not None and (files or deletes or state or config or self._next_count.get(slot.key) != count):
                if config is not None:
                    self._config.applied(slot.key, None)  # unknown until the kernel says it worked
                res = await slot.call("load", files, deletes, count, state, config and config[1],
                                      timeout=self._handover_timeout())
                self._next_count[slot.key] = count
                if state is not None:
                    self._state_applied[slot.key] = self._state_version
                self.stats.loads += bool(files)
                self.stats.load_seconds += res["seconds"]
                self.values.loaded(slot.key, files, deletes)
                if config is not None:
                    self.stats.config_applies += 1
                    why = self._config.after_apply(slot.key, config[0], res.get("config_problems"))
                    if why is not None and not project:
                        why = f"the library configuration could not be applied on {slot.name} ({why})"
                        return _Done(BlockResult("failed", kernel=slot.name), fallback=why)
                    if why is not None:
                        note = "; ".join(filter(None, [note, f"its library configuration could not be applied ({why})"]))
        except (RequestError, RequestTimeout) as e:
            if self._stop is not None or (isinstance(e, RequestError) and e.ename == "KeyboardInterrupt"):
                return _Done(BlockResult("cancelled", error=self._stop or self.stop_reason, kernel=slot.name, note=note))
            if not project:
                return _Done(BlockResult("failed", kernel=slot.name), fallback=f"loading its inputs on {slot.name} failed ({e})")
            error = f"loading its inputs failed: {e}"
            return _Done(BlockResult("failed", error=error, started_at=started, finished_at=utcnow(), kernel=slot.name, note=note))
        except KernelDied:
            if not project:
                return await self._worker_died(slot, BlockResult("failed", started_at=started, finished_at=utcnow(), note=note))
            error = "the kernel died while running this block"
            return _Done(BlockResult("failed", error=error, kernel_died=True, kernel=slot.name, note=note))
        result, trouble = await self._execute(b, slot, note)
        if project and self._state is not None and trouble is None:
            if self.effects[b].pin or _PROCESS_STATE.search(str(self.nb.cells[self.index[b]].get("source", ""))):
                await self._read_state()
        if project and self._config is not None and b in self._config.setters:
            if trouble is None:
                await self._snapshot_config(b)
            else:  # interrupted or dead: what it set is unknown (settle() stands in the previous snapshot)
                self._config.applied(slot.key, None)
        if trouble == "died" and not project:
            return await self._worker_died(slot, result)
        if result.execution_count is not None:
            self._next_count[slot.key] = result.execution_count + 1
        if trouble == "timeout" and not project and not await self._responsive(slot):
            await self.pool.replace(slot)
            return _Done(result, replaced=True)
        if result.status != "succeeded":
            return _Done(result)
        return await self._after(b, slot, result, deletes)

    def _settle(self, b: str) -> None:
        if self._config is not None:
            self._config.settle(b)

    async def _execute(self, b: str, slot: KernelSlot, note: str | None) -> tuple[BlockResult, str | None]:
        """Execute cell ``b`` on ``slot`` with nbclient; returns the result and
        ``"died"``, ``"timeout"`` or None."""
        idx = self.index[b]
        cell = self.nb.cells[idx]
        client = self._client_for(slot)
        started = utcnow()
        status, error, trouble = "succeeded", None, None
        task = asyncio.ensure_future(client.async_execute_cell(cell, idx))
        died_wait = asyncio.ensure_future(slot.died.wait())
        try:
            await asyncio.wait({task, died_wait}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                task.cancel()
                status, error, trouble = "failed", "the kernel died or was restarted while running this block", "died"
            else:
                task.result()
        except CellTimeoutError:
            await slot.interrupt()
            status, error, trouble = "failed", f"timed out after {self.timeout:g} s", "timeout"
        except CellExecutionError as e:
            if self._stop is not None or (self.cancel_requested.is_set() and e.ename == "KeyboardInterrupt"):
                status, error = "cancelled", self._stop or self.stop_reason
            else:
                status, error = "failed", f"{e.ename}: {e.evalue}"
        except (DeadKernelError, asyncio.CancelledError):
            status, error, trouble = "failed", "the kernel died while running this block", "died"
        finally:
            died_wait.cancel()
        result = cell_result(cell, status, error, started, kernel_died=trouble == "died" and slot is self._project,
                             kernel=slot.name, note=note)
        return result, trouble

    async def _worker_died(self, slot: KernelSlot, result: BlockResult) -> _Done:
        """Fail the block of a worker that died and replace the worker."""
        name = slot.name
        await self.pool.replace(slot)
        result.status, result.kernel_died, result.kernel = "failed", False, name
        result.error = f"the worker kernel {name} died while running this block (it has been replaced)"
        return _Done(result, replaced=True)

    async def _responsive(self, slot: KernelSlot) -> bool:
        try:
            await slot.request("pass", result=False, timeout=10)
            return True
        except Exception:  # noqa: BLE001
            return False
