"""Unit tests of the AI pieces without a server: answer parsing and syntax checks,
cycle checks, prompt templates and their assembly (with LangChain's fake chat model),
the fallback loop, provider configuration (keys masked, jupyter-ai), the context budget,
dataset files, the rate limiter and error texts."""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from types import SimpleNamespace

import nbformat
import pytest
from jinja2 import UndefinedError
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from notebook_dag.ai import codecheck as cc
from notebook_dag.ai.context import ContextBuilder, Section, fit_sections, static_kinds
from notebook_dag.ai.prompts import TEMPLATES, fix_messages, generate_messages, render, repair_messages, template_text
from notebook_dag.ai.providers import (
    Completion, ProviderChain, ProviderConfig, classify, order_providers, parse_providers, provider_from_jupyter_ai,
)
from notebook_dag.ai.ratelimit import SlidingWindowLimiter
from notebook_dag.ai.service import error_text
from notebook_dag.ai.sources import DatasetInfo, FileDatasets, literal_reads, quick_facts
from notebook_dag.dag import build_dag
from notebook_dag.errors import BadRequest, TooManyRequests, Unavailable

# ---- answers and syntax ---------------------------------------------------------------


@pytest.mark.parametrize("answer,code,explanation", [
    ("```python\nx = 1\n```\nExplanation: sets x.", "x = 1", "sets x."),
    ("Sure:\n```py\nx = 1\n```", "x = 1", "Sure:"),
    ("~~~python\nx = 1\n~~~\nThen more text.", "x = 1", "Then more text."),
    ("```\nx = 1\ny = 2\n```", "x = 1\ny = 2", ""),
    ("x = 1\nprint(x)", "x = 1\nprint(x)", ""),
    ("```python\nx = 1\nprint(x)", "x = 1\nprint(x)", ""),  # cut off before the closing fence
    ("Intro.\n```text\nnot code\n```\n```python\nx = 1\n```\n**Explanation:** the python one.", "x = 1", "the python one."),
    ("```python\n\n\nx = 1\n\n```", "x = 1", ""),
])
def test_split_answer(answer, code, explanation):
    assert cc.split_answer(answer) == (code, explanation)


def test_explanation_is_bounded():
    _, explanation = cc.split_answer("```python\nx = 1\n```\n" + "word " * 500)
    assert len(explanation) <= cc.EXPLANATION_CHARS and explanation.endswith("…")


def test_syntax_error():
    assert cc.syntax_error("x = 1\nprint(x)") is None
    assert cc.syntax_error("%matplotlib inline\n!pip list\nx = 1") is None  # IPython syntax is fine
    assert cc.syntax_error("x = 1\ny = (2") == "line 2: '(' was never closed"
    assert cc.syntax_error("def f(:\n  pass").startswith("line 1:")


def test_code_cells_with_and_edges():
    cells = [("m", "markdown", "# T"), ("a", "code", "x = 1"), ("b", "code", "y = x + 1")]
    assert cc.code_cells_with(cells, ("N", "z = x"), after="m") == [("N", "z = x"), ("a", "x = 1"), ("b", "y = x + 1")]
    assert cc.code_cells_with(cells, ("N", "z = x"), after="a") == [("a", "x = 1"), ("N", "z = x"), ("b", "y = x + 1")]
    assert cc.code_cells_with(cells, ("N", "z = x")) == [("a", "x = 1"), ("b", "y = x + 1"), ("N", "z = x")]
    assert cc.code_cells_with(cells, ("b", "y = 2"), replace=True) == [("a", "x = 1"), ("b", "y = 2")]
    _, mine = cc.edges_with_block(cc.code_cells_with(cells, ("N", "x = 5\nw = x"), after="a"), "N")
    assert {(e.source, e.target) for e in mine} == {("a", "N"), ("N", "b")}  # N rebinds x that b reads
    assert mine[0].as_dict("real")["source"] in ("a", "real")


