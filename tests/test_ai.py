"""AI generation through the REST API with real LangChain clients (langchain-openai,
langchain-ollama, langchain-google-genai) talking HTTP to the stub in stub_llm.py:
providers, fallback, checks (syntax repair, cycles), limits, audit and secrecy."""

from __future__ import annotations

import json
import logging

import pg
import pytest

from conftest import write_notebook
from stub_llm import SECRETS, Reply, ai_settings, fenced, jp_server_config, stub, stub_server  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore:coroutine 'ClientResponse.json' was never awaited:RuntimeWarning")

SALES = "date,region,price,units\n2024-01-01,north,10.5,3\n2024-01-02,south,,5\n2024-01-03,north,12.0,2\n"
NOTEBOOK = [
    "import pandas as pd",                      # c0
    "sales = pd.read_csv('sales.csv')",          # c1
    "sales.head()",                              # c2
]


async def _project(api, root, cells=NOTEBOOK, name="nb.ipynb") -> dict:
    (root / "sales.csv").write_text(SALES)
    write_notebook(root, name, cells)
    return await api.project(name)


def _human_prompt(stub, tag: str, index: int = -1) -> str:
    """The last user message the stub received under ``tag`` (any wire format)."""
    req = [r for r in stub.requests if r.tag == tag and r.method == "POST"][index]
    body = req.body
    if "messages" in body:
        return body["messages"][-1]["content"]
    return body["contents"][-1]["parts"][0]["text"]


async def test_generate_with_context_reads_defines_and_edges(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced("stats = sales.select_dtypes('number').agg(['mean', 'median'])\nstats")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "Mean and median of the numeric columns",
                                                "after_block_id": "c2"})
    assert out["code"] == "stats = sales.select_dtypes('number').agg(['mean', 'median'])\nstats"
    assert out["explanation"] == "It does what was asked."
    assert (out["provider"], out["model"]) == ("primary", "gpt-stub-1")
    assert out["reads"] == ["sales"] and out["defines"] == ["stats"]
    assert {"source": "c1", "target": "<new>", "names": ["sales"]} in out["edges"]
    assert out["usage"] == {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18}
    assert out["inserted"] is False and out["block_id"] is None and out["repaired"] is False
    assert out["context"]["datasets"] == ["sales.csv"] and out["context"]["names_source"] == "static"
    assert out["context"]["chars"] <= 6000
    prompt = _human_prompt(stub, "a")
    # the dataset with columns, dtypes, rows and profile facts; upstream names with types; the DAG
    for text in ("sales.csv", "price:float64", "region:object", "2024-01-01,north,10.5,3", "missing values", "price 1",
                 "- sales: pandas.DataFrame", "- pd: module pandas", 'upstream "sales.head()"',
                 "Mean and median of the numeric columns", 'after the cell "sales.head()"'):
        assert text in prompt, text
    system = [r for r in stub.requests if r.tag == "a"][-1].body["messages"][0]
    assert system["role"] == "system" and "exactly one fenced code block" in system["content"]
    # nothing was inserted
    blocks = await api.ok("GET", f"projects/{p['id']}/blocks")
    assert len(blocks["blocks"]) == 3


@pytest.mark.parametrize("prompt,code", [
    ("Load sales.csv and show the first rows", "import pandas as pd\ndf = pd.read_csv('sales.csv')\ndf.head()"),
    ("Clean the missing values", "clean = sales.dropna()\nclean"),
    ("Plot the distribution of price", "%matplotlib inline\nax = sales['price'].plot.hist(bins=20)\nax.set_xlabel('price')"),
])
async def test_typical_prompts_insert_into_the_dag(api, jp_root_dir, stub, prompt, code):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced(code)))
    after = None if prompt.startswith("Load") else "c1"
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": prompt, "after_block_id": after, "insert": True})
    assert out["inserted"] and out["block_id"] and out["code"] == code
    blocks = (await api.ok("GET", f"projects/{p['id']}/blocks"))["blocks"]
    ids = [b["id"] for b in blocks]
    assert ids.index(out["block_id"]) == (3 if after is None else ids.index("c1") + 1)
    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    assert out["block_id"] in dag["order"]
    edges = {(e["source"], e["target"]) for e in dag["edges"]}
    if after == "c1":
        assert ("c1", out["block_id"]) in edges
    for e in out["edges"]:
        assert (e["source"], e["target"]) in edges
    gens = (await api.ok("GET", "ai/generations", project_id=p["id"]))["generations"]
    assert gens[0]["accepted"] is True and gens[0]["block_id"] == out["block_id"]


