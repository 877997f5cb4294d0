"""The persistent kernel of each project: started on first use in the notebook's
directory through the server's kernel manager, kept between runs, with one reusable
client per kernel."""

from __future__ import annotations

import asyncio
import logging
import posixpath
from typing import Any

from jupyter_core.utils import ensure_async

from .engine import new_client, utcnow
from .staleness import KernelStates
from .storage import Project


class ActivityPause:
    """jupyter_server's activity watcher paused on kernel ``kernel_id`` while a run
    executes there, the run keeping what it records itself, once per block.

    The watcher decodes every iopub message of the kernel on the server's event loop
    (about five per block) only to keep the kernel's ``execution_state`` and
    ``last_activity`` (``/api/kernels``, the idle culler). Paused, the kernel is
    ``busy``; :meth:`touch` (at every block end) sets its last activity; :meth:`resume`
    watches again (``idle``). Kernels not watched (a gateway's) or in the middle of a
    restart are left alone."""

    def __init__(self, kernel_manager: Any, kernel_id: str) -> None:
        self.kernel_manager = kernel_manager
        self.kernel_id = kernel_id
        self.kernel: Any = None
        kernel = kernel_manager.get_kernel(kernel_id) if kernel_id in kernel_manager else None
        if (kernel is None or not hasattr(kernel_manager, "start_watching_activity")
                or getattr(kernel, "_activity_stream", None) is None
                or getattr(kernel, "_pending_restart_cleanup", None) is not None):
            return
        kernel_manager.stop_watching_activity(kernel_id)
        self.kernel = kernel
        kernel.execution_state = "busy"
        self.touch()

    def touch(self) -> None:
        """Record activity on the kernel now."""
        if self.kernel is not None:
            self.kernel.last_activity = self.kernel_manager.last_kernel_activity = utcnow()

    def resume(self) -> None:
        """Watch the kernel again (if it is still the same kernel); idempotent."""
        kernel, self.kernel = self.kernel, None
        if kernel is None or self.kernel_id not in self.kernel_manager:
            return
        if self.kernel_manager.get_kernel(self.kernel_id) is not kernel or getattr(kernel, "_activity_stream", None):
            return  # replaced, or watched again by a restart
        self.kernel_manager.start_watching_activity(self.kernel_id)
        kernel.execution_state = "idle"


class ProjectKernels:
    """One persistent kernel per project, started on first use in the notebook's
    directory and kept between runs (variables survive, as in a notebook)."""

    def __init__(self, kernel_manager: Any, log: logging.Logger, states: KernelStates) -> None:
        self.kernel_manager = kernel_manager
        self.log = log
        self.states = states
        self._ids: dict[str, str] = {}
        self._clients: dict[str, Any] = {}

    def current(self, project_id: str) -> str | None:
        """The project's kernel id if one was started (alive or not)."""
        return self._ids.get(project_id)

    async def alive(self, kernel_id: str) -> bool:
        if kernel_id not in self.kernel_manager:
            return False
        return bool(await ensure_async(self.kernel_manager.get_kernel(kernel_id).is_alive()))

    async def get(self, project: Project, kernel_name: str | None) -> str:
        """The project's kernel id, starting a kernel when there is none or it died."""
        kid = self._ids.get(project.id)
        if kid is not None and await self.alive(kid):
            return kid
        if kid is not None:
            await self.discard(project.id)
        path = posixpath.dirname(project.notebook_path)
        kwargs: dict[str, Any] = {"path": path}
        name = project.kernel_name or kernel_name
        if name and name in (await ensure_async(self.kernel_manager.kernel_spec_manager.get_all_specs())):
            kwargs["kernel_name"] = name
        kid = await ensure_async(self.kernel_manager.start_kernel(**kwargs))
        self.log.info("notebook_dag: started kernel %s for project %s", kid, project.id)
        self._ids[project.id] = kid
        self.watch(kid)
        return kid

    def watch(self, kernel_id: str) -> None:
        """Forget what ``kernel_id`` holds whenever it restarts or dies."""

        def forget() -> None:
            self.states.forget(kernel_id)

        for event in ("restart", "dead"):
            self.kernel_manager.add_restart_callback(kernel_id, forget, event)

    async def client(self, kernel_id: str) -> Any:
        """A ready kernel client for ``kernel_id``, kept between runs.
        Raises ``asyncio.TimeoutError`` when the kernel is not ready within 120 s."""
        kc = self._clients.get(kernel_id)
        if kc is None:
            kc = new_client(self.kernel_manager.get_kernel(kernel_id))
            await ensure_async(kc.start_channels())  # a coroutine for gateway kernel clients
            try:
                await asyncio.wait_for(ensure_async(kc.wait_for_ready(timeout=120)), 130)
            except BaseException:
                kc.stop_channels()
                raise
            self._clients[kernel_id] = kc
        return kc

    def sessions(self) -> set[str]:
        """Session ids of the kernel clients runs use (their messages are the runs')."""
        return {kc.session.session for kc in self._clients.values() if getattr(kc, "session", None) is not None}

    async def restart(self, kernel_id: str) -> None:
        """Restart the kernel (it then holds nothing) and wait until it is ready again.
        Raises ``asyncio.TimeoutError`` when it is not ready within 120 s."""
        await ensure_async(self.kernel_manager.restart_kernel(kernel_id))
        self.states.forget(kernel_id)
        self.drop_client(kernel_id)  # a fresh handshake with the new process
        await self.client(kernel_id)

    async def execute_silently(self, kernel_id: str, code: str, timeout: float = 30) -> bool:
        """Execute ``code`` in the kernel without outputs or history (``silent``);
        returns whether it ran without error. Never raises."""
        try:
            kc = await self.client(kernel_id)
            msg_id = kc.execute(code, silent=True, store_history=False)
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                left = deadline - asyncio.get_running_loop().time()
                reply = await asyncio.wait_for(ensure_async(kc.get_shell_msg(timeout=max(left, 0.1))), max(left, 0.1) + 5)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    return reply.get("content", {}).get("status") == "ok"
        except Exception as e:  # noqa: BLE001 - the run goes on; its blocks then say what they saw
            self.log.warning("notebook_dag: silent execution in kernel %s failed: %s", kernel_id, e)
            return False

    def drop_client(self, kernel_id: str) -> None:
        kc = self._clients.pop(kernel_id, None)
        if kc is not None:
            kc.stop_channels()

    async def discard(self, project_id: str) -> None:
        """Forget (and shut down, if still there) the project's kernel."""
        kid = self._ids.pop(project_id, None)
        if kid is not None:
            self.drop_client(kid)
            self.states.forget(kid)
        if kid is not None and kid in self.kernel_manager:
            try:
                await ensure_async(self.kernel_manager.shutdown_kernel(kid, now=True))
            except Exception as e:  # noqa: BLE001 - already gone
                self.log.debug("notebook_dag: shutting down kernel %s: %s", kid, e)


    async def discard_all(self) -> None:
        for project_id in list(self._ids):
            await self.discard(project_id)
        for kernel_id in list(self._clients):
            self.drop_client(kernel_id)
