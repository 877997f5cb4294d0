"""SQL blocks end to end: a real server, real kernels, JupySQL on DuckDB, an uploaded
dataset (scikit-learn's iris) queried by name and joined with a DataFrame an upstream
Python block builds; edges, lineage, staleness after a new dataset version."""

from __future__ import annotations

import pytest

from conftest import blocks_by_id, stdout_of, write_notebook
from datasets_helpers import encode, iris, upload

pytest.importorskip("sql", reason="JupySQL is needed for SQL blocks")
pytest.importorskip("duckdb")

NOTEBOOK = [
    # A: a DataFrame built in Python
    ("import pandas as pd\n"
     "targets = pd.DataFrame({'species': ['setosa', 'versicolor', 'virginica'], 'goal': [5.0, 6.0, 6.5]})"),
    # B: SQL joining the uploaded dataset (a DuckDB view) with A's DataFrame
    ("%%sql joined <<\n"
     "SELECT i.species, COUNT(*) AS n, AVG(i.\"sepal length (cm)\") AS mean_sepal, MAX(t.goal) AS goal\n"
     "FROM iris AS i JOIN targets AS t ON i.species = t.species\n"
     "GROUP BY i.species ORDER BY i.species"),
    # C: Python using B's result
    "print(type(joined).__name__, joined['n'].tolist(), round(float(joined['mean_sepal'].sum()), 3))",
    # D: unrelated Python
    "unrelated = 1",
]


def _states(dag: dict) -> dict[str, str]:
    return {n["id"]: n["state"] for n in dag["nodes"] if n.get("kind", "cell") != "dataset"}


async def test_sql_block_joins_dataset_and_dataframe(api, jp_root_dir):
    df = iris()
    _, ds = await upload(api, encode(df, "csv"), "iris.csv")
    write_notebook(jp_root_dir, "sql.ipynb", NOTEBOOK)
    project = await api.project("sql.ipynb")
    pid = project["id"]

    dag = await api.ok("GET", f"projects/{pid}/dag")
    edges = {(e["source"], e["target"]): e["names"] for e in dag["edges"] if e["kind"] == "inferred"}
    assert edges[("c0", "c1")] == ["targets"], edges
    assert edges[("c1", "c2")] == ["joined"], edges
    assert not any("iris" in names for names in edges.values()), "a dataset is not a kernel name"
    b = next(n for n in dag["nodes"] if n["id"] == "c1")
    assert b["defines"] == ["joined"] and set(b["reads"]) == {"iris", "targets"} and b["parse_error"] is None

    run = await api.run(pid)
    assert run["status"] == "succeeded", run
    blocks = blocks_by_id(run)
    assert all(blocks[c]["status"] == "succeeded" for c in ("c0", "c1", "c2")), blocks
    expected = df.groupby("species")
    assert stdout_of(blocks["c2"]) == (
        f"DataFrame {expected.size().tolist()} {round(float(expected['sepal length (cm)'].mean().sum()), 3)}\n")

    lin = await api.ok("GET", f"datasets/{ds['id']}/lineage")
    assert [(r["block_id"], r["via"], r["target"], r["kind"]) for r in lin["readers"]] == [
        ("c1", "%%sql", "iris", "read")], lin
    overlay = await api.ok("GET", f"projects/{pid}/dag", datasets="true")
    assert (f"dataset:{ds['id']}", "c1", "reads") in {(e["source"], e["target"], e["kind"]) for e in overlay["edges"]}

    states = _states(await api.ok("GET", f"projects/{pid}/dag"))
    assert states == {"c0": "up_to_date", "c1": "up_to_date", "c2": "up_to_date", "c3": "up_to_date"}, states

    # a new version of the dataset: the SQL block reading it and its reader are stale
    _, v2 = await upload(api, encode(df[df["species"] != "setosa"], "csv"), "iris.csv")
    assert v2["id"] == ds["id"] and v2["current_version"] == 2
    states = _states(await api.ok("GET", f"projects/{pid}/dag"))
    assert states == {"c0": "up_to_date", "c1": "stale", "c2": "stale", "c3": "up_to_date"}, states

    # a stale run re-executes B and C only, and B's view now reads version 2
    run = await api.run(pid, mode="stale")
    assert run["status"] == "succeeded", run
    ran = {b["block_id"] for b in run["blocks"] if b["status"] == "succeeded"}
    assert ran == {"c1", "c2"}, run["blocks"]
    assert stdout_of(blocks_by_id(run)["c2"]).startswith("DataFrame [50, 50] "), blocks_by_id(run)["c2"]


async def test_unparsable_sql_is_a_note_without_edges(api, jp_root_dir):
    write_notebook(jp_root_dir, "bad.ipynb", [
        "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3]})",
        "%%sql out <<\nSELECT a, FROM WHERE df",
        "print(out)",
    ])
    project = await api.project("bad.ipynb")
    dag = await api.ok("GET", f"projects/{project['id']}/dag")
    node = next(n for n in dag["nodes"] if n["id"] == "c1")
    assert node["parse_error"].startswith("SQL does not parse"), node
    assert not [e for e in dag["edges"] if "c1" in (e["source"], e["target"])], "no edges invented"


async def test_sql_block_alone_and_tables_across_blocks(api, jp_root_dir):
    """A block run alone still gets JupySQL; a table created by one SQL block is read by
    a later one, through the <duckdb> edge."""
    write_notebook(jp_root_dir, "chain.ipynb", [
        "import pandas as pd\nsales = pd.DataFrame({'region': ['n', 's', 'n'], 'amount': [1.0, 2.0, 3.0]})",
        "%%sql\nCREATE OR REPLACE TABLE by_region AS SELECT region, SUM(amount) AS total FROM sales GROUP BY 1",
        "%%sql totals <<\nWITH t AS (SELECT * FROM by_region) SELECT * FROM t ORDER BY region",
        "print(totals.to_dict('list'))",
    ])
    project = await api.project("chain.ipynb")
    pid = project["id"]
    dag = await api.ok("GET", f"projects/{pid}/dag")
    edges = {(e["source"], e["target"]): e["names"] for e in dag["edges"] if e["kind"] == "inferred"}
    assert edges[("c0", "c1")] == ["sales"] and edges[("c1", "c2")] == ["<duckdb>"], edges
    assert edges[("c2", "c3")] == ["totals"], edges
    run = await api.run(pid, mode="block", block_id="c0")
    assert run["status"] == "succeeded", run
    run = await api.run(pid, mode="downstream", block_id="c1")
    assert run["status"] == "succeeded", run
    assert stdout_of(blocks_by_id(run)["c3"]) == str({"region": ["n", "s"], "total": [4.0, 2.0]}) + "\n"


def test_missing_jupysql_gives_a_clear_error(monkeypatch):
    """Without JupySQL in the kernel's environment, %%sql raises a message saying so."""
    import sys

    from IPython.core.interactiveshell import InteractiveShell

    from notebook_dag import sql_kernel

    shell = InteractiveShell.instance()
    monkeypatch.setitem(sys.modules, "sql", None)  # the import fails as if not installed
    monkeypatch.setitem(sys.modules, "sql.magic", None)
    monkeypatch.setattr(sql_kernel, "_state", {})
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    errors = sql_kernel.setup({"iris": "iris.csv"})
    assert list(errors) == [""], "setup never raises; it says SQL is unavailable"
    result = shell.run_cell("%%sql\nSELECT 1")
    assert isinstance(result.error_in_exec, sql_kernel.SqlUnavailable), result
    assert "pip install jupysql duckdb" in str(result.error_in_exec)
