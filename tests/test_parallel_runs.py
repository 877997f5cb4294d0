"""Parallel runs through the REST API: ``max_parallel`` per run (and the server's
default), blocks on warm worker kernels of the server's kernel manager, results brought
back into the project kernel, per-block ``kernel`` and ``note``, failure isolation,
cancel, and the worker pool's lifetime (kept between runs, shut down with the project).

The engine itself (handover rules, corpus equality) is tested in ``test_parallel.py``
without a server."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from conftest import blocks_by_id, stdout_of, write_notebook

# a root, two independent ~1 s branches (pure Python: hold the GIL), a sink reading both
WIDE = [
    "import time\nbase = 3",                                                     # c0
    "t0 = time.time()\nleft = sum(i * base for i in range(3_000_000))\nt_left = (t0, time.time())",    # c1
    "t1 = time.time()\nright = sum(i + base for i in range(3_000_000))\nt_right = (t1, time.time())",  # c2
    "total = left + right\nprint(total)",                                       # c3
]


@pytest.fixture
def jp_server_config(db_url):
    """The server's default ``max_parallel`` is 2 here (runs that name none use it)."""
    return {
        "ServerApp": {"jpserver_extensions": {"notebook_dag": True}, "allow_unauthenticated_access": False},
        "NotebookDagApp": {"db_url": db_url},
        "RunService": {"max_parallel": 2},
    }


def _overlap(a: dict, b: dict) -> bool:
    start = [datetime.fromisoformat(x["started_at"]) for x in (a, b)]
    end = [datetime.fromisoformat(x["finished_at"]) for x in (a, b)]
    return max(start) < min(end)


def _kernels(jp_serverapp) -> set[str]:
    return set(jp_serverapp.kernel_manager.list_kernel_ids())


async def test_independent_branches_run_at_once_and_results_come_back(api, jp_root_dir, jp_serverapp):
    write_notebook(jp_root_dir, "wide.ipynb", WIDE)
    p = await api.project("wide.ipynb")
    run = await api.run(p["id"], max_parallel=2)
    assert run["status"] == "succeeded", run
    assert run["max_parallel"] == 2
    blocks = blocks_by_id(run)
    expected = sum(i * 3 for i in range(3_000_000)) + sum(i + 3 for i in range(3_000_000))
    assert stdout_of(blocks["c3"]) == f"{expected}\n"
    where = {b: blocks[b]["kernel"] for b in blocks}
    assert {where["c1"], where["c2"]} == {"project", "worker-1"}, where
    assert _overlap(blocks["c1"], blocks["c2"]), "the two branches ran one after the other"
    counts = [blocks[b]["execution_count"] for b in ("c0", "c1", "c2", "c3")]
    assert counts == sorted(counts) and len(set(counts)) == 4, "execution counts follow the plan, as a sequential run's"

    # the project kernel holds what the worker computed: a block run reads it there
    one = await api.run(p["id"], mode="block", block_id="c3")
    assert one["status"] == "succeeded" and one["blocks"][0]["kernel"] is None, "a one-block run is sequential"
    assert stdout_of(one["blocks"][0]) == f"{expected}\n"

    # the warm worker is reused by the next parallel run (no new kernel is started)
    kernels = _kernels(jp_serverapp)
    assert len(kernels) == 2, "the project kernel and one worker"
    again = await api.run(p["id"], force=True)  # the server's default, 2
    assert again["status"] == "succeeded" and again["max_parallel"] == 2
    assert {b["kernel"] for b in again["blocks"]} == {"project", "worker-1"}
    assert _kernels(jp_serverapp) == kernels

    # max_parallel 1: sequential, on the project kernel only
    seq = await api.run(p["id"], force=True, max_parallel=1)
    assert seq["status"] == "succeeded" and seq["max_parallel"] == 1
    assert {b["kernel"] for b in seq["blocks"]} == {None}
    assert not _overlap(*(blocks_by_id(seq)[b] for b in ("c1", "c2")))

    # deleting the project shuts its worker down with its kernel
    await api.ok("DELETE", f"projects/{p['id']}", expect=204)
    for _ in range(50):
        if not _kernels(jp_serverapp) & kernels:
            break
        await asyncio.sleep(0.1)
    assert not _kernels(jp_serverapp) & kernels


