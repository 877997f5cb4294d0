"""The bounded context given to the model: datasets, names upstream, the DAG around.

:class:`ContextBuilder` gathers three sections for an insertion point (``after``: the
new block goes after that cell; None: at the end) or a target block (a fix):

1. **Datasets** - from a pluggable :class:`~notebook_dag.ai.sources.DatasetSource`:
   name, path, format, row count, columns with dtypes, a few sample rows, quick-profile
   facts.
2. **Names defined upstream** - names bound by the code cells before the insertion
   point (nearest first), each with its type: from the project's running kernel when
   one is alive (``KernelIntrospector``, shapes and columns of DataFrames included),
   else a static guess from the defining statement (``pd.read_csv(...)`` → DataFrame,
   ``import`` → module, ``def`` → function...).
3. **DAG around** - the upstream blocks (ancestors of the insertion point, nearest
   first) and downstream blocks (descendants), each as ``"title" (defines ...; reads ...)``.

Size. The rendered text is at most ``budget`` characters (default 6000, about 1500
tokens). :func:`fit_sections` fills the sections round-robin, one item of each section
per round in the order above, so every section gets its most important items before
any section gets its less important ones; a single item longer than a third of the
budget is cut with ``…``; a section whose items do not all fit ends with
``(N more not shown)`` and the context is flagged ``truncated``. Within a dataset item,
sample rows are limited to the configured count and columns to 40.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..dag import BuiltDag, block_title
from ..inference import analyze_cell
from .sources import DatasetInfo, DatasetSource, KernelIntrospector

DEFAULT_BUDGET = 6000
MAX_COLUMNS = 40


@dataclass
class Section:
    """A titled list of items, most important first."""

    title: str
    items: list[str] = field(default_factory=list)
    empty: str = "(none)"


@dataclass
class AIContext:
    """A built context: ``text`` (what the model sees), its length ``chars``,
    ``truncated`` when something was left out, ``names_source`` (``kernel``/``static``),
    and the dataset names and upstream names it mentions."""

    text: str
    chars: int
    truncated: bool
    names_source: str
    datasets: list[str]
    names: list[str]

    def summary(self) -> dict[str, Any]:
        """The small description returned by the API (never the whole text)."""
        return {"chars": self.chars, "truncated": self.truncated, "names_source": self.names_source,
                "datasets": self.datasets, "names": self.names[:50]}


def fit_sections(sections: Sequence[Section], budget: int) -> tuple[str, bool]:
    """Render ``sections`` as markdown within ``budget`` characters; returns
    ``(text, truncated)``. See the module docstring for the filling rule."""
    item_cap = max(80, budget // 3)
    heads = [f"## {s.title}\n" for s in sections]
    reserve = sum(len(h) + 30 for h in heads)
    left = budget - reserve
    taken: list[list[str]] = [[] for _ in sections]
    full = [False] * len(sections)
    rounds = max((len(s.items) for s in sections), default=0)
    for i in range(rounds):
        for k, s in enumerate(sections):
            if full[k] or i >= len(s.items):
                continue
            item = s.items[i]
            if len(item) > item_cap:
                item = item[: item_cap - 1] + "…"
            if len(item) + 1 > left:
                full[k] = True
                continue
            taken[k].append(item)
            left -= len(item) + 1
    parts: list[str] = []
    truncated = False
    for k, s in enumerate(sections):
        body = taken[k] or [s.empty]
        missing = len(s.items) - len(taken[k])
        if missing:
            truncated = True
            body = [*body, f"({missing} more not shown)"] if taken[k] else [f"({missing} not shown)"]
        parts.append(heads[k] + "\n".join(body))
    text = "\n\n".join(parts)
    if len(text) > budget:  # only when the headers alone exceed a tiny budget
        text, truncated = text[: max(0, budget - 1)] + "…", True
    return text, truncated


def dataset_item(d: DatasetInfo) -> str:
    """One dataset as a few lines of text."""
    where = f"load with {d.load}" + (f" (file {d.path!r})" if d.path else "") if d.load else f"path {d.path!r}"
    head = f"- {d.name} — {where} ({d.format}" + (f", {d.rows} rows" if d.rows is not None else "") + ")"
    if d.used_by:
        head += " — already read by the notebook"
    lines = [head]
    if d.columns:
        cols = ", ".join(f"{c}:{t}" for c, t in d.columns[:MAX_COLUMNS])
        more = f" (+{len(d.columns) - MAX_COLUMNS} more)" if len(d.columns) > MAX_COLUMNS else ""
        lines.append(f"  columns: {cols}{more}")
    if d.sample:
        lines.append("  first rows (CSV):")
        lines.extend("    " + ln for ln in d.sample.splitlines())
    if d.facts:
        lines.append("  profile: " + "; ".join(d.facts))
    return "\n".join(lines)


_DF_CALLS = ("read_csv", "read_table", "read_parquet", "read_json", "read_excel", "read_feather", "read_sql",
             "DataFrame", "merge", "concat", "pivot_table", "get_dummies")


def static_kinds(source: str) -> dict[str, str]:
    """A guess of the type of each top-level name a cell binds, from its statements:
    ``pandas.DataFrame`` for ``read_*``/``DataFrame(...)``/DataFrame methods that
    return frames, ``module``, ``function``, ``class``, a literal's type, else ``?``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    kinds: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                if a.name != "*":
                    kinds[(a.asname or a.name).split(".")[0]] = f"module {a.name}" if isinstance(node, ast.Import) else f"from {node.module}"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kinds[node.name] = "function"
        elif isinstance(node, ast.ClassDef):
            kinds[node.name] = "class"
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            kind = _value_kind(node.value) if node.value is not None else "?"
            for t in targets:
                if isinstance(t, ast.Name):
                    kinds[t.id] = kind
                elif isinstance(t, ast.Tuple):
                    kinds.update({e.id: "?" for e in t.elts if isinstance(e, ast.Name)})
    return kinds


