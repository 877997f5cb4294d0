"""Kernels of a parallel run: silent requests, the warm :class:`WorkerPool`, and
:class:`LocalKernels`, a jupyter_server-like kernel manager over jupyter_client for
tests and the command line."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import itertools
import json
import logging
import queue
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async

log = logging.getLogger(__name__)

HELPER = "_notebook_dag_handover"
_HELPER_SOURCE = (Path(__file__).with_name("kernel_side.py")).read_text()
_INSTALL_INNER = (
    f"import sys, types\nm = types.ModuleType({HELPER!r})\n"
    "exec(compile(src, '<notebook_dag handover>', 'exec'), m.__dict__)\nsys.modules[m.__name__] = m"
)
_INSTALL = f"exec({_INSTALL_INNER!r}, {{'src': {_HELPER_SOURCE!r}}})"


class KernelDied(Exception):
    """The kernel died (or was restarted) while serving a request."""


class RequestTimeout(Exception):
    """A silent request did not finish in time."""


class RequestError(Exception):
    """A silent request raised in the kernel: ``ename`` and ``evalue`` as sent."""

    def __init__(self, ename: str, evalue: str) -> None:
        super().__init__(f"{ename}: {evalue}")
        self.ename = ename
        self.evalue = evalue


@dataclass(eq=False)
class KernelSlot:
    """One kernel a run executes on: ``name`` is ``"project"`` or ``"worker-N"``;
    ``key`` changes whenever the kernel's state is lost (replacement or restart);
    ``handle`` is its per-kernel manager; ``client`` a ready kernel client; ``died`` is
    set by restart callbacks when the kernel manager reports its death."""

    name: str
    kernel_id: str
    handle: Any
    client: Any
    died: asyncio.Event = field(default_factory=asyncio.Event)
    generation: int = 0
    busy: bool = False

    @property
    def key(self) -> str:
        """Identifies the kernel's current state (kernel id and generation)."""
        return f"{self.kernel_id}:{self.generation}"

    async def interrupt(self) -> None:
        """Interrupt the kernel (ignored when it is gone)."""
        try:
            await ensure_async(self.handle.interrupt_kernel())
        except Exception:  # noqa: BLE001 - a dead kernel cannot be interrupted
            pass

    async def alive(self) -> bool:
        """Whether the kernel process runs and no death was reported."""
        try:
            return bool(await ensure_async(self.handle.is_alive())) and not self.died.is_set()
        except Exception:  # noqa: BLE001
            return False

    async def request(self, code: str, result: bool = True, timeout: float | None = None) -> Any:
        """Execute ``code`` silently (no outputs, history or execution count) and return
        the helper's ``LAST`` JSON, decoded (None when ``result`` is False).

        Raises :class:`RequestError` when the code raises (``KeyboardInterrupt`` after
        an interrupt), :class:`RequestTimeout` after ``timeout`` seconds (the kernel is
        then interrupted) and :class:`KernelDied` when the kernel dies meanwhile."""
        expressions = {"r": f"__import__({HELPER!r}).LAST"} if result else {}
        msg_id = self.client.execute(
            code, silent=True, store_history=False, user_expressions=expressions, allow_stdin=False, stop_on_error=False
        )
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                msg = await ensure_async(self.client.shell_channel.get_msg(timeout=0.5))
            except queue.Empty:
                if not await self.alive():
                    raise KernelDied(f"{self.name} died") from None
                if deadline is not None and time.monotonic() > deadline:
                    await self.interrupt()
                    raise RequestTimeout(f"{self.name} did not answer within {timeout:g} s") from None
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            content = msg["content"]
            if content.get("status") != "ok":
                raise RequestError(content.get("ename", "error"), content.get("evalue", content.get("status", "")))
            if not result:
                return None
            value = content.get("user_expressions", {}).get("r", {})
            if value.get("status") != "ok":
                raise RequestError(value.get("ename", "error"), value.get("evalue", ""))
            return json.loads(ast.literal_eval(value["data"]["text/plain"]))

    async def call(self, function: str, *args: Any, timeout: float | None = None) -> Any:
        """Call ``function`` of the kernel-side helper with JSON-able ``args``."""
        code = f"__import__({HELPER!r}).{function}(*__import__('json').loads({json.dumps(list(args))!r}))"
        return await self.request(code, timeout=timeout)

    async def install(self, directory: str, worker: bool, timeout: float | None = 60) -> dict[str, Any]:
        """Install the helper module and run its ``init``; returns ``{"count", "pid",
        "problems", "python"}`` (``count``: the next execution count)."""
        await self.request(_INSTALL, result=False, timeout=timeout)
        return await self.call("init", directory, worker, timeout=timeout)


