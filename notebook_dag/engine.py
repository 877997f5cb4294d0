"""The execution engine: planned blocks run one after another on one Jupyter kernel.

Cells are executed by nbclient's ``NotebookClient.async_execute_cell`` on a kernel
client we hand it, so message handling (streams, ``clear_output``, display updates,
errors) is exactly nbclient's, the same as a top-to-bottom ``nbclient`` run of the
notebook. The engine knows nothing about HTTP, the database or events: it reports to a
:class:`RunListener`. The server's :class:`notebook_dag.execution.RunService` and the
``jupyter notebook-dag run`` command both drive it.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

import networkx as nx
from jupyter_core.utils import ensure_async
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .gateway import kernel_client
from .outputs import BoundedNotebookClient

#: Statuses after which a block is final.
FINAL_BLOCK_STATUSES = frozenset({"succeeded", "failed", "skipped", "cancelled"})


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class BlockResult:
    """What one block's execution produced.

    ``status`` is one of ``succeeded``, ``failed``, ``skipped``, ``cancelled``;
    ``outputs`` are nbformat v4 output dicts; ``error`` is ``"EName: value"`` or a reason.
    ``kernel`` says where it ran (``"project"`` or ``"worker-N"``; None for one-kernel
    runs) and ``note`` why it ran there when that is not the scheduler's free choice
    (set by :class:`notebook_dag.parallel.ParallelEngine`).
    """

    status: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    execution_count: int | None = None
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    kernel_died: bool = False
    kernel: str | None = None
    note: str | None = None


def cell_result(cell: Any, status: str, error: str | None, started: datetime, **extra: Any) -> BlockResult:
    """The :class:`BlockResult` of an executed ``cell`` (an nbformat cell that nbclient
    filled with outputs and an execution count), finished now; ``extra`` sets the
    optional fields (``kernel_died``, ``kernel``, ``note``)."""
    return BlockResult(
        status,
        outputs=[dict(o) for o in cell.get("outputs", [])],
        execution_count=cell.get("execution_count"),
        error=error,
        started_at=started,
        finished_at=utcnow(),
        **extra,
    )


class RunListener(Protocol):
    """Receives progress from :meth:`Engine.run`. Both methods are awaited in order."""

    async def block_started(self, block_id: str) -> None: ...

    async def block_finished(self, block_id: str, result: BlockResult) -> None: ...


@dataclass
class RunOutcome:
    """``status``: ``succeeded``, ``failed`` or ``cancelled``; ``reason`` says why not succeeded."""

    status: str
    reason: str | None = None
    kernel_died: bool = False


class KernelHandle(Protocol):
    """The per-kernel manager interface the engine needs (jupyter_client's
    ``AsyncKernelManager``, jupyter_server's ``ServerKernelManager`` or a gateway's)."""

    def client(self, **kwargs: Any) -> Any: ...

    async def interrupt_kernel(self) -> None: ...

    async def is_alive(self) -> bool: ...


def cell_label(nb: Any, block_id: str) -> str:
    """A block as users know it in messages: ``"cell 7"`` (1-based position in ``nb``),
    never its cell id."""
    for i, cell in enumerate(nb.cells):
        if cell.get("id") == block_id:
            return f"cell {i + 1}"
    return "a cell no longer in the notebook"


def new_client(kernel: Any) -> Any:
    """A client of ``kernel`` with a Session of its own.

    ``KernelManager.client()`` hands every client the manager's Session, whose id is
    also the ZMQ identity of the shell socket, so two clients of one kernel would share
    an identity and replies to one could go to the other (seen with ipykernel 7: a run
    waits forever once another client of the kernel closed). Kernels without a local
    Session get their plain client. A gateway's kernel gets notebook_dag's gateway
    client (see :func:`notebook_dag.gateway.kernel_client`)."""
    session = getattr(kernel, "session", None)
    if session is None or not hasattr(session, "key"):
        return kernel_client(kernel)
    from jupyter_client.session import Session

    return kernel_client(kernel, session=Session(key=session.key, signature_scheme=session.signature_scheme))


def quiet_child(log: logging.Logger, name: str) -> logging.Logger:
    """The child ``name`` of ``log``, at the lowest level any handler it reaches writes.

    Jupyter applications set their logger to DEBUG and leave the filtering to their
    handlers, so every debug call (nbclient makes one or two per kernel message) builds
    a record that no handler writes; the child does not. Its level is taken anew on
    every call, so a changed ``log_level`` is followed."""
    levels = []
    logger: logging.Logger | None = log
    while logger is not None:
        levels += [h.level for h in logger.handlers]
        logger = logger.parent if logger.propagate else None
    child = log.getChild(name)
    child.setLevel(min(levels) if levels else logging.NOTSET)
    return child


class Engine:
    """Executes code cells of notebook ``nb`` on the kernel behind ``kernel``.

    ``graph`` (cell id DAG) decides which blocks to skip after a failure: every block
    with a failed, skipped or cancelled predecessor is skipped; independent blocks
    still run. ``timeout`` is the per-block limit in seconds (None: no limit); a block
    over it is interrupted and fails. ``max_output_bytes`` caps the outputs kept per
    block (0: no limit; see :class:`notebook_dag.outputs.BoundedNotebookClient`).
    :meth:`cancel` takes the reason cancelled blocks and the run's outcome give
    (default ``"cancelled by the user"``). ``log`` receives nbclient's messages (through
    :func:`quiet_child`); without it nbclient logs where traitlets' default says.
    """

    def __init__(
        self,
        kernel: KernelHandle,
        nb: Any,
        graph: nx.DiGraph,
        timeout: float | None = None,
        kernel_name: str = "python3",
        max_output_bytes: int = 0,
        log: logging.Logger | None = None,
    ) -> None:
        self.kernel = kernel
        self.nb = copy.deepcopy(nb)
        self.graph = graph
        self.timeout = timeout
        self.index = {c["id"]: i for i, c in enumerate(self.nb.cells)}
        self.cancel_requested = asyncio.Event()
        self.stop_reason = "cancelled by the user"
        self._current: asyncio.Future[Any] | None = None
        self._client = BoundedNotebookClient(
            self.nb,
            km=kernel,
            kernel_name=kernel_name,
            timeout=int(timeout) if timeout else None,
            allow_errors=False,
            interrupt_on_timeout=False,
            max_output_bytes=max(0, int(max_output_bytes)),
            **({"log": quiet_child(log, "nbclient")} if log is not None else {}),
        )

    async def cancel(self, attempts: int = 10, reason: str | None = None) -> None:
        """Stop the run: the running block is interrupted, the rest are cancelled.

        An interrupt that reaches the kernel before it started the cell is lost, so
        the interrupt is repeated every second (up to ``attempts`` times) until the
        running block has ended. ``reason`` replaces ``"cancelled by the user"`` as what
        the cancelled blocks and the outcome say (for a server stop)."""
        if reason:
            self.stop_reason = reason
        self.cancel_requested.set()
        for _ in range(attempts):
            await self._interrupt()
            current = self._current
            if current is None:
                return
            done, _ = await asyncio.wait({current}, timeout=1)
            if done:
                return

    async def run(
        self,
        plan: Sequence[str],
        listener: RunListener,
        dead: asyncio.Event | None = None,
        client: Any | None = None,
    ) -> RunOutcome:
        """Execute ``plan`` (cell ids in topological order), reporting to ``listener``.

        ``dead`` may be set by the caller when it learns the kernel died or restarted
        (for example from a kernel manager restart callback); the run then ends at once.
        ``client`` is a ready kernel client (channels started, ``wait_for_ready`` done) to
        reuse: a new client costs about 0.2 s of handshake. Without it one is made,
        waited for and closed after the run.
        Returns the run's outcome; never raises for a failing cell or a dead kernel.
        """
        kc = client if client is not None else new_client(self.kernel)
        if client is None:
            await ensure_async(kc.start_channels())  # a coroutine for gateway kernel clients
        self._client.kc = kc
        bad: set[str] = set()
        outcome = RunOutcome("succeeded")
        # The listener hears of a block's end once the next block was sent to the kernel:
        # its bookkeeping (database, events) then overlaps the kernel's work instead of
        # delaying every block. It still hears every block in order.
        finished: tuple[str, BlockResult] | None = None

        async def report() -> None:
            nonlocal finished
            if finished is not None:
                last, finished = finished, None
                await listener.block_finished(*last)

        try:
            if client is None:
                await asyncio.wait_for(ensure_async(kc.wait_for_ready(timeout=120)), 130)
            for block_id in plan:
                if self.cancel_requested.is_set() or outcome.kernel_died:
                    await report()
                    await listener.block_finished(block_id, BlockResult("cancelled" if not outcome.kernel_died else "skipped", error=outcome.reason or self.stop_reason))
                    continue
                if any(p in bad for p in self.graph.predecessors(block_id)):
                    bad.add(block_id)
                    await report()
                    await listener.block_finished(block_id, BlockResult("skipped", error="an upstream block did not succeed"))
                    continue
                started = utcnow()
                task = await self._send(block_id)
                try:
                    await report()
                    await listener.block_started(block_id)
                except BaseException:
                    task.cancel()
                    raise
                result = await self._execute(block_id, task, started, dead)
                finished = (block_id, result)
                if result.status == "succeeded":
                    continue
                bad.add(block_id)
                if result.status == "cancelled":
                    outcome = RunOutcome("cancelled", self.stop_reason)
                elif result.kernel_died:
                    outcome = RunOutcome("failed", f"The kernel died while running {cell_label(self.nb, block_id)}.",
                                         kernel_died=True)
                elif outcome.status == "succeeded":
                    outcome = RunOutcome("failed", f"{cell_label(self.nb, block_id).capitalize()} failed: {result.error}")
            await report()
        except asyncio.TimeoutError:
            outcome = RunOutcome("failed", "The kernel did not become ready within 120 s.", kernel_died=True)
            for block_id in plan:
                await listener.block_finished(block_id, BlockResult("skipped", error=outcome.reason))
        finally:
            if client is None:
                kc.stop_channels()
        if self.cancel_requested.is_set() and outcome.status == "succeeded":
            outcome = RunOutcome("cancelled", self.stop_reason)
        return outcome

    async def _send(self, block_id: str) -> asyncio.Future[Any]:
        """Start executing ``block_id``; returns once its request went to the kernel
        (nbclient sends it in the task's first step)."""
        idx = self.index[block_id]
        task = asyncio.ensure_future(self._client.async_execute_cell(self.nb.cells[idx], idx))
        self._current = task
        await asyncio.sleep(0)
        return task

    async def _execute(self, block_id: str, task: asyncio.Future[Any], started: datetime,
                       dead: asyncio.Event | None) -> BlockResult:
        """Wait for ``task`` (from :meth:`_send`) and make the block's result."""
        cell = self.nb.cells[self.index[block_id]]
        status, error, died = "succeeded", None, False
        waiters: set[asyncio.Future[Any]] = {task}
        dead_wait = asyncio.ensure_future(dead.wait()) if dead is not None else None
        if dead_wait is not None:
            waiters.add(dead_wait)
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                task.cancel()
                status, error, died = "failed", "the kernel died or was restarted while running this block", True
            else:
                task.result()
        except CellTimeoutError:
            await self._interrupt()
            status, error = "failed", f"timed out after {self.timeout:g} s"
        except CellExecutionError as e:
            if self.cancel_requested.is_set() and e.ename == "KeyboardInterrupt":
                status, error = "cancelled", self.stop_reason
            else:
                status, error = "failed", f"{e.ename}: {e.evalue}"
        except (DeadKernelError, asyncio.CancelledError):
            status, error, died = "failed", "the kernel died while running this block", True
        finally:
            self._current = None
            if dead_wait is not None:
                dead_wait.cancel()
        return cell_result(cell, status, error, started, kernel_died=died)

    async def _interrupt(self) -> None:
        try:
            await ensure_async(self.kernel.interrupt_kernel())
        except Exception:  # noqa: BLE001 - a dead kernel cannot be interrupted; the run ends anyway
            pass
