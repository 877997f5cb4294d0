"""Static analysis of SQL blocks: JupySQL's ``%%sql`` cell magic and ``%sql`` line magic.

The magic's own line (options, connection, ``name <<``) is split into words the way
JupySQL's argument parser sees it; the SQL itself is parsed with sqlglot (DuckDB
dialect), never with regular expressions. :func:`analyze_sql` returns a
:class:`SqlAnalysis`:

* ``tables``: the tables the statements read, as written (``"My Table"`` unquoted,
  ``main.sales`` dotted): CTE names are not tables (a reference resolves to the nearest
  enclosing ``WITH`` that defines the name), tables written by ``CREATE`` / ``INSERT``
  / ``UPDATE`` / ``DELETE`` / ``DROP`` are not reads, table functions are not tables;
* ``kernel_reads``: the unqualified table names that are Python identifiers (a DuckDB
  replacement scan reads the kernel's DataFrame of that name), JupySQL template
  variables (``{{ x }}``), ``:param`` parameters, ``--persist df`` frames and a
  connection object named alone (``%sql conn``);
* ``result``: the variable ``name <<`` binds (also ``name= <<``);
* ``saves`` / ``snippets``: query snippets saved with ``--save q`` / named with
  ``--with q`` (JupySQL expands a snippet used as a table ``q`` as a CTE);
* ``writes_state``: whether the block changes the DuckDB connection (creates, changes
  or drops tables, views, settings, attaches, opens a connection) rather than only
  querying it;
* ``files_read`` / ``files_written``: string-literal paths (``FROM 'x.csv'``,
  ``read_parquet('y.parquet')``, ``COPY t TO 'out.csv'``);
* ``created``: tables and views created (``CREATE TABLE t``), which a later block may read.

SQL that does not parse raises :class:`SqlSyntaxError` with sqlglot's message and the
position in the cell.
"""

from __future__ import annotations

import ast
import logging
import re
import shlex
from dataclasses import dataclass
from functools import lru_cache

_EMPTY: frozenset = frozenset()
#: JupySQL options that take a value / that are flags (``sql.magic.SqlMagic.execute``)
_VALUE_OPTS = {"-w": "with", "--with": "with", "-x": "close", "--close": "close", "-c": "creator",
               "--creator": "creator", "-s": "section", "--section": "section", "-a": "connection_arguments",
               "--connection_arguments": "connection_arguments", "-f": "file", "--file": "file",
               "-S": "save", "--save": "save", "-A": "alias", "--alias": "alias", "--interact": "interact"}
_FLAG_OPTS = {"-l": "connections", "--connections": "connections", "-p": "persist", "--persist": "persist",
              "-P": "persist_replace", "--persist-replace": "persist_replace", "-n": "no_index",
              "--no-index": "no_index", "--append": "append", "-N": "no_execute", "--no-execute": "no_execute"}
_TEMPLATE = "__nbdag_template_{}__"
#: table functions whose first argument is a file path
_FILE_FUNCTIONS = frozenset({"read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json",
                             "read_json_auto", "read_ndjson", "read_ndjson_auto", "read_xlsx", "read_text",
                             "read_blob", "sniff_csv"})
#: statements DuckDB knows that sqlglot keeps as an opaque ``Command``
_COMMANDS = frozenset({"ABORT", "ALTER", "ANALYZE", "ATTACH", "BEGIN", "CALL", "CHECKPOINT", "COMMENT", "COMMIT",
                       "COPY", "CREATE", "DEALLOCATE", "DELETE", "DESCRIBE", "DETACH", "DROP", "END", "EXECUTE",
                       "EXPLAIN", "EXPORT", "FORCE", "FROM", "GRANT", "IMPORT", "INSERT", "INSTALL", "LOAD", "MERGE",
                       "PIVOT", "PRAGMA", "PREPARE", "RESET", "REVOKE", "ROLLBACK", "SELECT", "SET", "SHOW",
                       "START", "SUMMARIZE", "TRANSACTION", "TRUNCATE", "UNPIVOT", "UPDATE", "USE", "VACUUM",
                       "VALUES", "WITH"})
_FILE_SUFFIXES = (".csv", ".tsv", ".parquet", ".json", ".jsonl", ".ndjson", ".xlsx", ".txt", ".gz", ".zst")


class SqlSyntaxError(ValueError):
    """The SQL of a ``%%sql`` / ``%sql`` magic does not parse; ``str()`` says where and why."""


@dataclass(frozen=True)
class SqlAnalysis:
    """What one JupySQL magic does (see the module docstring)."""

    tables: frozenset[str] = _EMPTY
    kernel_reads: frozenset[str] = _EMPTY
    result: str | None = None
    saves: frozenset[str] = _EMPTY
    snippets: frozenset[str] = _EMPTY
    writes_state: bool = False
    files_read: frozenset[str] = _EMPTY
    files_written: frozenset[str] = _EMPTY
    created: frozenset[str] = _EMPTY


