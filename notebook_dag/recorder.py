"""A run's progress as it happens: events at once, database rows in batches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy import bindparam, update

from .engine import BlockResult, utcnow
from .events import RunEvents
from .staleness import KernelStates, Versions
from .storage import Database, RunBlock


class RecordingService(Protocol):
    """What a recorder uses of :class:`~notebook_dag.execution.RunService`."""

    db: Database
    events: RunEvents
    states: KernelStates


class RunRecorder:
    """Engine listener that emits progress as events at once and stores it in the
    database in the background, so database latency overlaps the kernel's work instead
    of adding to every block. Writes are batched: the changes of ``delay`` seconds
    (0.25) are merged per block and stored in one transaction, one ``executemany`` per
    set of columns, in order; a short run is thus stored in one transaction at its end.
    :meth:`flush` stores what is left, with the run's own final update in the same
    transaction, before the run's end is announced. Live progress is in the events;
    ``GET /runs/{id}`` lags it by at most ``delay`` while the run goes on."""

    def __init__(self, service: RecordingService, run_id: str, project_id: str, kernel_id: str, v: Versions,
                 notes: dict[str, str] | None = None, delay: float = 0.25,
                 on_block: Callable[[], None] | None = None) -> None:
        self.service = service
        self.run_id = run_id
        self.project_id = project_id
        self.kernel_id = kernel_id
        self.v = v
        self.notes = notes or {}
        self.delay = delay
        #: called at every block end (the kernel's activity, see ActivityPause)
        self.on_block = on_block
        self._pending: dict[str, dict[str, Any]] = {}
        #: block id -> (started, finished) of each block executed (artifacts are given to them)
        self.intervals: dict[str, tuple[Any, Any]] = {}
        self._writer: asyncio.Task[None] | None = None
        self._now = asyncio.Event()
        self._closing = False

    def _write(self, block_id: str, **values: Any) -> None:
        self._pending.setdefault(block_id, {}).update(values)
        if not self._closing and (self._writer is None or self._writer.done()):
            self._writer = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while self._pending and not self._closing:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._now.wait(), self.delay)
            if self._closing:  # flush() stores the rest
                return
            batch, self._pending = self._pending, {}
            async with self.service.db.session() as s:
                await self._store(s, batch)
            self.service.db.changes.touch(self.project_id)  # the block rows the DAG view shows

    async def _store(self, s: Any, batch: dict[str, dict[str, Any]]) -> None:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for block_id, values in batch.items():
            groups.setdefault(tuple(sorted(values)), []).append({"_block": block_id, **values})
        table = RunBlock.__table__
        for columns, rows in groups.items():
            stmt = (
                update(table)
                .where(table.c.run_id == self.run_id, table.c.block_id == bindparam("_block"))
                .values({c: bindparam(c) for c in columns})
            )
            await s.execute(stmt, rows)

    async def flush(self, then: Callable[[Any], Awaitable[None]] | None = None) -> None:
        """Store everything written so far, and run ``then(session)`` (if given) in the
        same transaction. Call it once, after the engine's last report."""
        self._closing = True
        self._now.set()
        if self._writer is not None and not self._writer.done():
            await self._writer  # a batch being stored; a waiting writer returns at once
        batch, self._pending = self._pending, {}
        if batch or then is not None:
            async with self.service.db.session() as s:
                await self._store(s, batch)
                if then is not None:
                    await then(s)
            self.service.db.changes.touch(self.project_id)

    async def block_started(self, block_id: str) -> None:
        self._write(block_id, status="running", started_at=utcnow())
        self.service.events.emit(self.run_id, self.project_id, "running", block_id)

    async def block_finished(self, block_id: str, result: BlockResult) -> None:
        if self.on_block is not None:
            self.on_block()
        note = "; ".join(n for n in (self.notes.get(block_id), result.note) if n) or None
        if result.started_at is not None:  # it was executed (not skipped) in the kernel
            self.intervals[block_id] = (result.started_at, result.finished_at or utcnow())
            state = self.service.states.of(self.kernel_id)
            faithful = state.executed(block_id, self.v, result.status == "succeeded")
            if result.status == "succeeded" and not faithful:
                names = ", ".join(state.last_diverging) or "its inputs"
                note = "; ".join(x for x in (note, f"may differ from a fresh run: {names} held a later cell's value") if x)
        self._write(
            block_id,
            kernel=result.kernel,
            note=note,
            status=result.status,
            fingerprint=self.v.fp.get(block_id),
            outputs=result.outputs,
            execution_count=result.execution_count,
            error=result.error,
            started_at=result.started_at,
            finished_at=result.finished_at or utcnow(),
        )
        self.service.events.emit(
            self.run_id, self.project_id, result.status, block_id, result.error, result.execution_count
        )
