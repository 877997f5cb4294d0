"""Checks of generated code before it is returned: fences stripped, syntax parsed the
way inference parses cells, and the DAG kept acyclic.

Pure functions (no I/O): :func:`split_answer`, :func:`syntax_error`, :func:`sql_error`,
:func:`as_sql_block`, :func:`edges_with_block` and :func:`check_cycle`. The service adds the one repair
round-trip to the model between a syntax error and the 422.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import networkx as nx

from ..dag import cycle_through
from ..inference import infer_edges

#: Id standing for a block that is proposed but not inserted yet.
NEW_BLOCK = "<new>"

#: Longest explanation kept from an answer, in characters.
EXPLANATION_CHARS = 600

_FENCE = re.compile(r"^[ \t]*(```|~~~)[ \t]*([A-Za-z0-9_+.\-]*)[^\n]*$", re.MULTILINE)
_CODE_LANGS = {"", "python", "py", "python3", "ipython", "ipython3", "jupyter"}
_LABEL_ANYWHERE = re.compile(r"^\W*explanation\W*:\**\s*", re.IGNORECASE | re.MULTILINE)


def split_answer(answer: str) -> tuple[str, str]:
    """Split a model answer into ``(code, explanation)``.

    The code is the first fenced block (```` ``` ```` or ``~~~``, language python/py/
    ipython or none; an unterminated fence runs to the end of the answer); the
    explanation is the prose after an ``Explanation:`` label, else the prose after the
    code, else the prose before it, on one line and cut to :data:`EXPLANATION_CHARS`. An answer without any fence is all code.
    Leading/trailing blank lines are stripped from the code; it ends with no newline.
    """
    text = answer.replace("\r\n", "\n")
    blocks: list[tuple[Any, Any]] = []  # (opening fence, closing fence or None)
    opening = None
    for f in _FENCE.finditer(text):
        if opening is None:
            opening = f
        elif f.group(1) == opening.group(1) and not f.group(2):
            blocks.append((opening, f))
            opening = None
    if opening is not None:
        blocks.append((opening, None))
    if not blocks:
        return text.strip("\n").rstrip(), ""
    start, end = next((b for b in blocks if b[0].group(2).lower() in _CODE_LANGS), blocks[0])
    code = text[start.end() + 1 : end.start() if end else len(text)]
    before, after = text[: start.start()], (text[end.end() :] if end else "")
    return code.strip("\n").rstrip(), _explanation(before, after)


def _explanation(before: str, after: str) -> str:
    """The prose after an ``Explanation:`` label if there is one, else the prose after
    the code, else the prose before it."""
    for part in (after, before):
        m = _LABEL_ANYWHERE.search(part)
        if m:
            prose = part[m.end() :]
            break
    else:
        prose = after if after.strip() else before
    lines = [ln.strip() for ln in prose.strip().splitlines()]
    text = " ".join(ln for ln in lines if ln)
    if len(text) > EXPLANATION_CHARS:
        text = text[: EXPLANATION_CHARS - 1].rstrip() + "…"
    return text


@lru_cache(maxsize=1)
def _transformer() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def syntax_error(code: str) -> str | None:
    """None when ``code`` parses, else ``"line N: message"``.

    Parsed as the inference parses cells: plain ``ast`` first, then after IPython's
    input transformation (so ``%magics`` and ``!shell`` lines are fine). The message is
    that of the plain parse, whose line numbers match the code the user sees.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(code)
            return None
        except (SyntaxError, ValueError) as e:
            first = e
        try:
            ast.parse(_transformer().transform_cell(code))
            return None
        except (SyntaxError, ValueError):
            pass
    if isinstance(first, SyntaxError):
        return f"line {first.lineno or '?'}: {first.msg}"
    return str(first)


_SQL_MAGIC = re.compile(r"^\s*%%?sql(?:\s|$)")

#: variable a generated SQL block binds when the model left the magic line out
SQL_RESULT = "result"


def as_sql_block(code: str) -> str:
    """``code`` as a JupySQL cell: unchanged when it starts with the ``%%sql`` (or
    ``%sql``) magic, else the query under ``%%sql result= <<`` (bound to ``result`` and
    shown), as models asked for SQL sometimes answer with the bare query."""
    if not code.strip() or _SQL_MAGIC.match(code):
        return code
    return f"%%sql {SQL_RESULT}= <<\n{code}"


def sql_error(code: str) -> str | None:
    """None when ``code`` is a cell that parses, the SQL of its ``%%sql`` magic included
    (sqlglot, DuckDB dialect, as the inference parses it), else the message."""
    error = syntax_error(code)
    if error is not None:
        return error
    from ..inference import analyze_cell

    return analyze_cell(code).parse_error


@dataclass(frozen=True)
class ProposedEdge:
    """An inferred edge touching the proposed block (``source``/``target`` may be
    :data:`NEW_BLOCK` or the block id given)."""

    source: str
    target: str
    names: tuple[str, ...]

    def as_dict(self, block_id: str | None = None) -> dict[str, Any]:
        """``{"source", "target", "names"}`` with :data:`NEW_BLOCK` replaced by ``block_id``."""
        def sub(x: str) -> str:
            return block_id if (block_id and x == NEW_BLOCK) else x

        return {"source": sub(self.source), "target": sub(self.target), "names": list(self.names)}


def code_cells_with(
    cells: Sequence[tuple[str, str, str]], block: tuple[str, str], after: str | None = None, replace: bool = False
) -> list[tuple[str, str]]:
    """Code cells ``[(id, source)]`` in notebook order with ``block = (id, source)``
    inserted after cell ``after`` (at the end when None), or put in place of the cell
    with the same id when ``replace``. ``cells`` are ``(id, cell_type, source)`` of every
    cell, markdown included (an insertion point may be a markdown cell)."""
    out: list[tuple[str, str]] = []
    placed = False
    for cid, kind, src in cells:
        if replace and cid == block[0]:
            out.append(block)
            placed = True
            continue
        if kind == "code":
            out.append((cid, src))
        if not replace and after is not None and cid == after:
            out.append(block)
            placed = True
    if not placed and not replace:
        out.append(block)
    return out


def edges_with_block(code_cells: list[tuple[str, str]], block_id: str) -> tuple[list[Any], list[ProposedEdge]]:
    """Infer edges over ``code_cells``; returns ``(all edges, the ones touching block_id)``."""
    edges = infer_edges(code_cells)
    mine = [ProposedEdge(e.source, e.target, tuple(e.names)) for e in edges if block_id in (e.source, e.target)]
    return edges, mine


def check_cycle(inferred: Iterable[Any], manual: Iterable[tuple[str, str]], block_id: str) -> list[str] | None:
    """The cycle the proposed block would close, or None.

    ``inferred`` are the edges inferred with the block in place (they always point
    forward in notebook order, so they alone are acyclic); ``manual`` are the stored
    ``(source, target)`` edges drawn by hand. The edges touching ``block_id`` are added
    last, one at a time, and each is tested with :func:`notebook_dag.dag.cycle_through`
    so the cycle reported goes through the block; a cycle elsewhere (inference moved by
    the new block's names) is reported as found by ``networkx.find_cycle``.
    """
    graph = nx.DiGraph()
    mine: list[tuple[str, str]] = []
    for e in inferred:
        if block_id in (e.source, e.target):
            mine.append((e.source, e.target))
        else:
            graph.add_edge(e.source, e.target)
    for s, t in manual:
        if block_id in (s, t):
            mine.append((s, t))
        else:
            graph.add_edge(s, t)
    graph.add_node(block_id)
    for s, t in mine:
        if s in graph and t in graph:
            cycle = cycle_through(graph, s, t)
            if cycle is not None:
                return cycle
        graph.add_edge(s, t)
    try:
        found = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None
    return [found[0][0], *(t for _, t in found)]