@pytest.mark.parametrize("provider,tag,model", [("local", "l", "llama-stub"), ("gem", "g", "gemini-stub"),
                                               ("backup", "b", "gpt-stub-2")])
async def test_each_provider(api, jp_root_dir, stub, provider, tag, model):
    p = await _project(api, jp_root_dir)
    stub.script(tag, Reply(fenced("total = sales['units'].sum()\ntotal"), usage=(40, 9)))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "Total units", "provider": provider})
    assert (out["provider"], out["model"]) == (provider, model)
    assert out["code"] == "total = sales['units'].sum()\ntotal"
    assert out["usage"] == {"input_tokens": 40, "output_tokens": 9, "total_tokens": 49}
    assert [r.tag for r in stub.requests] == [tag]
    assert "Total units" in _human_prompt(stub, tag)
    headers = {k.lower(): v for k, v in stub.requests[0].headers.items()}
    expected = {"l": ("authorization", f"Bearer {SECRETS['local']}"), "g": ("x-goog-api-key", SECRETS["gem"]),
                "b": ("authorization", f"Bearer {SECRETS['backup']}")}[tag]
    assert headers[expected[0]] == expected[1]


async def test_fallback_when_the_first_provider_fails(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(status=500, error="upstream exploded"))
    stub.script("b", Reply(fenced("n = len(sales)")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "count rows"})
    assert out["provider"] == "backup" and out["model"] == "gpt-stub-2"
    first, second = out["attempts"]
    assert (first["provider"], first["ok"], first["error_kind"]) == ("primary", False, "unavailable")
    assert (second["provider"], second["ok"]) == ("backup", True)
    assert [r.tag for r in stub.requests] == ["a", "b"]  # no client-side retry of the 500


@pytest.mark.parametrize("ai_settings", [{"timeout": 1.0}], indirect=True)
async def test_fallback_when_the_first_provider_times_out(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced("x = 1"), delay=3))
    stub.script("b", Reply(fenced("y = 2")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "anything"})
    assert out["provider"] == "backup" and out["code"] == "y = 2"
    assert out["attempts"][0]["error_kind"] == "timeout" and out["attempts"][0]["latency_ms"] >= 900


async def test_rate_limited_provider_falls_back_and_all_limited_is_429(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(status=429, error="slow down"))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "anything"})
    assert out["attempts"][0]["error_kind"] == "rate_limited" and out["provider"] == "backup"
    stub.default = Reply(status=429, error="slow down")
    code, body = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "anything"})
    assert code == 429 and body["reason"] == "too_many_requests"
    assert [a["error_kind"] for a in body["attempts"]] == ["rate_limited"] * 4


async def test_every_provider_down_is_503_with_attempts(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.default = Reply(status=500, error="down")
    code, body = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "anything"})
    assert code == 503 and body["reason"] == "unavailable"
    assert [a["provider"] for a in body["attempts"]] == ["primary", "backup", "local", "gem"]
    gens = (await api.ok("GET", "ai/generations"))["generations"]
    assert gens[0]["status"] == "provider_error" and gens[0]["accepted"] is False


@pytest.mark.parametrize("ai_settings", [{"providers": []}], indirect=True)
async def test_no_provider_is_503_saying_how_to_configure(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    for method, path, body in [("POST", "ai/generate", {"project_id": p["id"], "prompt": "x"}),
                               ("POST", "ai/fix", {"project_id": p["id"], "block_id": "c1", "run_id": "r"}),
                               ("GET", "ai/health", None)]:
        code, answer = await api.call(method, path, body)
        assert code == 503, path
        assert "c.AIService.providers" in answer["message"] and "OPENAI_API_KEY" in answer["message"]
    providers = await api.ok("GET", "ai/providers")
    assert providers["configured"] is False and providers["providers"] == []
    assert "AIService.providers" in providers["help"]


async def test_providers_and_health(api, stub):
    out = await api.ok("GET", "ai/providers")
    assert [p["name"] for p in out["providers"]] == ["primary", "backup", "local", "gem"]
    assert out["fallback_order"] == ["primary", "backup", "local", "gem"]
    assert all(p["key_present"] is True and p["ready"] for p in out["providers"])
    assert {p["kind"] for p in out["providers"]} == {"openai", "ollama", "gemini"}
    assert "api_key" not in json.dumps(out)
    stub.script("l", Reply(status=500, error="ollama is down"))
    health = await api.ok("GET", "ai/health")
    by = {h["name"]: h for h in health["providers"]}
    assert health["ok"] is True
    assert by["primary"]["ok"] and by["backup"]["ok"] and by["gem"]["ok"]
    assert by["local"]["ok"] is False and "unavailable" in by["local"]["error"]
    assert all(isinstance(h["latency_ms"], int) and h["latency_ms"] >= 0 for h in health["providers"])
    paths = sorted(r.path for r in stub.requests)
    # google-genai lists models under /v1beta up to 1.x, under /v1 since
    paths = sorted(p.replace("/g/v1beta/", "/g/v1/") for p in paths)
    assert paths == sorted(["/a/v1/models", "/b/v1/models", "/l/api/tags", "/g/v1/models?pageSize=1"])


@pytest.mark.parametrize("ai_settings", [{"fallback_order": ["gem", "local"]}], indirect=True)
async def test_fallback_order_is_configurable(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    assert (await api.ok("GET", "ai/providers"))["fallback_order"] == ["gem", "local", "primary", "backup"]
    stub.script("g", Reply(status=503, error="busy"))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "x"})
    assert out["provider"] == "local"


