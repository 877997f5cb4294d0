"""Running a coroutine to completion from code that may already be inside an event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any


def run_in_thread(coro_factory: Any, name: str = "notebook_dag") -> Any:
    """Run ``asyncio.run(coro_factory())`` on a fresh thread and return its result (or
    raise its exception). For start-up work and kernel-side helpers, where a loop may
    already be running on the calling thread."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro_factory())
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            box["error"] = e

    t = threading.Thread(target=target, name=name)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
