"""What IPython syntax in a cell reads and binds: line and cell magics (``%time``,
``%%capture``, ``%%writefile``...), ``!shell`` escapes with ``$var``/``{expr}``, and
JupySQL's ``%sql``/``%%sql`` (parsed with sqlglot, see :mod:`.sql`).

A mixin of the cell analyser (:mod:`.analysis`): IPython's input transformer turns
these into ``get_ipython().<method>(...)`` calls, which the analyser hands to
:meth:`IPythonCells.ipython`.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import Any

from . import _tables as T
from ._syntax import _local_bindings, _Scope
from .sql import analyze_sql

_VAR = re.compile(r"(?<!\$)\$(\w+)|\{([^{}]+)\}")
_TIMEIT_OPTS = re.compile(r"^\s*((-[nrpt]\s*\d+|-[qoc])\s+)*")


class IPythonCells:
    """The analyser's handling of IPython syntax; it uses the analyser's ``load``,
    ``store``, ``visit_all``, ``scopes`` and name sets."""

    owner: Any
    scopes: list[_Scope]
    tags: set[str]
    files_r: set[str]
    files_w: set[str]
    sql_tables: set[str]
    sql_created: set[str]
    sql_access: str | None
    star: bool

    def ipython(self, method: str, args: list[ast.AST]) -> None:
        """``get_ipython().<method>(...)`` from transformed magics and shell escapes."""
        vals = [a.value if type(a) is ast.Constant and isinstance(a.value, str) else "" for a in args]
        if method in ("run_line_magic", "run_cell_magic") and len(vals) >= 2 and vals[0] == "sql":
            cell = method == "run_cell_magic"
            self.sql(vals[1], vals[2] if cell and len(vals) > 2 else "", 2 if cell else getattr(args[0], "lineno", 1))
        elif method == "run_line_magic" and len(vals) >= 2:
            name, line = vals[0], vals[1]
            self.magic(name, line, line)
            if name not in T.MAGICS_EXEC and name not in T.MAGICS_READ:
                self.expand_vars(line)
        elif method == "run_cell_magic" and len(vals) >= 3:
            name, line, body = vals[0], vals[1], vals[2]
            self.magic(name, line, body)
            if name == "capture":
                for word in line.split():
                    if word.isidentifier():
                        self.store(word)
            elif name == "writefile" and line.split():
                self.files_w.add(line.split()[-1])
        elif method in ("system", "getoutput") and vals:
            self.expand_vars(vals[0])

    def sql(self, line: str, body: str, first_line: int) -> None:
        """JupySQL's ``%%sql`` / ``%sql``: tables read, the ``<<`` variable, saved
        snippets (``--save q`` defines ``<sql:q>``, read by the index for a table ``q``), files, and the DuckDB connection's state. Raises
        :class:`SqlSyntaxError` when the SQL does not parse."""
        if self.owner is not None or self.scopes[-1].kind != "module":
            return  # %sql inside a function body runs when it is called: not followed
        q = analyze_sql(line, body, first_line)
        for name in sorted(q.kernel_reads):
            self.load(name)
        self.sql_tables |= q.tables
        self.sql_created |= q.created
        self.files_r |= q.files_read
        self.files_w |= q.files_written
        if q.writes_state or self.sql_access is None:
            self.sql_access = "write" if q.writes_state else "read"
        for name in sorted(q.saves):
            self.store(f"<sql:{name}>")
        if q.result is not None:
            self.store(q.result)

    def magic(self, name: str, line: str, code: str) -> None:
        tag = T.MAGIC_TAGS.get(name)
        if tag:
            self.tags.add(tag)
        if name == "run":
            self.star = True
        elif name in T.MAGICS_EXEC:
            self.sub(code, persist=True)
        elif name in T.MAGICS_READ:
            self.sub(_TIMEIT_OPTS.sub("", code, count=1).rstrip("?"), persist=False)

    def sub(self, code: str, persist: bool) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(code)
        except (SyntaxError, ValueError):
            return
        if persist:
            self.visit_all(tree.body)
        else:
            local_names, _ = _local_bindings(tree.body, set())
            self.scopes.append(_Scope("function", local_names))
            self.visit_all(tree.body)
            self.scopes.pop()

    def expand_vars(self, text: str) -> None:
        for m in _VAR.finditer(text):
            self.sub(m.group(1) or m.group(2), persist=False)
