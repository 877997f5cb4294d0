"""What a run wrote beside the notebook: bounded directory snapshots, their difference
and which block each changed file belongs to. Pure file-system code: call it off the
event loop.

A snapshot maps each file under the notebook's directory (relative POSIX path) to its
``(size, mtime_ns)``, skipping hidden entries and configured directories, at most
``max_files`` files and ``max_depth`` levels deep. Two snapshots, one before the run's
first block and one after its last, give the files the run created or changed; each
is given to the block whose execution interval ``[started, finished]`` contains its
modification time (:func:`attribute`), so no block pays for a snapshot of its own.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..inputs import file_hash

#: ``(size, mtime_ns)`` of a file
Signature = tuple[int, int]


@dataclass
class Snapshot:
    """``files``: relative POSIX path → ``(size, mtime_ns)``; ``complete`` is False when
    ``max_files`` stopped the walk (files past the limit are then not watched)."""

    files: dict[str, Signature] = field(default_factory=dict)
    complete: bool = True


@dataclass
class Change:
    """A file the run created (``change="created"``) or changed (``"modified"``):
    ``block_id`` wrote it, or None with ``note`` saying why no block could be told."""

    path: str
    size: int
    mtime_ns: int
    change: str
    block_id: str | None = None
    note: str | None = None
    sha256: str | None = None
    mime: str | None = None


def snapshot(directory: str, max_files: int = 5000, max_depth: int = 6, skip_dirs: Iterable[str] = (),
             skip_paths: Iterable[str] = (), skip_files: Iterable[str] = ()) -> Snapshot:
    """The files under OS directory ``directory`` (see the module docstring).

    ``skip_dirs``: directory names never entered (``__pycache__``...); ``skip_paths``:
    OS paths never entered (the datasets storage...); ``skip_files``: OS paths of files
    left out (the notebook itself). Hidden files and directories (``.name``) are skipped.
    Symbolic links are not followed. Never raises for unreadable entries."""
    out = Snapshot()
    names = set(skip_dirs)
    paths = {os.path.realpath(p) for p in skip_paths if p}
    files = {os.path.realpath(p) for p in skip_files if p}
    stack: list[tuple[str, str, int]] = [(directory, "", 0)]
    while stack:
        path, rel, depth = stack.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        for e in sorted(entries, key=lambda e: e.name):
            if e.name.startswith("."):
                continue
            r = f"{rel}{e.name}"
            try:
                if e.is_dir(follow_symlinks=False):
                    if depth + 1 < max_depth and e.name not in names and os.path.realpath(e.path) not in paths:
                        stack.append((e.path, r + "/", depth + 1))
                    continue
                if not e.is_file(follow_symlinks=False):
                    continue
                if files and os.path.realpath(e.path) in files:
                    continue
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if len(out.files) >= max_files:
                out.complete = False
                return out
            out.files[r] = (st.st_size, st.st_mtime_ns)
    return out


def changed(before: Snapshot, after: Snapshot, since_ns: int = 0) -> list[tuple[str, Signature, str]]:
    """``(path, (size, mtime_ns), "created" | "modified")`` of the files of ``after``
    that ``before`` lacks or has with another size or modification time, sorted by
    path. A file ``before`` lacks because its walk stopped at the limit counts only when
    modified at or after ``since_ns`` (the run's start). Files deleted during the run
    are not artifacts."""
    out = []
    for path, sig in sorted(after.files.items()):
        old = before.files.get(path)
        if old is None:
            if before.complete or sig[1] >= since_ns:
                out.append((path, sig, "created"))
        elif old != sig:
            out.append((path, sig, "modified"))
    return out


def _ns(t: datetime) -> int:
    return round(t.timestamp() * 1_000_000) * 1000


def attribute(mtime_ns: int, intervals: Mapping[str, tuple[datetime, datetime]],
              slack: float = 0.0) -> tuple[str | None, str | None]:
    """``(block id, None)`` of the one block whose execution ``[started, finished]``
    contains ``mtime_ns``; else ``(None, why)``. When no interval contains it, an
    interval widened by ``slack`` seconds on both sides (file systems whose
    timestamps lag the clock) is accepted if it is the only one."""
    spans = {b: (_ns(s), _ns(f)) for b, (s, f) in intervals.items()}
    inside = [b for b, (s, f) in spans.items() if s <= mtime_ns <= f]
    if len(inside) == 1:
        return inside[0], None
    if len(inside) > 1:
        return None, f"changed while {len(inside)} blocks ran at once (parallel run): its writer cannot be told"
    pad = int(slack * 1e9)
    near = [b for b, (s, f) in spans.items() if s - pad <= mtime_ns <= f + pad]
    if len(near) == 1:
        return near[0], None
    if len(near) > 1:
        return None, "changed between two blocks: its writer cannot be told"
    return None, "changed during the run while none of its blocks was running"


def describe(directory: str, rel: str, sig: Signature, change: str,
             intervals: Mapping[str, tuple[datetime, datetime]], slack: float = 0.0) -> Change:
    """The :class:`Change` of one changed file: its writer (:func:`attribute`), SHA-256
    (None above :data:`notebook_dag.inputs.HASH_LIMIT` or when unreadable) and MIME
    type (:mod:`mimetypes`, None when unknown)."""
    block, note = attribute(sig[1], intervals, slack)
    digest = file_hash(os.path.join(directory, *rel.split("/")))
    return Change(rel, sig[0], sig[1], change, block, note,
                  digest[len("sha256:"):] if digest.startswith("sha256:") else None,
                  mimetypes.guess_type(rel)[0])
