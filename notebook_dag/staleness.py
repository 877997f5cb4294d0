"""Staleness: which blocks are up to date in a kernel, by the versions of what they read.

Every code block reads some *names* (variables, hidden state such as ``<random>``,
library configuration ``<config:LIB>``, files ``<file:path>``, local modules
``<module:m>``, datasets ``<dataset:name>``) and writes some (binds, deletes or mutates
them). Following the notebook's order, the *version* of a name at a block is the value
fingerprint of the last block before it that writes the name; with no such block, the
name's world version (the content hash of a file, module or dataset; empty otherwise).

A block's **value fingerprint** is SHA-256 over its normalised source and the
``(name, version)`` pairs it reads. It identifies the results the block gives in a fresh
top-to-bottom run: two executions with one fingerprint read the same versions of the
same inputs and, cells being deterministic functions of their inputs, give the same
outputs. This is content-addressed caching as build systems do it (Bazel action keys,
Nix derivation hashes), keyed on the reaching definitions of classic data-flow analysis
(Aho, Lam, Sethi & Ullman, *Compilers*, 2nd ed., §9.2.4) rather than on all upstream
blocks: an edit propagates only along true (read-after-write) dependences, so a cell
that merely rebinds a name an edited cell read is not stale.

:class:`KernelState` records, per kernel, which version of every name the kernel holds
and, per block, the fingerprint of its last *faithful* execution there (one whose inputs
in the kernel were exactly the versions a top-to-bottom run would give it). A block is
**up to date** when that fingerprint equals its current one. Recording is O(reads +
writes) per execution; states are decided per request in O(V + E).
"""

from __future__ import annotations

import hashlib
import itertools
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

UP_TO_DATE, STALE, NEVER_RUN = "up_to_date", "stale", "never_run"

# Flags of one name in one block (the inference's, see notebook_dag.inference.index)
R, M, W, TAG = 1, 2, 4, 8
#: the block resets the hidden state before using it (``np.random.seed(0)``): it does not
#: read the state earlier blocks left
RESET = 16
#: the version of a name no block has written (unbound, library defaults, fresh process)
INITIAL = ""


def normalize_source(source: str) -> str:
    """The source with trailing spaces of each line and blank lines at both ends removed,
    so that whitespace-only edits do not make a block stale."""
    return "\n".join(line.rstrip() for line in source.strip("\n").splitlines()).strip("\n")


def reads_of(flags: Mapping[str, int]) -> list[str]:
    """Names a block with per-name ``flags`` reads: plain reads, mutations (a mutator
    reads the value it changes) and hidden-state touches that do not reset the state.
    A block setting a library's configuration (``<config:LIB>`` written) does not read
    it: setters assign options, so applying them again gives the same configuration."""
    return [n for n, f in flags.items()
            if (f & (R | M) and not (f & W and n.startswith("<config:"))) or (f & TAG and not f & RESET)]


def writes_of(flags: Mapping[str, int]) -> list[str]:
    """Names a block with per-name ``flags`` binds, deletes, mutates or touches."""
    return [n for n, f in flags.items() if f & (W | M | TAG)]


def is_tag(name: str) -> bool:
    """Hidden process state (``<random>``, ``<matplotlib>``...), not a variable."""
    return name.startswith("<") and ":" not in name


def is_world(name: str) -> bool:
    """A name whose versions live outside the kernel: files, local modules, datasets."""
    return name.startswith(("<file:", "<module:", "<dataset:"))


@dataclass
class Versions:
    """Value fingerprints of a notebook's code blocks and the name versions they read.

    Built by :func:`versions`. ``order``: code block ids in run order; ``pos``: id →
    index in ``order``; ``flags``: id → {name: flags}; ``fp``: id → value fingerprint
    (hex SHA-256); ``writers``: name → positions (in ``order``) of the blocks writing it,
    ascending; ``world``: name → world version of names nothing in the notebook writes
    (file, module and dataset content hashes).
    """

    order: list[str]
    pos: dict[str, int]
    flags: dict[str, dict[str, int]]
    fp: dict[str, str]
    writers: dict[str, list[int]]
    world: dict[str, str] = field(default_factory=dict)
    #: names every writer binds to the same value (``import numpy as np`` in several
    #: cells): name -> that value's version (``module:numpy``); re-binding them changes nothing
    constant: dict[str, str] = field(default_factory=dict)

    def written(self, name: str, block_id: str) -> str:
        """The version of ``name`` that ``block_id`` (a writer of it) leaves."""
        return self.constant.get(name) or self.fp[block_id]

    def writer_before(self, name: str, position: int) -> int:
        """Index into ``writers[name]`` of the last writer before ``position``; -1: none."""
        lst = self.writers.get(name)
        if not lst:
            return -1
        return bisect_left(lst, position) - 1

    def expected(self, name: str, block_id: str) -> str:
        """The version of ``name`` a top-to-bottom run gives ``block_id`` to read."""
        j = self.writer_before(name, self.pos[block_id])
        if j < 0:
            return self.world.get(name, INITIAL)
        return self.written(name, self.order[self.writers[name][j]])

    def final(self, name: str) -> str:
        """The version of ``name`` at the end of a top-to-bottom run."""
        lst = self.writers.get(name)
        return self.written(name, self.order[lst[-1]]) if lst else self.world.get(name, INITIAL)


