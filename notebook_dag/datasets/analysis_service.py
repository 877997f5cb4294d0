"""Dataset analyses and chart suggestions of
:class:`~notebook_dag.datasets.service.DatasetService`, computed off the event loop
(the profiles' worker process, or a thread) and cached by content: the key is the
version's ``(sha256, format)``, the kind and the parameters (including the
``notebook_dag.load(...)`` call the result's code embeds), so the same bytes are analysed
once whichever dataset or version asks. Results live in a small in-memory LRU and as
JSON files under ``<datasets_dir>/analysis/`` (kept across restarts; removing them only
costs a recomputation). Concurrent requests for one key share one computation."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..errors import NotebookDagError, Unavailable, Unprocessable
from .analysis import KINDS, analyze
from .charts import DEFAULT_LIMIT, charts


def analyze_file(path: str, fmt: str, kind: str, load: str) -> dict[str, Any]:
    """Read the file as ``notebook_dag.load()`` does (:func:`~notebook_dag.datasets.formats.read_frame`)
    and :func:`~notebook_dag.datasets.analysis.analyze` it, adding ``seconds`` (reading
    included). Safe to run in a worker process."""
    from .formats import read_frame

    t0 = time.perf_counter()
    out = analyze(read_frame(path, fmt), kind, load)
    out["seconds"] = time.perf_counter() - t0
    return out


def charts_file(path: str, fmt: str, load: str, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """Read the file as ``notebook_dag.load()`` does and return
    :func:`~notebook_dag.datasets.charts.charts`, adding ``seconds``. Safe to run in a
    worker process."""
    from .formats import read_frame

    t0 = time.perf_counter()
    out = charts(read_frame(path, fmt), load, limit)
    out["seconds"] = time.perf_counter() - t0
    return out


#: results kept in memory (the disk cache keeps them all)
MEMORY_ENTRIES = 32


class AnalysisCache:
    """LRU in memory over JSON files in ``directory`` (None: memory only), with the
    computations in flight so that one key is computed once at a time."""

    def __init__(self, directory: Path | None, entries: int = MEMORY_ENTRIES) -> None:
        self.directory = directory
        self.entries = entries
        self.memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}

    @staticmethod
    def key(sha256: str, fmt: str, kind: str, **params: Any) -> str:
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
        return f"{sha256}.{fmt}.{kind}.{digest}"

    def _file(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.json"

    def _read(self, key: str) -> dict[str, Any] | None:
        path = self._file(key)
        if path is None:
            return None
        try:
            return json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def _write(self, key: str, value: dict[str, Any]) -> None:
        path = self._file(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(value, allow_nan=False), "utf-8")
            os.replace(tmp, path)
        except (OSError, ValueError):
            pass  # a cache: the next request computes it again

    def _remember(self, key: str, value: dict[str, Any]) -> None:
        self.memory[key] = value
        self.memory.move_to_end(key)
        while len(self.memory) > self.entries:
            self.memory.popitem(last=False)

    async def get(self, key: str, compute: Any) -> tuple[dict[str, Any], bool]:
        """``(value, cached)``: the stored value of ``key``, or ``await compute()`` stored."""
        if key in self.memory:
            self.memory.move_to_end(key)
            return self.memory[key], True
        stored = await asyncio.to_thread(self._read, key)
        if stored is not None:
            self._remember(key, stored)
            return stored, True
        if key in self.inflight:
            return await asyncio.shield(self.inflight[key]), True
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.inflight[key] = fut
        try:
            value = await compute()
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        finally:
            self.inflight.pop(key, None)
        fut.set_result(value)
        self._remember(key, value)
        await asyncio.to_thread(self._write, key, value)
        return value, False


def load_call(name: str, project_id: str | None, version: int | None) -> str:
    """The ``notebook_dag.load(...)`` source text reading a dataset: by name, with its
    project when it has one (names are unique per project), pinned to ``version`` only
    when one was asked for (else the block follows new versions)."""
    args = [repr(name)]
    if version is not None:
        args.append(f"version={version}")
    if project_id is not None:
        args.append(f"project={project_id!r}")
    return f"notebook_dag.load({', '.join(args)})"


class DatasetAnalyses:
    """Analysis methods of :class:`~notebook_dag.datasets.service.DatasetService`; they
    use its ``files``, ``jobs`` and ``_readable``."""

    files: Any
    jobs: Any
    _analysis_cache: AnalysisCache | None = None

    @property
    def analysis_cache(self) -> AnalysisCache:
        if self._analysis_cache is None:
            root = getattr(self.files, "root", None)
            self._analysis_cache = AnalysisCache(Path(root) / "analysis" if root is not None else None)
        return self._analysis_cache

    async def _computed(self, v: Any, kind: str, fn: Any, *args: Any, **params: Any) -> tuple[dict[str, Any], bool]:
        key = AnalysisCache.key(v.sha256, v.format, kind, **params)

        async def compute() -> dict[str, Any]:
            local = await asyncio.to_thread(self.files.local_copy, v.file_path, v.sha256)
            try:
                return await self.jobs.compute(fn, local, v.format, *args)
            except NotebookDagError:
                raise
            except RuntimeError as e:
                if "process died" in str(e):
                    raise Unavailable(str(e)) from None
                raise Unprocessable(f"the {kind} of this dataset failed: {type(e).__name__}: {e}"[:2000]) from None
            except Exception as e:  # noqa: BLE001 - e.g. a file pandas cannot read
                raise Unprocessable(f"the {kind} of this dataset failed: {type(e).__name__}: {e}"[:2000]) from None

        return await self.analysis_cache.get(key, compute)

    async def analysis(self, dataset_id: str, user: str, version: int | None, kind: str) -> dict[str, Any]:
        """:class:`~notebook_dag.datasets.analysis_models.AnalysisOut` of a version: its
        :func:`~notebook_dag.datasets.analysis.analyze_file` result for ``kind``
        (statistics, correlation or clustering). Raises
        :class:`~notebook_dag.errors.Unprocessable` for another kind or a file that cannot
        be analysed, :class:`~notebook_dag.errors.NotFound` for an unknown dataset or
        version (or one ``user`` may not read), :class:`~notebook_dag.errors.Conflict`
        when a registered file changed on disk."""
        if kind not in KINDS:
            raise Unprocessable(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        d, v = await self._readable(dataset_id, user, version)  # type: ignore[attr-defined]
        load = load_call(d.name, d.project_id, version)
        result, cached = await self._computed(v, kind, analyze_file, kind, load, load=load)
        result = dict(result)
        code, seconds = result.pop("code"), result.pop("seconds", 0.0)
        return {"dataset_id": d.id, "version": v.version, "sha256": v.sha256, "kind": kind, "result": result,
                "code": code, "seconds": seconds, "cached": cached}

    async def charts(self, dataset_id: str, user: str, version: int | None, limit: int) -> dict[str, Any]:
        """:class:`~notebook_dag.datasets.analysis_models.ChartsOut`: the ``limit`` best
        chart suggestions of a version with their previews
        (:func:`~notebook_dag.datasets.charts.charts_file`); errors as :meth:`analysis`."""
        d, v = await self._readable(dataset_id, user, version)  # type: ignore[attr-defined]
        load = load_call(d.name, d.project_id, version)
        result, cached = await self._computed(v, "charts", charts_file, load, limit, load=load, limit=limit)
        return {"dataset_id": d.id, "version": v.version, "sha256": v.sha256, "rows": result["rows"],
                "charts": result["charts"], "seconds": result.get("seconds", 0.0), "cached": cached}
