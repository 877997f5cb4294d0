"""Static dependency inference between notebook code cells.

Public API::

    analyze_cell(source) -> CellAnalysis          # one cell: defines / reads / mutates ...
    infer_edges([(cell_id, source), ...]) -> list[InferredEdge]
    DependencyIndex(cells)                        # incremental: update_cell / insert_cell /
                                                  # remove_cell / sync -> EdgeDelta

Pure Python (stdlib ``ast`` plus IPython's input transformer for magics); no kernel.

Policies (the places where static analysis has to guess):

* Mutation through method calls. ``obj.m(...)`` on a plain name counts as a possible
  in-place mutation of ``obj`` unless ``m`` is on an allowlist of non-mutating
  DataFrame / ndarray / str / estimator accessors (``head``, ``describe``, ``copy``,
  ``mean``, ``predict``, ``transform``, ``plot``...; ``_tables.PURE_METHODS``). Through
  a chain (``df.a.b.m(...)``, ``df["a"].m(...)``) only ``inplace=True`` or a known
  mutator (``append``, ``update``, ``fit``...) counts. Method calls on a module (a name
  bound by ``import``, or a conventional alias like ``np`` the notebook never binds)
  are not mutations; that is decided across cells by the index, since the import is
  usually in another cell. Passing a name as an argument is *not* a mutation - that
  would serialise nearly every cell - except for a few well-known in-place functions
  (``shuffle``, ``np.copyto``, ``heapq.heappush``...), ``out=`` arguments, and
  generator objects handed over as ``random_state=`` / ``rng=`` / ``seed=`` (the callee
  advances them). Aliasing (``b = a; b.append(1)``) is not tracked.
* Hidden module state, as tags: ``random`` (``np.random.*`` / ``numpy.random.*`` under
  any import alias, ``from numpy.random import ...``, stdlib ``random.*``,
  ``torch.manual_seed`` and torch draws, ``tf.random.*``; independent generators such
  as ``np.random.default_rng`` / ``RandomState`` are ordinary objects whose method
  calls mutate them), ``matplotlib`` (any use of ``matplotlib`` / ``pyplot`` /
  ``pylab`` / ``seaborn``, ``%matplotlib``, and any ``.plot(...)``, ``.hist(...)``,
  ``*plot*(...)``, ``*Display.from_*`` call, which draws on the current figure), ``cwd``
  (``os.chdir``, ``%cd``), ``env`` (``os.environ``, ``%env``) and ``ipython``
  (``%load_ext``, ``%autoreload``, ``%config``...); ``df.sample()`` without
  ``random_state`` counts as ``random``. Cells touching a tag keep their notebook order
  (edges named ``<random>``...). Library configuration is a variable per library:
  ``sklearn.set_config``, ``pd.set_option``, ``plt.rc``, ``np.set_printoptions``,
  ``warnings.filterwarnings``... (or assigning into a module, ``pd.options.x = ...``)
  write ``<config:LIB>``; every cell reading a name imported from LIB reads it, so
  users of the library stay on the same side of the change. Files named by a string
  literal in ``to_csv`` / ``read_csv`` / ``open`` / ``savefig`` ... calls behave like
  variables named ``<file:path>``.
* Functions: globals read in a function body are reads of the defining cell and, via a
  per-function summary, of every later cell that uses the function (same for globals
  it mutates or rebinds with ``global``), so redefining such a global between the
  ``def`` and the call keeps the right order.
* Builtins and IPython names (``display``, ``get_ipython``...) are dependencies only
  when a cell of the notebook rebinds them; output-history names (``_``, ``__``,
  ``_5``, ``In``, ``Out``) are ignored even when assigned.
* SQL blocks (JupySQL's ``%%sql`` / ``%sql``, :mod:`.sql`): the SQL is parsed with
  sqlglot (DuckDB dialect). Tables it reads that are plain identifiers are reads of
  kernel names (DuckDB's replacement scans read DataFrames; a name nothing binds, such
  as a dataset's view, adds no edge), CTE names are not tables, ``name <<`` defines
  ``name`` and ``--save q`` defines ``<sql:q>`` (read by blocks using a table ``q``).
  Every SQL block reads ``<duckdb>`` (the connection's tables and settings) and those
  that create or change tables write it; unlike the other tags it follows the name
  rules, so queries do not order each other. SQL that does not parse is a parse error.
* A cell that does not parse even after IPython's transformer takes part in no edge.
"""

from .analysis import analyze_cell
from .model import CellAnalysis, FunctionSummary
from .index import DependencyIndex, EdgeDelta, InferredEdge, infer_edges

__all__ = [
    "CellAnalysis",
    "DependencyIndex",
    "EdgeDelta",
    "FunctionSummary",
    "InferredEdge",
    "analyze_cell",
    "infer_edges",
]