async def test_syntax_error_is_repaired_once(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced("means = sales.mean(numeric_only=True\nmeans")), Reply(fenced("means = sales.mean(numeric_only=True)\nmeans"), usage=(5, 5)))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "means"})
    assert out["repaired"] is True and out["code"].startswith("means = sales.mean(numeric_only=True)")
    assert out["usage"] == {"input_tokens": 16, "output_tokens": 12, "total_tokens": 28}
    second = [r for r in stub.requests if r.tag == "a"][1].body["messages"]
    assert second[-2]["role"] == "assistant" and "numeric_only=True\nmeans" in second[-2]["content"]
    assert "does not parse as Python" in second[-1]["content"] and "line 1" in second[-1]["content"]


async def test_repair_failing_is_422(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced("def f(:\n  pass")), Reply(fenced("for x in :\n  pass")))
    code, body = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "broken", "insert": True})
    assert code == 422 and body["reason"] == "unprocessable"
    assert "does not parse, even after one repair" in body["message"] and body["syntax_error"].startswith("line 1")
    assert body["code"] == "for x in :\n  pass"
    assert len((await api.ok("GET", f"projects/{p['id']}/blocks"))["blocks"]) == 3
    gen = (await api.ok("GET", "ai/generations"))["generations"][0]
    assert (gen["id"], gen["status"], gen["repaired"], gen["accepted"]) == (body["generation_id"], "syntax_error", True, False)


async def test_magics_are_valid_code(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced("%timeit sales.describe()\n!ls")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "time describe"})
    assert out["repaired"] is False and len([r for r in stub.requests if r.tag == "a"]) == 1


async def test_a_block_closing_a_cycle_through_manual_edges_is_409(api, jp_root_dir, stub):
    write_notebook(jp_root_dir, "cyc.ipynb", ["a = 1", "b = n_value * 2"])
    p = await api.project("cyc.ipynb")
    await api.ok("POST", f"projects/{p['id']}/edges", {"source": "c1", "target": "c0"}, expect=201)
    stub.script("a", Reply(fenced("n_value = a + 1")))
    code, body = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x", "after_block_id": "c0", "insert": True})
    assert code == 409 and body["reason"] == "cycle"
    assert body["cycle"][0] == body["cycle"][-1] and set(body["cycle"]) == {"<new>", "c0", "c1"}
    assert body["code"] == "n_value = a + 1"
    assert len((await api.ok("GET", f"projects/{p['id']}/blocks"))["blocks"]) == 2
    # at the end of the notebook the same code is fine
    stub.script("a", Reply(fenced("n_value = a + 1")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "x"})
    assert {"source": "c0", "target": "<new>", "names": ["a"]} in out["edges"]