def test_check_cycle():
    edges = [SimpleNamespace(source="a", target=cc.NEW_BLOCK), SimpleNamespace(source=cc.NEW_BLOCK, target="b")]
    assert cc.check_cycle(edges, [], cc.NEW_BLOCK) is None
    cycle = cc.check_cycle(edges, [("b", "a")], cc.NEW_BLOCK)
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", cc.NEW_BLOCK}
    # a cycle that does not go through the block is still found
    other = [SimpleNamespace(source="a", target="c")]
    assert cc.check_cycle(other, [("c", "a")], cc.NEW_BLOCK) in (["a", "c", "a"], ["c", "a", "c"])


# ---- prompts ------------------------------------------------------------------------------


def test_templates_ship_in_the_package():
    files = {p.name for p in resources.files("notebook_dag.ai.prompts").iterdir()}
    assert set(TEMPLATES) <= files
    for name in TEMPLATES:
        assert template_text(name).strip()
    with pytest.raises(FileNotFoundError):
        template_text("../__init__.py")


def test_templates_render_and_refuse_missing_values():
    text = render("generate.md", context="## Datasets\n- x", prompt="Plot {price}", after_title=None)
    assert "at the end of the notebook" in text and "Request: Plot {price}" in text and text.startswith("## Datasets")
    assert 'after the cell "Load"' in render("generate.md", context="", prompt="p", after_title="Load")
    assert "Hint from the user" not in render("fix.md", context="", title="t", code="c", error="e", hint="")
    with pytest.raises(UndefinedError):
        render("fix.md", context="", title="t", code="c")
    assert "line 3: invalid syntax" in render("repair.md", error="line 3: invalid syntax")


def test_messages_assembled_and_answered_by_a_fake_model():
    msgs = generate_messages("## Datasets\n- sales.csv", "Load sales.csv and show the first rows", "Imports")
    assert [m.type for m in msgs] == ["system", "human"]
    assert "exactly one fenced code block" in msgs[0].content
    assert "- sales.csv" in msgs[1].content and 'after the cell "Imports"' in msgs[1].content
    fix = fix_messages("ctx", "Sum", "df['b'].sum()", "KeyError: 'b'", "use a")
    assert "```python\ndf['b'].sum()\n```" in fix[1].content and "KeyError: 'b'" in fix[1].content
    rep = repair_messages(msgs, "```python\nx = (\n```", "line 1: '(' was never closed")
    assert [m.type for m in rep] == ["system", "human", "ai", "human"] and "never closed" in rep[-1].content

    fake = GenericFakeChatModel(messages=iter([AIMessage("```python\nimport pandas as pd\ndf = pd.read_csv('sales.csv')\ndf.head()\n```\nExplanation: loads.")]))
    answer = asyncio.run(fake.ainvoke(msgs))
    code, explanation = cc.split_answer(answer.content)
    assert cc.syntax_error(code) is None and explanation == "loads."


# ---- the fallback loop with fake models ------------------------------------------------


class _Broken(GenericFakeChatModel):
    error: str = "boom"

    async def _agenerate(self, *a, **k):
        raise ConnectionError(self.error)

    async def _astream(self, *a, **k):
        raise ConnectionError(self.error)
        yield  # pragma: no cover


def _chain(*models, timeout=2.0) -> ProviderChain:
    cfgs = [ProviderConfig(name=f"p{i}", kind="openai", model=f"m{i}", base_url="http://127.0.0.1:9/v1") for i in range(len(models))]
    chain = ProviderChain(cfgs, timeout=timeout)
    for cfg, model in zip(cfgs, models):
        chain._models[cfg.name] = model
    return chain


def test_chain_falls_back_with_attribution():
    chain = _chain(_Broken(messages=iter([])), GenericFakeChatModel(messages=iter([AIMessage("ok")])))
    c = asyncio.run(chain.ainvoke([]))
    assert (c.text, c.provider, c.model) == ("ok", "p1", "m1")
    assert [(a["provider"], a["ok"], a["error_kind"]) for a in c.attempts] == [("p0", False, "unavailable"), ("p1", True, None)]


