"""Static lineage: which notebook cells read or write which datasets.

Cells are parsed with :mod:`ast` (IPython magics are transformed first); nothing runs.
A cell **reads** a file when it passes a path to a reader (``pd.read_csv("x.csv")``,
``pd.read_parquet``, ``pq.read_table``, ``pl.scan_csv``, ``np.loadtxt``, ``open(p)``,
``Path(p).read_text()`` ...) and **writes** one when it passes it to a writer
(``df.to_csv("x.csv")``, ``to_parquet``, ``pq.write_table(t, p)``, ``open(p, "w")`` ...).
``notebook_dag.load("name")`` reads the dataset of that name, and so does a SQL block
(JupySQL's ``%%sql`` / ``%sql``, parsed with sqlglot by
:mod:`notebook_dag.inference.sql`) whose SQL reads a table of that name (or of the
name without its extension: ``iris`` for ``iris.csv``, case-insensitively as DuckDB
resolves names), unless an earlier cell binds a kernel variable of that name (a
DataFrame, which DuckDB's replacement scan reads instead) or creates a DuckDB table of
that name.

Paths are string literals, constant f-strings, ``Path("a") / "b"``, ``os.path.join`` of
constants, or a name bound to one of those anywhere in the notebook (its last binding
in notebook order). Anything computed at run time is not followed.

A path matches a dataset when, resolved against the notebook's directory (the kernel's
working directory), it is the contents path a dataset version was registered from, or
when it is the absolute path (or the object URL) of a stored version. A file name alone
never matches: ``pd.read_csv("macrodata.csv")`` reads the local file next to the
notebook, not every dataset named ``macrodata.csv``; an uploaded dataset is read by
``notebook_dag.load("macrodata.csv")``, which matches by name (or id) a dataset of the
same project or of none.
"""

from __future__ import annotations

import ast
import os
import posixpath
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

READERS = frozenset({
    "read_csv", "read_table", "read_parquet", "read_json", "read_excel", "read_feather", "read_orc",
    "read_fwf", "read_pickle", "read_hdf", "read_sas", "read_spss", "read_stata", "read_xml",
    "read_ndjson", "read_ipc", "read_avro", "read_delta", "scan_csv", "scan_parquet", "scan_ndjson",
    "scan_ipc", "loadtxt", "genfromtxt", "ParquetFile", "read_schema", "read_metadata", "open_csv",
    "read_text", "read_bytes",
})
WRITERS = frozenset({
    "to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_orc", "to_pickle", "to_hdf",
    "to_stata", "to_xml", "write_table", "write_csv", "write_dataset", "write_parquet", "write_json",
    "write_ndjson", "write_ipc", "write_excel", "sink_parquet", "sink_csv", "savetxt", "write_text",
    "write_bytes",
})
_PATH_KWARGS = ("filepath_or_buffer", "path_or_buf", "path", "io", "source", "where", "file", "fname",
                "filename", "path_or_paths", "excel_writer", "output_file")


@dataclass(frozen=True)
class Ref:
    """One data access in a cell: ``kind`` is ``"read"`` or ``"write"``, ``by`` is
    ``"path"`` (``target`` a file path as written), ``"name"`` (a dataset name given to
    ``notebook_dag.load``) or ``"sql"`` (a table name in a SQL block's SQL, as written),
    ``via`` the function called (``%%sql`` / ``%sql`` for SQL), ``line`` 1-based in the cell."""

    kind: str
    by: str
    target: str
    via: str
    line: int

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "by": self.by, "target": self.target, "via": self.via, "line": self.line}


_CODE_MAGICS = frozenset({"time", "timeit", "prun", "capture"})


