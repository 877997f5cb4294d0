"""Scheduled runs through jupyter-scheduler (issue #17): a schedule created from a project
is a jupyter-scheduler job definition; a job made from it runs the project's DAG on the
server (a notebook_dag run with per-block outputs, owned by the schedule's creator) and
ends COMPLETED with an output notebook in jupyter-scheduler; other jobs run as
jupyter-scheduler runs them by default.

jupyter-scheduler's server extension is enabled here only (pytest-jupyter isolates the
config paths); notebook_dag's execution manager is wired in by notebook_dag's app itself
(``ScheduleService.wire``), with no configuration, as in a real install."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import nbformat
import pytest

from conftest import write_notebook
from identity import As, named_users_config

pytest.importorskip("jupyter_scheduler")

@pytest.fixture
def staging(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("staging")


@pytest.fixture
def jp_server_config(db_url, tmp_path_factory, staging, request):
    config = named_users_config(db_url)
    config["Scheduler"] = {"staging_path": str(staging)}
    if getattr(request, "param", "enabled") == "enabled":
        config["ServerApp"]["jpserver_extensions"]["jupyter_scheduler"] = True
        config["SchedulerApp"] = {"db_url": f"sqlite:///{tmp_path_factory.mktemp('sched')}/scheduler.sqlite"}
    return config


async def scheduler_api(jp_fetch, method: str, path: str, body=None):
    kwargs = {"method": method, "raise_error": False, "request_timeout": 60}
    if body is not None or method == "POST":
        kwargs["body"] = json.dumps(body or {})
    resp = await jp_fetch("scheduler", *path.split("/"), **kwargs)
    return resp.code, (json.loads(resp.body) if resp.body else None)


async def wait_job(jp_fetch, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        code, job = await scheduler_api(jp_fetch, "GET", f"jobs/{job_id}")
        assert code == 200, job
        # a new job reads STOPPED (jupyter-scheduler's column default) until its process starts
        if job["status"] in ("COMPLETED", "FAILED"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {timeout}s"
        await asyncio.sleep(0.25)


def output_notebook(staging: Path, job_id: str) -> nbformat.NotebookNode:
    outputs = [p for p in (staging / job_id).glob("*.ipynb") if "-" in p.stem]  # <input>-<create_time>.ipynb
    assert len(outputs) == 1, list((staging / job_id).iterdir())
    return nbformat.read(outputs[0], as_version=4)


async def test_scheduled_job_runs_the_dag_and_completes(alice, jp_fetch, jp_root_dir, jp_serverapp, staging):
    write_notebook(jp_root_dir, "sched.ipynb", ["x = 20", "y = x + 1\nprint('y is', y)", ("markdown", "# notes"),
                                                "z = y * 2\nz"])
    p = await alice.ok("POST", "projects", {"name": "Nightly", "notebook_path": "sched.ipynb"}, expect=201)
    pid = p["id"]
    s = await alice.ok("POST", f"projects/{pid}/schedules", {"schedule": "30 5 * * 1-5", "timezone": "Europe/Paris",
                                                             "mode": "all", "max_parallel": 2}, expect=201)
    assert {k: s[k] for k in ("project_id", "name", "schedule", "timezone", "mode", "max_parallel", "active",
                              "owner")} == {"project_id": pid, "name": "Nightly DAG", "schedule": "30 5 * * 1-5",
                                            "timezone": "Europe/Paris", "mode": "all", "max_parallel": 2,
                                            "active": True, "owner": "alice"}
    # it is jupyter-scheduler's own job definition, with the parameters in its UI
    code, definition = await scheduler_api(jp_fetch, "GET", f"job_definitions/{s['id']}")
    assert code == 200 and definition["schedule"] == "30 5 * * 1-5" and definition["timezone"] == "Europe/Paris"
    assert definition["parameters"] == {"mode": "all", "max_parallel": "2"}
    assert "notebook_dag:schedule" in definition["tags"]
    listed = await alice.ok("GET", f"projects/{pid}/schedules")
    assert [x["id"] for x in listed["schedules"]] == [s["id"]]

    # trigger it as jupyter-scheduler's "Run job" does
    code, created = await scheduler_api(jp_fetch, "POST", f"job_definitions/{s['id']}/jobs", {})
    assert code == 200, created
    job = await wait_job(jp_fetch, created["job_id"])
    assert job["status"] == "COMPLETED", job.get("status_message")

    runs = await alice.ok("GET", f"projects/{pid}/runs")
    assert runs["total"] == 1
    run = await alice.ok("GET", f"runs/{runs['runs'][0]['id']}")
    assert run["status"] == "succeeded" and run["owner"] == "alice" and run["mode"] == "all"
    assert run["max_parallel"] == 2
    by_block = {b["block_id"]: b for b in run["blocks"]}
    assert by_block["c1"]["status"] == "succeeded"
    assert "y is 21" in "".join(o.get("text", "") for o in by_block["c1"]["outputs"])
    assert by_block["c3"]["outputs"][0]["data"]["text/plain"] == "42"

    # the job's output notebook: the project's notebook with the run's outputs
    nb = output_notebook(staging, created["job_id"])
    assert nb.metadata["notebook_dag"] == {"project_id": pid, "run_id": run["id"], "status": "succeeded"}
    cells = {c["id"]: c for c in nb.cells}
    assert "y is 21" in "".join(o.get("text", "") for o in cells["c1"]["outputs"])
    assert cells["c3"]["outputs"][0]["data"]["text/plain"] == "42"
    activity = await alice.ok("GET", f"projects/{pid}/activity")
    scheduled = [a for a in activity["activity"] if a["action"] == "scheduled_run"]
    assert scheduled and scheduled[0]["detail"]["run_id"] == run["id"] and scheduled[0]["detail"]["job_id"] == job["job_id"]

    # the job's token is its own: no other credential opens the job route, nor does it open another job
    other_jobs_token = jp_serverapp.web_app.settings["notebook_dag_schedules"].tokens.issue("another-job",
                                                                                          ("scheduler:job",))
    kernel_token = jp_serverapp.web_app.settings["notebook_dag_kernel_tokens"].issue("alice")
    for headers in ({}, {"Authorization": "notebook-dag-job not-a-token"}, {"Authorization": "token x"},
                    {"Authorization": f"notebook-dag-job {other_jobs_token}"},
                    {"Authorization": f"notebook-dag-job {kernel_token}"}):
        resp = await jp_fetch("notebook-dag", "api", "scheduler-jobs", job["job_id"], "run", method="POST", body=b"{}",
                              headers=headers, raise_error=False)
        assert resp.code == 401, (headers, resp.code)

    # deleting the schedule deletes the job definition
    await alice.ok("DELETE", f"projects/{pid}/schedules/{s['id']}", expect=204)
    assert (await alice.ok("GET", f"projects/{pid}/schedules"))["schedules"] == []
    code, _ = await scheduler_api(jp_fetch, "GET", f"job_definitions/{s['id']}")
    assert code != 200
    assert (await alice.call("DELETE", f"projects/{pid}/schedules/{s['id']}"))[0] == 404


async def test_stale_mode_and_a_failing_block_fail_the_job(alice, jp_fetch, jp_root_dir, staging):
    write_notebook(jp_root_dir, "bad.ipynb", ["a = 1", "raise ValueError('boom')"])
    p = await alice.ok("POST", "projects", {"name": "Bad", "notebook_path": "bad.ipynb"}, expect=201)
    s = await alice.ok("POST", f"projects/{p['id']}/schedules", {"schedule": "0 0 1 1 *"}, expect=201)
    assert s["mode"] == "stale" and s["timezone"] == "UTC" and s["max_parallel"] is None
    code, created = await scheduler_api(jp_fetch, "POST", f"job_definitions/{s['id']}/jobs", {})
    assert code == 200, created
    job = await wait_job(jp_fetch, created["job_id"])
    assert job["status"] == "FAILED" and "failed" in job["status_message"], job
    run = (await alice.ok("GET", f"projects/{p['id']}/runs"))["runs"][0]
    assert run["mode"] == "stale" and run["status"] == "failed"
    nb = output_notebook(staging, created["job_id"])
    assert any(o.get("ename") == "ValueError" for c in nb.cells for o in c.get("outputs", []))


async def test_a_plain_job_runs_as_jupyter_scheduler_runs_it(alice, jp_fetch, jp_root_dir, staging):
    write_notebook(jp_root_dir, "plain.ipynb", ["print(6 * 7)"])
    code, created = await scheduler_api(jp_fetch, "POST", "jobs", {
        "input_uri": "plain.ipynb", "runtime_environment_name": "python", "output_formats": ["ipynb"],
        "name": "plain"})
    assert code == 200, created
    job = await wait_job(jp_fetch, created["job_id"])
    assert job["status"] == "COMPLETED", job.get("status_message")
    nb = output_notebook(staging, created["job_id"])
    assert nb.cells[0]["outputs"][0]["text"] == "42\n"  # nbconvert ran it top to bottom
    assert "notebook_dag" not in nb.metadata
    assert (await alice.ok("GET", "projects"))["total"] == 0


async def test_schedule_errors(alice, bob, jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir, "e.ipynb", ["x = 1"])
    p = await alice.ok("POST", "projects", {"name": "E", "notebook_path": "e.ipynb"}, expect=201)
    path = f"projects/{p['id']}/schedules"
    for body, field in (({"schedule": "every day"}, "schedule"), ({"schedule": "61 * * * *"}, "schedule"),
                        ({"schedule": "0 6 * * *", "timezone": "Mars/Olympus"}, "timezone"),
                        ({"schedule": "0 6 * * *", "mode": "block"}, "mode"),
                        ({"schedule": "0 6 * * *", "max_parallel": 0}, "max_parallel")):
        code, out = await alice.call("POST", path, body)
        assert code == 422 and out["reason"] == "unprocessable" and field in out["message"], (body, code, out)
    # a viewer may see the schedules but not add or delete one; a stranger sees nothing
    await alice.ok("PUT", f"projects/{p['id']}/members", {"username": "bob", "role": "viewer"})
    s = await alice.ok("POST", path, {"schedule": "0 6 * * *"}, expect=201)
    assert [x["id"] for x in (await bob.ok("GET", path))["schedules"]] == [s["id"]]
    code, out = await bob.call("POST", path, {"schedule": "0 6 * * *"})
    assert code == 403 and out["reason"] == "forbidden"
    assert (await bob.call("DELETE", f"{path}/{s['id']}"))[0] == 403
    code, _ = await As(jp_fetch, "carol").call("GET", path)
    assert code == 404
    # a job run from the definition with a bad parameter fails with the reason
    code, created = await scheduler_api(jp_fetch, "POST", f"job_definitions/{s['id']}/jobs",
                                        {"parameters": {"mode": "sideways"}})
    assert code == 200, created
    job = await wait_job(jp_fetch, created["job_id"])
    assert job["status"] == "FAILED" and "mode must be stale or all" in job["status_message"], job
    # deleting the project deletes its job definitions in jupyter-scheduler
    await alice.ok("DELETE", f"projects/{p['id']}", expect=204)
    code, _ = await scheduler_api(jp_fetch, "GET", f"job_definitions/{s['id']}")
    assert code != 200


@pytest.mark.parametrize("jp_server_config", ["absent"], indirect=True)
async def test_without_jupyter_scheduler_the_routes_answer_409(alice, jp_fetch, jp_root_dir):
    """jupyter-scheduler not enabled (notebook_dag's shipped config names its execution
    manager all the same: harmless)."""
    write_notebook(jp_root_dir, "n.ipynb", ["x = 1"])
    p = await alice.ok("POST", "projects", {"name": "N", "notebook_path": "n.ipynb"}, expect=201)
    for method, path, body in (("GET", f"projects/{p['id']}/schedules", None),
                               ("POST", f"projects/{p['id']}/schedules", {"schedule": "0 6 * * *"}),
                               ("DELETE", f"projects/{p['id']}/schedules/abc-def", None)):
        code, out = await alice.call(method, path, body)
        assert code == 409 and out["reason"] == "scheduler_unavailable" and "jupyter-scheduler" in out["message"], \
            (method, code, out)
    run = await alice.run(p["id"])  # the rest works as before
    assert run["status"] == "succeeded"