def _split_line(line: str) -> tuple[dict[str, object], list[str]]:
    """JupySQL's options of the magic line and the remaining words, in order."""
    try:
        words = shlex.split(line, posix=True)
    except ValueError:  # unbalanced quotes: JupySQL's parser would see plain words too
        words = line.split()
    opts: dict[str, object] = {}
    rest: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        key, eq, value = w.partition("=")
        if key in _VALUE_OPTS and key.startswith("--") and eq:
            opts.setdefault(_VALUE_OPTS[key], []).append(value)  # type: ignore[union-attr]
        elif w in _VALUE_OPTS and i + 1 < len(words):
            opts.setdefault(_VALUE_OPTS[w], []).append(words[i + 1])  # type: ignore[union-attr]
            i += 1
        elif w in _FLAG_OPTS:
            opts[_FLAG_OPTS[w]] = True
        elif w == "--" or w.startswith("--") and rest:  # an SQL comment from here on
            rest.extend(words[i:])
            break
        else:
            rest.append(w)
        i += 1
    return opts, rest


def _templates(sql: str) -> tuple[str, set[str]]:
    """``sql`` with each ``{{ expr }}`` Jinja placeholder replaced by an identifier, and
    the Python names the expressions read."""
    out, names, start, n = [], set(), 0, 0
    while True:
        i = sql.find("{{", start)
        j = sql.find("}}", i + 2) if i >= 0 else -1
        if i < 0 or j < 0:
            out.append(sql[start:])
            return "".join(out), names
        expr = sql[i + 2:j].split("|")[0].strip()
        try:
            names.update(x.id for x in ast.walk(ast.parse(expr, mode="eval")) if isinstance(x, ast.Name))
        except SyntaxError:
            pass
        out.append(sql[start:i])
        out.append(_TEMPLATE.format(n))
        n += 1
        start = j + 2


def _table_name(t) -> str:
    return ".".join(p for p in (t.catalog, t.db, t.name) if p)


def _cte_names(node) -> set[str]:
    w = node.args.get("with_") or node.args.get("with")  # sqlglot >= 28 / older
    if w is None:
        return set()
    return {c.alias_or_name.lower() for c in w.expressions}


def _is_cte(t) -> bool:
    if t.db or t.catalog:
        return False
    name = t.name.lower()
    node = t.parent
    while node is not None:
        if name in _cte_names(node):
            return True
        node = node.parent
    return False


def _string_arg(fn) -> str | None:
    from sqlglot import exp

    args = [fn.this, *fn.expressions] if not isinstance(fn, exp.Anonymous) else list(fn.expressions)
    for a in args:
        if isinstance(a, exp.Literal) and a.is_string:
            return a.this
        if isinstance(a, exp.Array) and a.expressions and isinstance(a.expressions[0], exp.Literal):
            return a.expressions[0].this
    return None


def _statements(sql: str, offset: int):
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to Command" chatter
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as e:
        err = e.errors[0] if e.errors else {}
        where = f" (line {err['line'] + offset}, column {err['col']})" if err.get("line") else ""
        what = str(err.get("description") or e).split("\n")[0]
        if what.startswith("Expected table name but got <Token"):
            what = "expected a table name"
        what = re.sub(r"<class 'sqlglot\.expressions\.(?:\w+\.)*(\w+)'>", r"\1", what)  # the message, not SQL
        raise SqlSyntaxError(f"SQL does not parse{where}: {what}") from None
    except TokenError as e:
        raise SqlSyntaxError(f"SQL does not parse: {e}") from None
    from sqlglot import exp

    out = []
    for s in statements:
        if isinstance(s, exp.Column) and isinstance(s.this, exp.Identifier) and not s.table \
                and s.name.upper() in _COMMANDS:
            s = exp.Command(this=s.name.upper())  # CHECKPOINT, VACUUM: one-word statements
        if isinstance(s, (exp.Condition, exp.Alias)):  # `SELEC x` reads as an expression
            first = next(s.find_all(exp.Identifier, bfs=False), s).sql(dialect="duckdb")[:40]
            raise SqlSyntaxError(f"SQL does not parse: a statement cannot start with {first!r}")
        if isinstance(s, exp.Command) and str(s.this).upper() not in _COMMANDS:
            raise SqlSyntaxError(f"SQL does not parse: {str(s.this)!r} is not a DuckDB statement")
        out.append(s)
    return out


