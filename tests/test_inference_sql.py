"""Inference of SQL blocks (JupySQL's ``%%sql`` / ``%sql``, parsed with sqlglot): tables
read, CTEs, joins, subqueries, quoted and qualified names, ``<<`` results, ``--save``
snippets, the ``<duckdb>`` connection state, and unparsable SQL (a note, no edges);
plus dataset lineage of SQL tables."""

from __future__ import annotations

import pytest

from notebook_dag.datasets.lineage import Candidate, match, notebook_refs
from notebook_dag.inference import DependencyIndex, analyze_cell, infer_edges
from notebook_dag.inference.sql import SqlSyntaxError, analyze_sql

pytest.importorskip("sqlglot")


def nb(*sources: str) -> list[tuple[str, str]]:
    return [(f"c{i}", s) for i, s in enumerate(sources)]


def edge_map(*sources: str) -> dict[tuple[int, int], tuple[str, ...]]:
    return {(int(e.source[1:]), int(e.target[1:])): e.names for e in infer_edges(nb(*sources))}


def test_join_and_result_variable():
    a = analyze_cell("%%sql result <<\nSELECT s.region, SUM(s.amount) FROM sales s "
                     "JOIN targets t USING (region) GROUP BY 1")
    assert a.parse_error is None
    assert a.reads == {"sales", "targets"} and a.defines == {"result"}
    assert a.sql_tables == {"sales", "targets"} and a.sql_access == "read"
    assert "duckdb" in a.hidden_state


def test_ctes_are_not_tables():
    a = analyze_cell("%%sql\nWITH recent AS (SELECT * FROM orders WHERE day > 3),\n"
                     "     big AS (SELECT * FROM recent WHERE amount > 10)\n"
                     "SELECT * FROM big JOIN customers c ON big.cid = c.id")
    assert a.sql_tables == {"orders", "customers"}
    assert a.reads == {"orders", "customers"}


def test_cte_name_only_hides_tables_in_its_scope():
    # `x` is a CTE in the subquery only; the outer `x` is a real table
    q = analyze_sql("", "SELECT * FROM x WHERE id IN (WITH x AS (SELECT 1 AS id) SELECT id FROM x)")
    assert q.tables == {"x"}
    q = analyze_sql("", "SELECT * FROM (WITH a AS (SELECT * FROM src) SELECT * FROM a) sub JOIN a ON true")
    assert q.tables == {"src", "a"}


def test_subqueries_and_set_operations():
    q = analyze_sql("", "SELECT * FROM (SELECT * FROM inner_t) sub WHERE id IN (SELECT id FROM other_t)\n"
                        "UNION ALL SELECT * FROM third WHERE EXISTS (SELECT 1 FROM fourth)")
    assert q.tables == {"inner_t", "other_t", "third", "fourth"}


def test_quoted_and_qualified_names():
    a = analyze_cell('%%sql\nSELECT * FROM "My Table" JOIN "df" USING (k) JOIN main.facts USING (k) '
                     'JOIN cat.sch.dim USING (k)')
    assert a.sql_tables == {"My Table", "df", "main.facts", "cat.sch.dim"}
    assert a.reads == {"df"}, "only unqualified identifiers are kernel names"


def test_table_functions_and_files():
    q = analyze_sql("", "SELECT * FROM read_csv_auto('data/a.csv') JOIN read_parquet('b.parquet') USING (k) "
                        "JOIN range(10) r ON true JOIN 'c.csv' USING (k)")
    assert q.files_read == {"data/a.csv", "b.parquet", "c.csv"}
    assert "range" not in q.tables
    a = analyze_cell("%%sql\nCOPY (SELECT * FROM df) TO 'out.parquet'")
    assert a.files_written == {"out.parquet"} and a.reads == {"df"}


def test_line_magic_assignment_and_options():
    a = analyze_cell("n = %sql SELECT COUNT(*) FROM df\nprint(n)")
    assert a.defines == {"n"} and a.reads == {"df"}
    assert analyze_cell("%sql x << SELECT 1 FROM t").defines == {"x"}
    assert analyze_cell("%%sql x= <<\nSELECT 1").defines == {"x"}
    a = analyze_cell("%%sql --save big_orders --no-execute\nSELECT * FROM orders WHERE amount > 100")
    assert a.defines == {"<sql:big_orders>"} and a.reads == {"orders"} and a.sql_access == "read"
    a = analyze_cell("%%sql duckdb:// res <<\nSELECT * FROM df")
    assert a.defines == {"res"} and a.reads == {"df"} and a.sql_access == "write", "a new connection"
    a = analyze_cell("%sql --persist frame")
    assert a.reads == {"frame"} and a.sql_access == "write"
    a = analyze_cell("%%sql\nSELECT * FROM t WHERE v > {{ threshold }} AND w = $limit")
    assert a.reads == {"t", "threshold", "limit"}