def test_chain_stream_falls_back_and_reports_everything_failing():
    chain = _chain(_Broken(messages=iter([])), GenericFakeChatModel(messages=iter([AIMessage("a b c")])))

    async def collect():
        return [x async for x in chain.astream([])]

    out = asyncio.run(collect())
    assert "".join(x for x in out if isinstance(x, str)) == "a b c" and isinstance(out[-1], Completion)
    assert out[-1].provider == "p1"
    with pytest.raises(Unavailable) as e:
        asyncio.run(_chain(_Broken(messages=iter([]), error="x"), _Broken(messages=iter([]))).ainvoke([]))
    assert [a["provider"] for a in e.value.extra["attempts"]] == ["p0", "p1"]


def test_chain_selection_and_errors():
    with pytest.raises(Unavailable, match="AIService.providers"):
        ProviderChain([]).select()
    chain = _chain(GenericFakeChatModel(messages=iter([])))
    with pytest.raises(BadRequest, match="p0"):
        chain.select("nope")
    rate = type("RateLimitError", (Exception,), {"status_code": 429})
    assert classify(rate("x")) == "rate_limited" and classify(asyncio.TimeoutError()) == "timeout"
    assert classify(type("E", (Exception,), {"code": 503})("x")) == "unavailable"
    assert classify(ImportError()) == "missing_package" and classify(ValueError("bad")) == "error"
    limited = ProviderChain([])
    err = limited._give_up([{"provider": "a", "error_kind": "rate_limited", "message": "m"}])
    assert isinstance(err, TooManyRequests)


# ---- provider configuration -----------------------------------------------------------------


def test_keys_are_secret_and_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-SECRET")
    monkeypatch.setenv("MY_GEMINI", "g-env-SECRET")
    p = parse_providers([
        {"name": "o", "kind": "openai", "model": "gpt"},
        {"name": "g", "kind": "gemini", "model": "gem", "api_key_env": "MY_GEMINI"},
        {"name": "c", "kind": "openai", "model": "gpt", "api_key": "sk-config-SECRET"},
        {"name": "l", "kind": "ollama", "model": "llama"},
    ])
    assert p[0].key().get_secret_value() == "sk-env-SECRET" and p[1].key().get_secret_value() == "g-env-SECRET"
    assert p[2].key().get_secret_value() == "sk-config-SECRET"
    shown = repr(p) + str(p) + json.dumps([x.public() for x in p]) + p[2].model_dump_json()
    assert "SECRET" not in shown and "**********" in repr(p[2])
    assert [x.public()["key_present"] for x in p] == [True, True, True, False]
    assert p[3].problem() is None  # ollama needs no key
    monkeypatch.delenv("OPENAI_API_KEY")
    assert "OPENAI_API_KEY" in p[0].problem()
    with pytest.raises(ValueError, match="twice"):
        parse_providers([{"name": "a", "kind": "openai", "model": "m"}] * 2)
    with pytest.raises(ValueError, match="AIService\\.providers\\[0\\]"):
        parse_providers([{"name": "a", "kind": "anthropic", "model": "m"}])
    assert [x.name for x in order_providers(p, ["l", "g"])] == ["l", "g", "o", "c"]
    with pytest.raises(ValueError, match="zz"):
        order_providers(p, ["zz"])


