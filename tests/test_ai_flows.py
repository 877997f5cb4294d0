"""AI flows on real kernels and streams: Fix-with-AI from a failed run, streaming answers
(SSE) of each provider, kernel introspection for the context, jupyter-ai's model as a
provider, and the end-to-end path from a real dataset to a DataFrame output."""

from __future__ import annotations

import json

import pytest

from conftest import blocks_by_id, stdout_of, write_notebook
from stub_llm import (  # noqa: F401
    SECRETS, Reply, ai_settings, fenced, jp_server_config, parse_sse, stub, stub_server,
)

pytestmark = pytest.mark.filterwarnings("ignore:coroutine 'ClientResponse.json' was never awaited:RuntimeWarning")

FAILING = [
    "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3]})",   # c0
    "total = df['b'].sum()\nprint(total)",                        # c1: KeyError
]


async def _stream(jp_fetch, path: str, body: dict) -> tuple[int, list[tuple[str, object]], int, str]:
    """POST ``?stream=1``; returns (status, events, number of body pieces received, content type)."""
    pieces: list[bytes] = []
    resp = await jp_fetch("notebook-dag", "api", *path.split("/"), method="POST", body=json.dumps(body),
                          params={"stream": "1"}, streaming_callback=pieces.append, raise_error=False)
    text = b"".join(pieces).decode()
    return resp.code, parse_sse(text), len(pieces), resp.headers.get("Content-Type", "")


async def _failed_run(api, root) -> tuple[dict, dict]:
    write_notebook(root, "fail.ipynb", FAILING)
    p = await api.project("fail.ipynb")
    run = await api.run(p["id"], mode="all")
    assert run["status"] == "failed" and blocks_by_id(run)["c1"]["status"] == "failed"
    return p, run


async def test_fix_with_ai_from_a_failed_run(api, jp_root_dir, stub):
    p, run = await _failed_run(api, jp_root_dir)
    stub.script("a", Reply(fenced("total = df['a'].sum()\nprint(total)", "Column b does not exist; a does.")))
    out = await api.ok("POST", "ai/fix", {"project_id": p["id"], "block_id": "c1", "run_id": run["id"]})
    assert out["code"] == "total = df['a'].sum()\nprint(total)" and out["changed"] is True and out["replaced"] is False
    assert out["original_code"] == FAILING[1] and out["explanation"] == "Column b does not exist; a does."
    assert "KeyError" in out["error"] and "\x1b[" not in out["error"]
    assert out["reads"] == ["df"] and {"source": "c0", "target": "c1", "names": ["df"]} in out["edges"]
    prompt = [r for r in stub.requests if r.tag == "a"][-1].body["messages"][-1]["content"]
    assert "KeyError" in prompt and FAILING[1] in prompt and "- df: pandas.DataFrame" in prompt
    assert "failed when it ran" in prompt
    # nothing changed yet; accept with apply replaces the block, and the block now runs
    assert (await api.ok("GET", f"projects/{p['id']}/blocks/c1"))["source"] == FAILING[1]
    gen = await api.ok("POST", f"ai/generations/{out['generation_id']}/accept", {"apply": True})
    assert gen["block_id"] == "c1" and gen["accepted"] and gen["kind"] == "fix"
    assert (await api.ok("GET", f"projects/{p['id']}/blocks/c1"))["source"] == out["code"]
    again = await api.run(p["id"], mode="upstream", block_id="c1")
    assert again["status"] == "succeeded" and stdout_of(blocks_by_id(again)["c1"]).strip() == "6"


async def test_fix_with_replace_and_refusals(api, jp_root_dir, stub):
    p, run = await _failed_run(api, jp_root_dir)
    stub.script("a", Reply(fenced("total = df['a'].sum()\nprint(total)")))
    out = await api.ok("POST", "ai/fix", {"project_id": p["id"], "block_id": "c1", "run_id": run["id"], "replace": True,
                                           "hint": "use column a"})
    assert out["replaced"] is True
    assert (await api.ok("GET", f"projects/{p['id']}/blocks/c1"))["source"] == out["code"]
    assert "Hint from the user: use column a" in [r for r in stub.requests if r.tag == "a"][-1].body["messages"][-1]["content"]
    gens = (await api.ok("GET", "ai/generations", project_id=p["id"]))["generations"]
    assert gens[0]["accepted"] is True and gens[0]["prompt"] == "use column a"
    # c0 succeeded in that run: nothing to fix
    code, body = await api.call("POST", "ai/fix", {"project_id": p["id"], "block_id": "c0", "run_id": run["id"]})
    assert code == 422 and "did not fail" in body["message"]
    code, _ = await api.call("POST", "ai/fix", {"project_id": p["id"], "block_id": "c1", "run_id": "nope"})
    assert code == 404
    write_notebook(jp_root_dir, "other.ipynb", ["x = 1"])
    other = await api.project("other.ipynb")
    code, _ = await api.call("POST", "ai/fix", {"project_id": other["id"], "block_id": "c1", "run_id": run["id"]})
    assert code == 404
    assert len([r for r in stub.requests if r.method == "POST"]) == 1


