"""Staleness: which blocks are up to date in a kernel.

Every code block has a fingerprint: SHA-256 over its normalised source, the
fingerprints of its direct upstream blocks (so an edit propagates to exactly the
descendants) and the content hashes of the datasets it reads. A block is *up to date*
in a kernel when its last successful execution there had the same fingerprint, and no
upstream block has been executed there since. The scheme is the one build systems use
for content-addressed caching (e.g. Bazel's action keys, Nix derivation hashes), applied
to notebook cells.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

UP_TO_DATE, STALE, NEVER_RUN = "up_to_date", "stale", "never_run"


def normalize_source(source: str) -> str:
    """The source with trailing spaces of each line and blank lines at both ends removed,
    so that whitespace-only edits do not make a block stale."""
    return "\n".join(line.rstrip() for line in source.strip("\n").splitlines()).strip("\n")


def fingerprints(
    graph: nx.DiGraph,
    cells: Mapping[str, Any],
    order: Iterable[str],
    inputs: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, str]:
    """Fingerprints (hex SHA-256) of every cell in ``order`` (a topological order of
    ``graph``). ``inputs`` maps a cell id to extra content hashes it depends on (the
    datasets it reads)."""
    inputs = inputs or {}
    out: dict[str, str] = {}
    for cid in order:
        h = hashlib.sha256()
        h.update(str(cells[cid].get("cell_type", "code")).encode())
        h.update(b"\0")
        h.update(normalize_source(str(cells[cid].get("source", ""))).encode())
        for parent in sorted(graph.predecessors(cid)):
            h.update(b"\0p")
            h.update(out[parent].encode())
        for extra in sorted(inputs.get(cid, ())):
            h.update(b"\0d")
            h.update(str(extra).encode())
        out[cid] = h.hexdigest()
    return out


class KernelStates:
    """What each kernel holds: kernel id → {block id → (fingerprint of its last
    execution there, or None when that execution failed; a sequence number of that
    execution)}. Kept in memory: kernels do not outlive the server process that started
    them, and a restart empties a kernel anyway.

    Recording an execution is O(1); whether a block is up to date is decided when asked,
    in one pass over the DAG in topological order (O(V + E)): a block is up to date when
    its last execution succeeded with its current fingerprint and every upstream block
    executed in the kernel is itself up to date and executed before it. (Popping every
    descendant at each execution instead costs O(V) per block, O(V²) for a run of a
    2,000-cell chain.)"""

    def __init__(self) -> None:
        self._state: dict[str, dict[str, tuple[str | None, int]]] = {}
        self._seq = 0

    def executed(self, kernel_id: str, block_id: str, fingerprint: str | None, graph: nx.DiGraph | None = None) -> None:
        """Record an execution of ``block_id`` in ``kernel_id``: its fingerprint when it
        succeeded (None when it failed or was interrupted). Its descendants are then no
        longer up to date there (they were computed from the block's previous results);
        ``graph`` is accepted for compatibility and not needed."""
        self._seq += 1
        self._state.setdefault(kernel_id, {})[block_id] = (fingerprint, self._seq)

    def forget(self, kernel_id: str) -> None:
        """The kernel restarted or died: nothing is up to date in it any more."""
        self._state.pop(kernel_id, None)

    def up_to_date(self, kernel_id: str | None, fps: Mapping[str, str], graph: nx.DiGraph | None = None) -> set[str]:
        """Block ids (of ``fps``) up to date in ``kernel_id``: their last execution there
        succeeded with their current fingerprint, and every upstream block in ``graph``
        that was executed in the kernel is up to date and ran before them. Without
        ``graph`` only fingerprints are compared."""
        state = self._state.get(kernel_id or "", {})
        if not state:
            return set()
        if graph is None:
            return {b for b, fp in fps.items() if b in state and state[b][0] == fp}
        fresh: set[str] = set()
        for b in nx.topological_sort(graph):
            mine = state.get(b)
            if mine is None or mine[0] is None or mine[0] != fps.get(b):
                continue
            ok = True
            for p in graph.predecessors(b):
                theirs = state.get(p)
                if theirs is not None and (p not in fresh or theirs[1] > mine[1]):
                    ok = False
                    break
            if ok:
                fresh.add(b)
        return fresh

    def states(
        self, kernel_id: str | None, fps: Mapping[str, str], ever_run: Iterable[str], graph: nx.DiGraph | None = None
    ) -> dict[str, str]:
        """Per block: ``up_to_date``, ``stale`` (ran before, but not up to date now) or
        ``never_run`` (no successful execution recorded in any run of the project)."""
        fresh = self.up_to_date(kernel_id, fps, graph)
        ran = set(ever_run)
        return {b: UP_TO_DATE if b in fresh else STALE if b in ran else NEVER_RUN for b in fps}