def test_jupyter_ai_config(tmp_path):
    path = tmp_path / "config.json"
    assert provider_from_jupyter_ai(str(path)) is None
    path.write_text(json.dumps({"model_provider_id": "openai-chat:gpt-4o", "api_keys": {"OPENAI_API_KEY": "sk-x"},
                                "fields": {"openai-chat:gpt-4o": {"openai_api_base": "http://127.0.0.1:1/v1"}}}))
    p = provider_from_jupyter_ai(str(path))
    assert (p.name, p.kind, p.model, p.base_url, p.source) == ("jupyter-ai", "openai", "gpt-4o", "http://127.0.0.1:1/v1", "jupyter-ai")
    assert p.key().get_secret_value() == "sk-x"
    path.write_text(json.dumps({"model_provider_id": "ollama:llama3", "fields": {"ollama:llama3": {"base_url": "http://h:1"}}}))
    assert (provider_from_jupyter_ai(str(path)).kind, provider_from_jupyter_ai(str(path)).base_url) == ("ollama", "http://h:1")
    path.write_text(json.dumps({"model_provider_id": "gemini/gemini-2.0-flash"}))
    assert provider_from_jupyter_ai(str(path)).model == "gemini-2.0-flash"
    for unsupported in ({"model_provider_id": "bedrock-chat:claude"}, {"model_provider_id": None}, []):
        path.write_text(json.dumps(unsupported))
        assert provider_from_jupyter_ai(str(path)) is None
    path.write_text("{not json")
    assert provider_from_jupyter_ai(str(path)) is None


# ---- context -----------------------------------------------------------------------------


def test_fit_sections_budget_and_truncation():
    sections = [Section("A", [f"- a{i} " + "x" * 50 for i in range(40)]), Section("B", ["- b1", "- b2"]),
                Section("C", [], empty="(none here)")]
    text, truncated = fit_sections(sections, 1000)
    assert len(text) <= 1000 and truncated and "- b1" in text and "- b2" in text
    assert "more not shown)" in text and "(none here)" in text and text.index("## A") < text.index("## B")
    text, truncated = fit_sections([Section("A", ["- one"])], 1000)
    assert not truncated and text == "## A\n- one"
    text, _ = fit_sections([Section("A", ["y" * 5000])], 600)
    assert len(text) <= 600 and "…" in text
    assert len(fit_sections([Section("A", ["z"])], 5)[0]) <= 5


def test_static_kinds():
    kinds = static_kinds("import numpy as np\nfrom os import path\nimport pandas as pd\ndf = pd.read_csv('a.csv')\n"
                         "clean = df.dropna().reset_index()\nn = 3\nnames = ['a']\ndef f(): pass\nclass K: pass\n"
                         "model = LinearRegression()\na, b = 1, 2\narr = np.zeros(3)\n")
    assert kinds["np"] == "module numpy" and kinds["path"] == "from os" and kinds["df"].startswith("pandas.DataFrame")
    assert kinds["clean"].startswith("pandas.DataFrame") and kinds["n"] == "int" and kinds["names"] == "list"
    assert (kinds["f"], kinds["K"], kinds["model"], kinds["a"], kinds["arr"]) == ("function", "class", "LinearRegression", "?", "numpy.ndarray")
    assert static_kinds("x = (") == {}


class _FakeDatasets:
    async def datasets(self, project, nb, user):
        return [DatasetInfo("sales.csv", "sales.csv", "csv", [("price", "float64")], "price\n1.0", ["no missing values"], 1)]


def test_context_builder_sections():
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(["import pandas as pd", "df = pd.read_csv('sales.csv')", "total = df.price.sum()", "other = 1"]):
        cell = nbformat.v4.new_code_cell(src)
        cell["id"] = f"c{i}"
        nb.cells.append(cell)
    dag = build_dag(nb, [])
    builder = ContextBuilder(_FakeDatasets(), None, budget=3000)
    project = SimpleNamespace(id="p", notebook_path="nb.ipynb")
    ctx = asyncio.run(builder.build(project, dag, "u", after="c1"))
    assert ctx.names_source == "static" and ctx.datasets == ["sales.csv"] and not ctx.truncated
    assert "- df: pandas.DataFrame" in ctx.text and "- pd: module pandas" in ctx.text and "total" not in ctx.names
    assert 'upstream "df = pd.read_csv(\'sales.csv\')"' in ctx.text and 'downstream "total = df.price.sum()"' in ctx.text
    assert "other = 1" not in ctx.text  # not connected to the insertion point
    fix = asyncio.run(builder.build(project, dag, "u", target="c2"))
    assert "DAG around the failing block" in fix.text and fix.names == ["df", "pd"]
    small = asyncio.run(ContextBuilder(_FakeDatasets(), None, budget=300).build(project, dag, "u"))
    assert small.chars <= 300 and small.truncated


