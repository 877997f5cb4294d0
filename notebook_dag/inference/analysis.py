"""Per-cell static analysis: what one code cell binds, reads, mutates and deletes.

:func:`analyze_cell` parses a cell (after IPython's input transformer when plain
``ast.parse`` fails) and walks the tree once with Python 3 scoping rules: function
bodies, lambdas, class bodies and comprehensions get their own scopes, ``global`` /
``nonlocal`` are honoured, walrus targets in comprehensions bind in the enclosing scope,
``except ... as e`` is local to its handler, annotation-only ``x: int`` binds nothing.
Function bodies run later than their ``def``; their free names are read by the defining
cell (conservative) and also kept in a :class:`~.model.FunctionSummary` so the dependency index
can charge them to the cells that call the function.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from . import _tables as T
from ._syntax import _coarse, _local_bindings, _params, _parse, _root, _Scope, _str_arg
from .ipython_cells import IPythonCells
from .model import CellAnalysis, FunctionSummary, resolve_tags
from .sql import SqlSyntaxError


class _Collector:
    """Mutable FunctionSummary under construction."""

    __slots__ = ("name", "reads", "strong", "weak", "writes", "chains", "plots", "tags")

    def __init__(self, name: str):
        self.name = name
        self.reads, self.strong, self.weak, self.writes = set(), set(), set(), set()
        self.chains, self.plots, self.tags = set(), set(), set()

    def freeze(self) -> FunctionSummary:
        return FunctionSummary(
            self.name, frozenset(self.reads), frozenset(self.strong), frozenset(self.weak - self.strong),
            frozenset(self.writes), frozenset(self.chains), frozenset(self.plots), frozenset(self.tags),
        )


class _Analyzer(IPythonCells):
    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.reads, self.breads, self.defines, self.deletes = set(), set(), set(), set()
        self.strong, self.weak, self.imports, self.tags = set(), set(), set(), set()
        self.chains, self.plots, self.files_r, self.files_w = set(), set(), set(), set()
        self.modbind: dict[str, str] = {}
        self.functions: dict[str, _Collector] = {}
        self.star = False
        self.sql_tables: set[str] = set()
        self.sql_created: set[str] = set()
        self.sql_access: str | None = None
        self.scopes: list[_Scope] = [_Scope("module")]
        self.owner: _Collector | None = None  # set while walking a deferred function body
        self.deferred: list = []

    # -- traversal -------------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        f = _DISPATCH.get(type(node))
        if f is None:
            for child in ast.iter_child_nodes(node):
                self.visit(child)
        else:
            f(self, node)

    def visit_all(self, nodes) -> None:
        for n in nodes:
            self.visit(n)

    def run(self, tree: ast.Module) -> None:
        self.visit_all(tree.body)
        while self.deferred:  # function bodies run later: see every top-level binding
            node, scopes, collector = self.deferred.pop(0)
            saved = self.scopes, self.owner
            params = _params(node.args)
            local_names, global_names = _local_bindings(node.body, params)
            self.scopes = [*scopes, _Scope("function", local_names, global_names)]
            self.owner = collector
            self.visit_all(node.body)
            self.scopes, self.owner = saved

    # -- names -----------------------------------------------------------------------
    def is_global(self, name: str) -> bool:
        scopes = self.scopes
        last = len(scopes) - 1
        for i in range(last, -1, -1):
            sc = scopes[i]
            kind = sc.kind
            if kind == "module":
                return True
            if kind == "function":
                if name in sc.globals:
                    return True
                if name in sc.locals:
                    return False
            elif kind == "comp" or i == last:  # class bodies are invisible to nested scopes
                if name in sc.locals:
                    return False
        return True

    def load(self, name: str) -> bool:
        """Record a read of ``name``; True when it is a global."""
        if T.is_history_name(name) or not self.is_global(name):
            return False
        if self.owner is not None:
            if name not in T.BUILTINS:
                self.owner.reads.add(name)
                if name not in self.bound:
                    self.reads.add(name)
        elif name not in self.bound:
            (self.breads if name in T.BUILTINS else self.reads).add(name)
        return True

    def store(self, name: str, module: str | None = None) -> None:
        if T.is_history_name(name):
            return
        sc = self.scopes[-1]
        if sc.kind == "module":
            self.bound.add(name)
            self.defines.add(name)
            if module is not None:
                self.modbind[name] = module
            else:
                self.modbind.pop(name, None)
        elif sc.kind == "class":
            sc.locals.add(name)
        elif sc.kind == "function" and name in sc.globals and self.owner is not None:
            self.owner.writes.add(name)
            self.defines.add(name)

    def mutate(self, node: ast.AST, strong: bool = True) -> None:
        name = node if isinstance(node, str) else _root(node)
        if name is None or T.is_history_name(name) or not self.is_global(name):
            return
        target = self.owner if self.owner is not None else self
        (target.strong if strong else target.weak).add(name)

    def target(self, t: ast.AST) -> None:
        tt = type(t)
        if tt is ast.Name:
            self.store(t.id)
        elif tt is ast.Tuple or tt is ast.List:
            for e in t.elts:
                self.target(e)
        elif tt is ast.Starred:
            self.target(t.value)
        elif tt is ast.Attribute or tt is ast.Subscript:
            self.visit(t.value)
            if tt is ast.Subscript:
                self.visit(t.slice)
            self.mutate(t)
        else:
            self.visit(t)

    # -- expressions -----------------------------------------------------------------
    def v_skip(self, node) -> None:
        pass

    def v_name(self, node: ast.Name) -> None:
        ctx = type(node.ctx)
        if ctx is ast.Load:
            self.load(node.id)
        elif ctx is ast.Store:
            self.store(node.id)
        else:
            self.load(node.id)  # ``del x`` needs x to exist
            self.delete(node.id)

    def delete(self, name: str) -> None:
        if T.is_history_name(name):
            return
        sc = self.scopes[-1]
        if sc.kind == "module":
            self.deletes.add(name)
            self.bound.discard(name)
            self.modbind.pop(name, None)
        elif sc.kind == "function" and name in sc.globals and self.owner is not None:
            self.owner.writes.add(name)
            self.deletes.add(name)

    def v_attribute(self, node: ast.Attribute) -> None:
        parts = []
        base = node
        while type(base) is ast.Attribute:
            parts.append(base.attr)
            base = base.value
        if type(base) is ast.Name:
            if self.load(base.id):
                parts.reverse()
                (self.owner.chains if self.owner is not None else self.chains).add((base.id, *parts[:3]))
        else:
            self.visit(base)

    def v_call(self, node: ast.Call) -> None:
        func = node.func
        ft = type(func)
        fname = None
        if ft is ast.Attribute:
            fname = func.attr
            recv = func.value
            if type(recv) is ast.Call and type(recv.func) is ast.Name and recv.func.id == "get_ipython":
                self.ipython(fname, node.args)
                return
            root = _root(recv)
            if root is not None:
                inplace = any(k.arg == "inplace" and type(k.value) is ast.Constant and k.value.value is True
                              for k in node.keywords)
                if inplace:
                    self.mutate(root)
                elif fname in T.MUTATING_METHODS or (type(recv) is ast.Name and fname not in T.PURE_METHODS):
                    self.mutate(root, strong=False)  # dropped later if root is a module
            if T.is_plot_attr(fname):
                proot = _root(recv, through_calls=True)
                proot = proot if proot is not None and self.is_global(proot) else ""
                (self.owner.plots if self.owner is not None else self.plots).add(proot)
        elif ft is ast.Name:
            fname = func.id
            if self.is_global(fname) and not T.is_history_name(fname):
                (self.owner.chains if self.owner is not None else self.chains).add((fname,))
        if fname is not None:
            if fname in T.ARG_MUTATORS and node.args:
                self.mutate(node.args[0])
            if self.owner is None:
                if fname in T.FILE_WRITERS or fname in T.FILE_READERS:
                    path = _str_arg(node, "path", "path_or_buf", "fname", "filename", "file", "io", "filepath_or_buffer")
                    if path:
                        (self.files_w if fname in T.FILE_WRITERS else self.files_r).add(path)
                elif fname == "open" and ft is ast.Name:
                    path = _str_arg(node, "file")
                    mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
                    mode = mode.value if type(mode) is ast.Constant and isinstance(mode.value, str) else "r"
                    if path:
                        (self.files_w if set(mode) & set("wax+") else self.files_r).add(path)
        for k in node.keywords:
            if k.arg == "out":
                outs = k.value.elts if type(k.value) is ast.Tuple else [k.value]
                for o in outs:
                    self.mutate(o)
            elif k.arg in T.RNG_KEYWORDS and type(k.value) is not ast.Constant:
                self.mutate(k.value, strong=False)  # a generator object advances when used
        if fname == "sample" and ft is ast.Attribute and not any(k.arg in T.RNG_KEYWORDS for k in node.keywords):
            # DataFrame.sample() without random_state draws from numpy's global RNG
            (self.owner.tags if self.owner is not None else self.tags).add("random")
        self.visit(func)
        self.visit_all(node.args)
        for k in node.keywords:
            self.visit(k.value)

    def v_namedexpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        name = node.target.id
        for i in range(len(self.scopes) - 1, -1, -1):
            if self.scopes[i].kind != "comp":
                saved = self.scopes
                self.scopes = self.scopes[: i + 1]
                self.store(name)
                self.scopes = saved
                return

    def v_lambda(self, node: ast.Lambda) -> None:
        self.visit_all(node.args.defaults)
        self.visit_all(d for d in node.args.kw_defaults if d is not None)
        self.scopes.append(_Scope("function", _params(node.args)))
        self.visit(node.body)
        self.scopes.pop()

    def v_comp(self, node) -> None:
        gens = node.generators
        self.visit(gens[0].iter)  # evaluated in the enclosing scope
        names = set()
        for g in gens:
            names.update(n.id for n in ast.walk(g.target) if type(n) is ast.Name)
        self.scopes.append(_Scope("comp", names))
        for i, g in enumerate(gens):
            if i:
                self.visit(g.iter)
            self.target(g.target)
            self.visit_all(g.ifs)
        if type(node) is ast.DictComp:
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self.scopes.pop()

    # -- statements ------------------------------------------------------------------
    def v_def(self, node) -> None:
        self.visit_all(node.decorator_list)
        a = node.args
        self.visit_all(a.defaults)
        self.visit_all(d for d in a.kw_defaults if d is not None)
        for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)
        if node.returns is not None:
            self.visit(node.returns)
        self.store(node.name)
        collector = self.collector_for(node.name)
        self.inherit(collector, (*node.decorator_list, *a.defaults, *(d for d in a.kw_defaults if d is not None)))
        self.deferred.append((node, list(self.scopes), collector))

    def inherit(self, collector: _Collector, exprs) -> None:
        """Objects a function or class keeps using after its definition (decorators,
        default values, base classes) are read by whoever uses it."""
        for e in exprs:
            r = _root(e, through_calls=True)
            if r is not None and r not in T.BUILTINS and not T.is_history_name(r) and self.is_global(r):
                collector.reads.add(r)

    def collector_for(self, name: str) -> _Collector:
        if self.owner is not None:
            return self.owner
        sc = self.scopes[-1]
        if sc.kind == "class" and sc.collector is not None:
            return sc.collector
        return self.functions.setdefault(name, _Collector(name)) if sc.kind == "module" else _Collector(name)

    def v_class(self, node: ast.ClassDef) -> None:
        self.visit_all(node.decorator_list)
        self.visit_all(node.bases)
        for k in node.keywords:
            self.visit(k.value)
        collector = self.collector_for(node.name)
        self.inherit(collector, (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)))
        self.scopes.append(_Scope("class", collector=collector))
        self.visit_all(node.body)
        self.scopes.pop()
        self.store(node.name)

    def v_assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for t in node.targets:
            self.target(t)

    def v_augassign(self, node: ast.AugAssign) -> None:
        t = node.target
        if type(t) is ast.Name:
            self.load(t.id)
            self.visit(node.value)
            self.store(t.id)
        else:
            self.visit(node.value)
            self.target(t)

    def v_annassign(self, node: ast.AnnAssign) -> None:
        if self.scopes[-1].kind != "function":
            self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self.target(node.target)
        elif type(node.target) is not ast.Name:
            self.visit(node.target)

    def v_for(self, node) -> None:
        self.visit(node.iter)
        self.target(node.target)
        self.visit_all(node.body)
        self.visit_all(node.orelse)

    def v_with(self, node) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.target(item.optional_vars)
        self.visit_all(node.body)

    def v_import(self, node: ast.Import) -> None:
        for a in node.names:
            top = a.name.partition(".")[0]
            self.imports.add(top)
            if a.asname:
                self.store(a.asname, a.name)
            else:
                self.store(top, top)

    def v_importfrom(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        if node.level == 0 and mod:
            self.imports.add(mod.partition(".")[0])
        for a in node.names:
            if a.name == "*":
                self.star = True
            else:
                self.store(a.asname or a.name, f"{mod}.{a.name}" if node.level == 0 and mod else None)

    def v_delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            if type(t) is ast.Name:
                self.load(t.id)
                self.delete(t.id)
            elif type(t) in (ast.Tuple, ast.List):
                self.v_delete(ast.Delete(targets=t.elts))
            else:
                self.target(t)

    def v_handler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        name = node.name
        module_level = self.scopes[-1].kind == "module"
        if name and module_level:  # bound for the handler only, not a cell-level definition
            self.bound.add(name)
        self.visit_all(node.body)
        if name and module_level:
            self.bound.discard(name)

    def v_capture(self, node) -> None:
        if getattr(node, "pattern", None) is not None:
            self.visit(node.pattern)
        if node.name:
            self.store(node.name)

    def v_matchmapping(self, node: ast.MatchMapping) -> None:
        self.visit_all(node.keys)
        self.visit_all(node.patterns)
        if node.rest:
            self.store(node.rest)

    # -- result ----------------------------------------------------------------------
    def result(self) -> CellAnalysis:
        modbind = self.modbind
        defined = self.defines | self.deletes

        def module_of(name: str) -> str | None:
            if name in modbind:
                return modbind[name]
            return None if name in defined else T.DEFAULT_MODULES.get(name)

        weak = self.weak - self.strong
        return CellAnalysis(
            defines=frozenset(self.defines),
            reads=frozenset(self.reads),
            mutates=frozenset(self.strong | {w for w in weak if module_of(w) is None}),
            deletes=frozenset(self.deletes),
            imports=frozenset(self.imports),
            hidden_state=frozenset(resolve_tags(self.tags, self.chains, self.plots, module_of)
                                   | ({"duckdb"} if self.sql_access else set())),
            builtin_reads=frozenset(self.breads),
            call_mutates=frozenset(weak),
            module_bindings=tuple(sorted(modbind.items())),
            attr_chains=frozenset(self.chains),
            plot_roots=frozenset(self.plots),
            magic_tags=frozenset(self.tags),
            functions=tuple(c.freeze() for c in self.functions.values()),
            files_read=frozenset(self.files_r),
            files_written=frozenset(self.files_w),
            star_import=self.star,
            sql_tables=frozenset(self.sql_tables),
            sql_created=frozenset(self.sql_created),
            sql_access=self.sql_access,
        )


_DISPATCH = {
    ast.Name: _Analyzer.v_name,
    ast.Attribute: _Analyzer.v_attribute,
    ast.Call: _Analyzer.v_call,
    ast.FunctionDef: _Analyzer.v_def,
    ast.AsyncFunctionDef: _Analyzer.v_def,
    ast.ClassDef: _Analyzer.v_class,
    ast.Lambda: _Analyzer.v_lambda,
    ast.ListComp: _Analyzer.v_comp,
    ast.SetComp: _Analyzer.v_comp,
    ast.GeneratorExp: _Analyzer.v_comp,
    ast.DictComp: _Analyzer.v_comp,
    ast.Assign: _Analyzer.v_assign,
    ast.AugAssign: _Analyzer.v_augassign,
    ast.AnnAssign: _Analyzer.v_annassign,
    ast.For: _Analyzer.v_for,
    ast.AsyncFor: _Analyzer.v_for,
    ast.With: _Analyzer.v_with,
    ast.AsyncWith: _Analyzer.v_with,
    ast.Import: _Analyzer.v_import,
    ast.ImportFrom: _Analyzer.v_importfrom,
    ast.Delete: _Analyzer.v_delete,
    ast.NamedExpr: _Analyzer.v_namedexpr,
    ast.ExceptHandler: _Analyzer.v_handler,
    ast.MatchAs: _Analyzer.v_capture,
    ast.MatchStar: _Analyzer.v_capture,
    ast.MatchMapping: _Analyzer.v_matchmapping,
    ast.Global: _Analyzer.v_skip,
    ast.Nonlocal: _Analyzer.v_skip,
    ast.Constant: _Analyzer.v_skip,
}


@lru_cache(maxsize=16384)
def analyze_cell(source: str) -> CellAnalysis:
    """Analyse one code cell's source text.

    The text is parsed with :func:`ast.parse`; when that fails it is first passed through
    IPython's ``TransformerManager().transform_cell`` so ``%magic``, ``%%cellmagic``,
    ``!shell`` and ``x?`` lines parse. ``%time``/``%%time``/``%%capture`` bodies are
    analysed as code, ``%timeit`` and ``?`` help as reads only, other cell magics
    (``%%bash``...) yield no names; ``$var``/``{expr}`` in shell lines are reads.
    JupySQL's ``%%sql`` / ``%sql`` are parsed with sqlglot (:mod:`~.sql`): the tables
    they read that are identifiers are reads, ``name <<`` a definition; SQL that does
    not parse sets ``parse_error``.
    Returns a :class:`CellAnalysis`; a cell that still does not parse gets only
    ``parse_error`` set. Never raises for any ``str`` input (``TypeError`` for others).
    Results are cached by source text (``analyze_cell.cache_clear()`` to reset).

    The name rules are the def/use sets of classic reaching-definitions data-flow
    analysis (Aho, Lam, Sethi & Ullman, *Compilers*, ch. 9.2), applied with Python's
    scoping rules (Python Language Reference, §4.2 "Naming and binding").
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be str, not {type(source).__name__}")
    try:
        tree = _parse(source)
    except SyntaxError as e:
        return CellAnalysis(parse_error=f"SyntaxError: {e.msg} (line {e.lineno})")
    except Exception as e:  # ValueError (NUL bytes), RecursionError, IPython transformer errors
        return CellAnalysis(parse_error=f"{type(e).__name__}: {e}")
    analyzer = _Analyzer()
    try:
        analyzer.run(tree)
    except RecursionError:
        return _coarse(tree)
    except SqlSyntaxError as e:
        return CellAnalysis(parse_error=str(e))
    except ImportError as e:  # sqlglot missing: the SQL cannot be read
        return CellAnalysis(parse_error=f"SQL cannot be analysed: {e} (pip install sqlglot)")
    return analyzer.result()