def _walk_statement(stmt, acc: dict[str, set[str]]) -> bool:
    """Add one statement's tables to ``acc``; True when it changes the connection."""
    from sqlglot import exp

    targets: set[int] = set()
    writes = not isinstance(stmt, (exp.Query, exp.Values, exp.Pivot, exp.Describe, exp.Summarize, exp.Show,
                                   exp.Pragma))
    if isinstance(stmt, (exp.Create, exp.Insert, exp.Update, exp.Delete, exp.Drop, exp.Alter, exp.Merge)) or (
            isinstance(stmt, exp.Copy) and stmt.args.get("kind")):  # COPY t FROM 'file' writes t
        target = stmt.this
        if isinstance(target, exp.Schema):
            target = target.this
        if isinstance(target, exp.Table):
            targets.add(id(target))
            if isinstance(stmt, exp.Create):
                acc["created"].add(_table_name(target))
    if isinstance(stmt, exp.Pragma):
        writes = True  # PRAGMA may set options as well as show them
    if isinstance(stmt, exp.Copy):
        kind = "files_read" if stmt.args.get("kind") else "files_written"
        for f in stmt.args.get("files") or []:
            if isinstance(f, exp.Literal) and f.is_string:
                acc[kind].add(f.this)
    for t in stmt.find_all(exp.Table):
        if id(t) in targets:
            continue
        fn = t.this
        if not isinstance(fn, exp.Identifier):  # a table function: range(10), read_csv('x')
            if isinstance(fn, exp.Func):
                fname = (fn.name if isinstance(fn, exp.Anonymous) else fn.sql_name()).lower()
                if fname in _FILE_FUNCTIONS or fname.startswith("read"):
                    path = _string_arg(fn)
                    if path:
                        acc["files_read"].add(path)
            continue
        name = _table_name(t)
        if not name or name.startswith("__nbdag_template_") or _is_cte(t):
            continue
        acc["tables"].add(name)
        if not (t.db or t.catalog) and name.lower().endswith(_FILE_SUFFIXES):
            acc["files_read"].add(name)  # FROM 'data.csv'
    for p in stmt.find_all(exp.Placeholder):
        if p.name and p.name.isidentifier():
            acc["params"].add(p.name)
    return writes


@lru_cache(maxsize=4096)
def analyze_sql(line: str, body: str = "", first_line: int = 1) -> SqlAnalysis:
    """Analyse one JupySQL magic: ``line`` is the text after ``%%sql`` / ``%sql``,
    ``body`` the cell body (``""`` for the line magic), ``first_line`` the cell line
    number of the body's first line (for messages). Raises :class:`SqlSyntaxError` when
    the SQL does not parse."""
    opts, words = _split_line(line)
    saves = set(opts.get("save", []))  # type: ignore[arg-type]
    snippets = set(opts.get("with", []))  # type: ignore[arg-type]
    kernel: set[str] = set()
    writes = False
    # JupySQL joins the remaining words and the body, then takes a connection and `<<`
    text = " ".join(words) + ("\n" + body if body else "")
    offset = first_line - (2 if body else 1)  # the body starts on the text's second line
    pieces = text.split(None, 1)
    if pieces and "://" in pieces[0]:  # %sql duckdb:// - a (new) connection
        writes = True
        text = pieces[1] if len(pieces) > 1 else ""
    elif opts.get("persist") or opts.get("persist_replace") or opts.get("append"):
        # %sql --persist df: a table made from a DataFrame
        kernel.update(w for w in words if w.isidentifier())
        return SqlAnalysis(kernel_reads=frozenset(kernel), writes_state=True)
    elif len(pieces) == 1 and pieces[0].isidentifier() and not body.strip() and "<<" not in text:
        # %sql conn [--alias x]: a connection object of the kernel
        return SqlAnalysis(kernel_reads=frozenset(pieces), writes_state=True)
    if opts.get("close") or opts.get("creator") or opts.get("section") or opts.get("alias") \
            or opts.get("connection_arguments"):
        writes = True
    result = None
    left, arrow, right = text.partition("<<")
    if arrow and left.strip().rstrip("=").strip().isidentifier():
        result = left.strip().rstrip("=").strip()
        text = right
    files_r: set[str] = set()
    if opts.get("file"):
        files_r.update(opts["file"])  # type: ignore[arg-type]
    acc: dict[str, set[str]] = {k: set() for k in ("tables", "created", "files_read", "files_written", "params")}
    sql, template_names = _templates(text)
    kernel |= template_names
    if sql.strip():
        for stmt in _statements(sql, offset):
            writes |= _walk_statement(stmt, acc)
    tables = acc["tables"]
    kernel.update(t for t in tables if t.isidentifier())
    kernel |= acc["params"]
    return SqlAnalysis(
        tables=frozenset(tables),
        kernel_reads=frozenset(kernel),
        result=result,
        saves=frozenset(saves),
        snippets=frozenset(snippets),
        writes_state=writes and not opts.get("no_execute"),
        files_read=frozenset(files_r | acc["files_read"]),
        files_written=frozenset(acc["files_written"]),
        created=frozenset(acc["created"]),
    )
