"""A cache of ``GET /projects/{id}/dag`` response bodies, and the change counters that
invalidate it.

Building a project's DAG view costs 200-300 ms of CPU for a 1,000-cell notebook
(inference, fingerprints, block states, validation, JSON); many clients polling the
view would hold the server's event loop up. So the finished body is kept as JSON bytes
with a strong ETag, under a key that changes whenever anything the body shows may have
changed:

* the notebook's ``last_modified`` and ``size`` from the contents manager (edits through
  this API or JupyterLab, or any other save);
* the live document of the notebook open in JupyterLab, if any
  (:meth:`notebook_dag.documents.LiveDocuments.stamp`: an editor document's revision,
  which each changed ``PUT /projects/{id}/document`` raises, or a digest of the shared
  collaboration document's cells);
* the project's generation in :class:`Changes`, bumped by every write of this process
  that the view shows: block edits and metadata (titles, positions), edges, run and
  block status rows, run events;
* the global generation of :class:`Changes`, bumped by dataset writes (any project's
  blocks may read a dataset);
* the kernel whose block states are shown and that kernel state's ``revision``
  (:class:`~notebook_dag.staleness.KernelState`);
* the requesting user, the ``kernel_id`` and ``datasets`` parameters;
* and, checked on every hit, the size and modification time of each file beside the
  notebook that the blocks read or import (:func:`notebook_dag.inputs.watched_inputs`):
  a changed data file or local module makes its readers stale at once.

What this process cannot see - another server writing to the same database, a data
file beside the notebook changing on disk - is picked up within ``ttl`` seconds: an
entry older than that is still served once while one fresh computation runs in the
background (stale-while-revalidate), so a refresh never makes clients wait.

Concurrent misses for one key share one computation (one in-flight future per key);
:attr:`DagCache.computations` counts the computations started.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from traitlets import Float, Int
from traitlets.config import LoggingConfigurable

from .inputs import inputs_unchanged

#: above this many watched files, checking them is done off the event loop
WATCH_ON_LOOP = 256

class Changes:
    """Process-local change counters: one generation per project id and one global one.

    Writers call :meth:`touch` *after* their change is committed (a reader that
    computed in between stored its result under the old generation, which no later
    request asks for)."""

    def __init__(self) -> None:
        self._projects: dict[str, int] = {}
        self._global = 0
        self._listeners: list[Callable[[str | None], None]] = []

    def touch(self, project_id: str | None = None) -> None:
        """Record a change of ``project_id`` (None: of anything, e.g. a dataset)."""
        if project_id is None:
            self._global += 1
        else:
            self._projects[project_id] = self._projects.get(project_id, 0) + 1
        for listener in self._listeners:
            listener(project_id)

    def generation(self, project_id: str) -> tuple[int, int]:
        """``(project generation, global generation)``; both only grow."""
        return self._projects.get(project_id, 0), self._global

    def subscribe(self, listener: Callable[[str | None], None]) -> None:
        """Call ``listener(project_id or None)`` on every :meth:`touch`."""
        self._listeners.append(listener)


@dataclass(frozen=True)
class Entry:
    """One cached body: ``body`` (JSON bytes), ``etag`` (quoted, strong), ``created``
    (``time.monotonic()`` seconds when its computation started), the ``key`` it was
    computed for and the files ``watched`` (``((path, signature), ...)``, see
    :func:`notebook_dag.inputs.watched_inputs`) that must be unchanged for it to hold."""

    key: Hashable
    body: bytes
    etag: str
    created: float
    watched: tuple[tuple[str, Any], ...] = ()


def make_etag(body: bytes) -> str:
    """A strong ETag of ``body``: the quoted first 32 hex digits of its SHA-256."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header value matches ``etag`` (weak comparison, as
    RFC 9110 prescribes for ``If-None-Match``; ``*`` matches anything)."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


#: what :meth:`DagCache.get` calls on a miss: async, returns ``(body, watched files)``
Compute = Callable[[], Awaitable[tuple[bytes, tuple[tuple[str, Any], ...]]]]


