"""Cells the user runs in the notebook's own kernel (not through a run) keep the block
states true: notebook_dag listens to the kernel's IOPub (notebook_dag.foreign)."""

from __future__ import annotations

import asyncio
import json
import time

from conftest import write_notebook


async def _kernel(jp_fetch) -> str:
    resp = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    return json.loads(resp.body)["id"]


class NotebookClient:
    """A second client of the kernel, as JupyterLab's notebook is: its executions are
    not notebook_dag's."""

    def __init__(self, serverapp, kid: str) -> None:
        self.kc = serverapp.kernel_manager.get_kernel(kid).client()

    async def __aenter__(self) -> NotebookClient:
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=60)
        return self

    async def __aexit__(self, *exc) -> None:
        self.kc.stop_channels()

    async def run(self, code: str) -> str:
        reply = await self.kc.execute_interactive(code, timeout=60)
        return reply["content"]["status"]


async def _states(api, pid: str, kid: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    dag = await api.ok("GET", f"projects/{pid}/dag", kernel_id=kid)
    nodes = [n for n in dag["nodes"] if n.get("cell_type", "code") == "code"]
    return {n["id"]: n["state"] for n in nodes}, {n["id"]: n.get("later_changes") or [] for n in nodes}


async def _until(api, pid: str, kid: str, want: dict[str, str], timeout: float = 30) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        states, _ = await _states(api, pid, kid)
        if all(states.get(k) == v for k, v in want.items()):
            return states
        assert time.monotonic() < deadline, f"states {states}, wanted {want}"
        await asyncio.sleep(0.1)


async def test_cells_run_by_hand_count_and_other_code_diverges(api, jp_root_dir, jp_fetch, jp_serverapp):
    write_notebook(jp_root_dir, "hand.ipynb", ["x = 1", "y = x + 1", "print(y)"])
    p = await api.project("hand.ipynb")
    kid = await _kernel(jp_fetch)
    states, _ = await _states(api, p["id"], kid)  # the DAG view asked: the kernel is watched
    assert states == {"c0": "never_run", "c1": "never_run", "c2": "never_run"}
    runs = next(iter(jp_serverapp.extension_manager.extension_apps["notebook_dag"])).services.runs
    async with NotebookClient(jp_serverapp, kid) as nb:
        # the user runs the notebook top to bottom by hand: every cell is up to date
        for code in ("x = 1", "y = x + 1", "print(y)"):
            assert await nb.run(code) == "ok"
        await _until(api, p["id"], kid, {"c0": "up_to_date", "c1": "up_to_date", "c2": "up_to_date"})
        # scratch code rebinding x: the blocks after c0 now see a value no fresh run gives
        assert await nb.run("x = 5") == "ok"
        deadline = time.monotonic() + 30
        while True:
            states, later = await _states(api, p["id"], kid)
            if later.get("c1") == ["x"]:
                break
            assert time.monotonic() < deadline, f"no later change recorded: {states} {later}"
            await asyncio.sleep(0.1)
        # "run stale" makes the kernel a fresh run's again: x is 1, y is 2
        run = await api.run(p["id"], mode="stale", kernel_id=kid)
        assert run["status"] == "succeeded", run
        assert await nb.run("assert (x, y) == (1, 2), (x, y)") == "ok"
        # a failing cell run by hand is not up to date, and what it read is left alone
        assert await nb.run("del y") == "ok"
        assert await nb.run("print(y)") == "error"
        await _until(api, p["id"], kid, {"c2": "stale"})
    assert runs.foreign.recorded >= 7


async def test_runs_are_not_taken_for_foreign_code(api, jp_root_dir, jp_fetch, jp_serverapp):
    write_notebook(jp_root_dir, "own.ipynb", ["import random\nrandom.seed(1)\nx = random.random()", "print(x)"])
    p = await api.project("own.ipynb")
    kid = await _kernel(jp_fetch)
    await _states(api, p["id"], kid)
    run = await api.run(p["id"], kernel_id=kid)
    assert run["status"] == "succeeded"
    await asyncio.sleep(1.0)  # what a foreign record would need to arrive
    states, later = await _states(api, p["id"], kid)
    assert states == {"c0": "up_to_date", "c1": "up_to_date"}
    assert later == {"c0": [], "c1": []}
    # unknowable code (a star import) leaves no block up to date in that kernel
    async with NotebookClient(jp_serverapp, kid) as nb:
        assert await nb.run("from math import *") == "ok"
    await _until(api, p["id"], kid, {"c0": "stale", "c1": "stale"})


async def test_a_cell_edited_in_the_editor_and_run_by_hand_is_up_to_date(api, jp_root_dir, jp_fetch, jp_serverapp):
    write_notebook(jp_root_dir, "edit.ipynb", ["x = 1", "y = x + 1"])
    p = await api.project("edit.ipynb")
    kid = await _kernel(jp_fetch)
    await _states(api, p["id"], kid)
    cells = [{"id": "c0", "cell_type": "code", "source": "x = 1"}, {"id": "c1", "cell_type": "code", "source": "y = x + 1"}]
    async with NotebookClient(jp_serverapp, kid) as nb:
        for c in cells:
            assert await nb.run(c["source"]) == "ok"
        await _until(api, p["id"], kid, {"c0": "up_to_date", "c1": "up_to_date"})
        # the user edits c1 (unsaved) and runs it at once; the editor's copy arrives
        # a moment after the execution, as a debounced sync would send it
        cells[1]["source"] = "y = x + 2"
        run = asyncio.ensure_future(nb.run(cells[1]["source"]))
        await asyncio.sleep(0.3)
        await api.ok("PUT", f"projects/{p['id']}/document", {"cells": cells})
        assert await run == "ok"
        states = await _until(api, p["id"], kid, {"c0": "up_to_date", "c1": "up_to_date"})
        assert states == {"c0": "up_to_date", "c1": "up_to_date"}
