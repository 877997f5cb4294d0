"""Staleness, stale-only runs, force, retry, and resume after a server restart."""

from __future__ import annotations

import asyncio
import json
import time

from conftest import blocks_by_id, stdout_of, write_notebook
from servers import Server as _Server

DIAMOND = [
    "a = 1\nprint('a')",            # c0
    "b = a + 1\nprint('b')",        # c1
    "c = b * 10\nprint('c')",       # c2
    "d = 'free'\nprint('d')",       # c3 independent
    "e = c + 1\nprint('e', e)",     # c4
]


async def _states(api, pid):
    dag = await api.ok("GET", f"projects/{pid}/dag")
    return {n["id"]: n["state"] for n in dag["nodes"]}


def _executed(run):
    return [b["block_id"] for b in run["blocks"] if b["status"] not in ("up_to_date",)]


async def test_edit_marks_exactly_descendants_stale_and_stale_run_executes_them(api, jp_root_dir):
    write_notebook(jp_root_dir, "s.ipynb", DIAMOND)
    p = await api.project("s.ipynb")
    assert set((await _states(api, p["id"])).values()) == {"never_run"}
    first = await api.run(p["id"])
    assert first["status"] == "succeeded" and _executed(first) == ["c0", "c1", "c2", "c3", "c4"]
    assert set((await _states(api, p["id"])).values()) == {"up_to_date"}

    again = await api.run(p["id"])
    assert again["status"] == "succeeded"
    assert [b["status"] for b in again["blocks"]] == ["up_to_date"] * 5, "nothing is executed twice"

    await api.ok("PATCH", f"projects/{p['id']}/blocks/c1", {"source": "b = a + 2\nprint('b')"})
    states = await _states(api, p["id"])
    assert {k for k, v in states.items() if v == "stale"} == {"c1", "c2", "c4"}
    assert states["c0"] == states["c3"] == "up_to_date"

    stale = await api.run(p["id"], mode="stale")
    by = blocks_by_id(stale)
    assert [b for b in by if by[b]["status"] == "succeeded"] == ["c1", "c2", "c4"]
    assert stdout_of(by["c4"]) == "e 31\n"
    assert set((await _states(api, p["id"])).values()) == {"up_to_date"}

    forced = await api.run(p["id"], force=True)
    assert [b["status"] for b in forced["blocks"]] == ["succeeded"] * 5


async def test_running_a_block_again_keeps_notebook_semantics_and_says_when_it_diverges(api, jp_root_dir):
    write_notebook(jp_root_dir, "r.ipynb", DIAMOND)
    p = await api.project("r.ipynb")
    await api.run(p["id"])
    one = await api.run(p["id"], mode="block", block_id="c1")
    assert one["blocks"][0]["status"] == "succeeded", "mode block always executes its block"
    # c1 read the a that a fresh run gives it: the same b, so nothing downstream is stale
    assert set((await _states(api, p["id"])).values()) == {"up_to_date"}

    write_notebook(jp_root_dir, "m.ipynb", ["vals = [1]", "vals.append(2)\nprint(vals)", "print(len(vals))"])
    m = await api.project("m.ipynb")
    await api.run(m["id"])
    dag = await api.ok("GET", f"projects/{m['id']}/dag")
    later = {n["id"]: n["later_changes"] for n in dag["nodes"]}
    assert later == {"c0": [], "c1": ["vals"], "c2": []}, "c1 would append to its own result"
    twice = blocks_by_id(await api.run(m["id"], mode="block", block_id="c1"))
    assert stdout_of(twice["c1"]) == "[1, 2, 2]\n" and "vals" in twice["c1"]["note"]
    states = await _states(api, m["id"])
    assert states == {"c0": "up_to_date", "c1": "stale", "c2": "up_to_date"}
    repaired = blocks_by_id(await api.run(m["id"], mode="stale"))
    assert [b for b in repaired if repaired[b]["status"] == "succeeded"] == ["c0", "c1"]
    assert stdout_of(repaired["c1"]) == "[1, 2]\n" and "vals" in repaired["c0"]["note"]
    assert set((await _states(api, m["id"])).values()) == {"up_to_date"}


