"""Where the current value of every name lives during a parallel run.

A name's current value (the one a sequential run would have at this point) is a
:class:`Version`: the block that made it, the kernels that have it in their namespace,
and the export file it can be loaded from. Pure bookkeeping, no kernel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .effects import BlockEffects

Loads = tuple[list[list[Any]], list[str]]


@dataclass(eq=False)
class Version:
    """The current value of one name: made by ``block`` (None: before the run) at plan
    position ``pos``; ``holders`` are the keys of kernels that have it; ``file`` an
    export containing it; ``absent``: the name does not exist; ``stuck``: why it
    cannot leave its holders."""

    block: str | None
    pos: int
    holders: set[str]
    file: str | None = None
    absent: bool = False
    stuck: str | None = None


class Values:
    """The :class:`Version` of every name; names never seen are values from before
    the run, held by the project kernel (``project_key``) and not exported."""

    def __init__(self, project_key: str) -> None:
        self.project_key = project_key
        self.versions: dict[str, Version] = {}

    def get(self, name: str) -> Version:
        v = self.versions.get(name)
        if v is None:
            v = self.versions[name] = Version(None, -1, {self.project_key}, stuck="it was not handed over")
        return v

    def set(self, name: str, v: Version) -> None:
        """Make ``v`` current unless the current one comes from a later block (two
        blocks that bind a name nobody reads may run concurrently)."""
        old = self.versions.get(name)
        if old is None or old.pos <= v.pos:
            self.versions[name] = v

    def record_prelude(self, names: Iterable[str], result: dict[str, Any], path: str) -> None:
        """Versions of values from before the run after the project kernel exported
        ``names`` into ``path`` (``result`` as returned by ``kernel_side.export``)."""
        for n in names:
            if n in result["ok"]:
                self.versions[n] = Version(None, -1, {self.project_key}, file=path)
            elif n in result["missing"]:
                self.versions[n] = Version(None, -1, {self.project_key}, absent=True)
            else:
                self.versions[n] = Version(None, -1, {self.project_key}, stuck=result["failed"].get(n, "not exported"))

    def held(self, e: BlockEffects, key: str) -> int:
        """How many of the values ``e`` needs the kernel ``key`` has."""
        return sum(1 for n in e.needs if key in self.get(n).holders)

    def stuck(self, e: BlockEffects) -> str | None:
        """Why a value ``e`` needs cannot reach a worker, if so."""
        for n in sorted(e.needs):
            v = self.get(n)
            if v.file is None and not v.absent and v.stuck and v.block is not None:
                return f"`{n}` cannot be handed over ({v.stuck})"
        return None

    def loads(self, e: BlockEffects, key: str) -> Loads | None:
        """What the kernel ``key`` must load (``[[file, [names]]...]``) and delete before
        a block with effects ``e`` runs there; None when a value it needs cannot get
        there. Stale copies of the block's products are deleted (a product the block
        does not bind after all must not pass for its value), and a file is taken whole:
        every value in it that is still current comes along, so values exported together
        keep sharing objects (``estimators`` holding ``hgbt``)."""
        files: dict[str, list[str]] = {}
        deletes: list[str] = []
        for n in sorted(e.needs):
            v = self.get(n)
            if key in v.holders:
                continue
            if v.absent:
                deletes.append(n)
            elif v.file is not None:
                files.setdefault(v.file, []).append(n)
            else:
                return None
        for n in sorted(e.products - e.needs):
            v = self.versions.get(n)
            if v is not None and key not in v.holders:
                deletes.append(n)
        for n, v in self.versions.items():
            if v.file in files and key not in v.holders and n not in files[v.file] and n not in e.products:
                files[v.file].append(n)
        return [[f, sorted(names)] for f, names in sorted(files.items())], deletes

    def loaded(self, key: str, files: list[list[Any]], deletes: Iterable[str]) -> None:
        """Record that kernel ``key`` did the loads and deletions of :meth:`loads`."""
        for path, names in files:
            for n in names:
                v = self.versions.get(n)
                if v is not None and v.file == path:
                    v.holders.add(key)
        for n in deletes:
            v = self.versions.get(n)
            if v is not None and v.absent:
                v.holders.add(key)

    def exported_by(self, key: str, exclude: Iterable[str]) -> list[str]:
        """Names whose current value kernel ``key`` has and an export file holds: if a
        block changes them through a shared object, that file is stale."""
        skip = set(exclude)
        return sorted(n for n, v in self.versions.items() if v.file is not None and key in v.holders and n not in skip)

    def produced(self, b: str, pos: int, key: str, e: BlockEffects, exported: dict[str, Any], file: str | None, everything: bool) -> None:
        """Record what block ``b`` (plan position ``pos``) left on kernel ``key``:
        ``exported`` is ``kernel_side.export``'s result for ``file``. Names it did not
        bind stay as they were; with ``everything`` False (a worker) only exported
        values become current."""
        missing = set(exported["missing"]) | set(exported["absent"])
        for n in [*e.products, *exported["linked"]]:
            if n in missing or (not everything and n not in exported["ok"]):
                continue
            ok = n in exported["ok"]
            self.set(n, Version(b, pos, {key}, file=file if ok else None, stuck=exported["failed"].get(n)))
        for n in e.deletes:
            self.set(n, Version(b, pos, {key}, absent=True))

    def missing_from(self, key: str) -> tuple[dict[str, list[str]], list[str], list[str]]:
        """What kernel ``key`` lacks of the current values: ``(files → names, names to
        delete, names that cannot reach it)``."""
        files: dict[str, list[str]] = {}
        deletes: list[str] = []
        lost: list[str] = []
        for n, v in sorted(self.versions.items()):
            if key in v.holders:
                continue
            if v.absent:
                deletes.append(n)
            elif v.file is not None:
                files.setdefault(v.file, []).append(n)
            else:
                lost.append(n)
        return files, deletes, lost
