"""Bounded run outputs (``RunService.max_output_bytes``), history without outputs,
one retry per run, and runs a server stop leaves unfinished (issue #14, items 4 and 6)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from conftest import blocks_by_id, stdout_of, write_notebook
from servers import Server

from notebook_dag.outputs import cut_text, human_bytes, output_bytes

LIMIT = 20_000


@pytest.fixture
def jp_server_config(db_url):
    return {
        "ServerApp": {"jpserver_extensions": {"notebook_dag": True}, "allow_unauthenticated_access": False},
        "NotebookDagApp": {"db_url": db_url},
        "RunService": {"max_output_bytes": LIMIT},
    }


def stderr_of(block: dict) -> str:
    return "".join(o.get("text", "") for o in block["outputs"] if o["output_type"] == "stream" and o["name"] == "stderr")


def stored_bytes(block: dict) -> int:
    return sum(output_bytes(o) for o in block["outputs"])


CELLS = [
    "print('x' * 500_000)",                                                    # c0: one big message
    "for i in range(20_000):\n    print(i, 'é' * 10)",                          # c1: many, non-ASCII
    "from IPython.display import HTML, display\nfor i in range(30):\n    display(HTML('<b>' + 'y' * 5_000 + '</b>'))",  # c2
    "print('small')",                                                           # c3
    "print('z' * 100_000)\nraise ValueError('boom')",                           # c4: error after the cap
    "from IPython.display import clear_output\nfor i in range(50):\n    clear_output(wait=True)\n    print(i, 'w' * 5_000)",  # c5
]


async def test_outputs_are_capped_per_block_with_a_marker(api, jp_root_dir):
    write_notebook(jp_root_dir, "big.ipynb", CELLS)
    p = await api.project("big.ipynb")
    run = await api.run(p["id"])
    by = blocks_by_id(run)
    for b in ("c0", "c1", "c2", "c4"):
        assert stored_bytes(by[b]) <= LIMIT + 1_000, (b, stored_bytes(by[b]))
        assert "output truncated" in stderr_of(by[b]) and "RunService.max_output_bytes" in stderr_of(by[b]), b
    assert stdout_of(by["c0"]).startswith("x" * 19_000)
    assert "KiB not stored (limit 19.5 KiB, RunService.max_output_bytes)" in stderr_of(by["c0"])
    assert stdout_of(by["c1"]).startswith("0 éééééééééé\n1 éééééééééé\n")
    assert sum(1 for o in by["c2"]["outputs"] if o["output_type"] == "display_data") == 3  # 3 of 30 × 5 KB fit
    assert by["c3"]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "small\n"}], "no marker under the cap"
    assert by["c5"]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": f"49 {'w' * 5_000}\n"}], \
        "cleared outputs never count against the limit"
    errors = [o for o in by["c4"]["outputs"] if o["output_type"] == "error"]
    assert by["c4"]["status"] == "failed" and by["c4"]["error"] == "ValueError: boom"
    assert errors and errors[0]["ename"] == "ValueError" and errors[0]["evalue"] == "boom", "the error is kept"


async def test_parallel_runs_cap_outputs_too(api, jp_root_dir):
    write_notebook(jp_root_dir, "par.ipynb", ["print('p' * 100_000)", "print('q' * 100_000)"])
    p = await api.project("par.ipynb")
    run = await api.run(p["id"], mode="all", max_parallel=2)
    by = blocks_by_id(run)
    assert run["status"] == "succeeded"
    for b, ch in (("c0", "p"), ("c1", "q")):
        text = stdout_of(by[b])
        assert set(text) == {ch} and LIMIT - 500 < len(text) <= LIMIT, len(text)
        assert "output truncated" in stderr_of(by[b])


async def test_history_and_outputs_false_leave_outputs_out(api, jp_root_dir):
    write_notebook(jp_root_dir, "h.ipynb", ["print('hello')"])
    p = await api.project("h.ipynb")
    run = await api.run(p["id"])
    assert stdout_of(run["blocks"][0]) == "hello\n"
    history = await api.ok("GET", f"projects/{p['id']}/runs")
    listed = history["runs"][0]
    assert listed["id"] == run["id"] and listed["blocks"][0]["status"] == "succeeded"
    assert listed["blocks"][0]["outputs"] == []
    bare = await api.ok("GET", f"runs/{run['id']}", outputs="false")
    assert bare["blocks"][0]["status"] == "succeeded" and bare["blocks"][0]["outputs"] == []
    assert (await api.call("GET", f"runs/{run['id']}", outputs="maybe"))[0] == 400


async def test_a_run_is_retried_or_resumed_once(api, jp_root_dir):
    write_notebook(jp_root_dir, "f.ipynb", ["import pathlib\nprint('side effect')\nassert pathlib.Path('ok').exists()"])
    p = await api.project("f.ipynb")
    failed = await api.run(p["id"])
    assert failed["status"] == "failed"
    first = await api.ok("POST", f"runs/{failed['id']}/retry", expect=202)
    for verb in ("retry", "resume"):
        code, body = await api.call("POST", f"runs/{failed['id']}/{verb}")
        assert code == 409 and f"already retried or resumed by run {first['id']}" in body["message"], (verb, body)
    retried = await api.wait(first["id"])
    assert retried["status"] == "failed"
    (jp_root_dir / "ok").write_text("")
    again = await api.wait((await api.ok("POST", f"runs/{retried['id']}/retry", expect=202))["id"])
    assert again["status"] == "succeeded" and again["parent_id"] == retried["id"]
    history = await api.ok("GET", f"projects/{p['id']}/runs")
    assert history["total"] == 3, "the refused retries made no runs"


async def test_concurrent_retries_of_one_run_make_one_run(api, jp_root_dir):
    import asyncio

    write_notebook(jp_root_dir, "c.ipynb", ["raise RuntimeError('no')"])
    p = await api.project("c.ipynb")
    failed = await api.run(p["id"])
    answers = await asyncio.gather(*(api.call("POST", f"runs/{failed['id']}/retry") for _ in range(4)))
    assert sorted(code for code, _ in answers) == [202, 409, 409, 409]
    for code, body in answers:
        if code == 202:
            await api.wait(body["id"])


def test_units_and_cutting():
    assert human_bytes(512) == "512 B" and human_bytes(1 << 20) == "1 MiB" and human_bytes(50_000_000) == "47.7 MiB"
    assert cut_text("aé" * 3, 4) == "aéa" and cut_text("abc", 0) == ""


# ---- a server stop during a run (real server processes) ---------------------------


def _wait_running(server: Server, run_id: str, block: str) -> None:
    deadline = time.time() + 90
    while blocks_by_id(server.call("GET", f"runs/{run_id}"))[block]["status"] != "running":
        assert time.time() < deadline, "the block never started"
        time.sleep(0.1)


def test_a_server_stop_interrupts_runs_and_start_up_says_so(tmp_path, db_url):
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root, "long.ipynb", ["x = 1", "import time\ntime.sleep(300)"])
    first = Server(root, db_url, name="first")
    try:
        p = first.call("POST", "projects", {"name": "long", "notebook_path": "long.ipynb"})
        crashed = first.call("POST", f"projects/{p['id']}/runs", {"mode": "all"})
        _wait_running(first, crashed["id"], "c1")
    finally:
        first.kill()  # a crash: the run stays "running" in the database
    second = Server(root, db_url, name="second")
    try:
        log = second.log_path.read_text(errors="replace")
        assert "1 run(s) left unfinished by the last server stop were marked interrupted" in log, log[-2000:]
        assert "marked failed" not in log
        assert second.call("GET", f"runs/{crashed['id']}")["status"] == "interrupted"
        stopped = second.call("POST", f"projects/{p['id']}/runs", {"mode": "all", "force": True})
        _wait_running(second, stopped["id"], "c1")
        os.kill(second.proc.pid, signal.SIGTERM)  # the server only: jupyter_server's own stop
        second.proc.wait(60)
    finally:
        second.stop()
    third = Server(root, db_url, name="third")
    try:
        assert "marked interrupted" not in third.log_path.read_text(errors="replace"), "the stop already stored it"
        run = third.call("GET", f"runs/{stopped['id']}")
        assert run["status"] == "interrupted", run
        assert run["reason"] == "interrupted: the server stopped during this run"
        block = blocks_by_id(run)["c1"]
        assert block["status"] == "cancelled" and "server stopped" in block["error"], block
        assert "user" not in run["reason"] + block["error"]
        assert third.request("POST", f"runs/{stopped['id']}/resume")[0] == 202
        code, body = third.request("POST", f"runs/{stopped['id']}/resume")
        assert code == 409 and "already retried or resumed" in body["message"]
    finally:
        third.stop()
