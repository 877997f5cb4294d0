"""Parsing (plain ``ast`` first, IPython's input transformer as fallback) and small
AST helpers for the cell analyser."""

from __future__ import annotations

import ast
import warnings
from functools import lru_cache

from . import _tables as T
from .model import CellAnalysis

_EMPTY: frozenset = frozenset()
_COMPS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _root(node: ast.AST, through_calls: bool = False) -> str | None:
    """Name at the bottom of ``a.b[c].d`` (and of ``f(x).y`` when ``through_calls``)."""
    while True:
        t = type(node)
        if t is ast.Attribute or t is ast.Subscript or t is ast.Starred:
            node = node.value
        elif t is ast.Call and through_calls:
            node = node.func
        elif t is ast.Name:
            return node.id
        else:
            return None


def _str_arg(call: ast.Call, *kw_names: str) -> str | None:
    node = call.args[0] if call.args else None
    if node is None:
        for k in call.keywords:
            if k.arg in kw_names:
                node = k.value
                break
    if type(node) is ast.Constant and isinstance(node.value, str) and node.value.strip():
        path = node.value.strip()
        return path[2:] if path.startswith("./") else path
    return None


def _params(args: ast.arguments) -> set[str]:
    names = {a.arg for a in args.posonlyargs}
    names.update(a.arg for a in args.args)
    names.update(a.arg for a in args.kwonlyargs)
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    return names


def _local_bindings(body: list[ast.AST], params: set[str]) -> tuple[set[str], set[str]]:
    """(locals, globals) of a function body, by Python's static rule: any binding in the
    body makes a name local unless declared ``global``/``nonlocal``."""
    names, glob, nonloc = set(params), set(), set()
    stack = list(body)
    while stack:
        n = stack.pop()
        t = type(n)
        if t is ast.Name:
            if type(n.ctx) is not ast.Load:
                names.add(n.id)
            continue
        if t in _DEFS or t is ast.ClassDef:
            names.add(n.name)
            continue
        if t is ast.Lambda:
            continue
        if t in _COMPS:
            names.update(s.target.id for s in ast.walk(n) if type(s) is ast.NamedExpr and type(s.target) is ast.Name)
            continue
        if t is ast.Global:
            glob.update(n.names)
        elif t is ast.Nonlocal:
            nonloc.update(n.names)
        elif t is ast.Import or t is ast.ImportFrom:
            names.update((a.asname or a.name).partition(".")[0] for a in n.names if a.name != "*")
        elif t is ast.ExceptHandler or t is ast.MatchAs or t is ast.MatchStar:
            if n.name:
                names.add(n.name)
        elif t is ast.MatchMapping and n.rest:
            names.add(n.rest)
        stack.extend(ast.iter_child_nodes(n))
    names -= glob
    names -= nonloc
    return names, glob


@lru_cache(maxsize=1)
def _transformer():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _parse(source: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            pass
        return ast.parse(_transformer().transform_cell(source))


def _coarse(tree: ast.Module) -> CellAnalysis:
    """Flat fallback for trees too deep for the scoped walk (RecursionError): every
    stored name is a definition, every other loaded name a read."""
    stores = {n.id for n in ast.walk(tree) if type(n) is ast.Name and type(n.ctx) is not ast.Load}
    loads = {n.id for n in ast.walk(tree) if type(n) is ast.Name and type(n.ctx) is ast.Load} - stores
    return CellAnalysis(
        defines=frozenset(n for n in stores if not T.is_history_name(n)),
        reads=frozenset(n for n in loads if n not in T.BUILTINS and not T.is_history_name(n)),
    )


class _Scope:
    __slots__ = ("kind", "locals", "globals", "collector")

    def __init__(self, kind: str, local_names: set | None = None, global_names: set | None = None, collector=None):
        self.kind = kind  # module | function | class | comp
        self.locals = local_names if local_names is not None else set()
        self.globals = global_names or _EMPTY
        self.collector = collector  # class scopes: where their methods' summaries go