async def ready_client(handle: Any, timeout: float = 120) -> Any:
    """A started client of ``handle`` (with a Session of its own, see
    :func:`notebook_dag.engine.new_client`) whose kernel answered ``kernel_info``.
    Raises ``asyncio.TimeoutError`` (channels stopped) when it does not."""
    from ..engine import new_client

    kc = new_client(handle)
    await ensure_async(kc.start_channels())
    try:
        await asyncio.wait_for(ensure_async(kc.wait_for_ready(timeout=timeout)), timeout + 10)
    except BaseException:
        kc.stop_channels()
        raise
    return kc


class WorkerPool:
    """Warm worker kernels for parallel runs of one notebook.

    ``kernel_manager`` is jupyter_server's ``MappingKernelManager`` (or
    :class:`LocalKernels`); ``size`` workers are started in ``path`` (the notebook's
    directory: an API path for jupyter_server, a directory for :class:`LocalKernels`)
    with ``kernel_name``. Lifecycle: :meth:`start` once (kernel start paid once; later
    calls replace dead workers), then one :meth:`session` per run, during which
    :meth:`try_acquire` / :meth:`acquire` / :meth:`release` hand out idle workers; the
    session's end empties the workers' namespaces. :meth:`shutdown` stops them all.
    A worker whose kernel dies is replaced by :meth:`replace`.
    """

    def __init__(
        self, kernel_manager: Any, size: int, path: str | None = None, kernel_name: str | None = None, startup_timeout: float = 120
    ) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self.kernel_manager = kernel_manager
        self.size = size
        self.path = path
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.workers: list[KernelSlot] = []
        self._idle: list[KernelSlot] = []
        self._changed = asyncio.Condition()
        self._session = asyncio.Lock()
        self._start_lock = asyncio.Lock()
        self._numbers = itertools.count(1)
        self._callbacks: dict[str, Any] = {}
        self._cleanup: asyncio.Future[Any] | None = None

    async def start(self) -> None:
        """Start (concurrently) the workers that are missing or dead; returns when all
        are ready. Raises when a kernel cannot be started."""
        async with self._start_lock:
            for w in list(self.workers):
                if not await w.alive():
                    await self._discard(w)
            missing = self.size - len(self.workers)
            started = await asyncio.gather(*(self._start_one() for _ in range(missing)), return_exceptions=True)
            errors = [e for e in started if isinstance(e, BaseException)]
            for w in started:
                if isinstance(w, KernelSlot):
                    self.workers.append(w)
                    self._idle.append(w)
            if errors:
                raise errors[0]

    async def _start_one(self) -> KernelSlot:
        kwargs: dict[str, Any] = {}
        if self.path is not None:
            kwargs["path"] = self.path
        if self.kernel_name:
            kwargs["kernel_name"] = self.kernel_name
        kid = await ensure_async(self.kernel_manager.start_kernel(**kwargs))
        try:
            handle = self.kernel_manager.get_kernel(kid)
            kc = await ready_client(handle, self.startup_timeout)
            slot = KernelSlot(f"worker-{next(self._numbers)}", kid, handle, kc)
            info = await slot.install("", worker=True)
            if info["problems"]:
                raise RuntimeError("; ".join(info["problems"]))
        except BaseException:
            with contextlib.suppress(Exception):
                await ensure_async(self.kernel_manager.shutdown_kernel(kid, now=True))
            raise
        self._watch(slot)
        log.info("notebook_dag: worker %s started (kernel %s, pid %s)", slot.name, kid, info["pid"])
        return slot

    def _watch(self, slot: KernelSlot) -> None:
        add = getattr(self.kernel_manager, "add_restart_callback", None)
        if add is None:
            return

        def lost() -> None:
            slot.died.set()

        self._callbacks[slot.kernel_id] = lost
        for event in ("restart", "dead"):
            with contextlib.suppress(Exception):
                add(slot.kernel_id, lost, event)

    async def _discard(self, slot: KernelSlot) -> None:
        if slot in self.workers:
            self.workers.remove(slot)
        if slot in self._idle:
            self._idle.remove(slot)
        cb = self._callbacks.pop(slot.kernel_id, None)
        remove = getattr(self.kernel_manager, "remove_restart_callback", None)
        if cb is not None and remove is not None:
            for event in ("restart", "dead"):
                with contextlib.suppress(Exception):
                    remove(slot.kernel_id, cb, event)
        with contextlib.suppress(Exception):
            slot.client.stop_channels()
        with contextlib.suppress(Exception):
            await ensure_async(self.kernel_manager.shutdown_kernel(slot.kernel_id, now=True))

    async def replace(self, slot: KernelSlot) -> KernelSlot | None:
        """Shut ``slot`` down and start a new worker in its place (returned idle and
        not acquired); None when the new kernel does not start."""
        await self._discard(slot)
        try:
            new = await self._start_one()
        except Exception as e:  # noqa: BLE001 - the pool just runs with one worker less
            log.warning("notebook_dag: could not replace worker %s: %s", slot.name, e)
            return None
        self.workers.append(new)
        await self.release(new)
        return new

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[WorkerPool]:
        """Exclusive use of the pool for one run. Afterwards every worker's namespace is
        emptied (a worker that does not answer is replaced) in the background: the
        next session waits for it, the run that ends does not."""
        async with self._session:
            if self._cleanup is not None:
                await self._cleanup
                self._cleanup = None
            try:
                yield self
            finally:
                self._cleanup = asyncio.ensure_future(
                    asyncio.gather(*(self._reset(w) for w in list(self.workers)), return_exceptions=True)
                )

    async def _reset(self, slot: KernelSlot) -> None:
        try:
            await slot.call("reset", timeout=30)
        except Exception:  # noqa: BLE001 - interrupted, dead or stuck: start afresh
            await self.replace(slot)

    def idle(self) -> list[KernelSlot]:
        """The idle workers (not acquired)."""
        return list(self._idle)

    def try_acquire(self, prefer: Iterable[str] = ()) -> KernelSlot | None:
        """An idle worker, the first whose ``key`` is in ``prefer`` if any; None when all
        are busy."""
        if not self._idle:
            return None
        keys = list(prefer)
        for k in keys:
            for w in self._idle:
                if w.key == k:
                    self._idle.remove(w)
                    w.busy = True
                    return w
        w = self._idle.pop(0)
        w.busy = True
        return w

    async def acquire(self, prefer: Iterable[str] = ()) -> KernelSlot:
        """Wait for an idle worker (see :meth:`try_acquire`)."""
        prefer = list(prefer)
        async with self._changed:
            while True:
                w = self.try_acquire(prefer)
                if w is not None:
                    return w
                await self._changed.wait()

    async def release(self, slot: KernelSlot) -> None:
        """Give ``slot`` back to the pool."""
        slot.busy = False
        if slot in self.workers and slot not in self._idle:
            self._idle.append(slot)
        async with self._changed:
            self._changed.notify_all()

    async def shutdown(self) -> None:
        """Stop every worker kernel."""
        if self._cleanup is not None:
            await asyncio.gather(self._cleanup, return_exceptions=True)
            self._cleanup = None
        await asyncio.gather(*(self._discard(w) for w in list(self.workers)), return_exceptions=True)


