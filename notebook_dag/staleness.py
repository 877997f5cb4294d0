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
    """What each kernel holds: kernel id → {block id → fingerprint of its last
    successful execution there}. Kept in memory: kernels do not outlive the server
    process that started them, and a restart empties a kernel anyway."""

    def __init__(self) -> None:
        self._state: dict[str, dict[str, str]] = {}

    def executed(self, kernel_id: str, block_id: str, fingerprint: str | None, graph: nx.DiGraph) -> None:
        """Record an execution of ``block_id`` in ``kernel_id``: its fingerprint when it
        succeeded (None when it failed or was interrupted). Descendants are no longer up
        to date there: they were computed from the block's previous results."""
        state = self._state.setdefault(kernel_id, {})
        if block_id in graph:
            for d in nx.descendants(graph, block_id):
                state.pop(d, None)
        if fingerprint is None:
            state.pop(block_id, None)
        else:
            state[block_id] = fingerprint

    def forget(self, kernel_id: str) -> None:
        """The kernel restarted or died: nothing is up to date in it any more."""
        self._state.pop(kernel_id, None)

    def up_to_date(self, kernel_id: str | None, fps: Mapping[str, str]) -> set[str]:
        """Block ids whose current fingerprint matches their last execution in ``kernel_id``."""
        state = self._state.get(kernel_id or "", {})
        return {b for b, fp in fps.items() if state.get(b) == fp}

    def states(self, kernel_id: str | None, fps: Mapping[str, str], ever_run: Iterable[str]) -> dict[str, str]:
        """Per block: ``up_to_date``, ``stale`` (ran before, but not up to date now) or
        ``never_run`` (no successful execution recorded in any run of the project)."""
        fresh = self.up_to_date(kernel_id, fps)
        ran = set(ever_run)
        return {b: UP_TO_DATE if b in fresh else STALE if b in ran else NEVER_RUN for b in fps}
