"""Runs on real kernels through the REST API: modes, outputs, failures, cancel,
kernel death, history and live events."""

from __future__ import annotations

import asyncio
import json

import nbformat

from conftest import blocks_by_id, stdout_of, write_notebook
from notebook_dag.events import RUN_EVENT_SCHEMA_ID

CHAIN = [
    ("markdown", "# Chain"),
    "a = 2\nprint('a', a)",          # c1
    "b = a * 10\nprint('b', b)",     # c2
    "c = b + 1\nprint('c', c)",      # c3
    "d = 'independent'\nprint(d)",   # c4
    "c",                             # c5 (execute_result)
]


async def test_run_all_outputs_history_and_events(api, jp_root_dir, jp_serverapp):
    write_notebook(jp_root_dir, "chain.ipynb", CHAIN)
    before = (jp_root_dir / "chain.ipynb").read_bytes()
    p = await api.project("chain.ipynb")
    events = []

    async def listener(logger, schema_id, data):
        events.append(data)

    jp_serverapp.event_logger.add_listener(schema_id=RUN_EVENT_SCHEMA_ID, listener=listener)
    run = await api.run(p["id"])
    assert run["status"] == "succeeded", run
    assert [b["block_id"] for b in run["blocks"]] == ["c1", "c2", "c3", "c4", "c5"], "markdown cells are not executed"
    blocks = blocks_by_id(run)
    assert stdout_of(blocks["c1"]) == "a 2\n" and stdout_of(blocks["c3"]) == "c 21\n"
    result = [o for o in blocks["c5"]["outputs"] if o["output_type"] == "execute_result"]
    assert result and result[0]["data"]["text/plain"] == "21"
    counts = [b["execution_count"] for b in run["blocks"]]
    assert counts == sorted(counts) and len(set(counts)) == 5
    assert all(b["started_at"] and b["finished_at"] for b in run["blocks"])
    assert (jp_root_dir / "chain.ipynb").read_bytes() == before, "a run never writes the notebook"

    await asyncio.sleep(0.2)  # listeners are scheduled as tasks
    mine = [e for e in events if e["run_id"] == run["id"]]
    assert [e["status"] for e in mine if e["kind"] == "run"] == ["queued", "running", "succeeded"]
    assert [(e["block_id"], e["status"]) for e in mine if e["kind"] == "block"][:2] == [("c1", "running"), ("c1", "succeeded")]

    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    node = {n["id"]: n for n in dag["nodes"]}
    assert node["c3"]["status"] == "succeeded" and node["c3"]["last_run_id"] == run["id"] and node["c3"]["duration"] >= 0
    assert node["c0"]["status"] == "never_run", "markdown cells never run"

    second = await api.run(p["id"], mode="block", block_id="c5")
    history = await api.ok("GET", f"projects/{p['id']}/runs")
    assert history["total"] == 2 and [r["id"] for r in history["runs"]] == [second["id"], run["id"]]


async def test_modes_select_upstream_and_downstream(api, jp_root_dir):
    write_notebook(jp_root_dir, "modes.ipynb", CHAIN)
    p = await api.project("modes.ipynb")
    up = await api.run(p["id"], mode="upstream", block_id="c3")
    assert [b["block_id"] for b in up["blocks"]] == ["c1", "c2", "c3"]
    down = await api.run(p["id"], mode="downstream", block_id="c2")
    assert [b["block_id"] for b in down["blocks"]] == ["c2", "c3", "c5"]
    one = await api.run(p["id"], mode="block", block_id="c3")
    assert [b["block_id"] for b in one["blocks"]] == ["c3"] and one["status"] == "succeeded"
    assert stdout_of(one["blocks"][0]) == "c 21\n", "the project kernel keeps variables between runs"


async def test_failure_skips_downstream_only(api, jp_root_dir):
    write_notebook(jp_root_dir, "fail.ipynb", ["a = 1", "b = a / 0", "c = b + 1", "print('still runs', a)"])
    p = await api.project("fail.ipynb")
    run = await api.run(p["id"])
    # the reason names the cell as users know it (its number), not its cell id
    assert run["status"] == "failed" and run["reason"].startswith("Cell 2 failed: ZeroDivisionError") and "c1" not in run["reason"]
    blocks = blocks_by_id(run)
    assert blocks["c1"]["status"] == "failed" and blocks["c1"]["error"].startswith("ZeroDivisionError")
    err = [o for o in blocks["c1"]["outputs"] if o["output_type"] == "error"][0]
    assert err["ename"] == "ZeroDivisionError" and err["traceback"]
    assert blocks["c2"]["status"] == "skipped" and blocks["c2"]["outputs"] == []
    assert blocks["c3"]["status"] == "succeeded" and stdout_of(blocks["c3"]) == "still runs 1\n"