def test_dataset_files(tmp_path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "sales.csv").write_text("a,b,c\n1,x,\n2,y,3.5\n3,x,4\n")
    (tmp_path / "proj" / "notes.txt").write_text("not data")
    (tmp_path / "secret.csv").write_text("s\n1\n")
    (tmp_path / "proj" / "bad.parquet").write_bytes(b"not parquet")
    assert literal_reads("import pandas as pd\ndf = pd.read_csv('./sales.csv')\nu = pd.read_csv('https://x/y.csv')\n"
                         "p = pd.read_parquet(path='p.parquet')\nopen('x.txt')") >= {"sales.csv", "p.parquet"}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("df = pd.read_csv('../secret.csv')\nd2 = pd.read_csv('sales.csv')")]
    nb.cells[0]["id"] = "c0"
    found = asyncio.run(FileDatasets(str(tmp_path)).datasets(SimpleNamespace(notebook_path="proj/nb.ipynb"), nb, "u"))
    by = {d.name: d for d in found}
    assert set(by) == {"secret.csv", "sales.csv", "bad.parquet"}  # under the root, read by the notebook or beside it
    assert by["sales.csv"].used_by == ["c0"] and by["sales.csv"].rows == 3
    assert by["sales.csv"].columns == [("a", "int64"), ("b", "object"), ("c", "float64")]
    assert by["sales.csv"].sample.splitlines()[0] == "a,b,c"
    assert any("missing values: c 1" in f for f in by["sales.csv"].facts)
    assert any("could not be read" in f for f in by["bad.parquet"].facts)
    outside = asyncio.run(FileDatasets(str(tmp_path / "proj")).datasets(SimpleNamespace(notebook_path="nb.ipynb"), nb, "u"))
    assert "secret.csv" not in {d.name for d in outside}  # ../ leaves the root: never read
    assert asyncio.run(FileDatasets(None).datasets(SimpleNamespace(notebook_path="nb.ipynb"), nb, "u")) == []


def test_quick_facts():
    import pandas as pd

    facts = quick_facts(pd.DataFrame({"x": [1.0, None, 3.0], "g": ["a", "b", "a"]}), sampled=False)
    assert facts[0] == "missing values: x 1" and "ranges: x 1..3" in facts and facts[2].startswith("g takes 2 values")


# ---- limits and errors ----------------------------------------------------------------------


def test_sliding_window_limiter():
    now = [0.0]
    limiter = SlidingWindowLimiter(2, 10.0, clock=lambda: now[0])
    limiter.hit("u")
    limiter.hit("u")
    limiter.hit("v")  # per user
    with pytest.raises(TooManyRequests) as e:
        limiter.hit("u")
    assert e.value.extra["retry_after"] == 10 and e.value.extra["limit"] == 2
    now[0] = 9.5
    assert limiter.retry_after("u") == pytest.approx(0.5)
    now[0] = 10.0
    limiter.hit("u")  # the first two left the window
    SlidingWindowLimiter(0).hit("u")  # disabled


def test_error_text_strips_colours_and_keeps_the_end():
    block = {"outputs": [{"output_type": "stream", "name": "stderr", "text": "warn\n"},
                         {"output_type": "error", "ename": "KeyError", "evalue": "'b'",
                          "traceback": ["\x1b[0;31mKeyError\x1b[0m Traceback", "\x1b[1;32m----> 1\x1b[0m df['b']"]}]}
    text = error_text(block)
    assert "\x1b" not in text and "KeyError Traceback" in text and "----> 1 df['b']" in text and text.startswith("warn")
    assert error_text({"outputs": [], "error": "timed out"}) == "timed out"
    long = error_text({"outputs": [{"output_type": "error", "traceback": ["x" * 10000 + "END"]}]})
    assert len(long) <= 4000 and long.endswith("END") and long.startswith("…")
