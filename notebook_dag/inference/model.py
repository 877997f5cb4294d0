"""Result types of the per-cell analysis and the hidden-state tag resolution they share
with :mod:`notebook_dag.inference.index`."""

from __future__ import annotations

from dataclasses import dataclass

from . import _tables as T

_EMPTY: frozenset = frozenset()


@dataclass(frozen=True)
class FunctionSummary:
    """What calling a function (or instantiating / using a class) defined at a cell's top
    level does to globals: names it reads, mutates (``mutates`` certain,
    ``call_mutates`` only through a method call), rebinds via ``global`` (``writes``),
    and the attribute chains / plotting calls / direct tags used to find hidden state."""

    name: str
    reads: frozenset[str] = _EMPTY
    mutates: frozenset[str] = _EMPTY
    call_mutates: frozenset[str] = _EMPTY
    writes: frozenset[str] = _EMPTY
    attr_chains: frozenset[tuple[str, ...]] = _EMPTY
    plot_roots: frozenset[str] = _EMPTY
    tags: frozenset[str] = _EMPTY


@dataclass(frozen=True)
class CellAnalysis:
    """Names one code cell binds and uses, all as frozensets of identifiers.

    ``defines``: bound at cell top level (assignment, def, class, import, for/with
    targets, walrus, ``global`` names assigned in functions). ``reads``: free names read
    before any binding in the cell, including globals read in function bodies; builtins
    are in ``builtin_reads`` instead. ``mutates``: possibly changed in place (subscript or
    attribute assignment, ``del x[i]``, mutating/unknown method calls, ``inplace=True``);
    ``call_mutates`` is the subset seen only through an unknown method call, which the
    index drops when the receiver turns out to be a module. ``deletes``: ``del x``.
    ``imports``: top-level module names. ``hidden_state``: tags (``random``,
    ``matplotlib``, ``cwd``, ``env``, ``ipython``) resolved with this cell's own imports
    and conventional aliases (``np``, ``plt``...); the index re-resolves them across
    cells. ``parse_error``: message when the cell cannot be parsed; every other field is
    then empty. The remaining fields feed :class:`~.index.DependencyIndex`:
    ``module_bindings`` (name -> dotted module path of import bindings), ``attr_chains``
    (``("np", "random", "seed")`` for attribute chains on global names),
    ``plot_roots`` (receivers of plotting calls, ``""`` when unknown), ``magic_tags``,
    ``functions`` (one :class:`FunctionSummary` per top-level def/class),
    ``files_read`` / ``files_written`` (string-literal paths), ``star_import``
    (``from m import *`` or ``%run``). SQL blocks (JupySQL's ``%%sql`` / ``%sql``, see
    :mod:`~.sql`): ``sql_tables`` are the tables their SQL reads as written (CTEs left
    out; those that are Python identifiers are also ``reads``, DuckDB replacement scans
    of the kernel's DataFrames), ``sql_created`` the tables / views they create,
    ``sql_access`` ``"read"`` (queries the DuckDB connection) or ``"write"`` (changes it:
    CREATE, INSERT, a new connection...), else None; ``hidden_state`` then has
    ``duckdb``, and the ``name <<`` variable is in ``defines``.
    """

    defines: frozenset[str] = _EMPTY
    reads: frozenset[str] = _EMPTY
    mutates: frozenset[str] = _EMPTY
    deletes: frozenset[str] = _EMPTY
    imports: frozenset[str] = _EMPTY
    hidden_state: frozenset[str] = _EMPTY
    parse_error: str | None = None
    builtin_reads: frozenset[str] = _EMPTY
    call_mutates: frozenset[str] = _EMPTY
    module_bindings: tuple[tuple[str, str], ...] = ()
    attr_chains: frozenset[tuple[str, ...]] = _EMPTY
    plot_roots: frozenset[str] = _EMPTY
    magic_tags: frozenset[str] = _EMPTY
    functions: tuple[FunctionSummary, ...] = ()
    files_read: frozenset[str] = _EMPTY
    files_written: frozenset[str] = _EMPTY
    star_import: bool = False
    sql_tables: frozenset[str] = _EMPTY
    sql_created: frozenset[str] = _EMPTY
    sql_access: str | None = None


def resolve_tags(tags, chains, plot_roots, module_of) -> set[str]:
    """Hidden-state tags from magics, attribute chains and plotting calls; ``module_of``
    maps a root name to the module path it is bound to (None when it is not a module)."""
    out = set(tags)
    for chain in chains:
        mod = module_of(chain[0])
        if mod is not None:
            tag = T.classify_path(".".join((mod, *chain[1:])) if len(chain) > 1 else mod)
            if tag is not None:
                out.add(tag)
    for root in plot_roots:
        mod = module_of(root) if root else None
        if mod is None or not mod.startswith(("plotly", "bokeh", "altair", "holoviews", "hvplot")):
            out.add("matplotlib")
    return out