class LocalKernels:
    """The subset of jupyter_server's ``MappingKernelManager`` that the parallel
    engine and :class:`WorkerPool` use, over jupyter_client's
    ``AsyncMultiKernelManager``; ``path`` is a directory (the kernel's cwd)."""

    def __init__(self, manager: Any | None = None) -> None:
        if manager is None:
            from jupyter_client.multikernelmanager import AsyncMultiKernelManager

            manager = AsyncMultiKernelManager()
        self.manager = manager

    async def start_kernel(self, path: str | None = None, kernel_name: str | None = None, **kwargs: Any) -> str:
        """Start a kernel with working directory ``path``; returns its id."""
        if path is not None:
            kwargs["cwd"] = str(path)
        return await ensure_async(self.manager.start_kernel(kernel_name=kernel_name, **kwargs))

    def get_kernel(self, kernel_id: str) -> Any:
        """The kernel's ``AsyncKernelManager``; ``KeyError`` when unknown."""
        return self.manager.get_kernel(kernel_id)

    def __contains__(self, kernel_id: str) -> bool:
        return kernel_id in self.manager

    async def interrupt_kernel(self, kernel_id: str) -> None:
        """Interrupt the kernel."""
        await ensure_async(self.manager.interrupt_kernel(kernel_id))

    async def shutdown_kernel(self, kernel_id: str, now: bool = False) -> None:
        """Stop the kernel (``now``: without asking it first)."""
        await ensure_async(self.manager.shutdown_kernel(kernel_id, now=now))

    async def shutdown_all(self) -> None:
        """Stop every kernel at once."""
        await ensure_async(self.manager.shutdown_all(now=True))

    def add_restart_callback(self, kernel_id: str, callback: Any, event: str = "restart") -> None:
        """Call ``callback`` on ``event`` (``restart``/``dead``; needs a restarter)."""
        self.manager.add_restart_callback(kernel_id, callback, event)

    def remove_restart_callback(self, kernel_id: str, callback: Any, event: str = "restart") -> None:
        """Undo :meth:`add_restart_callback`."""
        self.manager.remove_restart_callback(kernel_id, callback, event)