@pytest.mark.parametrize("provider,tag", [("primary", "a"), ("local", "l"), ("gem", "g")])
async def test_streaming_generate(api, jp_root_dir, jp_fetch, stub, provider, tag):
    write_notebook(jp_root_dir, "s.ipynb", ["import numpy as np\nxs = np.arange(10)"])
    p = await api.project("s.ipynb")
    answer = fenced("mean = xs.mean()\nmean", "The mean of xs.")
    stub.script(tag, Reply(answer, chunks=5, usage=(30, 12)))
    status, events, pieces, ctype = await _stream(jp_fetch, "ai/generate", {"project_id": p["id"], "prompt": "mean",
                                                                            "provider": provider})
    assert status == 200 and ctype.startswith("text/event-stream")
    chunks = [d for e, d in events if e == "chunk"]
    assert len(chunks) >= 3 and "".join(c["text"] for c in chunks) == answer and {c["round"] for c in chunks} == {1}
    assert pieces >= 2  # the answer arrived in several pieces, not at the end
    name, result = events[-1]
    assert name == "result" and result["code"] == "mean = xs.mean()\nmean" and result["provider"] == provider
    assert result["usage"] == {"input_tokens": 30, "output_tokens": 12, "total_tokens": 42}
    assert result["reads"] == ["xs"] and result["explanation"] == "The mean of xs."
    req = [r for r in stub.requests if r.tag == tag][0]
    if tag == "a":
        assert req.body["stream"] is True
    elif tag == "g":
        assert "streamGenerateContent" in req.path


async def test_streaming_fallback_repair_and_late_errors(api, jp_root_dir, jp_fetch, stub):
    write_notebook(jp_root_dir, "s.ipynb", ["x = 1"])
    p = await api.project("s.ipynb")
    # the first provider fails before any chunk: the stream comes from the next one, then a repair round
    stub.script("a", Reply(status=500))
    stub.script("b", Reply(fenced("y = (x + 1")), Reply(fenced("y = x + 1")))
    status, events, _, _ = await _stream(jp_fetch, "ai/generate", {"project_id": p["id"], "prompt": "y"})
    names = [e for e, _ in events]
    assert status == 200 and names.index("repair") < len(names) - 1 and names[-1] == "result"
    assert events[names.index("repair")][1]["error"].startswith("line 1")
    rounds = [d["round"] for e, d in events if e == "chunk"]
    assert rounds == sorted(rounds) and set(rounds) == {1, 2}
    result = events[-1][1]
    assert result["provider"] == "backup" and result["repaired"] is True and result["code"] == "y = x + 1"
    assert [a["ok"] for a in result["attempts"]] == [False, True, True]
    # a failure after the stream started arrives as an error event
    stub.script("a", Reply(fenced("y = (")), Reply(fenced("y = )")))
    status, events, _, _ = await _stream(jp_fetch, "ai/generate", {"project_id": p["id"], "prompt": "y"})
    assert status == 200 and events[-1][0] == "error"
    assert events[-1][1]["status"] == 422 and events[-1][1]["reason"] == "unprocessable" and events[-1][1]["generation_id"]
    # errors before the model is called keep their status
    status, events, _, _ = await _stream(jp_fetch, "ai/generate", {"project_id": "nope", "prompt": "y"})
    assert status == 404


async def test_streaming_fix(api, jp_root_dir, jp_fetch, stub):
    p, run = await _failed_run(api, jp_root_dir)
    stub.script("g", Reply(fenced("total = df['a'].sum()\nprint(total)")))
    status, events, _, _ = await _stream(jp_fetch, "ai/fix", {"project_id": p["id"], "block_id": "c1", "run_id": run["id"],
                                                               "provider": "gem"})
    assert status == 200 and events[-1][0] == "result"
    assert events[-1][1]["code"] == "total = df['a'].sum()\nprint(total)" and events[-1][1]["block_id"] == "c1"


async def test_context_types_from_the_live_kernel_without_touching_execution_counts(api, jp_root_dir, stub):
    write_notebook(jp_root_dir, "k.ipynb", [
        "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3], 'b': ['x', 'y', 'z']})\nn = 5",  # c0
        "df.shape",                                                                                # c1
    ])
    p = await api.project("k.ipynb")
    first = await api.run(p["id"], mode="all")
    counts = [b["execution_count"] for b in first["blocks"]]
    assert first["status"] == "succeeded" and counts == [1, 2]
    stub.script("a", Reply(fenced("df.describe()")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "describe", "after_block_id": "c1"})
    assert out["context"]["names_source"] == "kernel"
    prompt = [r for r in stub.requests if r.tag == "a"][-1].body["messages"][-1]["content"]
    assert "types from the running kernel" in prompt
    assert "- df: pandas.DataFrame shape (3, 2) columns a:int64, b:object" in prompt
    assert "- n: int" in prompt and "- pd: module pandas" in prompt
    again = await api.run(p["id"], mode="block", block_id="c1")
    assert again["blocks"][0]["execution_count"] == 3  # the introspection did not count as an execution


