"""The warm worker kernels of each project's parallel runs.

A project's :class:`~notebook_dag.parallel.WorkerPool` is made by its first parallel
run, grows to the largest ``max_parallel - 1`` asked for, is kept between runs (warm
kernels start nothing) and shut down after ``idle_timeout`` seconds without a parallel
run, when the project is deleted, or when the server stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from .parallel import WorkerPool


class ProjectWorkerPools:
    """``project id -> WorkerPool``, with their idle shutdowns.

    ``in_use(project_id)`` tells whether a run of the project is under way (an idle
    shutdown then leaves the pool alone)."""

    def __init__(self, kernel_manager: Any, in_use: Callable[[str], bool], log: logging.Logger) -> None:
        self.kernel_manager = kernel_manager
        self.in_use = in_use
        self.log = log
        self.pools: dict[str, WorkerPool] = {}
        self._idle_timers: dict[str, asyncio.TimerHandle] = {}

    def take(self, project_id: str, workers: int, path: str, kernel_name: str) -> WorkerPool:
        """The project's pool for a run using up to ``workers`` workers (made, or grown,
        on demand); its idle shutdown is disarmed until :meth:`release`."""
        idle = self._idle_timers.pop(project_id, None)
        if idle is not None:
            idle.cancel()
        pool = self.pools.get(project_id)
        if pool is None:
            pool = self.pools[project_id] = WorkerPool(self.kernel_manager, workers, path=path, kernel_name=kernel_name)
        pool.size = max(pool.size, workers)
        return pool

    def release(self, project_id: str, idle_timeout: float) -> None:
        """A parallel run of the project ended: shut its workers down after
        ``idle_timeout`` seconds (≤ 0: never) without another one (their memory is the
        user's); the next parallel run starts them again."""
        old = self._idle_timers.pop(project_id, None)
        if old is not None:
            old.cancel()
        if idle_timeout <= 0:
            return

        def fire() -> None:
            self._idle_timers.pop(project_id, None)
            if not self.in_use(project_id):  # a run that took the pool meanwhile keeps it
                asyncio.ensure_future(self.shutdown(project_id))

        self._idle_timers[project_id] = asyncio.get_running_loop().call_later(idle_timeout, fire)

    async def shutdown(self, project_id: str) -> None:
        """Shut the project's workers down now (never raises)."""
        timer = self._idle_timers.pop(project_id, None)
        if timer is not None:
            timer.cancel()
        pool = self.pools.pop(project_id, None)
        if pool is not None:
            try:
                await pool.shutdown()
            except Exception as e:  # noqa: BLE001 - the kernels may be gone already
                self.log.debug("notebook_dag: shutting down the workers of %s: %s", project_id, e)

    async def shutdown_all(self) -> None:
        for project_id in list(self.pools):
            await self.shutdown(project_id)