def _value_kind(value: ast.AST) -> str:
    if isinstance(value, ast.Constant):
        return type(value.value).__name__
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(value, ast.Tuple):
        return "tuple"
    if isinstance(value, ast.Lambda):
        return "function"
    call = value
    while isinstance(call, ast.Call):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in _DF_CALLS or name in ("dropna", "fillna", "copy", "head", "query", "assign", "drop", "rename", "sort_values"):
            return "pandas.DataFrame (probably)"
        if name in ("array", "zeros", "ones", "arange", "linspace"):
            return "numpy.ndarray"
        if name and name[:1].isupper():
            return name
        call = func.value if isinstance(func, ast.Attribute) else None
    return "?"


def _kernel_kind(info: dict[str, Any]) -> str:
    if info.get("module"):
        return f"module {info['module']}"
    kind = str(info.get("type", "?")).replace("builtins.", "")
    if info.get("shape"):
        kind += f" shape {tuple(info['shape'])}"
    if info.get("len") is not None:
        kind += f" len {info['len']}"
    if info.get("columns"):
        cols = info["columns"]
        kind += " columns " + ", ".join(f"{c}:{t}" for c, t in cols[:MAX_COLUMNS])
    return kind


class ContextBuilder:
    """Builds :class:`AIContext` objects (see the module docstring).

    ``datasets``: a :class:`DatasetSource` (swap it for the datasets service's adapter);
    ``introspector``: a :class:`KernelIntrospector` or None (static types only);
    ``budget``: characters.
    """

    def __init__(self, datasets: DatasetSource, introspector: KernelIntrospector | None, budget: int = DEFAULT_BUDGET) -> None:
        self.datasets = datasets
        self.introspector = introspector
        self.budget = budget

    async def build(self, project: Any, dag: BuiltDag, user: str, after: str | None = None,
                    target: str | None = None, meta: dict[str, Any] | None = None) -> AIContext:
        """Context for a new block after cell ``after`` (None: the end), or for fixing
        block ``target`` (then the names are those bound before it). ``meta`` maps
        block ids to their :class:`~notebook_dag.storage.BlockMeta` (title overrides)."""
        meta = meta or {}
        order = [c["id"] for c in dag.nb.cells]

        def title(cid: str) -> str:
            m = meta.get(cid)
            return block_title(dag.cells[cid], getattr(m, "title", None))

        if target is not None:
            before = order[: order.index(target)]
            anchor_up = set(nx.ancestors(dag.graph, target))
            down = set(nx.descendants(dag.graph, target))
            pos = order.index(target)
        else:
            before = order if after is None else order[: order.index(after) + 1]
            anchor_up = set() if after is None else set(nx.ancestors(dag.graph, after)) | {after}
            if after is None:
                anchor_up = {c for c in order if dag.is_code(c)}
            down = set() if after is None else set(nx.descendants(dag.graph, after))
            pos = len(order) if after is None else order.index(after) + 0.5
        analyses = {c: analyze_cell(str(dag.cells[c].get("source", ""))) for c in order if dag.is_code(c)}

        # names bound before the insertion point, nearest definer first
        definer: dict[str, str] = {}
        for cid in reversed(before):
            if cid in analyses:
                for name in sorted(analyses[cid].defines):
                    definer.setdefault(name, cid)
        names = sorted(definer, key=lambda n: -order.index(definer[n]))
        live = await self.introspector.describe(project.id, names) if self.introspector is not None else None
        kinds_by_cell: dict[str, dict[str, str]] = {}
        name_items = []
        for n in names:
            cid = definer[n]
            if live and n in live:
                kind = _kernel_kind(live[n])
            else:
                if cid not in kinds_by_cell:
                    kinds_by_cell[cid] = static_kinds(str(dag.cells[cid].get("source", "")))
                kind = kinds_by_cell[cid].get(n, "?")
            name_items.append(f"- {n}: {kind} — defined in \"{title(cid)}\"")

        found = await self.datasets.datasets(project, dag.nb, user)
        data_items = [dataset_item(d) for d in found]

        def block_line(cid: str) -> str:
            a = analyses.get(cid)
            bits = []
            if a is not None and a.defines:
                bits.append("defines " + ", ".join(sorted(a.defines)[:12]))
            if a is not None and a.reads:
                bits.append("reads " + ", ".join(sorted(a.reads)[:12]))
            return f"- \"{title(cid)}\"" + (f" ({'; '.join(bits)})" if bits else "")

        up_ids = sorted((c for c in anchor_up if c in analyses), key=lambda c: abs(pos - order.index(c)))
        down_ids = sorted((c for c in down if c in analyses), key=lambda c: abs(pos - order.index(c)))
        dag_items = [("upstream " + block_line(c)[2:]) for c in up_ids] + [("downstream " + block_line(c)[2:]) for c in down_ids]
        dag_items = ["- " + x for x in dag_items]
        source = "kernel" if live else "static"
        sections = [
            Section("Datasets", data_items),
            Section("Names defined upstream" + (" (types from the running kernel)" if live else " (types guessed from the code)"),
                    name_items),
            Section("DAG around the new block" if target is None else "DAG around the failing block", dag_items,
                    empty="(no connected blocks)"),
        ]
        text, truncated = fit_sections(sections, self.budget)
        return AIContext(text, len(text), truncated, source, [d.name for d in found], names)