async def test_pinned_blocks_say_why_and_failures_skip_only_their_downstream(api, jp_root_dir):
    write_notebook(jp_root_dir, "pin.ipynb", [
        "import random\nrandom.seed(1)\nx = 1",        # c0: seeds the global RNG -> pinned
        "y = random.random()",                          # c1: draws from it -> pinned
        "z = x / 0",                                    # c2: fails
        "w = z + 1",                                    # c3: skipped
        "v = [x + i for i in range(3)]\nprint(v)",      # c4: independent of the failure
    ])
    p = await api.project("pin.ipynb")
    run = await api.run(p["id"])
    blocks = blocks_by_id(run)
    assert run["status"] == "failed" and run["max_parallel"] == 2
    assert blocks["c2"]["status"] == "failed" and blocks["c3"]["status"] == "skipped"
    assert blocks["c4"]["status"] == "succeeded" and stdout_of(blocks["c4"]) == "[1, 2, 3]\n"
    assert blocks["c1"]["kernel"] == "project" and "<random>" in (blocks["c1"]["note"] or ""), blocks["c1"]


async def test_cancel_stops_the_worker_too(api, jp_root_dir):
    write_notebook(jp_root_dir, "slow.ipynb", [
        "import time\nn = 1",
        "time.sleep(60)\na = n",
        "time.sleep(60)\nb = n",
        "c = a + b",
    ])
    p = await api.project("slow.ipynb")
    started = await api.ok("POST", f"projects/{p['id']}/runs", {"max_parallel": 2}, expect=202)
    for _ in range(300):
        run = await api.ok("GET", f"runs/{started['id']}")
        if sum(b["status"] == "running" for b in run["blocks"]) == 2:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail(f"the two sleeping blocks never ran at once: {run['blocks']}")
    await api.ok("POST", f"runs/{started['id']}/cancel", expect=202)
    run = await api.wait(started["id"], timeout=30)
    assert run["status"] == "cancelled"
    blocks = blocks_by_id(run)
    assert {blocks["c1"]["status"], blocks["c2"]["status"]} <= {"failed", "cancelled"}, "both kernels were interrupted"
    assert blocks["c3"]["status"] in ("cancelled", "skipped")


async def test_idle_workers_are_shut_down_and_come_back(api, jp_root_dir, jp_serverapp):
    runs = jp_serverapp.web_app.settings["notebook_dag_services"].runs
    runs.worker_idle_timeout = 1.0
    write_notebook(jp_root_dir, "idle.ipynb", WIDE)
    p = await api.project("idle.ipynb")
    assert (await api.run(p["id"]))["status"] == "succeeded"
    assert len(_kernels(jp_serverapp)) == 2
    for _ in range(100):  # the worker goes after 1 s without a parallel run
        if len(_kernels(jp_serverapp)) == 1:
            break
        await asyncio.sleep(0.1)
    assert len(_kernels(jp_serverapp)) == 1, "the idle worker kernel is still running"
    again = await api.run(p["id"], force=True)
    assert again["status"] == "succeeded"
    assert {b["kernel"] for b in again["blocks"]} == {"project", "worker-1"}, "a new worker was started"


async def test_max_parallel_bad_input(api, jp_root_dir):
    write_notebook(jp_root_dir, "bad.ipynb", ["a = 1"])
    p = await api.project("bad.ipynb")
    for value in (0, -1, "two", 1000):
        status, body = await api.call("POST", f"projects/{p['id']}/runs", {"max_parallel": value})
        assert status == 422, (value, status, body)
        assert "max_parallel" in str(body)
