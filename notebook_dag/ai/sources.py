"""Where the AI context gets its facts: datasets (pluggable) and live variable types.

Dataset sources implement :class:`DatasetSource`. :class:`FileDatasets` needs nothing
but the files: the literal paths the notebook reads (``pd.read_csv("x.csv")`` and
friends, found with ``ast`` and the inference's ``files_read``) and the data files
lying in the notebook's directory, each read for a few rows in a thread.
:class:`ServiceDatasets` asks the datasets service (``Services.datasets``, when the
server has one) for the project's datasets, their first rows and quick profiles, and
completes them with the file source. Swap the source given to
:class:`~notebook_dag.ai.context.ContextBuilder` to change where datasets come from.

:class:`KernelIntrospector` asks the project's running kernel for the types of a few
names with one ``silent=True, store_history=False`` execute request whose
``user_expressions`` do the work (no output, execution count untouched), on a kernel
client of its own, with a short timeout.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import posixpath
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from jupyter_core.utils import ensure_async

from ..gateway import kernel_client
from ..inference import analyze_cell

DATA_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet", ".json": "json",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "excel", ".xls": "excel", ".feather": "feather",
}
_READERS = ("read_csv", "read_table", "read_parquet", "read_json", "read_excel", "read_feather", "loadtxt", "genfromtxt")


@dataclass
class DatasetInfo:
    """What the model is told about one dataset. ``path`` is relative to the notebook's
    directory (how the cell must open it); ``columns`` are ``(name, dtype)``; ``sample``
    is a few rows as CSV text; ``facts`` are short quick-profile sentences; ``rows`` the
    row count when known; ``load`` the Python expression a cell opens it with, when that
    is not a read of ``path`` (``notebook_dag.load("name")`` for the datasets the
    datasets service knows: it reads the current version, uploaded or registered, and
    makes the cell stale when a new version arrives)."""

    name: str
    path: str
    format: str
    columns: list[tuple[str, str]] = field(default_factory=list)
    sample: str = ""
    facts: list[str] = field(default_factory=list)
    rows: int | None = None
    used_by: list[str] = field(default_factory=list)
    load: str = ""


class DatasetSource(Protocol):
    """Gives the datasets of a project: ``await source.datasets(project, nb, user)``."""

    async def datasets(self, project: Any, nb: Any, user: str) -> list[DatasetInfo]: ...


def literal_reads(source: str) -> set[str]:
    """Literal file paths a cell reads: the inference's ``files_read`` plus the first
    string argument of ``read_*``/``loadtxt`` calls (``pd.read_csv("a.csv")``). URLs are left out."""
    paths = set(analyze_cell(source).files_read)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        tree = None
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _READERS:
                arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("filepath_or_buffer", "path", "io", "fname")), None)
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    paths.add(arg.value)
    return {p[2:] if p.startswith("./") else p for p in paths if p and "://" not in p}


class FileDatasets:
    """Datasets found from the files themselves (see the module docstring).

    ``root_dir`` is the server root on disk (the contents manager's); files outside it
    are never read. At most ``max_files`` files, ``sample_rows`` rows shown, profile
    facts computed on the first ``profile_rows`` rows.
    """

    def __init__(self, root_dir: str | None, max_files: int = 6, sample_rows: int = 3, profile_rows: int = 2000) -> None:
        self.root_dir = os.path.realpath(root_dir) if root_dir else None
        self.max_files = max_files
        self.sample_rows = sample_rows
        self.profile_rows = profile_rows

    async def datasets(self, project: Any, nb: Any, user: str) -> list[DatasetInfo]:
        """Datasets read by the notebook first (with the cells using them), then other
        data files of the notebook's directory; never raises for an unreadable file."""
        if self.root_dir is None:
            return []
        nb_dir = posixpath.dirname(project.notebook_path)
        used: dict[str, list[str]] = {}
        for cell in nb.cells:
            if cell.get("cell_type") == "code":
                for path in sorted(literal_reads(str(cell.get("source", "")))):
                    used.setdefault(path, []).append(cell.get("id"))
        return await asyncio.to_thread(self._collect, nb_dir, used)

    def _resolve(self, nb_dir: str, path: str) -> str | None:
        assert self.root_dir is not None
        full = os.path.realpath(os.path.join(self.root_dir, nb_dir, os.path.expanduser(path)))
        if full != self.root_dir and not full.startswith(self.root_dir + os.sep):
            return None
        return full if os.path.isfile(full) else None

    def _collect(self, nb_dir: str, used: dict[str, list[str]]) -> list[DatasetInfo]:
        out: list[DatasetInfo] = []
        seen: set[str] = set()
        candidates = list(used)
        try:
            here = os.path.join(self.root_dir or "", nb_dir)
            candidates += sorted(n for n in os.listdir(here) if os.path.splitext(n)[1].lower() in DATA_EXTENSIONS
                                 and not n.startswith("."))
        except OSError:
            pass
        for rel in candidates:
            if len(out) >= self.max_files:
                break
            full = self._resolve(nb_dir, rel)
            if full is None or full in seen:
                continue
            seen.add(full)
            fmt = DATA_EXTENSIONS.get(os.path.splitext(full)[1].lower())
            info = DatasetInfo(name=os.path.basename(rel), path=rel, format=fmt or "file", used_by=used.get(rel, []))
            if fmt is not None:
                describe_file(info, full, self.sample_rows, self.profile_rows)
            out.append(info)
        return out


def describe_file(info: DatasetInfo, full: str, sample_rows: int = 3, profile_rows: int = 2000) -> None:
    """Fill ``info`` (columns, sample, facts, rows) from the data file at ``full``;
    synchronous (call it in a thread). A file pandas cannot read gets a fact saying so."""
    import pandas as pd

    try:
        size = os.path.getsize(full)
        readers = {
            "csv": lambda: pd.read_csv(full, nrows=profile_rows),
            "tsv": lambda: pd.read_csv(full, sep="\t", nrows=profile_rows),
            "jsonl": lambda: pd.read_json(full, lines=True, nrows=profile_rows),
            "json": lambda: pd.read_json(full).head(profile_rows),
            "parquet": lambda: pd.read_parquet(full).head(profile_rows),
            "excel": lambda: pd.read_excel(full, nrows=profile_rows),
            "feather": lambda: pd.read_feather(full).head(profile_rows),
        }
        df = readers[info.format]()
    except Exception as e:  # noqa: BLE001 - missing engine, bad file: say so and go on
        info.facts.append(f"could not be read here ({type(e).__name__})")
        return
    info.columns = [(str(c), str(t)) for c, t in df.dtypes.items()]
    info.sample = df.head(sample_rows).to_csv(index=False).strip()
    if len(df) < profile_rows:
        info.rows = len(df)
    elif info.format in ("csv", "tsv") and size <= 50 * 2**20:
        with open(full, "rb") as f:
            info.rows = max(0, sum(1 for _ in f) - 1)
    info.facts.extend(quick_facts(df, info.rows is None or info.rows > len(df)))


def quick_facts(df: Any, sampled: bool) -> list[str]:
    """Short profile sentences about DataFrame ``df``: missing values per column and
    the range of a few numeric columns (``sampled``: ``df`` is the file's first rows)."""
    facts: list[str] = []
    where = f" in the first {len(df)} rows" if sampled else ""
    missing = {str(c): int(n) for c, n in df.isna().sum().items() if n}
    if missing:
        facts.append("missing values" + where + ": " + ", ".join(f"{c} {n}" for c, n in list(missing.items())[:10]))
    else:
        facts.append("no missing values" + where)
    numeric = df.select_dtypes("number")
    ranges = [f"{c} {numeric[c].min():.4g}..{numeric[c].max():.4g}" for c in list(numeric.columns)[:6] if numeric[c].notna().any()]
    if ranges:
        facts.append("ranges: " + ", ".join(ranges))
    categorical = [c for c in df.columns if df[c].dtype == object][:3]
    for c in categorical:
        values = df[c].dropna().astype(str).value_counts()
        if 0 < len(values) <= 20:
            facts.append(f"{c} takes {len(values)} values: " + ", ".join(list(values.index[:5])) + ("…" if len(values) > 5 else ""))
    return facts


class ServiceDatasets:
    """Datasets of the project from the datasets service (``Services.datasets``, looked
    up at each call so a service set after the AI one is still found), completed by
    ``fallback`` (a :class:`FileDatasets`) for files the service does not know.

    A service offering ``context_for(project, user)`` (awaitable, dicts shaped like
    :class:`DatasetInfo`) is asked that; otherwise its ``list`` / ``preview`` /
    ``profile`` methods give the names, registered paths, columns, first rows and quick
    profile. Any failure of the service leaves the files alone as the source.
    """

    def __init__(self, services: Any, fallback: DatasetSource, log: Any = None, max_datasets: int = 6) -> None:
        self.services = services
        self.fallback = fallback
        self.log = log
        self.max_datasets = max_datasets

    async def datasets(self, project: Any, nb: Any, user: str) -> list[DatasetInfo]:
        """The service's datasets first, then files not already named by it."""
        found: list[DatasetInfo] = []
        service = getattr(self.services, "datasets", None)
        if service is not None:
            try:
                found = await self._from_service(service, project, user)
            except Exception as e:  # noqa: BLE001 - the files still give a context
                if self.log is not None:
                    self.log.warning("notebook_dag: dataset context from the datasets service failed: %s", e)
        paths = {d.path for d in found}
        return found + [d for d in await self.fallback.datasets(project, nb, user) if d.path not in paths]

    async def _from_service(self, service: Any, project: Any, user: str) -> list[DatasetInfo]:
        method = getattr(service, "context_for", None)
        if method is not None:
            return [DatasetInfo(
                name=str(d.get("name", "")), path=str(d.get("path", "")), format=str(d.get("format", "")),
                columns=[(str(c), str(t)) for c, t in d.get("columns", [])], sample=str(d.get("sample", "")),
                facts=[str(f) for f in d.get("facts", [])], rows=d.get("rows"),
            ) for d in await ensure_async(method(project, user))]
        rows, _ = await service.list(user, project_id=project.id, limit=self.max_datasets)
        nb_dir = posixpath.dirname(project.notebook_path)
        out = []
        for d in rows:
            latest = d.get("latest") or {}
            api_path = latest.get("path")
            path = posixpath.relpath(api_path, nb_dir or ".") if api_path else ""
            info = DatasetInfo(name=str(d.get("name")), path=path, format=str(latest.get("format", "")),
                               rows=latest.get("rows"), load=f"notebook_dag.load({str(d.get('name'))!r})")
            try:
                prev = await service.preview(d["id"], user, None, 0, 3)
                cols = [c["name"] for c in prev.get("columns", [])]
                info.columns = [(c["name"], c.get("dtype", "?")) for c in prev.get("columns", [])]
                info.sample = "\n".join([",".join(cols)] + [",".join("" if v is None else str(v) for v in r) for r in prev.get("rows", [])])
            except Exception:  # noqa: BLE001 - the file may be gone; the profile may still tell
                pass
            try:
                prof = (await service.profile(d["id"], user, None)).get("profile")
            except Exception:  # noqa: BLE001
                prof = None
            if prof:
                info.rows = prof.get("rows", info.rows)
                info.facts.extend(profile_facts(prof))
            out.append(info)
        return out


def profile_facts(profile: dict[str, Any]) -> list[str]:
    """Short sentences from a datasets-service quick profile (``rows``,
    ``missing_cells``, ``duplicate_rows``, ``quality``, ``column_profiles``)."""
    facts = []
    if profile.get("missing_cells"):
        missing = [f"{c['name']} {c['missing']}" for c in profile.get("column_profiles", []) if c.get("missing")]
        facts.append("missing values: " + ", ".join(missing[:10]))
    else:
        facts.append("no missing values")
    if profile.get("duplicate_rows"):
        facts.append(f"{profile['duplicate_rows']} duplicate rows")
    quality = (profile.get("quality") or {}).get("score")
    if quality is not None:
        facts.append(f"quality score {quality:.0f}/100")
    ranges = []
    for c in profile.get("column_profiles", []):
        if c.get("kind") == "numeric" and c.get("min") is not None and len(ranges) < 6:
            ranges.append(f"{c['name']} {c['min']:.4g}..{c['max']:.4g} (mean {c.get('mean') or 0:.4g})")
        elif c.get("kind") == "categorical" and c.get("top"):
            facts.append(f"{c['name']} top values: " + ", ".join(str(t.get("value")) for t in c["top"][:5]))
    if ranges:
        facts.append("ranges: " + ", ".join(ranges))
    return facts


_EXPR = (
    "(lambda ns, names: __import__('json').dumps({n: (lambda v: {"
    "'type': type(v).__module__.split('.')[0] + '.' + type(v).__qualname__, "
    "'module': getattr(v, '__name__', None) if type(v).__name__ == 'module' else None, "
    "'shape': list(v.shape) if isinstance(getattr(v, 'shape', None), tuple) else None, "
    "'columns': [[str(c), str(t)] for c, t in list(v.dtypes.items())[:40]] "
    "if hasattr(v, 'columns') and hasattr(getattr(v, 'dtypes', None), 'items') else None, "
    "'len': len(v) if isinstance(v, (list, dict, tuple, set, str)) else None"
    "})(ns[n]) for n in names if n in ns}, default=str))(get_ipython().user_ns, NAMES)"
)


class KernelIntrospector:
    """Types of names in a project's running kernel (see the module docstring).

    ``runs`` is the :class:`notebook_dag.execution.RunService` (its ``kernels`` know the
    project's kernel); ``timeout`` in seconds.
    """

    def __init__(self, runs: Any, timeout: float = 3.0, log: Any = None) -> None:
        self.runs = runs
        self.timeout = timeout
        self.log = log

    async def kernel_id(self, project_id: str) -> str | None:
        """The project's kernel id when it is alive, else None."""
        kernels = getattr(self.runs, "kernels", None)
        kid = kernels.current(project_id) if kernels is not None else None
        if kid is None:
            return None
        try:
            return kid if await kernels.alive(kid) else None
        except Exception:  # noqa: BLE001
            return None

    async def describe(self, project_id: str, names: list[str]) -> dict[str, dict[str, Any]] | None:
        """``{name: {"type", "shape", "columns", "len", "module"}}`` for the ``names``
        bound in the kernel; None when no kernel runs or it did not answer in time."""
        kid = await self.kernel_id(project_id)
        if kid is None or not names:
            return None
        names = [n for n in names if n.isidentifier()][:80]
        try:
            return await asyncio.wait_for(self._ask(kid, names), self.timeout)
        except Exception as e:  # noqa: BLE001 - busy or gone: static analysis instead
            if self.log is not None:
                self.log.info("notebook_dag: kernel introspection skipped: %s", type(e).__name__)
            return None

    async def _ask(self, kid: str, names: list[str]) -> dict[str, dict[str, Any]] | None:
        from jupyter_client.session import Session

        km = self.runs.kernel_manager.get_kernel(kid)
        # A Session of its own: km.client() shares the manager's Session, whose id is the
        # shell socket's identity, and a second socket with the same identity takes the
        # run engine's replies away from it (they never arrive after this client closes).
        session = Session(key=km.session.key, signature_scheme=km.session.signature_scheme, username="notebook_dag-ai")
        # notebook_dag's gateway client for a gateway's kernel (it sends the gateway's
        # headers), whose start_channels is a coroutine: awaited, never left un-run
        kc = kernel_client(km, session=session)
        await ensure_async(kc.start_channels())
        try:
            msg_id = kc.execute("", silent=True, store_history=False, allow_stdin=False,
                                user_expressions={"nbdag": _EXPR.replace("NAMES", repr(names))})
            deadline = time.monotonic() + self.timeout
            while True:
                reply = await ensure_async(kc.get_shell_msg(timeout=max(0.05, deadline - time.monotonic())))
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    break
        finally:
            kc.stop_channels()
        value = reply.get("content", {}).get("user_expressions", {}).get("nbdag", {})
        if value.get("status") != "ok":
            return None
        text = value.get("data", {}).get("text/plain", "")
        return json.loads(ast.literal_eval(text))
