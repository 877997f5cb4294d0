"""A run's bookkeeping off the kernel's path: the listener hears of a block's end once
the next block was sent, rows are stored before the run's end is announced, events are
validated by compiled schemas, nbclient's debug chatter builds no log records, and the
run keeps its kernel's activity itself instead of jupyter_server decoding every message."""

from __future__ import annotations

import asyncio
import logging

import jsonschema
import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_events import EventLogger

from conftest import stdout_of, write_notebook
from notebook_dag.dag import build_dag, plan_blocks
from notebook_dag.engine import Engine, quiet_child
from notebook_dag.events import RUN_EVENT_SCHEMA_ID, RunEvents, register_schemas


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(sources):
        cell = nbformat.v4.new_code_cell(src)
        cell["id"] = f"c{i}"
        nb.cells.append(cell)
    return nb


async def test_the_next_block_is_sent_before_the_listener_hears_the_last_one_ended(tmp_path):
    flag = tmp_path / "c1-ran"
    nb = notebook("a = 1", f"open({str(flag)!r}, 'w').close()\nb = a + 1", "print(b)")
    dag = build_dag(nb, [])
    calls: list[tuple[str, str]] = []
    seen_while_reporting: list[bool] = []

    class Listener:
        async def block_started(self, block_id: str) -> None:
            calls.append(("started", block_id))

        async def block_finished(self, block_id: str, result) -> None:
            calls.append((result.status, block_id))
            if block_id == "c0":  # c1 is already executing in the kernel, or about to
                for _ in range(200):
                    if flag.exists():
                        break
                    await asyncio.sleep(0.05)
                seen_while_reporting.append(flag.exists())

    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=str(tmp_path))
    try:
        outcome = await Engine(km, nb, dag.graph).run(plan_blocks(dag, "all"), Listener())
    finally:
        await km.shutdown_kernel(now=True)
    assert outcome.status == "succeeded"
    assert seen_while_reporting == [True], "c1 waited for the listener's report of c0"
    assert calls == [("started", "c0"), ("succeeded", "c0"), ("started", "c1"), ("succeeded", "c1"),
                     ("started", "c2"), ("succeeded", "c2")]


async def test_the_end_event_finds_every_block_stored(api, jp_root_dir, jp_serverapp):
    write_notebook(jp_root_dir, "chain.ipynb", [f"x{i} = {i}\nprint(x{i})" for i in range(8)])
    p = await api.project("chain.ipynb")
    events: list[dict] = []
    at_end: list[dict] = []

    async def listener(logger, schema_id, data):
        events.append(data)
        if data["kind"] == "run" and data["status"] == "succeeded":
            at_end.append(await api.ok("GET", f"runs/{data['run_id']}"))

    jp_serverapp.event_logger.add_listener(schema_id=RUN_EVENT_SCHEMA_ID, listener=listener)
    run = await api.run(p["id"], mode="all", force=True)
    for _ in range(100):
        if at_end:
            break
        await asyncio.sleep(0.05)
    assert run["status"] == "succeeded" and len(at_end) == 1
    stored = at_end[0]
    assert [b["status"] for b in stored["blocks"]] == ["succeeded"] * 8
    assert [stdout_of(b) for b in stored["blocks"]] == [f"{i}\n" for i in range(8)]
    assert all(b["finished_at"] and b["execution_count"] for b in stored["blocks"])
    mine = [(e["block_id"], e["status"]) for e in events if e["run_id"] == run["id"] and e["kind"] == "block"]
    assert mine == [(f"c{i}", s) for i in range(8) for s in ("running", "succeeded")]


async def test_run_events_are_validated_by_their_schema():
    logger = EventLogger()
    register_schemas(logger)
    register_schemas(logger)  # idempotent
    got: list[dict] = []

    async def listener(logger, schema_id, data):
        got.append(data)

    logger.add_listener(schema_id=RUN_EVENT_SCHEMA_ID, listener=listener)
    RunEvents(logger).emit("r1", "p1", "succeeded", "c1", execution_count=3)
    with pytest.raises(jsonschema.ValidationError, match="status"):
        RunEvents(logger).emit("r1", "p1", "exploded", "c1")
    with pytest.raises(jsonschema.ValidationError, match="execution_count"):
        logger.emit(schema_id=RUN_EVENT_SCHEMA_ID, data={
            "run_id": "r", "project_id": "p", "kind": "block", "status": "failed", "execution_count": "3"})
    await asyncio.sleep(0.05)
    assert [(e["block_id"], e["status"], e["execution_count"]) for e in got] == [("c1", "succeeded", 3)]


def test_quiet_child_builds_records_only_for_levels_a_handler_writes():
    app = logging.getLogger("notebook_dag_test_app")
    app.propagate = False
    app.setLevel(logging.DEBUG)
    handler = logging.StreamHandler()
    handler.setLevel(logging.INFO)
    app.addHandler(handler)
    try:
        child = quiet_child(app, "nbclient")
        assert child.name == "notebook_dag_test_app.nbclient"
        assert not child.isEnabledFor(logging.DEBUG) and child.isEnabledFor(logging.INFO)
        handler.setLevel(logging.DEBUG)  # --debug: the child follows
        assert quiet_child(app, "nbclient").isEnabledFor(logging.DEBUG)
    finally:
        app.removeHandler(handler)


async def test_a_run_keeps_its_kernels_activity_itself_and_watches_it_again_after(api, jp_root_dir, jp_serverapp):
    write_notebook(jp_root_dir, "slow.ipynb", ["import time\ntime.sleep(0.3)\nx = 1", "time.sleep(0.3)\ny = x"])
    p = await api.project("slow.ipynb")
    km = jp_serverapp.kernel_manager
    seen: dict[str, tuple] = {}

    async def listener(logger, schema_id, data):
        key = f"{data['block_id'] or 'run'}:{data['status']}"
        if key in ("run:running", "c1:running"):
            (kid,) = km.list_kernel_ids()  # the project's kernel, the only one
            kernel = km.get_kernel(kid)
            seen[key] = (kernel.execution_state, kernel._activity_stream is None, kernel.last_activity)

    jp_serverapp.event_logger.add_listener(schema_id=RUN_EVENT_SCHEMA_ID, listener=listener)
    run = await api.run(p["id"])
    assert run["status"] == "succeeded"
    assert seen["run:running"][:2] == ("busy", True), "paused, and busy, while the run executes"
    assert seen["c1:running"][:2] == ("busy", True)
    assert seen["c1:running"][2] > seen["run:running"][2], "c0's end is the kernel's last activity"
    kernel = km.get_kernel(run["kernel_id"])
    # watched again just after the run's end is announced (off the end's critical path)
    for _ in range(100):
        if kernel._activity_stream is not None:
            break
        await asyncio.sleep(0.02)
    assert kernel._activity_stream is not None and kernel.execution_state == "idle"
    assert km.kernel_model(run["kernel_id"])["execution_state"] == "idle"