def _jupyter_ai_config(stub) -> dict:
    """jupyter-ai 2's config.json choosing an OpenAI-compatible chat model."""
    return {
        "model_provider_id": "openai-chat:gpt-4o", "embeddings_provider_id": None,
        "api_keys": {"OPENAI_API_KEY": SECRETS["primary"]},
        "fields": {"openai-chat:gpt-4o": {"openai_api_base": f"{stub.url}/j/v1"}},
    }


@pytest.mark.parametrize("ai_settings", [{"providers": [], "jupyter_ai_file": _jupyter_ai_config}], indirect=True)
async def test_jupyter_ai_model_is_offered(api, jp_root_dir, stub):
    listed = await api.ok("GET", "ai/providers")
    assert [(x["name"], x["source"], x["model"], x["key_present"]) for x in listed["providers"]] == [
        ("jupyter-ai", "jupyter-ai", "gpt-4o", True)]
    assert SECRETS["primary"] not in json.dumps(listed)
    write_notebook(jp_root_dir, "j.ipynb", ["x = 1"])
    p = await api.project("j.ipynb")
    stub.script("j", Reply(fenced("y = x * 2")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "double"})
    assert (out["provider"], out["model"], out["code"]) == ("jupyter-ai", "gpt-4o", "y = x * 2")
    assert stub.requests[-1].headers["Authorization"] == f"Bearer {SECRETS['primary']}"


async def test_end_to_end_iris_dataset_to_dataframe_output(api, jp_root_dir, stub):
    from sklearn.datasets import load_iris

    (jp_root_dir / "iris").mkdir()
    load_iris(as_frame=True).frame.to_csv(jp_root_dir / "iris" / "iris.csv", index=False)
    write_notebook(jp_root_dir, "iris/analysis.ipynb", [("markdown", "# Iris analysis")])
    p = await api.project("iris/analysis.ipynb")
    code, dataset = await api.call("POST", "datasets", {"path": "iris/iris.csv", "project_id": p["id"]})
    assert code in (200, 201), dataset
    profile = await api.ok("GET", f"datasets/{dataset['id']}/profile", wait=60)
    assert profile["status"] == "ready"
    stub.script("a", Reply(
        "Sure! This cell loads the Iris measurements and shows the first rows:\n\n"
        "```python\nimport pandas as pd\n\niris = pd.read_csv(\"iris.csv\")\niris.head()\n```\n\n"
        "Explanation: reads `iris.csv` into a DataFrame and displays its first five rows."
    ))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "load it and show the first rows",
                                                "after_block_id": "c0", "insert": True})
    assert out["code"] == 'import pandas as pd\n\niris = pd.read_csv("iris.csv")\niris.head()'
    assert out["defines"] == ["iris", "pd"] and out["inserted"] and out["context"]["datasets"] == ["iris.csv"]
    prompt = [r for r in stub.requests if r.tag == "a"][-1].body["messages"][-1]["content"]
    assert "load with notebook_dag.load('iris.csv') (file 'iris.csv')" in prompt
    assert "sepal length (cm)" in prompt and "150 rows" in prompt
    system = [r for r in stub.requests if r.tag == "a"][-1].body["messages"][0]["content"]
    assert 'notebook_dag.load("name")' in system
    assert "quality score" in prompt  # the datasets service's quick profile
    run = await api.run(p["id"], mode="block", block_id=out["block_id"])
    block = blocks_by_id(run)[out["block_id"]]
    assert run["status"] == "succeeded", block
    result = [o for o in block["outputs"] if o["output_type"] == "execute_result"]
    text = result[0]["data"]["text/plain"]
    for column in ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)", "target"):
        assert column in text
    assert "text/html" in result[0]["data"]


async def test_a_client_leaving_a_stream_cancels_the_generation(api, jp_root_dir, jp_fetch, stub):
    import asyncio

    write_notebook(jp_root_dir, "s.ipynb", ["x = 1"])
    p = await api.project("s.ipynb")
    stub.script("a", Reply(fenced("\n".join(f"v{i} = {i}" for i in range(200))), chunks=200))
    seen: list[bytes] = []

    def leave(piece: bytes) -> None:
        seen.append(piece)
        raise RuntimeError("the user closed the prompt box")

    with pytest.raises(Exception):
        await jp_fetch("notebook-dag", "api", "ai", "generate", method="POST", params={"stream": "1"},
                       body=json.dumps({"project_id": p["id"], "prompt": "many"}), streaming_callback=leave)
    assert seen
    for _ in range(100):
        gens = (await api.ok("GET", "ai/generations"))["generations"]
        if gens:
            break
        await asyncio.sleep(0.05)
    assert gens[0]["status"] == "cancelled" and gens[0]["accepted"] is False
