"""The handover side of :class:`~notebook_dag.parallel.engine.ParallelEngine`: what a
run does so that values, process state and library configuration reach the kernel
that needs them (see ``docs/parallel.md``, "Handover of values").

:class:`ValueExchange` is a mixin of the engine (it uses the engine's run state:
``_project``, ``_store``, ``values``, ``effects``, ``pool``...): the remote store's set-up
on every kernel of the run, the project kernel's process state and configuration
snapshots, the prelude (values from before the run), exports after a block and the
bring-back of every value to the project kernel at the end. :class:`RunStats` is what
a run measured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine import BlockResult
from .config import take_snapshot
from .effects import initial_needs
from .handover import HandoverError, HandoverStore
from .kernels import KernelDied, KernelSlot, RequestError, RequestTimeout
from .values import Version


@dataclass
class _Done:
    """What a job hands back to the scheduler."""

    result: BlockResult
    fallback: str | None = None  # rerun in the project kernel, because ...
    replaced: bool = False  # the worker was replaced (do not release it)


@dataclass
class RunStats:
    """Figures of the last run: blocks per kernel, handover traffic and time (seconds
    spent in kernels pickling/unpickling), fallbacks."""

    blocks: dict[str, int] = field(default_factory=dict)
    exports: int = 0
    export_bytes: int = 0
    export_seconds: float = 0.0
    loads: int = 0
    load_seconds: float = 0.0
    fallbacks: list[str] = field(default_factory=list)
    store_problems: dict[str, str] = field(default_factory=dict)  # kernel name -> why it cannot use the store
    not_brought_back: list[str] = field(default_factory=list)
    config_snapshots: int = 0  # library configuration snapshots taken / applied
    config_applies: int = 0


class ValueExchange:
    """Handover steps of a parallel run (mixed into the engine)."""

    async def _open(self, store: HandoverStore) -> None:
        try:
            await store.open()
        except HandoverError as e:
            self._store_error = str(e)

    async def _read_state(self) -> None:
        """Read the project kernel's process state (cwd, environment, ``sys.path``);
        workers take it over before their next block when it changed. Warning filters
        travel with the library configuration (see :mod:`.config`) instead."""
        try:
            state = await self._project.call("process_state", timeout=self._handover_timeout())
        except (RequestError, RequestTimeout, KernelDied):
            return
        state.pop("filters", None)
        if state != self._state:
            self._state = state
            self._state_version += 1

    async def _snapshot_config(self, token: str) -> None:
        """Snapshot the project kernel's library configuration as ``token``."""
        path = self._store.path(f"{next(self._seq):05d}-config.pkl")
        await take_snapshot(self._project, self._config, token, path, self._handover_timeout())
        self.stats.config_snapshots += 1

    async def _use_store(self, store: HandoverStore) -> None:
        """Give every kernel of the run the remote store (and its credentials); workers
        that cannot reach it sit the run out; the project kernel failing, or all
        workers, makes every block run in the project kernel."""
        await self._opening
        if self._store_error is not None:
            self._degraded = f"the handover store cannot be used ({self._store_error})"
            return
        spec = store.kernel_spec()
        slots = [self._project, *self.pool.workers]

        async def one(slot: KernelSlot) -> str | None:
            try:
                res = await slot.call("use_store", spec, timeout=self._handover_timeout() or 60)
            except (RequestError, RequestTimeout, KernelDied) as e:
                return str(e) or type(e).__name__
            return "; ".join(res["problems"]) or None

        problems = await asyncio.gather(*(one(s) for s in slots))
        for slot, why in zip(slots, problems):
            if why is None:
                self._store_ok.add(slot.key)
            else:
                self.stats.store_problems[slot.name] = why
        if problems[0] is not None:
            self._degraded = f"the project kernel cannot reach the handover store ({problems[0]})"
        elif not any(self._usable(w) for w in self.pool.workers):
            self._degraded = f"no worker kernel can reach the handover store ({problems[1]})"

    def _usable(self, worker: KernelSlot) -> bool:
        """Whether ``worker`` can take blocks of this run (a remote store: it was set up
        there; a worker started during the run was not and sits the run out)."""
        return not self._store.remote or worker.key in self._store_ok

    def _workers_on(self) -> bool:
        return self._degraded is None and self.max_parallel > 1 and any(self._usable(w) for w in self.pool.workers)

    async def _prelude(self, plan: list[str]) -> None:
        """Export, before any block runs, the project's values that unpinned blocks
        may read (they are not produced in this run)."""
        if not self._workers_on():
            return
        names = sorted(initial_needs(plan, self.effects, self._ancestors))
        if names:
            try:
                await self._export(self._project, names, None, -1)
            except (RequestError, RequestTimeout, KernelDied):
                pass  # these values stay in the project kernel: their readers run there

    def _handover_timeout(self) -> float | None:
        return None if self.timeout is None else max(60.0, float(self.timeout))

    async def _after(self, b: str, slot: KernelSlot, result: BlockResult, cleared: list[str]) -> _Done:
        """Record (and export where useful) the values block ``b`` produced on ``slot``;
        a worker's value that cannot be pickled sends the block to the project kernel."""
        e = self.effects[b]
        pos = self._pos[b]
        project = slot is self._project
        if self._base is None:  # no handovers at all: everything stays in the project kernel
            for n in e.products | e.deletes:
                self.values.set(n, Version(b, pos, {slot.key}, absent=n in e.deletes))
            return _Done(result)
        # Values this kernel exported earlier that share an object with the products
        # (``est = pipe[-1]``; ``est.fit()``) changed with them: they travel with them.
        link = self.values.exported_by(slot.key, e.products | e.deletes)
        if project:
            wanted = self._wanted_elsewhere() if self._workers_on() else set()
            names = sorted(e.products & wanted)
            probe = sorted(set(cleared) & e.products - set(names))
        else:
            names, probe = sorted(e.products), []
        exported: dict[str, Any] = {"ok": [], "missing": [], "failed": {}, "absent": [], "linked": []}
        file = None
        if names or probe or (link and e.products):
            try:
                exported, file = await self._export(slot, names, b, pos, probe, link, sorted(e.products))
            except (RequestError, RequestTimeout, KernelDied) as err:
                if self._stop is not None:
                    return _Done(result)
                if not project:
                    return _Done(result, fallback=f"handing over its values from {slot.name} failed ({err})")
                exported["failed"] = dict.fromkeys(names, str(err))
        if not project and exported["failed"] and self._stop is None:
            n, why = sorted(exported["failed"].items())[0]
            return _Done(result, fallback=f"`{n}` cannot be handed over from {slot.name} ({why})")
        self.values.produced(b, pos, slot.key, e, exported, file, everything=project)
        return _Done(result)

    def _wanted_elsewhere(self) -> set[str]:
        """Names that blocks not started yet might read on a worker."""
        out: set[str] = set()
        for b in self._pending:
            e = self.effects[b]
            if e.pin is None and b not in self._forced:
                out |= e.needs
        return out

    async def _export(
        self,
        slot: KernelSlot,
        names: list[str],
        block: str | None,
        pos: int,
        probe: Sequence[str] = (),
        link: Sequence[str] = (),
        link_from: Sequence[str] | None = None,
    ) -> tuple[dict[str, Any], str]:
        """Export ``names`` from ``slot`` (see ``kernel_side.export``) into a new file."""
        path = self._store.path(f"{next(self._seq):05d}-{slot.name}.pkl")
        res = await slot.call("export", names, path, list(probe), list(link), link_from, timeout=self._handover_timeout())
        path = res.get("path") or path  # a remote store names the object after its content
        self.stats.exports += 1
        self.stats.export_bytes += res["bytes"]
        self.stats.export_seconds += res["seconds"]
        if block is None:  # the prelude: values from before the run
            self.values.record_prelude(names, res, path)
        return res, path

    async def _bring_back(self) -> str | None:
        """Load into the project kernel every current value it lacks and set its next
        execution count as a sequential run would; returns a problem or None."""
        project = self._project
        if self._base is None:
            return None
        files, deletes, self.stats.not_brought_back = self.values.missing_from(project.key)
        used = [c - 1 for k, c in self._next_count.items()]
        count = max([self._base - 1, *used]) + 1
        # the project kernel ends with the configuration of the plan's last setter
        config = self._config.to_apply(None, project.key) if self._config is not None else None
        try:
            res = await project.call("load", sorted([f, ns] for f, ns in files.items()), deletes, count, None,
                                     config and config[1])
        except (RequestError, RequestTimeout, KernelDied) as e:
            return f"the values computed on worker kernels could not be brought back to the project kernel: {e}"
        self.stats.config_applies += config is not None
        self.stats.load_seconds += res["seconds"]
        self.stats.loads += bool(files)
        if self.stats.not_brought_back:
            return "some values could not be brought back to the project kernel: " + ", ".join(self.stats.not_brought_back)
        return None