async def test_cancel_interrupts_the_kernel(api, jp_root_dir):
    write_notebook(jp_root_dir, "slow.ipynb", ["import time\nx = 1", "time.sleep(60)\ny = x", "print(y)"])
    p = await api.project("slow.ipynb")
    started = await api.ok("POST", f"projects/{p['id']}/runs", {"mode": "all"}, expect=202)
    for _ in range(200):
        run = await api.ok("GET", f"runs/{started['id']}")
        if blocks_by_id(run)["c1"]["status"] == "running":
            break
        await asyncio.sleep(0.1)
    await api.ok("POST", f"runs/{started['id']}/cancel", expect=202)
    run = await api.wait(started["id"], timeout=20)
    assert run["status"] == "cancelled"
    assert [b["status"] for b in run["blocks"]] == ["succeeded", "cancelled", "cancelled"]
    assert (await api.call("POST", f"runs/{started['id']}/cancel"))[0] == 409
    again = await api.run(p["id"], mode="block", block_id="c0")
    assert again["status"] == "succeeded", "the kernel still works after an interrupt"


async def test_kernel_death_fails_the_run_and_next_run_gets_a_kernel(api, jp_root_dir):
    write_notebook(jp_root_dir, "die.ipynb", ["import os\nprint('alive')", "os._exit(1)", "print('after')"])
    p = await api.project("die.ipynb")
    run = await api.run(p["id"], timeout=60)
    assert run["status"] == "failed" and "kernel died" in run["reason"].lower()
    blocks = blocks_by_id(run)
    assert blocks["c1"]["status"] == "failed" and blocks["c2"]["status"] == "skipped"
    again = await api.run(p["id"], mode="block", block_id="c2")
    assert again["status"] == "succeeded" and stdout_of(again["blocks"][0]) == "after\n"
    assert again["kernel_id"] != run["kernel_id"]


async def test_run_on_an_existing_kernel(api, jp_root_dir, jp_fetch, jp_serverapp):
    write_notebook(jp_root_dir, "live.ipynb", ["print(secret)"])
    p = await api.project("live.ipynb")
    resp = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    kid = json.loads(resp.body)["id"]
    # define a variable in that kernel, as the notebook's own session would
    kc = jp_serverapp.kernel_manager.get_kernel(kid).client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute_interactive("secret = 42", timeout=60)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
    run = await api.run(p["id"], kernel_id=kid)
    assert run["status"] == "succeeded" and run["kernel_id"] == kid
    assert stdout_of(run["blocks"][0]) == "42\n"
    code, body = await api.call("POST", f"projects/{p['id']}/runs", {"mode": "all", "kernel_id": "nope"})
    assert code == 404 and "kernel" in body["message"]
    # block states are per kernel: up to date in that kernel, not in the project's own
    there = await api.ok("GET", f"projects/{p['id']}/dag", kernel_id=kid)
    here = await api.ok("GET", f"projects/{p['id']}/dag")
    assert [n["state"] for n in there["nodes"]] == ["up_to_date"]
    assert [n["state"] for n in here["nodes"]] == ["stale"], "it ran, but never in the project kernel"
    code, body = await api.call("GET", f"projects/{p['id']}/dag", kernel_id="nope")
    assert code == 404 and "nope" in body["message"]


async def test_rich_outputs_are_stored(api, jp_root_dir):
    write_notebook(jp_root_dir, "rich.ipynb", [
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
        "from IPython.display import display, HTML\ndisplay(HTML('<b>hi</b>'))",
        "import sys\nprint('warn', file=sys.stderr)",
    ])
    p = await api.project("rich.ipynb")
    run = await api.run(p["id"])
    assert run["status"] == "succeeded", run
    blocks = blocks_by_id(run)
    assert any("image/png" in o.get("data", {}) for o in blocks["c0"]["outputs"])
    assert any(o.get("data", {}).get("text/html") == "<b>hi</b>" for o in blocks["c1"]["outputs"])
    assert any(o["output_type"] == "stream" and o["name"] == "stderr" for o in blocks["c2"]["outputs"])
    for block in run["blocks"]:
        for out in block["outputs"]:
            nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[out])]))


async def test_run_bad_input(api, jp_root_dir):
    write_notebook(jp_root_dir, "bad.ipynb", ["x = 1"])
    p = await api.project("bad.ipynb")
    base = f"projects/{p['id']}/runs"
    assert (await api.call("POST", base, {"mode": "sideways"}))[0] == 422
    assert (await api.call("POST", base, {"mode": "upstream"}))[0] == 400
    assert (await api.call("POST", base, {"mode": "block", "block_id": "zzz"}))[0] == 404
    assert (await api.call("POST", base, raw=b"[1, 2"))[0] == 400
    assert (await api.call("GET", "runs/unknown"))[0] == 404
    assert (await api.call("POST", "runs/unknown/cancel"))[0] == 404
    assert (await api.call("POST", "projects/unknown/runs", {"mode": "all"}))[0] == 404


async def test_deleting_the_project_removes_its_runs(api, jp_root_dir):
    write_notebook(jp_root_dir, "del.ipynb", ["x = 1"])
    p = await api.project("del.ipynb")
    run = await api.run(p["id"])
    await api.ok("DELETE", f"projects/{p['id']}", expect=204)
    assert (await api.call("GET", f"runs/{run['id']}"))[0] == 404