async def test_kernel_restart_makes_everything_stale(api, jp_root_dir, jp_fetch):
    write_notebook(jp_root_dir, "k.ipynb", DIAMOND)
    p = await api.project("k.ipynb")
    run = await api.run(p["id"])
    await jp_fetch("api", "kernels", run["kernel_id"], "restart", method="POST", body=b"")
    for _ in range(50):
        if set((await _states(api, p["id"])).values()) == {"stale"}:
            break
        await asyncio.sleep(0.1)
    assert set((await _states(api, p["id"])).values()) == {"stale"}
    rerun = await api.run(p["id"], mode="stale")
    assert _executed(rerun) == ["c0", "c1", "c2", "c3", "c4"]


async def test_retry_reruns_what_failed_with_what_it_needs(api, jp_root_dir):
    write_notebook(jp_root_dir, "f.ipynb", ["a = 1", "b = a / zero", "print('b', b)", "print('other', a)"])
    p = await api.project("f.ipynb")
    failed = await api.run(p["id"])
    assert failed["status"] == "failed"
    await api.ok("PATCH", f"projects/{p['id']}/blocks/c1", {"source": "b = a / 1"})
    started = await api.ok("POST", f"runs/{failed['id']}/retry", expect=202)
    retry = await api.wait(started["id"])
    assert retry["status"] == "succeeded" and retry["parent_id"] == failed["id"] and retry["mode"] == "retry"
    by = blocks_by_id(retry)
    assert set(by) == {"c0", "c1", "c2"}, "only what failed or was skipped, with its upstream"
    assert by["c0"]["status"] == "up_to_date" and stdout_of(by["c2"]) == "b 1.0\n"
    code, body = await api.call("POST", f"runs/{retry['id']}/retry")
    assert code == 409 and "nothing to retry" in body["message"]
    assert (await api.call("POST", "runs/nope/retry"))[0] == 404


# ---- resume after a real server restart (separate server processes) ---------------


def test_interrupted_run_resumes_after_server_restart(tmp_path, db_url):
    root, db = tmp_path / "root", db_url
    root.mkdir()
    write_notebook(root, "long.ipynb", ["x = 40", "import time\ntime.sleep(120)\ny = x + 1", "print('y', y + 1)"])
    first = _Server(root, db)
    try:
        p = first.call("POST", "projects", {"name": "long", "notebook_path": "long.ipynb"})
        run = first.call("POST", f"projects/{p['id']}/runs", {"mode": "all"})
        deadline = time.time() + 60
        while blocks_by_id(first.call("GET", f"runs/{run['id']}"))["c1"]["status"] != "running":
            assert time.time() < deadline
            time.sleep(0.1)
    finally:
        first.kill()  # the server dies mid-run
    # make the long block short so the resumed run finishes (the notebook is the user's to edit)
    nb = json.loads((root / "long.ipynb").read_text())
    nb["cells"][1]["source"] = "y = x + 1"
    (root / "long.ipynb").write_text(json.dumps(nb))
    second = _Server(root, db)
    try:
        old = second.call("GET", f"runs/{run['id']}")
        assert old["status"] == "interrupted" and "interrupted" in old["reason"]
        assert blocks_by_id(old)["c0"]["status"] == "succeeded"
        resumed = second.wait(second.call("POST", f"runs/{run['id']}/resume")["id"])
        assert resumed["status"] == "succeeded" and resumed["parent_id"] == run["id"]
        by = blocks_by_id(resumed)
        assert set(by) == {"c0", "c1", "c2"}, "the new kernel needs c0 again: it is re-run, not assumed"
        assert stdout_of(by["c2"]) == "y 42\n"
    finally:
        second.stop()
