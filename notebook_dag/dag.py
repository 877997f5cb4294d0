"""The DAG of a project: nodes are notebook cells, edges are inferred or drawn by hand.

Pure functions build the graph (:func:`build_dag`) and plan runs (:func:`plan_blocks`);
:class:`DagService` adds storage of manual edges and the contents manager.

Graph algorithms are networkx's: cycle detection by reachability
(``nx.has_path`` / ``nx.shortest_path``), topological order by
``nx.lexicographical_topological_sort`` keyed on notebook position, so the order is
the notebook's own wherever the edges allow it, and ancestors/descendants by
``nx.ancestors`` / ``nx.descendants`` (iterative, no recursion limit).
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from sqlalchemy import delete, select

from . import etags
from .errors import BadRequest, Conflict, CycleError, NotFound
from .inference import DependencyIndex, analyze_cell
from .staleness import RESET, M, R, W, Versions, effects_with_inputs, versions
from .storage import Database, Edge, Run, RunBlock

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
TITLE_LENGTH = 80
#: calls that reset a global RNG (``np.random.seed``, ``random.seed``, ``torch.manual_seed``,
#: ``tf.random.set_seed``): the cell's draws do not depend on earlier cells' draws
SEEDS = frozenset({"seed", "manual_seed", "set_seed", "set_random_seed", "manual_seed_all"})
#: library configuration that applies to every cell's outputs, whether or not the cell
#: names the library: warning filters, pandas' and numpy's display options, sklearn's
#: estimator display
GLOBAL_CONFIG = frozenset({"<config:warnings>", "<config:pandas>", "<config:numpy>", "<config:sklearn>"})
#: pyplot calls that open a new figure: the cell draws on its own figure, not on the
#: current one earlier cells left (``plt.figure``, ``plt.subplots``, ``plt.subplot_mosaic``)
FIGURE_MAKERS = frozenset({"figure", "subplots", "subplot_mosaic"})


def block_title(cell: dict[str, Any], override: str | None = None) -> str:
    """Title of a cell: the saved override, else the first markdown heading, else the
    first non-blank line of its source that is not a ``%magic`` or ``!shell`` line
    (a leading ``#`` comment marker removed), cut to :data:`TITLE_LENGTH` characters. Empty cells are titled ``(empty)``."""
    if override:
        return override
    lines = [ln for ln in str(cell.get("source", "")).splitlines() if ln.strip()]
    if cell.get("cell_type") == "code":  # magics and shell escapes say little about a block
        lines = [ln for ln in lines if not ln.lstrip().startswith(("%", "!"))] or lines
    if not lines:
        return "(empty)"
    if cell.get("cell_type") == "markdown":
        for ln in lines:
            m = _HEADING.match(ln)
            if m and m.group(1):
                return m.group(1)[:TITLE_LENGTH]
    first = lines[0].strip()
    if cell.get("cell_type") == "code" and first.startswith("#"):
        first = first.lstrip("#").strip() or first
    return first[:TITLE_LENGTH]


@dataclass
class DagEdge:
    """One edge. ``id`` is set for manual edges only."""

    source: str
    target: str
    kind: str
    names: list[str] = field(default_factory=list)
    id: str | None = None
    cycle: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The API shape (:class:`notebook_dag.models.EdgeOut`); a stored edge (with an
        ``id``) has an ``etag`` ``"edge-<id>-<version>.<view>"``, its version a digest of
        its immutable source, target and kind (:mod:`notebook_dag.etags`)."""
        out: dict[str, Any] = {"id": self.id, "source": self.source, "target": self.target, "kind": self.kind,
                               "names": self.names}
        if self.cycle is not None:
            out["cycle"] = self.cycle
        if self.id is not None:
            etags.tagged("edge", self.id, self.version, out)
        return out

    @property
    def version(self) -> str:
        """The version token of a stored edge's ETag (its rows never change)."""
        return edge_version(self.source, self.target, self.kind)


def edge_version(source: str, target: str, kind: str) -> str:
    """The version token of the stored edge ``source → target`` of ``kind``."""
    return etags.version_digest(source, target, kind)


@dataclass
class BuiltDag:
    """A project's DAG at one moment.

    ``nb`` is the notebook it was built from; ``graph`` is an ``nx.DiGraph`` over cell ids (every cell, markdown included) whose
    edges carry ``kinds`` (set of "manual"/"inferred") and ``names``; ``cells`` maps
    cell id → nbformat cell; ``index`` maps cell id → notebook position.
    """

    nb: Any
    cells: dict[str, Any]
    index: dict[str, int]
    graph: nx.DiGraph
    edges: list[DagEdge]
    dropped: list[DagEdge]
    hidden: list[DagEdge] = field(default_factory=list)
    #: manual edges left out of ``graph``: with the edges inferred from the current code
    #: they would close a cycle (``DagEdge.cycle``); they stay stored
    conflicting: list[DagEdge] = field(default_factory=list)
    #: code cell id -> {name: inference flags} (see :meth:`DependencyIndex.effects`),
    #: with ``RESET`` on ``<random>`` for cells that seed the global RNG
    effects: dict[str, dict[str, int]] = field(default_factory=dict)
    #: code cell id -> top-level modules it imports
    imports: dict[str, frozenset[str]] = field(default_factory=dict)
    #: code cell id -> {name: dotted module path} of its import bindings
    modules: dict[str, dict[str, str]] = field(default_factory=dict)
    #: where ``nb`` was read from: "file", or the live "editor" or "collaboration"
    #: document of the notebook open in JupyterLab (see :mod:`notebook_dag.documents`)
    document: str = "file"

    def order(self) -> list[str]:
        """Cell ids in a topological order, notebook order wherever edges allow."""
        return list(nx.lexicographical_topological_sort(self.graph, key=self.index.__getitem__))

    def is_code(self, block_id: str) -> bool:
        return self.cells[block_id].get("cell_type") == "code"


def build_dag(
    nb: Any,
    manual: Iterable[tuple[str, str, str]],
    hidden: Iterable[tuple[str, str, str]] = (),
    dep_index: DependencyIndex | None = None,
) -> BuiltDag:
    """Build the DAG of notebook ``nb`` (an nbformat notebook with cell ids).

    ``manual`` yields ``(edge_id, source, target)`` of hand-drawn edges; those naming a
    cell that no longer exists are returned in ``dropped`` and left out. Inferred edges
    come from :func:`notebook_dag.inference.infer_edges` on the code cells in notebook
    order, less those the user hid (``hidden``, same shape; listed in ``hidden``). A
    manual edge that duplicates an inferred one keeps both kinds on one edge. A manual
    edge that would close a cycle with the edges before it (an edit made a cell read what
    its manual successor defines) is left out and listed in ``conflicting`` with the
    cycle, so the graph stays acyclic; earlier edges win, inferred ones first.

    With ``dep_index`` (a :class:`~notebook_dag.inference.DependencyIndex` kept for this
    notebook), only the cells that changed since its last use are re-analysed.
    """
    cells = {c["id"]: c for c in nb.cells}
    index = {c["id"]: i for i, c in enumerate(nb.cells)}
    graph = nx.DiGraph()
    graph.add_nodes_from(cells)
    code = [(c["id"], str(c.get("source", ""))) for c in nb.cells if c.get("cell_type") == "code"]
    edges: list[DagEdge] = []
    dropped: list[DagEdge] = []
    conflicting: list[DagEdge] = []
    hidden_edges: list[DagEdge] = []
    for edge_id, source, target in hidden:
        edge = DagEdge(source, target, "hidden", [], edge_id)
        (hidden_edges if source in cells and target in cells else dropped).append(edge)
    off = {(e.source, e.target) for e in hidden_edges}
    if dep_index is None:
        dep_index = DependencyIndex()
    dep_index.sync(code)
    inferred = dep_index.edges()
    effects: dict[str, dict[str, int]] = {}
    imports: dict[str, frozenset[str]] = {}
    modules: dict[str, dict[str, str]] = {}
    for cid, _ in code:
        a = dep_index.analysis(cid)
        eff = dep_index.effects(cid)
        if "<random>" in eff and any(c[-1] in SEEDS for c in a.attr_chains):
            eff["<random>"] |= RESET
        if "<matplotlib>" in eff and any(c[-1] in FIGURE_MAKERS for c in a.attr_chains):
            eff["<matplotlib>"] |= RESET
        effects[cid] = eff
        imports[cid] = a.imports
        modules[cid] = dict(a.module_bindings)
    for e in inferred:
        if (e.source, e.target) in off:
            for h in hidden_edges:
                if (h.source, h.target) == (e.source, e.target):
                    h.names = list(e.names)
            continue
        edges.append(DagEdge(e.source, e.target, "inferred", list(e.names)))
        graph.add_edge(e.source, e.target, kinds={"inferred"}, names=list(e.names))
    for edge_id, source, target in manual:
        edge = DagEdge(source, target, "manual", [], edge_id)
        if source not in cells or target not in cells:
            dropped.append(edge)
            continue
        if graph.has_edge(source, target):
            edges.append(edge)
            graph.edges[source, target]["kinds"].add("manual")
            continue
        cycle = cycle_through(graph, source, target)
        if cycle is not None:
            edge.cycle = cycle
            conflicting.append(edge)
            continue
        edges.append(edge)
        graph.add_edge(source, target, kinds={"manual"}, names=[])
    return BuiltDag(nb, cells, index, graph, edges, dropped, hidden_edges, conflicting, effects, imports, modules)


def cycle_through(graph: nx.DiGraph, source: str, target: str) -> list[str] | None:
    """The cycle that the edge ``source → target`` would close, as block ids starting at
    ``source``; None when adding it keeps ``graph`` acyclic."""
    if source == target:
        return [source, source]
    if not nx.has_path(graph, target, source):
        return None
    return [source, *nx.shortest_path(graph, target, source)]


def plan_blocks(dag: BuiltDag, mode: str, block_id: str | None = None) -> list[str]:
    """Code-cell ids to execute for a run, in topological order.

    ``mode``: ``all`` (every code cell), ``block`` (just ``block_id``), ``upstream``
    (``block_id`` and all its ancestors), ``downstream`` (``block_id`` and all its
    descendants). Raises :class:`BadRequest` when ``block_id`` is missing for a mode
    that needs it and :class:`NotFound` when it names no cell.
    """
    if mode == "all":
        wanted = set(dag.cells)
    else:
        if not block_id:
            raise BadRequest(f"mode {mode!r} needs a block_id")
        if block_id not in dag.cells:
            raise NotFound(f"block {block_id!r} is not a cell of this notebook")
        if mode == "block":
            wanted = {block_id}
        elif mode == "upstream":
            wanted = nx.ancestors(dag.graph, block_id) | {block_id}
        elif mode == "downstream":
            wanted = nx.descendants(dag.graph, block_id) | {block_id}
        else:
            raise BadRequest(f"unknown run mode {mode!r}")
    return [b for b in code_order(dag) if b in wanted]


def code_order(dag: BuiltDag) -> list[str]:
    """Ids of the code cells with code, in the DAG's topological order."""
    return [b for b in dag.order() if dag.is_code(b) and str(dag.cells[b].get("source", "")).strip()]


def block_versions(
    dag: BuiltDag,
    extra_reads: dict[str, set[str]] | None = None,
    world: dict[str, str] | None = None,
) -> Versions:
    """:class:`~notebook_dag.staleness.Versions` of the DAG's code blocks: the
    inference's effects, ``extra_reads`` (block → ``<module:m>``/``<dataset:d>`` names)
    and the manual edges as inputs; ``world`` the content hashes of files, modules and
    datasets. O(V + E)."""
    order = code_order(dag)
    manual = [(e.source, e.target) for e in dag.edges if e.kind == "manual"]
    flags = effects_with_inputs(order, dag.effects, extra_reads or {}, manual)
    # process-wide configuration shapes every cell's outputs, named or not: a warning
    # filter decides what any cell prints on stderr, display options how any DataFrame
    # or array is shown
    for e in dag.hidden:  # the user said the target does not depend on what the edge carries
        f = flags.get(e.target)
        if f is not None:
            for name in e.names:
                if name in f and not f[name] & (W | M):
                    f[name] &= ~R
                    if not f[name]:
                        del f[name]
    set_here = {n for f in flags.values() for n, bits in f.items() if n in GLOBAL_CONFIG and bits & W}
    for name in set_here:
        for f in flags.values():
            f[name] = f.get(name, 0) | R
    return versions(order, {b: str(dag.cells[b].get("source", "")) for b in order}, flags, world or {},
                    import_constants(order, flags, dag.modules, world or {}))


def import_constants(order: list[str], flags: dict[str, dict[str, int]],
                     modules: dict[str, dict[str, str]], world: dict[str, str]) -> dict[str, str]:
    """Names that every cell binding them binds by ``import`` to one module, and that
    no cell mutates: name -> ``module:<dotted path>`` (with the source hash of a local
    module from ``world``). Importing again gives the same module object, so re-running
    such a cell changes nothing for later readers."""
    paths: dict[str, set[str | None]] = {}
    for b in order:
        for name, bits in flags[b].items():
            if bits & M:
                paths.setdefault(name, set()).add(None)
            elif bits & W:
                paths.setdefault(name, set()).add(modules.get(b, {}).get(name))
    out = {}
    for n, p in paths.items():
        if len(p) == 1 and None not in p:
            path = next(iter(p))
            local = world.get(f"<module:{path.partition('.')[0]}>")
            out[n] = f"module:{path}" + (f"@{local}" if local else "")
    return out


class DagService:
    """Manual edges in the database plus the notebook read through ``blocks``
    (a :class:`notebook_dag.blocks.BlockService`)."""

    #: how many projects keep an incremental dependency index in memory
    INDEXES = 64

    def __init__(self, db: Database, blocks: Any) -> None:
        self.db = db
        self.blocks = blocks
        self._indexes: OrderedDict[str, DependencyIndex] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    def _index(self, project_id: str) -> DependencyIndex:
        index = self._indexes.pop(project_id, None) or DependencyIndex()
        self._indexes[project_id] = index
        while len(self._indexes) > self.INDEXES:
            self._indexes.popitem(last=False)
        return index

    async def _stored(self, project_id: str) -> dict[str, list[tuple[str, str, str]]]:
        out: dict[str, list[tuple[str, str, str]]] = {"manual": [], "hidden": []}
        async with self.db.session() as s:
            rows = (await s.execute(select(Edge).where(Edge.project_id == project_id).order_by(Edge.created_at))).scalars()
            for e in rows:
                out.setdefault(e.kind, []).append((e.id, e.source, e.target))
        return out

    async def build(self, project: Any) -> BuiltDag:
        """The project's DAG from its notebook as it is now (a live document of
        JupyterLab wins over the file: ``document`` says which); stored edges whose
        cells disappeared are reported in ``dropped`` and deleted (unless only an unsaved
        editor document lacks them)."""
        (nb, document), stored = await asyncio.gather(self.blocks.document(project), self._stored(project.id))
        # inference is CPU work: off the event loop, one build per project at a time
        async with self._locks.setdefault(project.id, asyncio.Lock()):
            dag = await asyncio.to_thread(build_dag, nb, stored["manual"], stored["hidden"], self._index(project.id))
        dag.document = document
        # an unsaved editor document may lack a cell only for a moment (cut and paste):
        # its stored edges are reported as dropped but deleted only once the file or
        # shared document lacks the cell
        if dag.dropped and document != "editor":
            async with self.db.session() as s:
                await s.execute(delete(Edge).where(Edge.id.in_([e.id for e in dag.dropped])))
            self.db.changes.touch(project.id)
        return dag

    async def describe(self, project: Any) -> tuple[BuiltDag, dict[str, Any]]:
        """The built DAG and ``{"document", "nodes", "edges", "order", "dropped", "hidden",
        "conflicting"}`` as served by
        ``GET /projects/{id}/dag`` (without block states, which the run service adds)."""
        dag = await self.build(project)
        meta, last = await asyncio.gather(self.blocks.meta(project.id), self.last_results(project.id))
        # a node per cell is CPU work (titles, hashes, the analysis of each cell): off the loop
        return dag, await asyncio.to_thread(self._document, dag, meta, last)

    def _document(self, dag: BuiltDag, meta: dict[str, Any], last: dict[str, dict[str, Any]]) -> dict[str, Any]:
        nodes = []
        for cid, cell in dag.cells.items():
            node = self.blocks.block_dict(cell, dag.index[cid], meta.get(cid))
            node.update(last.get(cid, {"status": "never_run", "last_run_id": None, "duration": None}))
            if cell.get("cell_type") == "code":
                a = analyze_cell(str(cell.get("source", "")))
                node.update(defines=sorted(a.defines), reads=sorted(a.reads), parse_error=a.parse_error)
            nodes.append(node)
        return {
            "document": dag.document,
            "nodes": nodes,
            "edges": [e.as_dict() for e in dag.edges],
            "order": dag.order(),
            "dropped": [e.as_dict() for e in dag.dropped],
            "hidden": [e.as_dict() for e in dag.hidden],
            "conflicting": [e.as_dict() for e in dag.conflicting],
        }

    async def last_results(self, project_id: str) -> dict[str, dict[str, Any]]:
        """Per block id, its most recent run result in this project:
        ``{"status", "last_run_id", "duration"}`` (duration in seconds or None)."""
        stmt = (
            select(RunBlock.block_id, RunBlock.status, RunBlock.run_id, RunBlock.started_at, RunBlock.finished_at)
            .join(Run, Run.id == RunBlock.run_id)
            .where(Run.project_id == project_id)
            .order_by(Run.created_at.desc())
        )
        out: dict[str, dict[str, Any]] = {}
        async with self.db.session() as s:
            for block_id, status, run_id, started, finished in await s.execute(stmt):
                if block_id in out:
                    continue
                duration = (finished - started).total_seconds() if started and finished else None
                out[block_id] = {"status": status, "last_run_id": run_id, "duration": duration}
        return out

    async def list_edges(self, project: Any) -> dict[str, Any]:
        dag = await self.build(project)
        return {
            "edges": [e.as_dict() for e in dag.edges],
            "dropped": [e.as_dict() for e in dag.dropped],
            "hidden": [e.as_dict() for e in dag.hidden],
            "conflicting": [e.as_dict() for e in dag.conflicting],
        }

    def editing_edges(self, project: Any) -> Any:
        """The lock held from reading a project's edges to storing a new one, across
        every server on the database (:meth:`notebook_dag.storage.Database.lock`): two
        edges checked at the same moment, ``a → b`` and ``b → a``, would each find no
        cycle and together make one."""
        return self.db.lock(f"edges:{project.id}")

    async def _insert_edge(self, project_id: str, source: str, target: str, kind: str,
                           unhide: bool = False) -> str | None:
        """Store an edge of ``kind``; its id, or None when that edge exists already
        (``INSERT ... ON CONFLICT DO NOTHING``: never a duplicate-key error). With
        ``unhide``, the hidden edge ``source → target`` is deleted in the same transaction."""
        stmt = (
            self.db.insert(Edge)
            .values(project_id=project_id, source=source, target=target, kind=kind)
            .on_conflict_do_nothing(index_elements=[Edge.project_id, Edge.source, Edge.target, Edge.kind])
            .returning(Edge.id)
        )
        async with self.db.session() as s:
            if unhide:
                await s.execute(delete(Edge).where(
                    Edge.project_id == project_id, Edge.source == source, Edge.target == target, Edge.kind == "hidden"))
            edge_id = (await s.execute(stmt)).scalar_one_or_none()
        self.db.changes.touch(project_id)
        return edge_id

    async def add_edge(self, project: Any, source: str, target: str) -> dict[str, Any]:
        """Store a manual edge. Raises :class:`NotFound` for an unknown cell id,
        :class:`CycleError` (with ``cycle``) when it would close a cycle and
        :class:`Conflict` when the same manual edge exists (also when a concurrent
        request has just added it: of identical requests at the same moment one adds
        the edge, the others get :class:`Conflict`)."""
        async with self.editing_edges(project):
            dag = await self.build(project)
            for b in (source, target):
                if b not in dag.cells:
                    raise NotFound(f"block {b!r} is not a cell of this notebook", block_id=b)
            exists = Conflict(f"the edge {source} → {target} exists already")
            if any(e.kind == "manual" and (e.source, e.target) == (source, target) for e in dag.edges):
                raise exists
            cycle = cycle_through(dag.graph, source, target)
            if cycle is not None:
                raise CycleError(
                    "adding this edge would create a cycle: " + " → ".join(cycle), cycle=cycle
                )
            # accepting a hidden inferred edge as a manual one un-hides it
            edge_id = await self._insert_edge(project.id, source, target, "manual", unhide=True)
            if edge_id is None:
                raise exists
            return DagEdge(source, target, "manual", [], edge_id).as_dict()

    async def hide_edge(self, project: Any, source: str, target: str) -> dict[str, Any]:
        """Hide the inferred edge ``source → target``: runs and the view ignore it
        until the hidden edge is deleted. Raises :class:`NotFound` when there is no such
        inferred edge and :class:`Conflict` when it is hidden already (also when a
        concurrent request has just hidden it)."""
        async with self.editing_edges(project):
            dag = await self.build(project)
            hidden = Conflict(f"the inferred edge {source} → {target} is hidden already")
            if any((h.source, h.target) == (source, target) for h in dag.hidden):
                raise hidden
            inferred = [e for e in dag.edges if e.kind == "inferred" and (e.source, e.target) == (source, target)]
            if not inferred:
                raise NotFound(f"there is no inferred edge {source} → {target}")
            edge_id = await self._insert_edge(project.id, source, target, "hidden")
            if edge_id is None:
                raise hidden
            return DagEdge(source, target, "hidden", inferred[0].names, edge_id).as_dict()

    async def get_edge(self, project: Any, edge_id: str) -> dict[str, Any]:
        """The stored (manual or hidden) edge ``edge_id`` as listed by :meth:`list_edges`
        (with ``etag``). Raises :class:`NotFound` if there is none with that id."""
        edges = await self.list_edges(project)
        for key in ("edges", "conflicting", "hidden"):
            for edge in edges[key]:
                if edge["id"] == edge_id:
                    return edge
        raise NotFound(f"no edge {edge_id!r} in this project")

    async def delete_edge(self, project: Any, edge_id: str, expected: etags.Expected | None = None) -> None:
        """Delete a manual edge, or un-hide a hidden inferred one. Raises
        :class:`NotFound` if there is none with that id, and
        :class:`~notebook_dag.errors.PreconditionFailed` when ``expected`` (the client's
        If-Match) does not name it (edges never change, so checking the row and then
        deleting it by id cannot lose an update)."""
        async with self.db.session() as s:
            if expected is not None:
                row = await s.get(Edge, edge_id)
                if row is None or row.project_id != project.id:
                    raise NotFound(f"no edge {edge_id!r} in this project")
                etags.check(expected, edge_version(row.source, row.target, row.kind),
                            DagEdge(row.source, row.target, row.kind, [], row.id).as_dict(), "edge")
            res = await s.execute(delete(Edge).where(Edge.id == edge_id, Edge.project_id == project.id))
            if res.rowcount == 0:
                raise NotFound(f"no edge {edge_id!r} in this project")
        self.db.changes.touch(project.id)