async def test_bad_requests(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    code, body = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x", "provider": "nope"})
    assert code == 400 and "primary" in body["message"]
    code, _ = await api.call("POST", "ai/generate", {"project_id": "missing", "prompt": "x"})
    assert code == 404
    code, body = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x", "after_block_id": "zz"})
    assert code == 404 and body["block_id"] == "zz"
    code, _ = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": ""})
    assert code == 422
    code, _ = await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x", "api_key": "sneaky"})
    assert code == 422
    assert stub.requests == []


@pytest.mark.parametrize("ai_settings", [{"rate_limit": 2, "rate_window": 60.0}], indirect=True)
async def test_rate_limit_per_user_is_429(api, jp_root_dir, jp_fetch, stub):
    p = await _project(api, jp_root_dir)
    for _ in range(2):
        await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "x"})
    resp = await jp_fetch("notebook-dag", "api", "ai", "generate", method="POST", raise_error=False,
                          body=json.dumps({"project_id": p["id"], "prompt": "x"}))
    body = json.loads(resp.body)
    assert resp.code == 429 and body["reason"] == "too_many_requests"
    assert body["limit"] == 2 and 1 <= body["retry_after"] <= 60 and resp.headers["Retry-After"] == str(body["retry_after"])
    assert len([r for r in stub.requests if r.method == "POST"]) == 2
    await api.ok("GET", "ai/providers")  # reading the configuration is not limited


async def test_audit_records_in_the_database(api, jp_root_dir, stub, db_url):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced("m = sales['price'].mean()"), usage=(100, 20)))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "mean price", "after_block_id": "c1"})
    [row] = pg.fetch(db_url, 'SELECT "user", prompt, provider, model, input_tokens, output_tokens, total_tokens, latency_ms, '
                             "status, accepted, kind, anchor_block_id FROM ai_generations WHERE id = ?", out["generation_id"])
    user, prompt, provider, model, tin, tout, total, latency, status, accepted, kind, anchor = row
    assert user and prompt == "mean price" and (provider, model) == ("primary", "gpt-stub-1")
    assert (tin, tout, total) == (100, 20, 120) and latency >= 0 and status == "ok" and not accepted
    assert (kind, anchor) == ("generate", "c1")
    # accept without applying (the client inserted the block itself), then apply is refused
    gen = await api.ok("POST", f"ai/generations/{out['generation_id']}/accept", {"block_id": "c2"})
    assert gen["accepted"] is True and gen["accepted_at"] and gen["block_id"] == "c2"
    code, _ = await api.call("POST", f"ai/generations/{out['generation_id']}/accept", {"apply": True})
    assert code == 409
    code, _ = await api.call("POST", "ai/generations/nope/accept", {})
    assert code == 404


async def test_accept_with_apply_inserts_the_block(api, jp_root_dir, stub):
    p = await _project(api, jp_root_dir)
    stub.script("a", Reply(fenced("top = sales.nlargest(2, 'units')")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "top", "after_block_id": "c1"})
    gen = await api.ok("POST", f"ai/generations/{out['generation_id']}/accept", {"apply": True})
    blocks = (await api.ok("GET", f"projects/{p['id']}/blocks"))["blocks"]
    assert [b["id"] for b in blocks].index(gen["block_id"]) == 2
    assert blocks[2]["source"] == "top = sales.nlargest(2, 'units')" and gen["accepted"] is True
    code, body = await api.call("POST", f"ai/generations/{out['generation_id']}/accept", {"apply": True})
    assert code == 409 and "applied already" in body["message"]


async def test_api_keys_never_in_answers_or_logs(api, jp_root_dir, stub, caplog):
    caplog.set_level(logging.DEBUG)
    p = await _project(api, jp_root_dir)
    # a provider whose error message echoes the key it was sent must not leak it either
    stub.script("a", Reply(status=500, error=f"invalid key {SECRETS['primary']}"))
    stub.script("b", Reply(status=401, error=f"Incorrect API key provided: {SECRETS['backup']}"))
    stub.script("l", Reply(fenced("x = 1")))
    bodies = [await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x"})]
    stub.default = Reply(status=500, error=f"{SECRETS['gem']} {SECRETS['local']}")
    bodies.append(await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x"}))
    bodies += [await api.call("GET", path) for path in ("ai/providers", "ai/health", "ai/generations", "openapi.json")]
    stub.default = Reply()
    for provider in ("primary", "backup", "local", "gem"):
        bodies.append(await api.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "x", "provider": provider}))
    assert bodies[0][0] == 200 and bodies[1][0] == 503 and "***" in json.dumps(bodies[1][1])
    assert [b[0] for b in bodies[-4:]] == [200, 200, 200, 200]
    text = json.dumps(bodies)
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)]
    logs = "\n".join(r.getMessage() + " " + repr(r.args) for r in records)
    assert "AI provider" in logs  # the failures were logged, redacted
    for secret in SECRETS.values():
        assert secret not in text and secret not in logs