@lru_cache(maxsize=4096)
def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        tree = ast.parse(TransformerManager().transform_cell(source))
    except Exception:  # noqa: BLE001 - unparsable cells have no lineage
        return None
    # %time / %%time / %%capture bodies are code: parse them too
    for node in list(ast.walk(tree)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("run_line_magic", "run_cell_magic") and len(node.args) >= 2 \
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in _CODE_MAGICS \
                and isinstance(node.args[-1], ast.Constant) and isinstance(node.args[-1].value, str):
            inner = _parse(node.args[-1].value)
            if inner is not None:
                tree.body.extend(inner.body)
    return tree


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    return ".".join(reversed(parts))


class _Env:
    """What the whole notebook binds: aliases of ``notebook_dag`` / its ``load`` and
    names bound to constant paths."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.loaders: set[str] = set()
        self.constants: dict[str, str] = {}

    def collect(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "notebook_dag":
                        self.modules.add(a.asname or a.name)
            elif isinstance(node, ast.ImportFrom) and node.module == "notebook_dag":
                for a in node.names:
                    if a.name == "load":
                        self.loaders.add(a.asname or a.name)
        for node in tree.body:  # top-level constant bindings only
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = self.string(node.value)
                if value is not None:
                    self.constants[node.targets[0].id] = value
                else:
                    self.constants.pop(node.targets[0].id, None)

    def string(self, node: ast.AST | None) -> str | None:
        """The constant string ``node`` evaluates to, or None."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
            return "".join(str(v.value) for v in node.values)  # type: ignore[attr-defined]
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path("a") / "b"
            left, right = self.string(node.left), self.string(node.right)
            return None if left is None or right is None else posixpath.join(left, right)
        if isinstance(node, ast.Call) and not node.keywords:
            fn = _dotted(node.func)
            if fn.split(".")[-1] in ("Path", "PurePath", "PosixPath") or fn.endswith("path.join"):
                parts = [self.string(a) for a in node.args]
                if parts and all(p is not None for p in parts):
                    return posixpath.join(*parts)  # type: ignore[arg-type]
        return None


def _path_arg(call: ast.Call, env: _Env) -> str | None:
    for a in call.args[:2]:
        value = env.string(a)
        if value is not None:
            return value
    for kw in call.keywords:
        if kw.arg in _PATH_KWARGS:
            return env.string(kw.value)
    return None


def _open_mode(call: ast.Call, env: _Env, positional: int) -> str:
    mode = env.string(call.args[positional]) if len(call.args) > positional else None
    for kw in call.keywords:
        if kw.arg == "mode":
            mode = env.string(kw.value)
    return "write" if mode and any(c in mode for c in "wax+") else "read"


def _sql_refs(node: ast.Call, shadowed: set[str]) -> list[Ref]:
    """Tables a ``get_ipython().run_cell_magic('sql', line, body)`` (or the line magic)
    reads that no earlier cell binds in the kernel or creates in DuckDB."""
    from ..inference.sql import SqlSyntaxError, analyze_sql

    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
    if len(args) < 2 or args[0] != "sql" or args[1] is None:
        return []
    cell = node.func.attr == "run_cell_magic"  # type: ignore[attr-defined]
    try:
        q = analyze_sql(args[1], (args[2] or "") if cell and len(args) > 2 else "")
    except (SqlSyntaxError, ImportError):
        return []
    via, line = ("%%sql", 1) if cell else ("%sql", getattr(node, "lineno", 1))
    return [Ref("read", "sql", t, via, line) for t in sorted(q.tables)
            if t not in shadowed and t.lower() not in shadowed]


def _cell_refs(tree: ast.Module, env: _Env, shadowed: set[str] | None = None) -> list[Ref]:
    refs: list[Ref] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, line = node.func, getattr(node, "lineno", 0)
        if isinstance(func, ast.Attribute) and func.attr in ("run_cell_magic", "run_line_magic") \
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "sql":
            refs.extend(_sql_refs(node, shadowed or set()))
            continue
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        via = _dotted(func) or name
        is_load = (isinstance(func, ast.Name) and func.id in env.loaders) or (
            isinstance(func, ast.Attribute) and func.attr == "load" and isinstance(func.value, ast.Name)
            and func.value.id in env.modules)
        if is_load:
            target = env.string(node.args[0]) if node.args else next(
                (env.string(k.value) for k in node.keywords if k.arg == "name"), None)
            if target:
                refs.append(Ref("read", "name", target, via, line))
            continue
        if isinstance(func, ast.Name) and func.id == "open" or via in ("io.open", "codecs.open"):
            target = env.string(node.args[0]) if node.args else next(
                (env.string(k.value) for k in node.keywords if k.arg == "file"), None)
            if target:
                refs.append(Ref(_open_mode(node, env, 1), "path", target, "open", line))
            continue
        if isinstance(func, ast.Attribute) and name in ("open", "read_text", "read_bytes", "write_text", "write_bytes"):
            base = env.string(func.value)  # Path("x").open() / .read_text()
            if base is not None:
                kind = _open_mode(node, env, 0) if name == "open" else ("write" if name.startswith("write") else "read")
                refs.append(Ref(kind, "path", base, via, line))
            continue
        if name in READERS or name in WRITERS:
            target = _path_arg(node, env)
            if target:
                refs.append(Ref("read" if name in READERS else "write", "path", target, via, line))
    refs.sort(key=lambda r: (r.line, r.kind, r.target))
    return refs


def notebook_refs(cells: list[tuple[str, str]]) -> dict[str, list[Ref]]:
    """Data accesses of each code cell. ``cells``: ``(cell id, source)`` of the code
    cells in notebook order. Returns ``{cell id: [Ref, ...]}`` (cells without any omitted)."""
    env = _Env()
    trees = [(cid, _parse(src)) for cid, src in cells]
    for _, tree in trees:
        if tree is not None:
            env.collect(tree)
    from ..inference import analyze_cell

    out: dict[str, list[Ref]] = {}
    shadowed: set[str] = set()  # kernel names and DuckDB tables earlier cells make
    for (cid, tree), (_, src) in zip(trees, cells):
        if tree is not None:
            refs = _cell_refs(tree, env, shadowed)
            if refs:
                out[cid] = refs
        a = analyze_cell(src)
        shadowed |= a.defines
        shadowed |= {t.lower() for t in a.sql_created}
    return out


@dataclass
class Candidate:
    """What matching needs to know about one dataset (its versions flattened)."""

    id: str
    name: str
    project_id: str | None
    original_names: set[str]
    api_paths: set[str]
    file_paths: set[str]


def match(ref: Ref, notebook_path: str, project_id: str, candidates: list[Candidate]) -> list[Candidate]:
    """The datasets ``ref`` (from a cell of the notebook at contents path
    ``notebook_path`` in project ``project_id``) refers to; see the module docstring."""
    in_scope = [c for c in candidates if c.project_id in (None, project_id)]
    if ref.by == "sql":  # a table of a SQL block: the dataset's name, with or without extension
        want = ref.target.lower()
        own = [c for c in in_scope if want in (c.name.lower(), posixpath.splitext(c.name)[0].lower(), c.id)]
        mine = [c for c in own if c.project_id == project_id]
        return mine or own
    if ref.by == "name":
        own = [c for c in in_scope if ref.target in (c.name, c.id)]
        mine = [c for c in own if c.project_id == project_id]
        return mine or own
    target = ref.target.replace("\\", "/")
    found: dict[str, Candidate] = {}
    if "://" in target:  # an object URL (s3://bucket/prefix/blobs/...) is matched as written
        for c in candidates:
            if ref.target in c.file_paths:
                found[c.id] = c
    elif os.path.isabs(target):
        norm = os.path.normpath(target)
        for c in candidates:
            if norm in c.file_paths:
                found[c.id] = c
    else:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(notebook_path), target))
        for c in candidates:
            if resolved in c.api_paths:
                found[c.id] = c
    return list(found.values())
