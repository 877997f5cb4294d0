"""Cross-cell dependency index: name -> definer / reader / mutator event lists and the
edges they imply, maintained incrementally under single-cell edits."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import _tables as T
from .analysis import analyze_cell
from .model import CellAnalysis, resolve_tags

R, M, W, TAG = 1, 2, 4, 8  # per-cell flags of one name: read, mutate, (re)bind/delete, hidden-state touch
_GAP = 1 << 20  # spacing of order keys, so inserted cells rarely force a renumbering
_EMPTY_ANALYSIS = CellAnalysis()
#: the state of the kernel's DuckDB connection (tables, views, settings): read by every
#: SQL block, written by those that change it; ordered by the name rules, not as a chain
SQL_STATE = "<duckdb>"


@dataclass(frozen=True)
class InferredEdge:
    """``source`` (upstream cell id, earlier in the notebook) must run before ``target``;
    ``names`` are the sorted variable names, ``<tag>`` hidden-state tags (``<random>``,
    ``<matplotlib>``...), ``<config:LIB>`` library configuration and ``<file:path>``
    files the ordering stands for."""

    source: str
    target: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class EdgeDelta:
    """Change of the edge list after an update: edges whose names changed appear in
    ``removed`` with the old names and in ``added`` with the new ones."""

    added: tuple[InferredEdge, ...] = ()
    removed: tuple[InferredEdge, ...] = ()


class DependencyIndex:
    """Incremental dependency graph over a notebook's code cells.

    ``DependencyIndex(cells)`` with ``cells = [(cell_id, source), ...]`` in notebook
    order (code cells only). For every name it keeps the sorted list of cells that
    touch it with read / mutate / write flags, and for every name the set of edges its
    event list implies; :meth:`update_cell`, :meth:`insert_cell` and
    :meth:`remove_cell` re-analyse one cell and rescan only the names whose events
    changed (plus the few cells whose function-call or module-alias resolution depended
    on a name the edited cell binds). Raises ``ValueError`` on duplicate cell ids and
    ``KeyError`` for unknown ones.

    Edge rules, per name N, in notebook order (Allen & Kennedy, *Optimizing Compilers
    for Modern Architectures*, ch. 2: true, anti and output dependences):

    * true (def-use, as in reaching definitions): a reader of N depends on the nearest
      earlier cell that binds N and on every cell mutating N since that binding; a
      mutator is also a reader;
    * anti (write-after-read): a cell rebinding or mutating N stays after the cells that
      read N since the last write (rebinding or mutation) of N;
    * output (write-after-write): a cell rebinding N stays after the previous binder
      and its mutators when its own value of N is read by some later cell, and after
      the previous binder whenever some earlier cell read N (so every reader stays
      before every later write; a never-read loop variable reused in many cells adds
      no ordering);
    * hidden state: cells touching the same tag keep their relative order (a chain);
      ``<duckdb>`` (the SQL connection) instead follows the name rules: SQL blocks read
      it, those creating or changing tables write it;
      ``<config:LIB>`` and ``<file:path>`` follow the name rules above;
    * a read with no earlier binder depends on the nearest earlier ``import *`` / ``%run``
      and precedes the next one.

    Edges always point from an earlier cell to a later one, so the graph is acyclic.
    """

    def __init__(self, cells: Iterable[tuple[str, str]] = ()) -> None:
        self.set_cells(cells)

    # -- building ----------------------------------------------------------------------
    def set_cells(self, cells: Iterable[tuple[str, str]]) -> None:
        """Replace the whole notebook (full analysis and scan)."""
        cells = list(cells)
        ids = [cid for cid, _ in cells]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"duplicate cell ids: {dup}")
        self._order: list[str] = ids
        self._sources: dict[str, str] = dict(cells)
        self._key: dict[str, int] = {cid: (i + 1) * _GAP for i, cid in enumerate(ids)}
        self._id: dict[int, str] = {k: cid for cid, k in self._key.items()}
        self._an: dict[int, CellAnalysis] = {}
        self._mods: dict[int, dict[str, str]] = {}
        self._funcs: dict[int, dict] = {}
        self._defs: dict[str, list[int]] = defaultdict(list)
        self._fn: dict[str, int] = defaultdict(int)
        self._mod: dict[str, int] = defaultdict(int)
        self._stars: list[int] = []
        for cid, source in cells:
            key = self._key[cid]
            a = analyze_cell(source)
            self._an[key] = a
            self._index_base(key, a, 1)
        self._eff: dict[int, dict[str, int]] = {}
        self._consulted: dict[int, set[str]] = {}
        self._consult: dict[str, set[int]] = defaultdict(set)
        self._events: dict[str, list[int]] = defaultdict(list)
        self._wcount: dict[str, int] = defaultdict(int)
        for cid in ids:
            key = self._key[cid]
            eff, consulted = self._resolve(key)
            self._eff[key] = eff
            self._consulted[key] = consulted
            for name in consulted:
                self._consult[name].add(key)
            for name, fl in eff.items():
                self._events[name].append(key)
                if fl & (M | W | TAG):
                    self._wcount[name] += 1
        self._name_edges: dict[str, set[tuple[int, int]]] = {}
        self._pairs: dict[tuple[int, int], set[str]] = defaultdict(set)
        for name in list(self._events):
            edges = self._scan(name)
            if edges:
                self._name_edges[name] = edges
                for p in edges:
                    self._pairs[p].add(name)

    def _index_base(self, key: int, a: CellAnalysis, sign: int) -> None:
        """Add (sign=1) or remove (sign=-1) a cell's bindings from the base indexes."""
        for name in a.defines | a.deletes:
            lst = self._defs[name]
            if sign > 0:
                insort(lst, key)
            else:
                lst.pop(bisect_left(lst, key))
        for name, _ in a.module_bindings:
            self._mod[name] += sign
        for f in a.functions:
            self._fn[f.name] += sign
        if sign > 0:
            self._mods[key] = dict(a.module_bindings)
            self._funcs[key] = {f.name: f for f in a.functions}
            if a.star_import:
                insort(self._stars, key)
        else:
            del self._mods[key], self._funcs[key]
            if a.star_import:
                self._stars.remove(key)

    def _reaching(self, name: str, key: int) -> int | None:
        """Key of the nearest cell before ``key`` that binds ``name``."""
        lst = self._defs.get(name)
        if not lst:
            return None
        i = bisect_left(lst, key)
        return lst[i - 1] if i else None

    def _resolve(self, key: int) -> tuple[dict[str, int], set[str]]:
        """Effective flags of one cell (its own names, plus what the functions it uses do
        when called, with method-call mutations of modules dropped) and the names whose
        binders elsewhere the result depended on."""
        a = self._an[key]
        if a.parse_error is not None:
            return {}, set()
        own_mods = self._mods[key]
        own_defs = a.defines | a.deletes
        consulted: set[str] = set()
        defaults = T.DEFAULT_MODULES

        def module_of(name: str) -> str | None:
            if name in own_mods:
                return own_mods[name]
            if name in own_defs:
                return None
            consulted.add(name)
            d = self._reaching(name, key)
            if d is None:
                return defaults.get(name)
            return self._mods[d].get(name)

        reads = set(a.reads)
        strong = a.mutates - a.call_mutates
        weak = a.call_mutates
        writes = own_defs
        chains, plots, tags = a.attr_chains, a.plot_roots, a.magic_tags
        work = list(reads)
        consulted.update(work)
        fn = self._fn
        while work:
            f = work.pop()
            if not fn.get(f):
                continue
            d = self._reaching(f, key)
            s = self._funcs[d].get(f) if d is not None else None
            if s is None:
                continue
            new = s.reads - reads
            reads |= new
            work.extend(new)
            consulted |= new
            strong = strong | s.mutates
            weak = weak | s.call_mutates
            writes = writes | s.writes
            chains = chains | s.attr_chains
            plots = plots | s.plot_roots
            tags = tags | s.tags
        eff = dict.fromkeys(reads, R)
        for name in a.builtin_reads:
            eff[name] = R
        # a mutation of a name the cell binds itself changes the cell's own value: the
        # binding already orders it; otherwise a mutator reads the current value
        for name in weak:
            if name not in strong and name not in writes and module_of(name) is None:
                eff[name] = eff.get(name, 0) | M | R
        for name in strong:
            if name not in writes:
                eff[name] = eff.get(name, 0) | M | R
        for name in writes:
            eff[name] = eff.get(name, 0) | W
        # library-wide configuration: setters write <config:LIB>, users of LIB read it
        for name in reads:
            mod = module_of(name)
            if mod is not None:
                eff[f"<config:{mod.partition('.')[0]}>"] = R
        for chain in chains:
            mod = module_of(chain[0])
            if mod is not None and (chain[-1] if len(chain) > 1 else mod.rpartition(".")[2]) in T.CONFIG_SETTERS:
                eff[f"<config:{mod.partition('.')[0]}>"] = W | R
        for name in strong:
            mod = module_of(name)
            if mod is not None:
                eff[f"<config:{mod.partition('.')[0]}>"] = W | R
        for tag in resolve_tags(tags, chains, plots, module_of):
            eff[f"<{tag}>"] = TAG
        if a.sql_access is not None:  # the DuckDB connection JupySQL queries: read, or changed
            eff[SQL_STATE] = R | (W if a.sql_access == "write" else 0)
            for table in a.sql_tables:  # a JupySQL snippet saved by `--save table`
                if table.isidentifier():
                    eff[f"<sql:{table}>"] = eff.get(f"<sql:{table}>", 0) | R
        for path in a.files_read:
            eff[f"<file:{path}>"] = R
        for path in a.files_written:
            name = f"<file:{path}>"
            eff[name] = eff.get(name, 0) | W
        return eff, consulted

    # -- scanning ----------------------------------------------------------------------
    def _scan(self, name: str) -> set[tuple[int, int]]:
        """Edges implied by one name's event list (see the class docstring)."""
        keys = self._events.get(name)
        if not keys:
            return set()
        if name[0] == "<" and ":" not in name and name != SQL_STATE:  # hidden-state tag: keep the touchers in order
            return set(zip(keys, keys[1:]))
        stars = self._stars if name not in T.BUILTINS else None
        if not self._wcount.get(name) and not stars:
            return set()
        edges: set[tuple[int, int]] = set()
        add = edges.add
        eff = self._eff
        cur = None  # reaching binder
        pending: list[tuple[int, int]] = []  # output dependences of cur, kept once cur is read
        live = False
        mutators: list[int] = []
        readers: list[int] = []  # readers since the last write (binding or mutation)
        any_read = cur_prior = False  # some reader seen so far / before cur
        for k in keys:
            fl = eff[k][name]
            if fl & R:
                if cur is not None:
                    add((cur, k))
                    if not live:
                        edges.update(pending)
                        live = True
                elif stars:  # unbound so far: an `import *` may supply it, or a later one clobber it
                    i = bisect_left(stars, k)
                    if i:
                        add((stars[i - 1], k))
                    j = bisect_right(stars, k)
                    if j < len(stars):
                        add((k, stars[j]))
                for m in mutators:
                    add((m, k))
            if fl & W:
                for r in readers:
                    if r != k:
                        add((r, k))
                if cur_prior:  # readers before cur precede cur; keep them before k too
                    add((cur, k))
                pending = [(p, k) for p in (cur, *mutators) if p is not None and p != k]
                if stars:  # an `import *` between cur and k may bind N too: k's value must win
                    i = bisect_left(stars, k)
                    if i and (cur is None or stars[i - 1] > cur):
                        pending.append((stars[i - 1], k))
                # a cell that read the old value (x = x + 1) is a reader later writes respect
                cur, live, mutators, readers = k, False, [], [k] if fl & R else []
                cur_prior = any_read
            elif fl & M:
                for r in readers:
                    if r != k:
                        add((r, k))
                mutators.append(k)
                readers = [k]
            elif fl & R:
                readers.append(k)
            if fl & R:
                any_read = True
        return edges

    def _rescan(self, names: Iterable[str], touched: dict) -> None:
        for name in names:
            new = self._scan(name)
            old = self._name_edges.get(name, set())
            if new == old:
                continue
            for p in old - new:
                touched.setdefault(p, frozenset(self._pairs.get(p, ())))
                s = self._pairs[p]
                s.discard(name)
                if not s:
                    del self._pairs[p]
            for p in new - old:
                touched.setdefault(p, frozenset(self._pairs.get(p, ())))
                self._pairs[p].add(name)
            if new:
                self._name_edges[name] = new
            else:
                self._name_edges.pop(name, None)

    def _edge(self, pair: tuple[int, int], names) -> InferredEdge:
        return InferredEdge(self._id[pair[0]], self._id[pair[1]], tuple(sorted(names)))

    def _delta(self, touched: dict) -> EdgeDelta:
        added, removed = [], []
        for p in sorted(touched):
            old, new = touched[p], self._pairs.get(p, ())
            if old == new:
                continue
            if old:
                removed.append(self._edge(p, old))
            if new:
                added.append(self._edge(p, new))
        return EdgeDelta(tuple(added), tuple(removed))

    # -- incremental updates -------------------------------------------------------------
    def _replace(self, key: int, old: CellAnalysis, new: CellAnalysis) -> dict:
        """Swap a cell's analysis and propagate; returns the touched edge pairs."""
        self._index_base(key, old, -1)
        self._an[key] = new
        self._index_base(key, new, 1)
        touched: dict = {}
        # Later cells resolve a name through its reaching binder only to find a module
        # path or a function summary; re-resolve them when this cell's answer changed.
        old_defs, new_defs = old.defines | old.deletes, new.defines | new.deletes
        old_mods, new_mods = dict(old.module_bindings), dict(new.module_bindings)
        old_fns, new_fns = {f.name: f for f in old.functions}, {f.name: f for f in new.functions}
        cells = {key}
        for name in old_defs ^ new_defs:
            if self._fn.get(name) or self._mod.get(name) or name in T.DEFAULT_MODULES or name in old_fns or name in old_mods:
                cells.update(k for k in self._consult.get(name, ()) if k > key)
        for name in (old_mods.keys() | new_mods.keys() | old_fns.keys() | new_fns.keys()) & old_defs & new_defs:
            if old_mods.get(name) != new_mods.get(name) or old_fns.get(name) != new_fns.get(name):
                cells.update(k for k in self._consult.get(name, ()) if k > key)
        changed: set[str] = set()
        for k in cells:
            changed |= self._reresolve(k)
        if old.star_import != new.star_import:  # reads without a binder may now use it
            changed = changed | self._events.keys() | self._name_edges.keys()
        self._rescan(changed, touched)
        return touched

    def _reresolve(self, key: int) -> set[str]:
        old = self._eff.get(key, {})
        new, consulted = self._resolve(key)
        before = self._consulted.get(key, set())
        for name in before - consulted:
            s = self._consult[name]
            s.discard(key)
            if not s:
                del self._consult[name]
        for name in consulted - before:
            self._consult[name].add(key)
        self._consulted[key] = consulted
        self._eff[key] = new
        changed = set()
        for name in old.keys() | new.keys():
            fo, fn = old.get(name, 0), new.get(name, 0)
            if fo == fn:
                continue
            changed.add(name)
            lst = self._events[name]
            if not fo:
                insort(lst, key)
            elif not fn:
                lst.pop(bisect_left(lst, key))
                if not lst:
                    del self._events[name]
            self._wcount[name] += bool(fn & (M | W | TAG)) - bool(fo & (M | W | TAG))
        return changed

    def update_cell(self, cell_id: str, source: str) -> EdgeDelta:
        """Replace one cell's source; returns the change of the edge list."""
        key = self._key[cell_id]
        old, new = self._an[key], analyze_cell(source)
        self._sources[cell_id] = source
        if old == new:
            return EdgeDelta()
        return self._delta(self._replace(key, old, new))

    def insert_cell(self, position: int, cell_id: str, source: str) -> EdgeDelta:
        """Insert a new code cell before code-cell ``position`` (``len`` appends)."""
        if cell_id in self._key:
            raise ValueError(f"duplicate cell id: {cell_id!r}")
        position = max(0, min(position, len(self._order)))
        lo = self._key[self._order[position - 1]] if position else 0
        hi = self._key[self._order[position]] if position < len(self._order) else lo + 2 * _GAP
        if hi - lo < 2:  # no room left between the neighbours: renumber everything
            before = self._all_pairs()
            cells = [(c, self.source(c)) for c in self._order]
            cells.insert(position, (cell_id, source))
            self.set_cells(cells)
            return self._diff_by_id(before)
        key = (lo + hi) // 2
        self._order.insert(position, cell_id)
        self._sources[cell_id] = source
        self._key[cell_id], self._id[key] = key, cell_id
        self._an[key] = _EMPTY_ANALYSIS
        self._index_base(key, _EMPTY_ANALYSIS, 1)
        self._eff[key], self._consulted[key] = {}, set()
        return self._delta(self._replace(key, _EMPTY_ANALYSIS, analyze_cell(source)))

    def remove_cell(self, cell_id: str) -> EdgeDelta:
        """Delete a cell; returns the change of the edge list."""
        key = self._key[cell_id]
        delta = self._delta(self._replace(key, self._an[key], _EMPTY_ANALYSIS))
        self._index_base(key, _EMPTY_ANALYSIS, -1)
        for name in self._consulted.pop(key, ()):
            self._consult[name].discard(key)
        del self._eff[key], self._an[key], self._key[cell_id], self._id[key]
        self._order.remove(cell_id)
        del self._sources[cell_id]
        return delta

    def sync(self, cells: Sequence[tuple[str, str]]) -> EdgeDelta:
        """Bring the index to ``cells``: per-cell updates when the id sequence is
        unchanged, otherwise a full rebuild; returns the change of the edge list."""
        if [c for c, _ in cells] != self._order:
            before = self._all_pairs()
            self.set_cells(cells)
            return self._diff_by_id(before)
        added, removed = {}, {}
        for cid, source in cells:
            d = self.update_cell(cid, source)
            for e in d.removed:
                if added.pop((e.source, e.target), None) is None:
                    removed.setdefault((e.source, e.target), e)
            for e in d.added:
                added[(e.source, e.target)] = e
        for pair, e in list(added.items()):
            if removed.get(pair) == e:
                del added[pair], removed[pair]
        return EdgeDelta(tuple(added.values()), tuple(removed.values()))

    def _all_pairs(self) -> dict[tuple[str, str], InferredEdge]:
        return {(e.source, e.target): e for e in self.edges()}

    def _diff_by_id(self, before: dict) -> EdgeDelta:
        after = self._all_pairs()
        return EdgeDelta(
            tuple(e for p, e in after.items() if before.get(p) != e),
            tuple(e for p, e in before.items() if after.get(p) != e),
        )

    # -- queries -----------------------------------------------------------------------
    def edges(self) -> list[InferredEdge]:
        """All edges, sorted by (source, target) notebook position."""
        return [self._edge(p, names) for p, names in sorted(self._pairs.items())]

    @property
    def cell_ids(self) -> list[str]:
        """Code-cell ids in notebook order."""
        return list(self._order)

    def analysis(self, cell_id: str) -> CellAnalysis:
        """The cell's :class:`CellAnalysis`."""
        return self._an[self._key[cell_id]]

    def effects(self, cell_id: str) -> dict[str, int]:
        """The cell's effective flags per name (a copy): ``R`` read, ``M`` mutated,
        ``W`` bound or deleted, ``TAG`` hidden state touched (module constants of this
        module), with the functions it calls included, ``<config:LIB>``,
        ``<file:path>`` and ``<tag>`` names as in the edges."""
        return dict(self._eff.get(self._key[cell_id], {}))

    def source(self, cell_id: str) -> str:
        """The cell's current source text (as last given)."""
        return self._sources[cell_id]

    def _ids_with(self, name: str, mask: int) -> list[str]:
        return [self._id[k] for k in self._events.get(name, ()) if self._eff[k][name] & mask]

    def definers(self, name: str) -> list[str]:
        """Cells binding or deleting ``name`` (directly or through a called function)."""
        return self._ids_with(name, W)

    def readers(self, name: str) -> list[str]:
        """Cells reading ``name`` (mutators included)."""
        return self._ids_with(name, R)

    def mutators(self, name: str) -> list[str]:
        """Cells possibly mutating ``name`` in place."""
        return self._ids_with(name, M)


def infer_edges(cells: Sequence[tuple[str, str]]) -> list[InferredEdge]:
    """Edges between code cells ``[(cell_id, source), ...]`` given in notebook order.

    Returns :class:`InferredEdge` objects sorted by notebook position of (source,
    target); every edge points from an earlier cell to a later one. Cells that fail to
    parse take part in no edge. Raises ``ValueError`` on duplicate cell ids. See
    :class:`DependencyIndex` for the rules.
    """
    return DependencyIndex(cells).edges()