def test_writes_and_created_tables():
    a = analyze_cell("%%sql\nCREATE TABLE summary AS SELECT region, SUM(x) FROM df GROUP BY 1;\n"
                     "INSERT INTO summary SELECT 'z', 0")
    assert a.sql_access == "write" and a.sql_created == {"summary"}
    assert a.reads == {"df"}, "the created / inserted table is not read"
    assert analyze_cell("%%sql\nDROP TABLE summary").sql_access == "write"
    assert analyze_cell("%%sql\nDESCRIBE summary").sql_access == "read"


@pytest.mark.parametrize("source", [
    "%%sql\nSELECT a, FROM WHERE df",
    "%%sql\nSELEC * FROM t",
    "%%sql out <<\nSELEC x",
    "%%sql\nSELECT * FROM t WHERE",
    "%sql SELECT (1",
])
def test_unparsable_sql_is_a_note_and_takes_part_in_no_edge(source):
    a = analyze_cell(source)
    assert a.parse_error is not None and a.parse_error.startswith("SQL does not parse"), a.parse_error
    assert not a.reads and not a.defines
    edges = edge_map("t = 1\ndf = 2\nout = 3", source, "print(t, df, out)")
    assert all(1 not in pair for pair in edges), edges


def test_parse_error_names_the_cell_line():
    a = analyze_cell("%%sql\nSELECT *\nFROM t\nWHERE")
    assert "line 4" in a.parse_error, a.parse_error
    with pytest.raises(SqlSyntaxError):
        analyze_sql("", "SELECT * FROM")


def test_edges_between_python_and_sql_blocks():
    edges = edge_map(
        "import pandas as pd\ntargets = pd.DataFrame({'r': ['n'], 'goal': [1]})",
        "%%sql joined <<\nSELECT * FROM sales JOIN targets USING (r)",
        "print(joined)",
        "%%sql\nCREATE TABLE t2 AS SELECT * FROM joined",
        "%%sql --save q\nSELECT * FROM t2",
        "%%sql r <<\nSELECT COUNT(*) FROM q",
        "x = 1",
    )
    assert edges[(0, 1)] == ("targets",)
    assert edges[(1, 2)] == ("joined",)
    assert edges[(1, 3)] == ("<duckdb>", "joined"), "the writer stays after earlier readers"
    assert edges[(3, 4)] == ("<duckdb>",) and edges[(3, 5)] == ("<duckdb>",)
    assert edges[(4, 5)] == ("<sql:q>",)
    assert not any(6 in pair for pair in edges), "plain Python is independent of SQL state"
    assert (0, 3) not in edges


def test_read_only_sql_blocks_stay_independent():
    edges = edge_map("a = 1", "%%sql\nSELECT * FROM a", "%%sql\nSELECT * FROM a")
    assert edges == {(0, 1): ("a",), (0, 2): ("a",)}, "two queries do not order each other"


def test_incremental_update_into_and_out_of_sql():
    idx = DependencyIndex(nb("df = 1", "print(1)", "print(res)"))
    delta = idx.update_cell("c1", "%%sql res <<\nSELECT * FROM df")
    assert {(e.source, e.target, e.names) for e in delta.added} == {
        ("c0", "c1", ("df",)), ("c1", "c2", ("res",))}
    delta = idx.update_cell("c1", "%%sql res <<\nSELECT * FROM WHERE")
    assert idx.edges() == [] and len(delta.removed) == 2


def test_sql_tables_are_dataset_reads_unless_a_kernel_name_shadows_them():
    refs = notebook_refs(nb(
        "%%sql a <<\nSELECT * FROM iris JOIN \"wine.csv\" USING (k)",
        "sales = 1",
        "%%sql b <<\nSELECT * FROM sales, iris",
        "%%sql\nCREATE TABLE wine AS SELECT 1",
        "%%sql\nWITH iris AS (SELECT 1) SELECT * FROM iris, wine",
    ))
    got = {cid: [(r.kind, r.by, r.target, r.via) for r in rs] for cid, rs in refs.items()}
    assert got == {
        "c0": [("read", "sql", "iris", "%%sql"), ("read", "sql", "wine.csv", "%%sql")],
        "c2": [("read", "sql", "iris", "%%sql")],
    }, got
    iris = Candidate("d1", "iris.csv", None, set(), set(), set())
    wine = Candidate("d2", "wine.csv", "p1", set(), set(), set())
    other = Candidate("d3", "iris.csv", "p2", set(), set(), set())
    assert [c.id for c in match(refs["c0"][0], "nb.ipynb", "p1", [iris, wine, other])] == ["d1"]
    assert [c.id for c in match(refs["c0"][1], "nb.ipynb", "p1", [iris, wine, other])] == ["d2"]
