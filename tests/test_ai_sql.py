"""AI generation "as SQL" (``language: "sql"``) through the REST API, with a real
LangChain client talking HTTP to the stub model server of stub_llm.py: the prompt the
model gets asks for a JupySQL ``%%sql`` block over the project's data, the answer is
shaped into one and its SQL is checked (one repair round-trip) before it is returned."""

from __future__ import annotations

import pytest

from conftest import write_notebook
from stub_llm import SECRETS, Reply, ai_settings, fenced, jp_server_config, stub, stub_server  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore:coroutine 'ClientResponse.json' was never awaited:RuntimeWarning")

SALES = "date,region,price,units\n2024-01-01,north,10.5,3\n2024-01-02,south,,5\n2024-01-03,north,12.0,2\n"
NOTEBOOK = [
    "import pandas as pd",                      # c0
    "sales = pd.read_csv('sales.csv')",          # c1
]


async def _project(api, root) -> dict:
    (root / "sales.csv").write_text(SALES)
    write_notebook(root, "nb.ipynb", NOTEBOOK)
    return await api.project("nb.ipynb")


def _messages(stub, index: int = -1) -> list[dict]:
    return [r for r in stub.requests if r.tag == "a" and r.method == "POST"][index].body["messages"]


def sql_fenced(code: str, explanation: str = "Averages the price per region.") -> str:
    return f"Here is the query:\n\n```sql\n{code}\n```\n\nExplanation: {explanation}"


async def test_generate_as_sql_asks_for_a_sql_block_and_inserts_it(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    code = "%%sql by_region= <<\nSELECT region, AVG(price) AS mean_price\nFROM sales\nGROUP BY region\nORDER BY region"
    stub.script("a", Reply(sql_fenced(code)))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "Average price per region",
                                                "after_block_id": "c1", "language": "sql", "insert": True})
    system, human = _messages(stub)[0], _messages(stub)[-1]
    assert system["role"] == "system"
    for text in ("SQL block", "JupySQL `%%sql` cell run on DuckDB", "`%%sql <name>= <<`", "```sql",
                 'listed under "Datasets"', "Names defined upstream"):
        assert text in system["content"], text
    assert "```python" not in system["content"] and "notebook_dag.load(\"name\")" not in system["content"]
    assert "Average price per region" in human["content"] and "sales.csv" in human["content"]
    assert out["code"] == code and out["explanation"] == "Averages the price per region."
    assert out["defines"] == ["by_region"] and out["reads"] == ["sales"] and out["repaired"] is False
    assert any(e["source"] == "c1" and e["names"] == ["sales"] for e in out["edges"]), out["edges"]
    blocks = (await api.ok("GET", f"projects/{p['id']}/blocks"))["blocks"]
    assert [b["id"] for b in blocks][-1] == out["block_id"] and blocks[-1]["source"] == code


async def test_python_is_the_default_and_never_mentions_sql(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced("n = len(sales)\nn")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "count rows"})
    system = _messages(stub)[0]["content"]
    assert "```python" in system and "%%sql" not in system and "DuckDB" not in system
    assert out["code"] == "n = len(sales)\nn"
    stub.script("a", Reply(fenced("m = len(sales)\nm")))
    await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "count rows", "language": "python"})
    assert _messages(stub)[0]["content"] == system


async def test_a_bare_query_gets_the_magic_line(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(sql_fenced("SELECT COUNT(*) AS n FROM sales")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "count", "language": "sql"})
    assert out["code"] == "%%sql result= <<\nSELECT COUNT(*) AS n FROM sales"
    assert out["defines"] == ["result"] and out["repaired"] is False


async def test_sql_that_does_not_parse_is_repaired_as_sql(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(sql_fenced("%%sql top= <<\nSELECT region, FROM WHERE sales")),
                Reply(sql_fenced("%%sql top= <<\nSELECT region FROM sales LIMIT 5")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "regions", "language": "sql"})
    assert out["repaired"] is True and out["code"] == "%%sql top= <<\nSELECT region FROM sales LIMIT 5"
    repair = _messages(stub, 1)[-1]["content"]
    assert "SQL does not parse" in repair and "```sql" in repair and "%%sql <name>= <<" in repair


async def test_unknown_language_is_refused(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    code, _ = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x", "language": "r"})
    assert code == 422
    code, _ = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x", "language": None})
    assert code == 422
    assert stub.requests == []
