"""Executions notebook_dag did not make: the user running a cell in the notebook, or
code typed in a console, on a kernel that runs also use (the notebook's session kernel).

Block states in a kernel (:class:`notebook_dag.staleness.KernelState`) are only true if
every execution in that kernel is recorded. Runs record their own; this module records
the others by listening to the kernel's IOPub channel, where every client's execution is
announced (``execute_input`` with the code, ``error`` when it raised, ``status: idle``
when it ended; Jupyter messaging protocol 5.3, "IOPub"). Executions from notebook_dag's
own kernel clients are recognised by their session id and skipped; ``silent`` ones are
never announced by the kernel.

An ended foreign execution is recorded as follows:

- its code is a code block's source (the user ran the cell in the notebook): it is an
  execution of that block, faithful or not by the same rule as a run's
  (:meth:`KernelState.executed`), so running the notebook by hand leaves its cells
  ``up_to_date`` exactly when a fresh top-to-bottom run would give the same results;
- any other code: every name it binds, mutates or touches (inferred in the context of
  the notebook's cells, so ``np.random`` resolves as in the notebook) gets a value no
  top-to-bottom run gives, so the blocks reading them become stale;
- code whose effects cannot be known (it does not parse, ``from m import *``, ``%run``):
  no block is up to date any more in that kernel, and every name it held is diverged.

Kernels behind a gateway have no local IOPub socket to listen to; they are not watched
(their states then only reflect runs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .inference import DependencyIndex
from .staleness import KernelStates, Versions, normalize_source, writes_of

#: id of the stand-in cell the foreign code is analysed as
_FOREIGN = "__notebook_dag_foreign__"


@dataclass
class _Pending:
    code: str
    failed: bool = False


@dataclass
class _Watch:
    stream: Any
    project_id: str
    session: Any
    pending: dict[str, _Pending] = field(default_factory=dict)


#: (project id) -> (versions of the project's blocks now, {cell id: source of each code cell},
#: [(cell id, source)] of the notebook's code cells in order); None when the project is gone
Resolver = Callable[[str], Awaitable[tuple[Versions, dict[str, str], list[tuple[str, str]]] | None]]


def foreign_writes(cells: list[tuple[str, str]], code: str) -> tuple[list[str], dict[str, str]] | None:
    """Names ``code`` binds, mutates or touches when executed after the notebook's code
    ``cells`` (``[(cell id, source)]``), hidden-state tags resolved with the notebook's
    imports, and ``{name: dotted module path}`` of the names it binds by ``import``;
    None when its effects cannot be known (parse error, star import, ``%run``).
    O(size of the notebook) (one :class:`DependencyIndex` build)."""
    index = DependencyIndex([*cells, (_FOREIGN, code)])
    analysis = index.analysis(_FOREIGN)
    if analysis.parse_error is not None or analysis.star_import:
        return None
    return sorted(writes_of(index.effects(_FOREIGN))), dict(analysis.module_bindings)


class ForeignExecutions:
    """Watches kernels used by runs for executions from other clients and records them
    in ``states`` (see the module docstring).

    ``own_sessions()`` gives the session ids of notebook_dag's own clients;
    ``resolve(project_id)`` the project's current versions (see :data:`Resolver`);
    ``changed(project_id, kernel_id, change, block_id)`` is told of each record
    (``change`` as :meth:`record` returns it, ``block_id`` for a block).
    """

    def __init__(self, kernel_manager: Any, states: KernelStates, resolve: Resolver,
                 own_sessions: Callable[[], set[str]], log: logging.Logger,
                 changed: Callable[[str, str, str, str], None] | None = None) -> None:
        self.kernel_manager = kernel_manager
        self.states = states
        self.resolve = resolve
        self.own_sessions = own_sessions
        self.log = log
        self.changed = changed
        self._watches: dict[str, _Watch] = {}
        self._queue: asyncio.Queue[tuple[str, str, _Pending]] | None = None
        self._worker: asyncio.Task[None] | None = None
        #: ended foreign executions recorded so far (for tests and logs)
        self.recorded = 0
        #: seconds to wait for the notebook's latest text when code matches no block
        self.edit_grace = 1.0

    def watch(self, kernel_id: str, project_id: str) -> bool:
        """Listen to ``kernel_id``'s IOPub and record foreign executions against
        ``project_id``'s blocks (the last project named wins for a kernel). Returns
        whether the kernel is watched (False for a gateway kernel or a missing one)."""
        self._prune()
        w = self._watches.get(kernel_id)
        if w is not None:
            w.project_id = project_id
            return True
        if kernel_id not in self.kernel_manager:
            return False
        km = self.kernel_manager.get_kernel(kernel_id)
        connect = getattr(km, "connect_iopub", None)
        session = getattr(km, "session", None)
        if connect is None or session is None or not hasattr(session, "feed_identities"):
            return False
        try:
            from zmq.eventloop.zmqstream import ZMQStream

            sock = connect()  # jupyter_server's kernel managers hand a ZMQStream already
            stream = sock if isinstance(sock, ZMQStream) else ZMQStream(sock)
        except Exception as e:  # noqa: BLE001 - a kernel without local channels (gateway)
            self.log.debug("notebook_dag: cannot watch kernel %s: %s", kernel_id, e)
            return False
        w = _Watch(stream, project_id, session)
        stream.on_recv(lambda parts: self._on_message(kernel_id, w, parts))
        self._watches[kernel_id] = w
        return True

    def stop(self, kernel_id: str) -> None:
        w = self._watches.pop(kernel_id, None)
        if w is not None:
            w.stream.close()

    def stop_all(self) -> None:
        for kid in list(self._watches):
            self.stop(kid)
        if self._worker is not None:
            self._worker.cancel()

    def _prune(self) -> None:
        for kid in [k for k in self._watches if k not in self.kernel_manager]:
            self.stop(kid)

    def _on_message(self, kernel_id: str, w: _Watch, parts: list[bytes]) -> None:
        try:
            _, fed = w.session.feed_identities(parts, copy=True)
            msg = w.session.deserialize(fed, content=False, copy=True)
        except Exception as e:  # noqa: BLE001 - a malformed message changes nothing
            self.log.debug("notebook_dag: unreadable iopub message of kernel %s: %s", kernel_id, e)
            return
        kind = msg["header"].get("msg_type")
        if kind not in ("execute_input", "error", "status"):
            return
        parent = msg.get("parent_header") or {}
        msg_id = parent.get("msg_id")
        if not msg_id:
            return
        if kind == "execute_input":
            if parent.get("session") in self.own_sessions():
                return
            content = w.session.unpack(msg["content"])
            w.pending[msg_id] = _Pending(str(content.get("code", "")))
            return
        pending = w.pending.get(msg_id)
        if pending is None:
            return
        if kind == "error":
            pending.failed = True
            return
        if w.session.unpack(msg["content"]).get("execution_state") == "idle":
            del w.pending[msg_id]
            self._enqueue(kernel_id, w.project_id, pending)

    def _enqueue(self, kernel_id: str, project_id: str, pending: _Pending) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._drain())
        self._queue.put_nowait((kernel_id, project_id, pending))

    async def _drain(self) -> None:
        """Record ended executions one at a time, in the order they ended."""
        assert self._queue is not None
        while True:
            kernel_id, project_id, pending = await self._queue.get()
            try:
                taken = await self.record(kernel_id, project_id, pending.code, not pending.failed)
                if taken != "gone" and self.changed is not None:
                    kind, _, block_id = taken.partition(":")
                    self.changed(project_id, kernel_id, kind, block_id)
            except Exception:  # noqa: BLE001 - one bad record must not stop the others
                self.log.exception("notebook_dag: recording an execution in kernel %s failed", kernel_id)

    async def record(self, kernel_id: str, project_id: str, code: str, succeeded: bool) -> str:
        """Record one ended execution of ``code`` in ``kernel_id``; returns what it was
        taken for: ``"block:<cell id>"``, ``"names"`` or ``"unknown"`` (``"gone"`` when
        the project no longer exists)."""
        wanted = normalize_source(code)
        for attempt in range(2):
            resolved = await self.resolve(project_id)
            if resolved is None:
                return "gone"
            v, sources, cells = resolved
            match = next((b for b in v.order if wanted and normalize_source(sources.get(b, "")) == wanted), None)
            if match is not None or attempt:
                break
            # a cell edited and run at once: the editor's copy of the notebook (sent
            # after a pause in typing) may reach the server just after the execution
            await asyncio.sleep(self.edit_grace)
        state = self.states.of(kernel_id)
        self.recorded += 1
        if match is not None:
            state.executed(match, v, succeeded)
            return f"block:{match}"
        found = await asyncio.to_thread(foreign_writes, cells, code)
        if found is None:
            state.diverge_all()
            return "unknown"
        writes, modules = found
        # ``import numpy as np`` again binds the very module every block's import binds
        same = {n: v.constant[n] for n in writes
                if n in modules and v.constant.get(n, "").partition("@")[0] == f"module:{modules[n]}"}
        state.diverge([n for n in writes if n not in same], same)
        return "names"
