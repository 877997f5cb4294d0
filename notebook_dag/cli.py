"""``jupyter notebook-dag run NOTEBOOK.ipynb``: run a notebook's DAG headless.

Uses the same DAG inference and :class:`notebook_dag.engine.Engine` as the server, on
a kernel started locally by jupyter_client. Prints per-block progress and a summary;
exits 0 when every planned block succeeded, 1 when the run failed or was cancelled,
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any, TextIO

import nbformat
from jupyter_client.manager import AsyncKernelManager

from .dag import block_title, build_dag, plan_blocks
from .engine import BlockResult, Engine
from .errors import NotebookDagError
from .notebooks import ensure_cell_ids

SYMBOLS = {"succeeded": "ok", "failed": "FAILED", "skipped": "skipped", "cancelled": "cancelled"}


class _Printer:
    def __init__(self, nb: nbformat.NotebookNode, plan: list[str], out: TextIO) -> None:
        self.cells = {c["id"]: c for c in nb.cells}
        self.plan = plan
        self.out = out
        self.results: dict[str, BlockResult] = {}
        self._t0: dict[str, float] = {}  # blocks of a parallel run overlap

    def _label(self, block_id: str) -> str:
        n = self.plan.index(block_id) + 1
        return f"[{n:>{len(str(len(self.plan)))}}/{len(self.plan)}] {block_id}  {block_title(self.cells[block_id])[:50]}"

    async def block_started(self, block_id: str) -> None:
        self._t0[block_id] = time.perf_counter()
        print(f"{self._label(block_id)} ...", file=self.out, flush=True)

    async def block_finished(self, block_id: str, result: BlockResult) -> None:
        self.results[block_id] = result
        took = f" ({time.perf_counter() - self._t0.get(block_id, 0.0):.2f} s)" if result.started_at else ""
        where = f" on {result.kernel}" if result.kernel else ""
        line = f"{self._label(block_id)} {SYMBOLS[result.status]}{took}{where}"
        if result.error:
            line += f": {result.error}"
        print(line, file=self.out, flush=True)


async def run_notebook(
    path: str,
    mode: str = "all",
    block_id: str | None = None,
    timeout: float | None = None,
    kernel_name: str | None = None,
    output: str | None = None,
    out: TextIO = sys.stdout,
    max_parallel: int = 1,
) -> int:
    """Run ``path``'s DAG; returns the process exit code. With ``max_parallel`` above 1,
    independent blocks also run on ``max_parallel - 1`` worker kernels
    (:class:`notebook_dag.parallel.ParallelEngine`; each block's line names its kernel).
    Raises :class:`NotebookDagError` for an unknown block or a mode without its block."""
    nb = nbformat.read(path, as_version=4)
    ensure_cell_ids(nb)
    dag = build_dag(nb, [])
    plan = plan_blocks(dag, mode, block_id)
    name = kernel_name or (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
    cwd = os.path.dirname(os.path.abspath(path)) or "."
    t0 = time.perf_counter()
    printer = _Printer(nb, plan, out)
    if max_parallel > 1 and len(plan) > 1:
        from .parallel import LocalKernels, ParallelEngine, WorkerPool

        kernels = LocalKernels()
        kid = await kernels.start_kernel(path=cwd, kernel_name=name)
        pool = WorkerPool(kernels, max_parallel - 1, path=cwd, kernel_name=name)
        try:
            engine: Any = ParallelEngine(kernels, kid, nb, dag.graph, pool=pool, max_parallel=max_parallel,
                                         timeout=timeout, kernel_name=name)
            outcome = await engine.run(plan, printer)
        finally:
            await pool.shutdown()
            await kernels.shutdown_all()
    else:
        km = AsyncKernelManager(kernel_name=name)
        await km.start_kernel(cwd=cwd)
        try:
            engine = Engine(km, nb, dag.graph, timeout, kernel_name=name)
            outcome = await engine.run(plan, printer)
        finally:
            await km.shutdown_kernel(now=True)
    counts: dict[str, int] = {}
    for r in printer.results.values():
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to run"
    print(f"{outcome.status}: {summary} in {time.perf_counter() - t0:.2f} s" + (f" — {outcome.reason}" if outcome.reason else ""), file=out)
    if output:
        for cell in nb.cells:
            r = printer.results.get(cell["id"])
            if r is not None and cell.get("cell_type") == "code":
                cell["outputs"] = [nbformat.from_dict(o) for o in r.outputs]
                cell["execution_count"] = r.execution_count
        nbformat.write(nb, output)
    return 0 if outcome.status == "succeeded" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jupyter notebook-dag", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a notebook's DAG on a local kernel")
    run.add_argument("notebook")
    run.add_argument("--mode", choices=["all", "block", "upstream", "downstream"], default="all")
    run.add_argument("--block", dest="block_id", help="cell id for the block, upstream and downstream modes")
    run.add_argument("--timeout", type=float, default=None, help="per-block time limit in seconds")
    run.add_argument("--kernel", dest="kernel_name", help="kernel name (default: the notebook's kernelspec)")
    run.add_argument("--output", help="write the notebook with the run's outputs here (the input is never changed)")
    run.add_argument("--max-parallel", type=int, default=1, metavar="N",
                     help="at most N blocks at once: independent blocks also run on N - 1 worker kernels (default 1)")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.notebook):
        print(f"error: no notebook at {args.notebook}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(
            run_notebook(args.notebook, args.mode, args.block_id, args.timeout, args.kernel_name, args.output,
                         max_parallel=max(1, args.max_parallel))
        )
    except NotebookDagError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