def versions(
    order: Sequence[str],
    sources: Mapping[str, str],
    flags: Mapping[str, Mapping[str, int]],
    world: Mapping[str, str] | None = None,
    constant: Mapping[str, str] | None = None,
) -> Versions:
    """Value fingerprints of the code blocks ``order`` (ids in run order).

    ``sources``: id → source; ``flags``: id → {name: R/M/W/TAG/RESET bits} (the
    inference's effects, plus ``<module:m>``, ``<dataset:d>`` reads and one
    ``<edge:id>`` name per manual edge); ``world``: name → content hash of the files,
    modules and datasets read (names absent are unversioned), and ``<drift:path>`` →
    the content hash of a file a block writes when it is no longer what the run that
    wrote it left (see :mod:`notebook_dag.artifacts`): its readers then read another
    version. O(V + reads·log V).
    """
    world = dict(world or {})
    order = list(order)
    pos = {b: i for i, b in enumerate(order)}
    fl = {b: dict(flags.get(b, {})) for b in order}
    writers: dict[str, list[int]] = {}
    for i, b in enumerate(order):
        for n in writes_of(fl[b]):
            writers.setdefault(n, []).append(i)
    out = Versions(order, pos, fl, {}, writers, world, dict(constant or {}))
    latest: dict[str, str] = {}  # name -> version so far, in order
    for b in order:
        h = hashlib.sha256(normalize_source(str(sources.get(b, ""))).encode())
        for n in sorted(reads_of(fl[b])):
            h.update(b"\0")
            h.update(n.encode())
            h.update(b"=")
            h.update(latest.get(n, world.get(n, INITIAL)).encode())
            if n in latest and n.startswith("<file:"):  # written by a block, then changed outside the run
                drift = world.get("<drift:" + n[len("<file:"):])
                if drift:
                    h.update(b"@" + drift.encode())
        fp = out.fp[b] = h.hexdigest()
        for n in writes_of(fl[b]):
            latest[n] = out.constant.get(n) or fp
    return out


#: revisions of kernel states, unique across every state of the process
_REVISIONS = itertools.count(1)


