"""What each block of a parallel run needs, produces, and whether it may leave the
project kernel. Pure functions over the notebook and its DAG; no kernel."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..inference import DependencyIndex
from .config import CONFIG_LIBS

#: Hidden-state tags of :mod:`notebook_dag.inference`: process state that names do not
#: carry, so every block touching one runs in the project kernel, in notebook order.
HIDDEN_TAGS = ("<random>", "<matplotlib>", "<cwd>", "<env>", "<ipython>")
#: Widget libraries: their objects talk to the frontend through the kernel that made them.
WIDGET_MODULES = ("ipywidgets", "ipyleaflet", "bqplot", "ipympl", "ipyvolume", "pythreejs", "ipycanvas", "ipydatagrid")
_KERNEL_NAMES = frozenset(dir(builtins)) | {"display", "get_ipython", "exit", "quit", "__builtins__", "__name__", "__doc__"}
_HISTORY = re.compile(r"^(_+|_i+|_i?\d+|_ih|_oh|_dh|In|Out)$")


@dataclass(frozen=True)
class BlockEffects:
    """One code cell as the parallel engine sees it.

    ``needs``: names whose current value the block reads, mutates or deletes (with what
    the functions it calls read); ``products``: names it binds or mutates (the values
    a sequential run would leave changed); ``deletes``: names it ``del``\\ s; ``pin``:
    why it must run in the project kernel, or None; ``config``: the libraries whose
    configuration it sets (it writes ``<config:LIB>``).
    """

    needs: frozenset[str]
    products: frozenset[str]
    deletes: frozenset[str]
    pin: str | None = None
    config: frozenset[str] = frozenset()


def _user_name(name: str) -> bool:
    return not name.startswith("<") and not _HISTORY.match(name)


def block_effects(nb: Any, graph: nx.DiGraph) -> dict[str, BlockEffects]:
    """:class:`BlockEffects` of every code cell of ``nb`` (cell id → effects).

    Reads and writes come from :class:`notebook_dag.inference.DependencyIndex` (its
    per-name readers / mutators / definers, so calls of notebook functions count).
    A block is pinned to the project kernel when its analysis or an edge touching it
    names a hidden-state tag (``<random>``, ``<matplotlib>``...), a library
    configuration (``<config:LIB>``, which a worker would not have), when it cannot be
    parsed (nothing is known about it) or uses ``import *`` (unknown names), and when
    it sets library configuration (which must hold in the project kernel; its snapshot
    is taken there, see :mod:`notebook_dag.parallel.config`). Kernel-provided names
    (builtins, ``display``...) are needs only when a cell binds them.
    """
    code = [(c["id"], str(c.get("source", ""))) for c in nb.cells if c.get("cell_type") == "code"]
    index = DependencyIndex(code)
    candidates: set[str] = set()
    analyses = {cid: index.analysis(cid) for cid, _ in code}
    for a in analyses.values():
        candidates |= a.defines | a.reads | a.mutates | a.deletes | a.builtin_reads
        for f in a.functions:
            candidates |= f.reads | f.mutates | f.call_mutates | f.writes
    needs: dict[str, set[str]] = {cid: set() for cid, _ in code}
    products: dict[str, set[str]] = {cid: set() for cid, _ in code}
    for name in filter(_user_name, candidates):
        definers = index.definers(name)
        if name in _KERNEL_NAMES and not definers:
            continue
        for cid in index.readers(name):
            needs[cid].add(name)
        for cid in index.mutators(name):
            needs[cid].add(name)
            products[cid].add(name)
        for cid in definers:
            products[cid].add(name)
    config: dict[str, set[str]] = {cid: set() for cid, _ in code}
    libs = {mod.partition(".")[0] for a in analyses.values() for _, mod in a.module_bindings} | set(CONFIG_LIBS)
    for lib in libs:
        for cid in index.definers(f"<config:{lib}>"):
            config[cid].add(lib)
    widget_names = {n for a in analyses.values() for n, mod in a.module_bindings if mod.partition(".")[0] in WIDGET_MODULES}
    out: dict[str, BlockEffects] = {}
    for cid, _ in code:
        a = analyses[cid]
        deletes = frozenset(filter(_user_name, a.deletes))
        pin = _pin_reason(cid, a, graph)
        if pin is None and (a.reads | a.defines) & widget_names:
            pin = "it uses interactive widgets, which live in the kernel the frontend talks to"
        if pin is None and config[cid]:
            pin = "it sets library configuration " + ", ".join(f"<config:{lib}>" for lib in sorted(config[cid]))
        out[cid] = BlockEffects(frozenset(needs[cid] | deletes), frozenset(products[cid] - deletes), deletes, pin,
                                frozenset(config[cid]))
    return out


def _pin_reason(cid: str, a: Any, graph: nx.DiGraph) -> str | None:
    if a.parse_error is not None:
        return "it cannot be parsed, so what it reads and writes is unknown"
    if a.star_import:
        return "it uses `import *` or `%run`, which bind unknown names"
    tags = {f"<{t}>" for t in a.hidden_state}
    config: set[str] = set()
    if cid in graph:
        for u, v, data in [*graph.in_edges(cid, data=True), *graph.out_edges(cid, data=True)]:
            for n in data.get("names", ()):
                if n in HIDDEN_TAGS:
                    tags.add(n)
                elif n.startswith("<config:"):
                    config.add(n)
    if tags:
        return "it touches hidden module state " + ", ".join(sorted(tags))
    if config:
        return "it depends on library configuration " + ", ".join(sorted(config))
    return None


def plan_ancestors(graph: nx.DiGraph, plan: Sequence[str]) -> dict[str, frozenset[str]]:
    """For each planned block, the planned blocks it must wait for: its ancestors in
    ``graph`` that are in ``plan`` (also through cells left out of the plan)."""
    wanted = set(plan)
    return {b: frozenset(nx.ancestors(graph, b) & wanted) if b in graph else frozenset() for b in plan}


def initial_needs(plan: Sequence[str], effects: dict[str, BlockEffects], ancestors: dict[str, Iterable[str]]) -> set[str]:
    """Names that unpinned planned blocks may read from the project kernel's state
    before the run (no planned ancestor produces them)."""
    out: set[str] = set()
    for b in plan:
        e = effects[b]
        if e.pin is not None:
            continue
        made: set[str] = set()
        for a in ancestors[b]:
            made |= effects[a].products | effects[a].deletes
        out |= e.needs - made
    return out
