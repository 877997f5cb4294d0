"""Per-user rate limiting of the AI routes: a sliding window kept in memory.

Good for one server process (a personal server or one JupyterHub single-user server);
several processes behind a load balancer would each count on their own.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from ..errors import TooManyRequests


class SlidingWindowLimiter:
    """At most ``limit`` requests per key within any ``window`` seconds.

    ``limit <= 0`` disables the limit. ``clock`` returns seconds (monotonic); tests may
    pass a fake one.
    """

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may make one more request (0 when it may now)."""
        if self.limit <= 0:
            return 0.0
        hits = self._prune(key)
        if len(hits) < self.limit:
            return 0.0
        return max(0.0, hits[0] + self.window - self.clock())

    def hit(self, key: str) -> None:
        """Count one request of ``key``.

        Raises :class:`TooManyRequests` (429, with ``retry_after`` in whole seconds and
        ``limit``/``window``) when ``key`` already made ``limit`` requests in the window;
        a refused request is not counted.
        """
        if self.limit <= 0:
            return
        wait = self.retry_after(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequests(
                f"AI rate limit reached: at most {self.limit} requests per {self.window:g} s; "
                f"try again in {seconds} s",
                retry_after=seconds,
                limit=self.limit,
                window=self.window,
            )
        self._hits.setdefault(key, deque()).append(self.clock())

    def _prune(self, key: str) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        horizon = self.clock() - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if not hits:
            self._hits.pop(key, None)
            return deque()
        return hits