class KernelState:
    """What one kernel holds: the version of each name written there (name → fingerprint
    of the block whose faithful execution wrote it, or a ``!N`` token for a value no
    top-to-bottom run gives), and per block the fingerprint of its last execution there
    (None when it failed or was not faithful)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.blocks: dict[str, str | None] = {}
        #: world name (``<module:m>``...) -> the version the kernel last read
        self.world_seen: dict[str, str] = {}
        #: the names that made the last recorded execution unfaithful
        self.last_diverging: list[str] = []
        self._seq = 0
        #: changes whenever what the state holds changes (unique in the process, so a
        #: state forgotten and made anew never repeats one): part of the DAG view's key
        self.revision = next(_REVISIONS)

    def holds(self, name: str, v: Versions) -> str:
        """The version of ``name`` in the kernel; world names are the world's."""
        if is_world(name) and name not in self.names:
            return v.world.get(name, INITIAL)
        return self.names.get(name, INITIAL)

    def diverging(self, block_id: str, v: Versions) -> list[str]:
        """Names ``block_id`` reads whose version in the kernel is not the one a
        top-to-bottom run gives it: executing the block alone now would not reproduce a
        fresh run. Hidden state that no earlier block touched is not counted (a fresh
        process's RNG or figure state is no better defined)."""
        out = []
        for n in reads_of(v.flags.get(block_id, {})):
            want, have = v.expected(n, block_id), self.holds(n, v)
            if want != have and not (want == INITIAL and is_tag(n)):
                out.append(n)
        return sorted(out)

    def executed(self, block_id: str, v: Versions, succeeded: bool) -> bool:
        """Record an execution of ``block_id`` (with the fingerprints ``v`` it was
        planned with). Returns whether it was faithful: succeeded, with every input at
        its expected version. Names it writes then hold its fingerprint when faithful,
        else a fresh ``!N`` token that matches nothing."""
        flags = v.flags.get(block_id, {})
        self.last_diverging = self.diverging(block_id, v) if block_id in v.pos else []
        faithful = succeeded and block_id in v.pos and not self.last_diverging
        for n in flags:
            if is_world(n):
                self.world_seen[n] = v.world.get(n, INITIAL)
        self._seq += 1
        self.revision = next(_REVISIONS)
        for n in writes_of(flags):
            self.names[n] = v.written(n, block_id) if faithful else f"!{self._seq}"
        self.blocks[block_id] = v.fp[block_id] if faithful else None
        return faithful

    def with_names(self, names: Mapping[str, str]) -> KernelState:
        """A copy whose names are overridden by ``names`` (what the kernel will hold once
        the run's preparation, e.g. closing every figure, has run)."""
        other = KernelState()
        other.names = {**self.names, **names}
        other.blocks = self.blocks
        other.world_seen = self.world_seen
        return other

    def diverge(self, names: Iterable[str], same: Mapping[str, str] | None = None) -> None:
        """Code outside any run wrote ``names``: each now holds a value no top-to-bottom
        run gives (a fresh ``!N`` token), except those in ``same`` (name -> the version
        the code is known to have left, e.g. a module re-imported)."""
        self._seq += 1
        self.revision = next(_REVISIONS)
        for n in names:
            self.names[n] = f"!{self._seq}"
        self.names.update(same or {})

    def diverge_all(self) -> None:
        """Code outside any run did something unknowable: no block is up to date here
        and no name holds a version a top-to-bottom run gives."""
        self._seq += 1
        self.revision = next(_REVISIONS)
        self.names = {n: f"!{self._seq}" for n in self.names}
        self.blocks = {}

    def forget_names(self, names: Iterable[str]) -> None:
        """The names were deleted from the kernel."""
        self.revision = next(_REVISIONS)
        for n in names:
            self.names.pop(n, None)

    def up_to_date(self, v: Versions) -> set[str]:
        """Blocks whose last execution here was faithful with their current fingerprint."""
        return {b for b in v.order if self.blocks.get(b) is not None and self.blocks[b] == v.fp[b]}

    def states(self, v: Versions, ever_run: Iterable[str]) -> dict[str, str]:
        """Per block of ``v``: ``up_to_date``, ``stale`` (ran before, but its results are
        not a fresh run's now) or ``never_run`` (never succeeded in any run)."""
        fresh = self.up_to_date(v)
        ran = set(ever_run)
        return {b: UP_TO_DATE if b in fresh else STALE if b in ran else NEVER_RUN for b in v.order}


class KernelStates:
    """:class:`KernelState` per kernel id, kept in memory: kernels do not outlive the
    server process that started them, and a restart empties a kernel anyway."""

    def __init__(self) -> None:
        self._kernels: dict[str, KernelState] = {}

    def of(self, kernel_id: str | None) -> KernelState:
        """The state of ``kernel_id`` (an empty one for a kernel never used)."""
        if not kernel_id:
            return KernelState()
        return self._kernels.setdefault(kernel_id, KernelState())

    def forget(self, kernel_id: str) -> None:
        """The kernel restarted or died: it holds nothing any more."""
        self._kernels.pop(kernel_id, None)

    def states(self, kernel_id: str | None, v: Versions, ever_run: Iterable[str]) -> dict[str, str]:
        """:meth:`KernelState.states` in ``kernel_id``."""
        return self.of(kernel_id).states(v, ever_run)


def effects_with_inputs(
    order: Sequence[str],
    effects: Mapping[str, Mapping[str, int]],
    extra_reads: Mapping[str, Iterable[str]] = (),
    manual: Iterable[tuple[str, str]] = (),
) -> dict[str, dict[str, int]]:
    """Per block, the inference's name flags plus ``extra_reads`` (block → names read
    outside the code's variables: ``<module:m>``, ``<dataset:d>``, ``<file:p>``) and one
    name per manual edge ``(source, target)``: ``source`` writes ``<edge:source>`` and
    ``target`` reads it, so a hand-drawn dependency propagates like a variable."""
    extra_reads = dict(extra_reads or {})
    out: dict[str, dict[str, int]] = {}
    for b in order:
        f = dict(effects.get(b, {}))
        for n in extra_reads.get(b, ()):
            f[n] = f.get(n, 0) | R
        out[b] = f
    for s, t in manual:
        if s in out and t in out:
            out[s][f"<edge:{s}>"] = out[s].get(f"<edge:{s}>", 0) | W
            out[t][f"<edge:{s}>"] = out[t].get(f"<edge:{s}>", 0) | R
    return out


def world_names(flags: Mapping[str, Mapping[str, int]]) -> set[str]:
    """The file, module and dataset names any block reads."""
    return {n for f in flags.values() for n in f if is_world(n)}
