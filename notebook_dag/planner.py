"""Re-execution planning: which blocks to execute so that a kernel ends as a fresh
top-to-bottom run would leave it.

A kernel that ran a notebook holds the state of the notebook's *end*. Re-executing an
edited cell there reads names that later cells rebound or mutated, applies its own
mutations a second time, and draws different random numbers. :func:`plan_run` chooses a
set S of blocks, executed in run order, such that

1. every block the run is about (its *targets*) that is not up to date is in S;
2. every block of S reads, when it executes, exactly the versions a top-to-bottom run
   gives it (:class:`~notebook_dag.staleness.Versions`): for each name N it reads,
   either the last writer of N before it is in S (and executes before it), or no writer
   of N in S precedes it and the kernel already holds that version;
3. once a writer of N is in S, so is every later writer of N (output dependences), so N
   ends at its final version; with ``complete`` (modes ``stale`` and ``all``) every name
   the kernel holds at another version than a fresh run's end gets its last writer in S
   too, and names no block binds any more are deleted from the kernel first.

Rules 2 and 3 add writers; a writer added reads its own inputs (rule 2 again) - the
closure is computed with a worklist in which each name's list of writers is walked
once, so a plan costs O(V + E) with E the total number of (block, name) reads and writes.
Blocks whose inputs did not change and whose names the kernel still holds at the right
versions are never executed.

Where no block can restore a version - a cell must read a name or library configuration
as it was *before* any cell set it, but the kernel holds a later cell's value - the plan
asks for a kernel restart and a full run (``restart`` gives the reason).

This is static data-flow analysis (reaching definitions with anti and output
dependences, Allen & Kennedy, *Optimizing Compilers for Modern Architectures*, ch. 2)
applied to re-execution. The known alternatives: ipyflow slices dynamically, tracing
every value at run time, which costs instrumentation of every statement and still
cannot see state outside Python objects; marimo forbids a name from being defined in
more than one cell and mutations across cells, which rejects most plain notebooks. The
rule here works on unmodified notebooks and needs no tracing kernel.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .staleness import INITIAL, TAG, M, W, KernelState, Versions, is_tag, reads_of, writes_of


@dataclass
class Plan:
    """A run's executions.

    ``blocks``: ids to execute, in run order. ``notes``: id → why a block outside the
    requested ones is executed. ``restart``: why the kernel must be restarted (then
    ``blocks`` is every code block), else None. ``cleanup``: plain names the kernel holds
    that a top-to-bottom run does not leave bound (delete them before the run).
    ``reset``: hidden-state tags to bring back to a fresh process's state before the run
    (see :data:`RESETTABLE`).
    """

    blocks: list[str]
    notes: dict[str, str] = field(default_factory=dict)
    restart: str | None = None
    cleanup: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)
    #: resettable names a block of the plan must read at their initial version
    initial_needed: set[str] = field(default_factory=set)


#: Hidden state a run can bring back to a fresh process's (``INITIAL``): pyplot's
#: figures (``plt.close("all")``), reset whenever the plan re-executes blocks touching
#: them, so re-run figures open on an empty registry as in a fresh run instead of adding
#: to those the previous run left open (which changes ``plt.gcf()`` and raises
#: matplotlib's "More than 20 figures" warning where a fresh run does not); and the
#: configuration of pandas, numpy and sklearn (their import-time defaults), reset when a
#: block must read it as it was before any cell set it.
RESETTABLE = ("<matplotlib>", "<config:pandas>", "<config:numpy>", "<config:sklearn>")


def _shown(name: str) -> str:
    if name.startswith("<edge:"):
        return "a manual edge"
    return name if name.startswith("<") else f"`{name}`"


def plan_run(
    v: Versions,
    kernel: KernelState,
    targets: Iterable[str],
    *,
    force: Iterable[str] = (),
    complete: bool = False,
    label: Callable[[str], str] = str,
) -> Plan:
    """The blocks to execute so that every block of ``targets`` that is not up to date
    in ``kernel`` (and every block of ``force``) gives a fresh run's outputs, and the
    names they touch end at a fresh run's versions (see the module docstring).

    ``complete``: the run is about the whole notebook (modes ``stale`` and ``all``), so
    every name the kernel holds must end at its final version. ``label`` names a block in
    notes (``"cell 5"``). Raises nothing; unknown ids in ``targets`` are ignored.
    """
    targets, force = list(targets), list(force)
    plan = _plan(v, kernel, targets, force, complete, label)
    reset = [t for t in RESETTABLE if kernel.holds(t, v) != INITIAL and (
        t in plan.initial_needed or (is_tag(t) and any(v.flags[b].get(t, 0) & (W | M | TAG) for b in plan.blocks)))]
    if reset and plan.restart is None:
        plan = _plan(v, kernel.with_names(dict.fromkeys(reset, INITIAL)), targets, force, complete, label)
        plan.reset = reset
    return plan


def _plan(v: Versions, kernel: KernelState, targets: list[str], force: list[str], complete: bool,
          label: Callable[[str], str]) -> Plan:
    order, pos, writers = v.order, v.pos, v.writers
    fresh = kernel.up_to_date(v)
    in_s: set[str] = set()
    notes: dict[str, str] = {}
    queue: list[str] = []
    first: dict[str, int] = {}  # name -> index into writers[name] of its first writer in S
    restart: list[str] = []
    initial_needed: set[str] = set()

    def add(b: str, why: str | None = None) -> None:
        if b in in_s:
            return
        in_s.add(b)
        queue.append(b)
        if why:
            notes[b] = why

    def lower(name: str, j: int, why: str) -> None:
        """Put writers j.. of ``name`` in S (every later writer joins with the first)."""
        lst = writers[name]
        f = first.get(name, len(lst))
        if j >= f:
            return
        first[name] = j
        for k in range(j, f):
            add(order[lst[k]], why)

    forced = set(force)
    for b in targets:
        if b in pos and (b not in fresh or b in forced):
            add(b)
    for b in forced:
        if b in pos:
            add(b)

    if complete:
        for name, lst in writers.items():
            if not is_tag(name) and kernel.holds(name, v) != v.final(name) and name not in v.constant:
                lower(name, len(lst) - 1, f"so that {_shown(name)} ends as a fresh run leaves it")

    while queue:
        b = queue.pop()
        p = pos[b]
        flags = v.flags[b]
        for name in reads_of(flags):
            j = v.writer_before(name, p)
            if j < 0:  # a fresh run gives b the name's initial (or world) version
                want = v.world.get(name, INITIAL)
                if kernel.holds(name, v) != want and not is_tag(name):
                    if name in RESETTABLE:
                        initial_needed.add(name)
                    else:
                        restart.append(f"{label(b)} reads {_shown(name)} as it was before any cell set it")
                continue
            if first.get(name, len(writers[name])) <= j:
                continue  # its reaching writer is re-executed before it
            want = v.written(name, order[writers[name][j]])
            if kernel.holds(name, v) != want:
                if name in v.constant:  # any writer gives the value; no later one changes it
                    add(order[writers[name][j]], f"to restore {_shown(name)} for {label(b)}")
                else:
                    lower(name, j, f"to restore {_shown(name)} for {label(b)}")
        for name in writes_of(flags):
            if name in v.constant:
                continue
            lst = writers[name]
            i = bisect_left(lst, p)
            lower(name, i, f"{label(b)} re-runs and changes {_shown(name)}; later cells change it again")

    cleanup: list[str] = []
    if complete:
        bound = set(writers)
        for name in sorted(kernel.names):
            if name not in bound and kernel.names[name] != INITIAL:
                if name.isidentifier():
                    cleanup.append(name)
                elif not is_tag(name) and not name.startswith(("<edge:", "<file:")):
                    restart.append(f"{_shown(name)} was set by a cell that is no longer in the notebook")
    if restart:
        return Plan(list(order), {}, restart[0], [])
    return Plan([b for b in order if b in in_s], notes, None, cleanup, initial_needed=initial_needed)


def later_changes(v: Versions, kernel: KernelState) -> dict[str, list[str]]:
    """Per block, the names whose version in ``kernel`` is not the one a fresh run gives
    it (empty lists left out): running that block alone now may not reproduce a fresh
    run (the view's "depends on later changes")."""
    if not kernel.names:
        return {}
    out = {}
    for b in v.order:
        d = kernel.diverging(b, v)
        if d:
            out[b] = d
    return out

