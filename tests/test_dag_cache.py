"""The cache of ``GET /projects/{id}/dag`` bodies (notebook_dag.dag_cache): whatever
changed - a block edit, a manual edge, a finished run, a new dataset version - shows in
the very next GET; concurrent misses compute once; ``If-None-Match`` gets a 304."""

from __future__ import annotations

import asyncio
import io
import json

import pandas as pd

from conftest import write_notebook
from datasets_helpers import upload
from notebook_dag.dag_cache import DagCache


def services(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"]


async def get_dag(jp_fetch, pid: str, etag: str | None = None, **params):
    """``(status, ETag, document or None)`` of GET /dag."""
    headers = {"If-None-Match": etag} if etag else {}
    resp = await jp_fetch("notebook-dag", "api", "projects", pid, "dag", headers=headers, params=params,
                          raise_error=False)
    return resp.code, resp.headers.get("Etag"), json.loads(resp.body) if resp.body else None


def node(doc: dict, block_id: str) -> dict:
    return next(n for n in doc["nodes"] if n["id"] == block_id)


async def test_a_hit_is_served_from_the_cache_and_if_none_match_gets_304(api, jp_fetch, jp_root_dir, jp_serverapp):
    cache = services(jp_serverapp).dag_cache
    cache.ttl = 3600  # no background refresh during the test
    write_notebook(jp_root_dir, "hit.ipynb", ["a = 1", "b = a + 1"])
    p = await api.project("hit.ipynb")
    code, etag, doc = await get_dag(jp_fetch, p["id"])
    assert code == 200 and etag and etag.startswith('"') and len(doc["nodes"]) == 2
    before = cache.computations
    code, again, doc2 = await get_dag(jp_fetch, p["id"])
    assert (code, again, doc2) == (200, etag, doc)
    assert cache.computations == before, "nothing changed: served from the cache"
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        code, tag, body = await get_dag(jp_fetch, p["id"], header)
        assert (code, tag, body) == (304, etag, None), header
    code, _, body = await get_dag(jp_fetch, p["id"], '"not-the-etag"')
    assert code == 200 and body == doc


async def test_a_block_edit_and_a_title_show_in_the_next_get(api, jp_fetch, jp_root_dir, jp_serverapp):
    services(jp_serverapp).dag_cache.ttl = 3600
    write_notebook(jp_root_dir, "edit.ipynb", ["a = 1", "b = 2"])
    p = await api.project("edit.ipynb")
    _, etag, doc = await get_dag(jp_fetch, p["id"])
    assert doc["edges"] == []
    await api.ok("PATCH", f"projects/{p['id']}/blocks/c1", {"source": "b = a + 2"})
    code, etag2, doc = await get_dag(jp_fetch, p["id"], etag)
    assert code == 200 and etag2 != etag, "the old ETag no longer matches"
    assert node(doc, "c1")["source"] == "b = a + 2"
    assert [(e["source"], e["target"], e["kind"]) for e in doc["edges"]] == [("c0", "c1", "inferred")]
    await api.ok("PATCH", f"projects/{p['id']}/blocks/c0", {"title": "Load a"})
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert node(doc, "c0")["title"] == "Load a"
    await api.ok("PUT", f"projects/{p['id']}/positions", {"positions": {"c0": {"x": 5, "y": 7}}})
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert node(doc, "c0")["position"] == {"x": 5, "y": 7}


async def test_a_save_outside_the_api_shows_in_the_next_get(api, jp_fetch, jp_root_dir, jp_serverapp):
    services(jp_serverapp).dag_cache.ttl = 3600
    write_notebook(jp_root_dir, "outside.ipynb", ["a = 1"])
    p = await api.project("outside.ipynb")
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert [n["source"] for n in doc["nodes"]] == ["a = 1"]
    write_notebook(jp_root_dir, "outside.ipynb", ["a = 1", "print(a)"])  # as JupyterLab would save it
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert [n["source"] for n in doc["nodes"]] == ["a = 1", "print(a)"]


async def test_a_manual_edge_shows_in_the_next_get(api, jp_fetch, jp_root_dir, jp_serverapp):
    services(jp_serverapp).dag_cache.ttl = 3600
    write_notebook(jp_root_dir, "edge.ipynb", ["a = 1", "b = 2"])
    p = await api.project("edge.ipynb")
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert doc["edges"] == []
    edge = await api.ok("POST", f"projects/{p['id']}/edges", {"source": "c0", "target": "c1"}, expect=201)
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert [(e["id"], e["kind"]) for e in doc["edges"]] == [(edge["id"], "manual")]
    await api.ok("DELETE", f"projects/{p['id']}/edges/{edge['id']}", expect=204)
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert doc["edges"] == []


async def test_a_finished_run_shows_in_the_next_get(api, jp_fetch, jp_root_dir, jp_serverapp):
    services(jp_serverapp).dag_cache.ttl = 3600
    write_notebook(jp_root_dir, "run.ipynb", ["a = 1", "print(a)"])
    p = await api.project("run.ipynb")
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert {(n["status"], n["state"]) for n in doc["nodes"]} == {("never_run", "never_run")}
    run = await api.run(p["id"])
    assert run["status"] == "succeeded"
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert {(n["status"], n["state"], n["last_run_id"]) for n in doc["nodes"]} == {("succeeded", "up_to_date", run["id"])}
    await api.ok("PATCH", f"projects/{p['id']}/blocks/c0", {"source": "a = 2"})
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert {n["id"]: n["state"] for n in doc["nodes"]} == {"c0": "stale", "c1": "stale"}


async def test_a_new_dataset_version_shows_in_the_next_get(api, jp_fetch, jp_root_dir, jp_serverapp):
    services(jp_serverapp).dag_cache.ttl = 3600

    def csv(n: int) -> bytes:
        buf = io.StringIO()
        pd.DataFrame({"amount": list(range(n))}).to_csv(buf, index=False)
        return buf.getvalue().encode()

    await upload(api, csv(3), "sales")
    write_notebook(jp_root_dir, "ds.ipynb", ["import notebook_dag\nsales = notebook_dag.load('sales')",
                                              "print(sales.amount.sum())", "other = 1"])
    p = await api.project("ds.ipynb")
    await api.run(p["id"])
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert {n["state"] for n in doc["nodes"]} == {"up_to_date"}
    _, _, with_datasets = await get_dag(jp_fetch, p["id"], datasets="true")
    assert [n["version"] for n in with_datasets["nodes"] if n.get("kind") == "dataset"] == [1]
    await upload(api, csv(5), "sales")  # version 2 becomes current
    _, _, doc = await get_dag(jp_fetch, p["id"])
    assert {n["id"]: n["state"] for n in doc["nodes"]} == {"c0": "stale", "c1": "stale", "c2": "up_to_date"}
    _, _, with_datasets = await get_dag(jp_fetch, p["id"], datasets="true")
    assert [n["version"] for n in with_datasets["nodes"] if n.get("kind") == "dataset"] == [2]


async def test_concurrent_gets_compute_once(api, jp_fetch, jp_root_dir, jp_serverapp):
    cache = services(jp_serverapp).dag_cache
    cache.ttl = 3600
    write_notebook(jp_root_dir, "many.ipynb", [f"x{i} = {i}\ny{i} = x{i} * 2" for i in range(300)])
    p = await api.project("many.ipynb")
    before = cache.computations
    answers = await asyncio.gather(*(get_dag(jp_fetch, p["id"]) for _ in range(12)))
    assert cache.computations == before + 1
    assert {code for code, _, _ in answers} == {200} and len({etag for _, etag, _ in answers}) == 1
    assert len(answers[0][2]["nodes"]) == 300


async def test_the_cache_shares_one_computation_per_key_and_refreshes_after_ttl():
    cache = DagCache(ttl=3600)
    release = asyncio.Event()
    calls = []

    async def compute():
        calls.append(1)
        await release.wait()
        return f'{{"n": {len(calls)}}}'.encode(), ()

    waiting = [asyncio.ensure_future(cache.get("slot", "k1", compute)) for _ in range(5)]
    await asyncio.sleep(0.01)
    assert not any(w.done() for w in waiting)
    release.set()
    entries = await asyncio.gather(*waiting)
    assert len(calls) == 1 and cache.computations == 1 and {e.body for e in entries} == {b'{"n": 1}'}
    assert (await cache.get("slot", "k1", compute)).body == b'{"n": 1}' and len(calls) == 1
    assert (await cache.get("slot", "k2", compute)).body == b'{"n": 2}', "another key computes anew"
    cache.ttl = 0  # expired: the old body now, a fresh one computed in the background
    assert (await cache.get("slot", "k2", compute)).body == b'{"n": 2}'
    await asyncio.sleep(0.01)
    assert len(calls) == 3 and (await cache.get("slot", "k2", compute)).body == b'{"n": 3}'


async def test_a_failed_computation_is_not_cached():
    cache = DagCache(ttl=3600)
    outcomes = [RuntimeError("boom"), (b"{}", ())]

    async def compute():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    try:
        await cache.get("slot", "k", compute)
        raise AssertionError("the error should propagate")
    except RuntimeError as e:
        assert str(e) == "boom"
    assert (await cache.get("slot", "k", compute)).body == b"{}"


async def test_the_cache_keeps_at_most_max_bytes_of_bodies():
    cache = DagCache(ttl=3600, max_bytes=250)
    calls = []

    async def compute():
        calls.append(1)
        return b"x" * 100, ()

    for slot in ("a", "b", "c"):
        await cache.get(slot, "k", compute)
    assert len(calls) == 3
    await cache.get("c", "k", compute)
    await cache.get("b", "k", compute)
    assert len(calls) == 3, "the two most recent slots are kept"
    await cache.get("a", "k", compute)
    assert len(calls) == 4, "the least recently used one was dropped to stay under max_bytes"
