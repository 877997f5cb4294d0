"""Full reports (ydata-profiling in a child process) with their events, profile
persistence across restarts, start-up recovery of interrupted work, and lineage."""

from __future__ import annotations

import asyncio
import time

import pytest

from conftest import write_notebook
from datasets_helpers import encode, iris, sp500, upload, wait_profile, wait_report, wine
from notebook_dag.datasets.jobs import DATASET_EVENT_SCHEMA_ID, INTERRUPTED, DatasetEvents, DatasetJobs, recover_interrupted
from notebook_dag.datasets.orm import DatasetProfile, DatasetReport
from notebook_dag.datasets.store import DatasetFiles
from notebook_dag.storage import Database


@pytest.fixture
def jp_server_config(db_url):
    return {
        "ServerApp": {"jpserver_extensions": {"notebook_dag": True}, "allow_unauthenticated_access": False},
        "NotebookDagApp": {"db_url": db_url},
        "DatasetService": {"report_max_rows": 100},
    }


def _svc(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"].datasets


async def test_report_end_to_end_with_events_and_sampling(api, jp_fetch, jp_serverapp):
    events: list[dict] = []

    async def listener(logger, schema_id, data):
        events.append(data)

    jp_serverapp.event_logger.add_listener(schema_id=DATASET_EVENT_SCHEMA_ID, listener=listener)
    _, ds = await upload(api, encode(iris(), "csv"), "iris.csv")
    code, err = await api.call("GET", f"datasets/{ds['id']}/report")
    assert code == 404 and "POST" in err["message"]
    assert (await api.ok("GET", f"datasets/{ds['id']}/report/status"))["status"] == "none"

    started = await api.ok("POST", f"datasets/{ds['id']}/report", expect=202)
    assert started["status"] in ("queued", "running")
    again = await api.ok("POST", f"datasets/{ds['id']}/report", expect=202)
    assert again["status"] in ("queued", "running"), "a second request joins the running report"
    t0 = time.monotonic()
    while (await api.ok("GET", f"datasets/{ds['id']}/report/status"))["status"] in ("queued", "running"):
        ping = await api.ok("GET", "datasets")  # the server stays responsive while the report runs
        assert ping["total"] == 1 and time.monotonic() - t0 < 240
        await asyncio.sleep(0.2)
    rep = await api.ok("GET", f"datasets/{ds['id']}/report/status")
    assert rep["status"] == "succeeded", rep
    assert (rep["rows"], rep["sample_rows"]) == (150, 100) and rep["progress"] == 1.0

    resp = await jp_fetch("notebook-dag", "api", "datasets", ds["id"], "report")
    html = resp.body.decode()
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert "random sample of 100 of 150 rows" in html and "sepal length" in html

    await asyncio.sleep(0.2)
    mine = [e for e in events if e["dataset_id"] == ds["id"] and e["kind"] == "report"]
    statuses = [e["status"] for e in mine]
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "succeeded", statuses
    assert "progress" in statuses
    progress = [e["progress"] for e in mine if e["status"] == "progress"]
    assert progress == sorted(progress) and 0 < progress[-1] <= 1
    assert any(e["kind"] == "profile" and e["status"] == "succeeded" for e in events)
    assert any(e["kind"] == "upload" for e in events)

    same = await api.ok("POST", f"datasets/{ds['id']}/report", expect=200)
    assert same["status"] == "succeeded", "the stored report is reused for the same content"
    _, copy = await upload(api, encode(iris(), "csv"), "iris-copy.csv")
    assert (await api.ok("GET", f"datasets/{copy['id']}/report/status"))["status"] == "succeeded", \
        "reports are keyed by content hash"


async def test_a_failing_report_never_stays_running(api, jp_serverapp):
    svc = _svc(jp_serverapp)
    _, ds = await upload(api, encode(wine().iloc[:, :3], "csv"), "wine.csv")
    svc.jobs.report_timeout = 0.5
    await api.ok("POST", f"datasets/{ds['id']}/report", expect=202)
    rep = await wait_report(api, ds["id"])
    assert rep["status"] == "failed" and "longer than" in rep["error"], rep
    code, err = await api.call("GET", f"datasets/{ds['id']}/report")
    assert code == 404 and "failed" in err["message"]
    svc.jobs.report_timeout = 900
    retry = await api.ok("POST", f"datasets/{ds['id']}/report", expect=202)
    assert retry["status"] in ("queued", "running")
    assert (await wait_report(api, ds["id"]))["status"] == "succeeded"


async def test_profiles_persist_across_restarts_and_are_never_recomputed(api, jp_serverapp, db_url, tmp_path):
    _, ds = await upload(api, encode(sp500(), "parquet"), "sp500.parquet")
    prof = await wait_profile(api, ds["id"])
    assert prof["status"] == "ready"
    key = (ds["latest"]["sha256"], "parquet")

    # a second process on the same database: a new engine, new jobs, no shared memory
    db = Database(db_url)
    try:
        jobs = DatasetJobs(db, DatasetFiles(tmp_path / "other"), DatasetEvents(None), jp_serverapp.log)
        status = await jobs.ensure_profile(key, "/nonexistent/file.parquet", ds["id"], 1)  # connects
        assert status == "ready" and not jobs.profiles, "found by hash, nothing recomputed"
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            assert await jobs.ensure_profile(key, "/nonexistent/file.parquet", ds["id"], 1) == "ready"
            times.append(time.perf_counter() - t0)
        assert sorted(times)[2] < 0.05, times
        row = await jobs.profile_row(key)
        assert row.profile["rows"] == prof["profile"]["rows"] and row.duration == prof["duration"]
    finally:
        await db.dispose()
    again = await api.ok("POST", f"datasets/{ds['id']}/profile")
    assert again["status"] == "ready" and again["duration"] == prof["duration"]
    forced = await api.ok("POST", f"datasets/{ds['id']}/profile", force="true", expect=202)
    assert forced["status"] == "pending"
    assert (await wait_profile(api, ds["id"]))["status"] == "ready"


@pytest.fixture
def interrupted(db_url):
    """Before the server starts: a database holding a profile and a report that a
    previous server left running."""

    async def seed() -> None:
        db = Database(db_url)
        await db.migrate()
        async with db.session() as s:
            s.add(DatasetProfile(sha256="a" * 64, format="csv", status="pending"))
            s.add(DatasetReport(sha256="b" * 64, format="csv", status="running", progress=0.4))
        await db.dispose()

    asyncio.run(seed())
    return db_url


async def test_startup_marks_leftover_work_failed(interrupted, api, jp_serverapp):
    db = Database(interrupted)
    try:
        async with db.session() as s:
            prof = await s.get(DatasetProfile, ("a" * 64, "csv"))
            rep = await s.get(DatasetReport, ("b" * 64, "csv"))
            assert (prof.status, prof.error) == ("failed", INTERRUPTED)
            assert (rep.status, rep.error) == ("failed", INTERRUPTED) and rep.finished_at
    finally:
        await db.dispose()
    assert await recover_interrupted(interrupted) == (0, 0)


async def test_lineage_and_dag_with_datasets(api, jp_root_dir):
    (jp_root_dir / "work" / "data").mkdir(parents=True)
    (jp_root_dir / "work" / "out").mkdir(parents=True)
    (jp_root_dir / "work" / "data" / "sp500.csv").write_bytes(encode(sp500(), "csv"))
    (jp_root_dir / "work" / "iris.csv").write_bytes(encode(iris(), "csv"))
    (jp_root_dir / "work" / "out" / "iris_clean.parquet").write_bytes(encode(iris(), "parquet"))
    write_notebook(jp_root_dir, "work/flow.ipynb", [
        "import pandas as pd\nimport notebook_dag as nd\nfrom pathlib import Path",
        "df = pd.read_csv('iris.csv')",
        "df.to_parquet(Path('out') / 'iris_clean.parquet')",
        "w = nd.load('wine.csv')",
        "DATA = 'data/sp500.csv'",
        "s = pd.read_csv(DATA)\nwith open('notes.txt', 'w') as f:\n    f.write('x')",
        "%time t = pd.read_csv('iris.csv', nrows=5)",
        "m = pd.read_csv('macrodata.csv')",
    ])
    project = await api.project("work/flow.ipynb")
    iris_ds = await api.ok("POST", "datasets", {"path": "work/iris.csv", "name": "iris-local"}, expect=201)
    _, uploaded_iris = await upload(api, encode(iris(), "csv"), "iris.csv")
    _, wine_ds = await upload(api, encode(wine(), "csv"), "wine.csv", project_id=project["id"])
    clean = await api.ok("POST", "datasets", {"path": "work/out/iris_clean.parquet"}, expect=201)
    sp = await api.ok("POST", "datasets", {"path": "work/data/sp500.csv"}, expect=201)
    _, unused = await upload(api, encode(wine(), "json"), "unused.json")
    _, macro = await upload(api, encode(wine(), "csv"), "macrodata.csv", project_id=project["id"])

    lin = await api.ok("GET", f"datasets/{iris_ds['id']}/lineage")
    assert [(r["block_id"], r["via"], r["target"]) for r in lin["readers"]] == [
        ("c1", "pd.read_csv", "iris.csv"), ("c6", "pd.read_csv", "iris.csv")], "the registered file next to it"
    assert lin["writers"] == [] and lin["readers"][0]["project_name"] == "p"
    assert [(r["block_id"], r["kind"]) for r in (await api.ok("GET", f"datasets/{clean['id']}/lineage"))["writers"]] \
        == [("c2", "write")]
    assert [r["via"] for r in (await api.ok("GET", f"datasets/{wine_ds['id']}/lineage"))["readers"]] == ["nd.load"]
    assert [r["block_id"] for r in (await api.ok("GET", f"datasets/{sp['id']}/lineage"))["readers"]] == ["c5"]
    for ds in (unused, uploaded_iris, macro):  # a local file of the same name is not the upload
        assert (await api.ok("GET", f"datasets/{ds['id']}/lineage")) == {
            "dataset_id": ds["id"], "readers": [], "writers": []}, ds["name"]

    plain = await api.ok("GET", f"projects/{project['id']}/dag")
    assert all(not n["id"].startswith("dataset:") for n in plain["nodes"]), "the default response is unchanged"
    assert plain == await api.ok("GET", f"projects/{project['id']}/dag", datasets="false")
    dag = await api.ok("GET", f"projects/{project['id']}/dag", datasets="true")
    data_nodes = {n["id"]: n for n in dag["nodes"] if n.get("kind") == "dataset"}
    assert set(data_nodes) == {f"dataset:{d['id']}" for d in (iris_ds, wine_ds, clean, sp)}
    assert data_nodes[f"dataset:{iris_ds['id']}"]["format"] == "csv"
    data_edges = {(e["source"], e["target"], e["kind"]) for e in dag["edges"] if e["kind"] in ("reads", "writes")}
    assert data_edges == {
        (f"dataset:{iris_ds['id']}", "c1", "reads"), (f"dataset:{iris_ds['id']}", "c6", "reads"),
        ("c2", f"dataset:{clean['id']}", "writes"), (f"dataset:{wine_ds['id']}", "c3", "reads"),
        (f"dataset:{sp['id']}", "c5", "reads"),
    }
    assert len(dag["nodes"]) == len(plain["nodes"]) + 4
    code, _ = await api.call("GET", f"projects/{project['id']}/dag", datasets="maybe")
    assert code == 400
