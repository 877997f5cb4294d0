"""Parallel execution of independent DAG branches on worker kernels.

Public API::

    pool = WorkerPool(kernel_manager, size=max_parallel - 1, path=notebook_dir, kernel_name=name)
    await pool.start()                                   # once; warm kernels, reused by runs
    engine = ParallelEngine(kernel_manager, project_kernel_id, nb, graph,
                            pool=pool, max_parallel=max_parallel, timeout=block_timeout)
    outcome = await engine.run(plan, listener, dead, client)   # same contract as Engine.run
    await engine.cancel()                                # from another task
    await pool.shutdown()                                # project closed / server stops

``LocalKernels`` adapts jupyter_client's ``AsyncMultiKernelManager`` to the
jupyter_server kernel-manager interface used here (tests, command line).
See ``docs/parallel.md``.
"""

from .effects import BlockEffects, block_effects
from .engine import ParallelEngine, RunStats
from .kernels import KernelSlot, LocalKernels, WorkerPool

__all__ = ["BlockEffects", "KernelSlot", "LocalKernels", "ParallelEngine", "RunStats", "WorkerPool", "block_effects"]
