"""The server's side of re-execution planning: the inputs outside the code that value
fingerprints need, the silent preparation a planned run executes in its kernel first,
and the run's block rows. The rules themselves are pure (:mod:`notebook_dag.planner`,
:mod:`notebook_dag.staleness`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from .dag import BuiltDag, block_versions
from .inference.index import SQL_STATE
from .inputs import local_inputs
from .planner import Plan
from .staleness import KernelState, Versions
from .storage import RunBlock

#: Run before a run's first block, silently: warnings the previous run showed are shown
#: again (Python shows a warning once per code location; a fresh run shows it the first
#: time), by invalidating every module's ``__warningregistry__``.
PREPARE = ("import warnings as _nbdag_w\n"
           "getattr(_nbdag_w, '_filters_mutated', getattr(_nbdag_w, '_filters_mutated_lock_held', lambda: None))()\n"
           "del _nbdag_w")
#: pyplot's figures back to a fresh process's: none open (see ``planner.RESETTABLE``)
CLOSE_FIGURES = ("import sys as _nbdag_sys\n"
                 "_nbdag_sys.modules['matplotlib.pyplot'].close('all') if 'matplotlib.pyplot' in _nbdag_sys.modules else None\n"
                 "del _nbdag_sys")


InputSource = Callable[..., Awaitable[tuple[dict[str, set[str]], dict[str, str]]]]
#: async ``(project, dag, user) -> {view name: dataset id}``: the datasets SQL blocks read
SqlViewSource = Callable[..., Awaitable[dict[str, str]]]


def runs_sql(blocks: Iterable[str], v: Versions) -> bool:
    """Whether any of ``blocks`` is a SQL block (it touches the DuckDB connection)."""
    return any(SQL_STATE in v.flags.get(b, {}) for b in blocks)


def sql_setup(views: dict[str, str]) -> str:
    """Code preparing a kernel for SQL blocks: JupySQL on an in-process DuckDB connection
    (once per kernel) and a view per dataset ``{view name: dataset id}`` over its
    current version (see :mod:`notebook_dag.sql_kernel`). The code never raises."""
    return ("from notebook_dag.sql_kernel import setup as _nbdag_sql\n"
            f"_nbdag_sql({dict(sorted(views.items()))!r})\n"
            "del _nbdag_sql")


async def gather_sql_views(project: Any, dag: BuiltDag, user: str | None, sources: Iterable[SqlViewSource],
                           log: logging.Logger) -> dict[str, str]:
    """The views SQL blocks need, from every source (a failing source is logged and
    left out; its tables then stay unknown to DuckDB)."""
    views: dict[str, str] = {}
    for source in sources:
        try:
            views.update(await source(project, dag, user))
        except Exception as e:  # noqa: BLE001 - SQL blocks then say which table is missing
            log.warning("notebook_dag: SQL view source %r failed: %s", source, e)
    return views


async def gather_versions(project: Any, dag: BuiltDag, user: str | None, directory: str | None,
                          sources: Iterable[InputSource], log: logging.Logger) -> Versions:
    """:func:`~notebook_dag.dag.block_versions` of ``dag`` with the files and local
    modules in the notebook's OS ``directory`` and what each of ``sources`` (async
    ``(project, dag, user) -> (extra_reads, world)``) adds; a failing source is logged
    and left out. Hashing and fingerprints run off the event loop."""
    async def ask(source: InputSource) -> tuple[dict[str, set[str]], dict[str, str]]:
        try:
            return await source(project, dag, user)
        except Exception as e:  # noqa: BLE001 - an input source must not break runs or the view
            log.warning("notebook_dag: input source %r failed: %s", source, e)
            return {}, {}

    # the files are hashed while the sources query the database
    (extra, world), *more = await asyncio.gather(
        asyncio.to_thread(local_inputs, directory, dag.effects, dag.imports), *(ask(s) for s in sources)
    )
    for more_reads, more_world in more:
        for b, names in more_reads.items():
            extra.setdefault(b, set()).update(names)
        world.update(more_world)
    return await asyncio.to_thread(block_versions, dag, extra, world)


def preparation(plan: Plan, v: Versions, state: KernelState,
                sql_views: dict[str, str] | None = None) -> tuple[str, list[str], bool]:
    """``(code, libraries reset, local modules changed)``: the code a run executes
    silently before its first block - warnings shown again, names of deleted cells
    removed, figures closed and library configuration reset as ``plan.reset`` says,
    local modules whose source changed since the kernel imported them dropped from
    ``sys.modules``, and with ``sql_views`` (the run executes SQL blocks) the kernel
    prepared for them (:func:`sql_setup`) - or ``""`` when the plan executes nothing."""
    if not plan.blocks:
        return "", [], False
    code = [PREPARE]
    if plan.cleanup:
        code.append(f"[globals().pop(_n, None) for _n in {plan.cleanup!r}]")
    if "<matplotlib>" in plan.reset:
        code.append(CLOSE_FIGURES)
    libs = [t[len("<config:"):-1] for t in plan.reset if t.startswith("<config:")]
    if libs:
        code.append("from notebook_dag.parallel.kernel_side import reset_config as _nbdag_r\n"
                    f"_nbdag_r({libs!r})\ndel _nbdag_r")
    changed = sorted(n[len("<module:"):-1] for n, h in v.world.items()
                     if n.startswith("<module:") and state.world_seen.get(n, h) != h)
    if changed:
        code.append("import sys as _nbdag_sys\n"
                    f"[_nbdag_sys.modules.pop(_k) for _k in list(_nbdag_sys.modules) if _k.split('.')[0] in {changed!r}]\n"
                    "del _nbdag_sys")
    if sql_views is not None:
        code.append(sql_setup(sql_views))
    return "\n".join(code), libs, bool(changed)


def labeller(dag: BuiltDag) -> Callable[[str], str]:
    """Names blocks in notes by their cell number (``"cell 5"``, 1-based)."""
    numbers = {b: i + 1 for i, b in enumerate(c["id"] for c in dag.nb.cells)}
    return lambda b: f"cell {numbers.get(b, '?')}"


async def sync_rows(s: AsyncSession, run_id: str, queued: list[str], plan: list[str], order: list[str],
                    cells: dict[str, Any]) -> list[str]:
    """Make the run's block rows the queued blocks plus those the planner added, in
    run order (``order``), in the transaction of session ``s``; returns the queued
    blocks that will not execute (up to date)."""
    known = set(queued)
    added = [b for b in plan if b not in known]
    if added:
        pos = {b: i for i, b in enumerate(order)}
        rows = sorted({*queued, *added}, key=lambda b: pos.get(b, len(pos)))
        table = RunBlock.__table__
        await s.execute(insert(table), [
            {"run_id": run_id, "block_id": b, "seq": len(queued) + i, "status": "queued",
             "source": str(cells[b].get("source", "")), "outputs": []}
            for i, b in enumerate(added)
        ])
        await s.execute(
            update(table).where(table.c.run_id == run_id, table.c.block_id == bindparam("_block"))
            .values(seq=bindparam("_seq")),
            [{"_block": b, "_seq": i} for i, b in enumerate(rows)],
        )
    chosen = set(plan)
    return [b for b in queued if b not in chosen]