async def _unchanged(watched: tuple[tuple[str, Any], ...]) -> bool:
    if len(watched) <= WATCH_ON_LOOP:  # a few stat calls: cheaper than a thread hop
        return inputs_unchanged(watched)
    return await asyncio.to_thread(inputs_unchanged, watched)


class DagCache(LoggingConfigurable):
    """Response bodies per *slot* (project, user, query parameters), each valid for one
    *key* (see the module docstring). At most ``size`` slots and ``max_bytes`` bytes of
    bodies are kept (least recently used dropped first; a 1,000-cell notebook's view is
    about 1 MB); ``ttl`` seconds bound how old a body served without any known change
    may be. Configurable as ``c.DagCache.<trait>``; keyword arguments (``ttl=3600``,
    ``parent=app``) override the configuration."""

    ttl = Float(
        10.0, help="Seconds after which a cached GET /projects/{id}/dag body is recomputed in the background "
        "although this server saw no change: what only another server on the same database wrote shows "
        "within this time. Changes this server makes, and edited files beside the notebook, show at once.",
    ).tag(config=True)
    size = Int(256, help="Most DAG view bodies kept (one per project, user and query).").tag(config=True)
    max_bytes = Int(64 << 20, help="Most bytes of DAG view bodies kept.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._bytes = 0
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Future[Entry]] = {}
        #: computations started (misses plus background refreshes); for tests and benchmarks
        self.computations = 0
        self.hits = 0

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    async def get(self, slot: Hashable, key: Hashable, compute: Compute) -> Entry:
        """The entry of ``slot`` computed for ``key``: the cached one when its key is
        ``key`` and its watched files are unchanged (refreshed in the background once
        older than ``ttl``), else the result of ``compute()`` - ``(body, watched)`` -
        shared with every concurrent caller for the same key. Exceptions of ``compute``
        propagate to every caller waiting for it; nothing is cached then."""
        entry = self._entries.get(slot)
        flight: Hashable = key
        if entry is not None and entry.key == key and not await _unchanged(entry.watched):
            # a file changed: one new computation, shared by whoever saw this entry outdated
            flight = (key, "files", entry.created)
        elif entry is not None and entry.key == key:
            self._entries.move_to_end(slot)
            self.hits += 1
            if time.monotonic() - entry.created > self.ttl and (slot, key) not in self._inflight:
                self._start(slot, key, compute).add_done_callback(_consume)
            return entry
        future = self._inflight.get((slot, flight)) or self._start(slot, key, compute, flight)
        return await asyncio.shield(future)

    def _start(self, slot: Hashable, key: Hashable, compute: Compute,
               flight: Hashable | None = None) -> asyncio.Future[Entry]:
        """Start ``compute()`` for ``key``, registered in flight as ``flight`` (default ``key``)."""
        flight = key if flight is None else flight
        self.computations += 1
        started = time.monotonic()

        async def run() -> Entry:
            try:
                body, watched = await compute()
                entry = Entry(key, body, make_etag(body), started, tuple(watched))
                current = self._entries.get(slot)
                # a computation that started earlier (for an older key, say) and ended
                # later must not replace the entry of one that started after it
                if current is None or current.created <= started:
                    self._bytes += len(body) - (len(current.body) if current is not None else 0)
                    self._entries[slot] = entry
                    self._entries.move_to_end(slot)
                    while len(self._entries) > self.size or (self._bytes > self.max_bytes and len(self._entries) > 1):
                        self._bytes -= len(self._entries.popitem(last=False)[1].body)
                return entry
            finally:
                self._inflight.pop((slot, flight), None)

        future = asyncio.ensure_future(run())
        self._inflight[(slot, flight)] = future
        return future


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve a background refresh's exception so asyncio does not log it as lost;
    the stale entry stays and the next request after ``ttl`` tries again."""
    if not future.cancelled():
        future.exception()
