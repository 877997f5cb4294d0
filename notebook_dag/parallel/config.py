"""Library configuration on worker kernels: every block sees the configuration a
sequential run of the plan would have at its place.

``pd.set_option(...)``, ``np.set_printoptions(...)``, ``sklearn.set_config(...)`` and
``warnings.filterwarnings(...)`` change process state that later blocks use without
naming the library (``df.head(30)`` prints with pandas' display options). Blocks that
*set* configuration (their effects write ``<config:LIB>``, see
:class:`notebook_dag.inference.DependencyIndex`) run in the project kernel; after each
one, the configuration of the libraries imported there is snapshotted to a file
(``kernel_side.config_snapshot``), and before a block runs on a kernel, the snapshot of
the last setter before it in the plan is applied there unless that kernel already has it
(``kernel_side.load(..., config=path)``, in the request that loads the block's inputs
anyway). The *baseline* (no setter before the block) is the project kernel's
configuration at the start of the run, where libraries it had not imported stand at
their defaults.

The bookkeeping (:class:`ConfigReplay`) and the rules (:func:`config_needs`,
:func:`add_config_waits`) are pure; the engine makes the kernel calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .kernels import KernelDied, RequestError, RequestTimeout

#: Libraries whose configuration is carried to workers (the kernel side reads and sets
#: each); ``warnings`` are the warning filters.
CONFIG_LIBS = ("pandas", "numpy", "sklearn", "warnings")
#: The token of the configuration before any setter of the plan ran.
BASELINE = ""


def config_needs(plan: Sequence[str], setters: Iterable[str]) -> dict[str, str]:
    """For each block of ``plan`` (cell ids in the order a sequential run executes
    them), the setter whose snapshot it needs: the last block of ``setters`` strictly
    before it in ``plan``, or :data:`BASELINE`. Setters not in ``plan`` are ignored
    (their effect, if they ran before, is part of the baseline).

    >>> config_needs(["a", "s", "b", "t", "c"], {"s", "t", "x"})
    {'a': '', 's': '', 'b': 's', 't': 's', 'c': 't'}
    """
    setters = set(setters)
    out: dict[str, str] = {}
    last = BASELINE
    for b in plan:
        out[b] = last
        if b in setters:
            last = b
    return out


def final_config(plan: Sequence[str], setters: Iterable[str]) -> str:
    """The token of the configuration a sequential run of ``plan`` ends with: its last
    setter, or :data:`BASELINE`."""
    setters = set(setters)
    return next((b for b in reversed(plan) if b in setters), BASELINE)


def add_config_waits(ancestors: Mapping[str, frozenset[str]], needs: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """``ancestors`` (block -> planned blocks it waits for) with each block also waiting
    for the setter whose snapshot it needs (the snapshot is taken when that setter
    ends). Setters thereby run in plan order among themselves. The plan is a
    topological order and every added wait points backwards in it, so no cycle arises."""
    return {b: (a | {needs[b]}) if needs.get(b) else a for b, a in ancestors.items()}


@dataclass(frozen=True)
class Snapshot:
    """Where one snapshot is (``path``) or why there is none (``problem``);
    ``unusable``: why a worker kernel could not apply it (it is not tried again)."""

    path: str | None = None
    problem: str | None = None
    unusable: str | None = None


class ConfigReplay:
    """Which snapshot each block needs and which one each kernel has (no I/O).

    ``plan``: block ids in run order; ``setters``: the planned blocks that set library
    configuration (they must run in the project kernel ``project_key``). Tokens are
    setter ids or :data:`BASELINE`. Kernels are identified by ``KernelSlot.key``; a
    kernel not known to have a snapshot applied gets one before its next block.
    """

    def __init__(self, plan: Sequence[str], setters: Iterable[str], project_key: str) -> None:
        self.setters = frozenset(setters) & set(plan)
        self.needs = config_needs(plan, self.setters)
        self.final = final_config(plan, self.setters)
        self.project_key = project_key
        self._snaps: dict[str, Snapshot] = {}
        self._applied: dict[str, str] = {}

    # -- snapshots --------------------------------------------------------------------
    def taken(self, token: str, path: str | None, problem: str | None = None) -> None:
        """Record the snapshot of ``token`` (a file, or the problem that prevented it).
        A snapshot is taken in the project kernel, which therefore has it applied."""
        self._snaps[token] = Snapshot(path, problem)
        self.applied(self.project_key, token if problem is None else None)

    def settle(self, block: str) -> None:
        """``block`` ended: a setter that left no snapshot (skipped, cancelled, timed
        out) stands for the configuration before it."""
        if block in self.setters and block not in self._snaps:
            self._snaps[block] = self._snaps.get(self.needs[block], Snapshot(problem="no snapshot was taken"))

    def snapshot(self, token: str) -> Snapshot:
        """The snapshot of ``token`` (a problem when it was not taken yet)."""
        return self._snaps.get(token) or Snapshot(problem="its snapshot was not taken")

    def problem(self, block: str) -> str | None:
        """Why ``block`` cannot get its configuration on a worker, or None."""
        snap = self.snapshot(self.needs[block])
        where = "at the start of the run" if not self.needs[block] else f"after block {self.needs[block]}"
        if snap.problem is not None:
            return f"the library configuration {where} could not be read for the worker kernels ({snap.problem})"
        if snap.unusable is not None:
            return f"the library configuration {where} could not be applied on a worker kernel ({snap.unusable})"
        return None

    # -- kernels ----------------------------------------------------------------------
    def to_apply(self, block: str | None, key: str) -> tuple[str, str] | None:
        """``(token, path)`` of the snapshot to apply on kernel ``key`` before ``block``
        runs there (``None`` block: the end of the run), or None when the kernel has it
        already or it cannot be applied. The project kernel is changed only while its
        own configuration is a snapshot (so that it can be given back): not after a
        setter whose snapshot failed, until the next setter's snapshot."""
        token = self.final if block is None else self.needs[block]
        current = self._applied.get(key)
        if current == token or (key == self.project_key and current is None):
            return None
        snap = self.snapshot(token)
        if snap.path is None or (snap.unusable is not None and key != self.project_key):
            return None
        return token, snap.path

    def after_apply(self, key: str, token: str, problems: Sequence[str] | None) -> str | None:
        """Record the outcome of applying ``token`` on kernel ``key`` (``problems``: what
        the kernel could not set); returns None when it worked, else the problems. A
        snapshot that a worker could not apply is not given to workers again."""
        self.applied(key, None if problems else token)
        if not problems:
            return None
        why = "; ".join(problems)
        snap = self.snapshot(token)
        if key != self.project_key and snap.unusable is None and token in self._snaps:
            self._snaps[token] = Snapshot(snap.path, snap.problem, why)
        return why

    def applied(self, key: str, token: str | None) -> None:
        """Kernel ``key`` now has ``token`` applied (None: unknown, e.g. after a failed
        apply or a setter that did not finish)."""
        if token is None:
            self._applied.pop(key, None)
        else:
            self._applied[key] = token


def setter_blocks(config: Mapping[str, Iterable[str]]) -> set[str]:
    """Blocks that set the configuration of a library of :data:`CONFIG_LIBS`, given
    block -> libraries whose configuration it sets (``BlockEffects.config``)."""
    return {b for b, libs in config.items() if set(libs) & set(CONFIG_LIBS)}


async def take_snapshot(slot: Any, replay: ConfigReplay, token: str, path: str, timeout: float | None) -> str | None:
    """Snapshot the configuration of kernel ``slot`` (the project kernel) into the file
    ``path`` as ``token`` and record it in ``replay``. Returns the problem (then
    recorded as the snapshot's) or None; never raises for a failing kernel request."""
    try:
        res = await slot.call("config_snapshot", path, timeout=timeout)
        problem = "; ".join(res["problems"]) or None
        path = res.get("path") or path  # a store names the object after its content
    except (RequestError, RequestTimeout, KernelDied) as e:
        problem = str(e) or type(e).__name__
    replay.taken(token, None if problem else path, problem)
    return problem
