"""Datasets on object storage, against a real S3-compatible server on 127.0.0.1 (moto's
server mode): uploads land in the bucket (deduplicated, deleted with their dataset),
previews, quick profiles, a full report and ``notebook_dag.load()`` in a real kernel read
them back, an unreachable or missing bucket answers 503 with a JSON error, the server's
memory stays bounded for a large upload, and start-up recovery is scoped to one server
on a shared database (this part runs on local storage)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import time
import uuid
from pathlib import Path

import pytest

from conftest import blocks_by_id, stdout_of, write_notebook
from datasets_helpers import PeakRSS, encode, iris, upload, wait_profile, wait_report, wine
from notebook_dag.datasets.jobs import INTERRUPTED
from notebook_dag.datasets.orm import DatasetProfile, DatasetReport
from notebook_dag.datasets.store import server_dir
from notebook_dag.storage import Database
from servers import moto_process

PREFIX = "team-data"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module")
def aws_env():
    """Dummy credentials, so that nothing looks for real ones (files, instance metadata)."""
    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update(AWS_ENV)
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def s3_endpoint(aws_env):
    """``http://127.0.0.1:<port>`` of a moto S3 server running in this process."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def objects(endpoint: str, bucket: str, prefix: str = PREFIX + "/") -> dict[str, int]:
    """``{key: size}`` of every object under ``prefix`` in the bucket."""
    out: dict[str, int] = {}
    for page in s3_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.update({o["Key"]: o["Size"] for o in page.get("Contents", [])})
    return out


@pytest.fixture
def s3(request) -> dict:
    """``{"endpoint", "bucket"}``: a new, empty bucket for this test on the moto server in
    this process, or with ``@pytest.mark.parametrize("s3", ["process"], indirect=True)``
    on the one in a process of its own."""
    endpoint = request.getfixturevalue("s3_process" if getattr(request, "param", "") == "process" else "s3_endpoint")
    name = f"nbdag-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return {"endpoint": endpoint, "bucket": name}


@pytest.fixture
def storage(request, s3) -> dict:
    """DatasetService settings (and RunService's ``server_id``) of the test's server: the bucket of ``s3`` as dataset
    storage, with what ``@pytest.mark.parametrize("storage", [{...}], indirect=True)``
    gives merged in."""
    base = {
        "storage_url": f"s3://{s3['bucket']}/{PREFIX}",
        "storage_options": {"endpoint_url": s3["endpoint"], "key": "testing", "secret": "testing"},
    }
    return {**base, **getattr(request, "param", {})}


@pytest.fixture
def local_dir(tmp_path) -> Path:
    return tmp_path / "local-datasets"


@pytest.fixture
def jp_server_config(db_url, storage, local_dir):
    return {
        "ServerApp": {"jpserver_extensions": {"notebook_dag": True}, "allow_unauthenticated_access": False},
        "NotebookDagApp": {"db_url": db_url},
        "DatasetService": {"datasets_dir": str(local_dir), "report_max_rows": 100,
                           **{k: v for k, v in storage.items() if k != "server_id"}},
        "RunService": {k: v for k, v in storage.items() if k == "server_id"},
    }


def _svc(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"].datasets


def _local_files(svc) -> list[Path]:
    return [p for p in svc.files.root.rglob("*") if p.is_file()]


def _clear_cache(svc) -> None:
    for p in svc.files.cache.rglob("*"):
        if p.is_file():
            p.unlink()


async def _file_path(db_url: str, sha: str) -> str:
    from sqlalchemy import select

    from notebook_dag.datasets.orm import DatasetVersion

    db = Database(db_url)
    try:
        async with db.session() as s:
            stmt = select(DatasetVersion.file_path).where(DatasetVersion.sha256 == sha)
            return (await s.execute(stmt)).scalars().first()
    finally:
        await db.dispose()


# ---- uploads, previews, profiles and load() on S3 ----------------------------------


async def test_upload_preview_profile_and_load_read_the_bucket(api, jp_serverapp, jp_root_dir, s3, db_url):
    s3_endpoint, bucket = s3["endpoint"], s3["bucket"]
    svc = _svc(jp_serverapp)
    assert svc.files.remote and not svc.files.blobs.exists(), "no local blob store with object storage"
    df = iris()
    ids, shas = {}, {}
    for fmt, name in [("csv", "iris.csv"), ("parquet", "iris.parquet")]:
        data = encode(df, fmt)
        _, ds = await upload(api, data, name, tags="s3")
        assert ds["latest"]["format"] == fmt and ds["created"] and not ds["deduplicated"]
        sha = hashlib.sha256(data).hexdigest()
        assert ds["latest"]["sha256"] == sha
        ids[fmt], shas[fmt] = ds["id"], sha
        key = f"{PREFIX}/blobs/{sha[:2]}/{sha}/{name}"
        assert objects(s3_endpoint, bucket).get(key) == len(data), objects(s3_endpoint, bucket)
        assert await _file_path(db_url, sha) == f"s3://{bucket}/{key}"

        prof = await wait_profile(api, ds["id"])
        assert prof["status"] == "ready", prof
        assert (prof["profile"]["rows"], prof["profile"]["columns"]) == (150, 6)

        _clear_cache(svc)  # the preview must come from the bucket, not from the upload's copy
        prev = await api.ok("GET", f"datasets/{ds['id']}/preview", limit=5, offset=145)
        assert [c["name"] for c in prev["columns"]] == list(df.columns)
        assert [r[-1] for r in prev["rows"]] == df["species"].iloc[145:150].tolist()
        assert prev["total_rows"] == 150 and not prev["has_more"]
        assert [p.name for p in svc.files.cache.rglob("*") if p.is_file()] == [f"{sha}{Path(name).suffix}"], \
            "the download is cached under its content hash"

    assert not [p for p in svc.files.tmp.iterdir()], "no partial upload is left behind"
    assert all(p.is_relative_to(svc.files.cache) for p in _local_files(svc)), "locally only the read cache"

    # a real kernel reads the bucket through notebook_dag.load(): its own download, verified
    _clear_cache(svc)
    write_notebook(jp_root_dir, "s3load.ipynb", [
        "import notebook_dag\nfrom notebook_dag.kernel_api import dataset_file",
        "for name in ['iris.csv', 'iris.parquet']:\n"
        "    d = notebook_dag.load(name)\n"
        "    print(name, d.shape, round(float(d['sepal length (cm)'].sum()), 6), d['species'].iloc[-1])\n"
        "print(dataset_file('iris.csv')[0])",
    ])
    project = await api.project("s3load.ipynb")
    run = await api.run(project["id"], timeout=180)
    assert run["status"] == "succeeded", run
    lines = stdout_of(blocks_by_id(run)["c1"]).splitlines()
    total = round(float(df["sepal length (cm)"].sum()), 6)
    assert lines[:2] == [f"{n} (150, 6) {total} virginica" for n in ("iris.csv", "iris.parquet")], lines
    assert lines[2] == str(svc.files.cache / shas["csv"][:2] / f"{shas['csv']}.csv"), \
        "the kernel uses the server's cache directory"

    listed = await api.ok("GET", "datasets", tag="s3")
    assert listed["total"] == 2 and all(d["latest"]["rows"] == 150 for d in listed["datasets"])


async def test_a_changed_object_is_refused_not_served(api, jp_serverapp, s3):
    s3_endpoint, bucket = s3["endpoint"], s3["bucket"]
    svc = _svc(jp_serverapp)
    data = encode(wine(), "csv")
    _, ds = await upload(api, data, "wine.csv")
    sha = ds["latest"]["sha256"]
    await wait_profile(api, ds["id"])
    key = f"{PREFIX}/blobs/{sha[:2]}/{sha}/wine.csv"
    s3_client(s3_endpoint).put_object(Bucket=bucket, Key=key, Body=data.replace(b"\n1", b"\n2", 1))
    _clear_cache(svc)
    code, err = await api.call("GET", f"datasets/{ds['id']}/preview")
    assert code == 409 and err["reason"] == "conflict" and "SHA-256" in err["message"], (code, err)
    assert not [p for p in svc.files.cache.rglob("*") if p.is_file()], "a mismatching download is not kept"


async def test_versions_dedup_and_delete_in_the_bucket(api, jp_serverapp, s3):
    s3_endpoint, bucket = s3["endpoint"], s3["bucket"]
    svc = _svc(jp_serverapp)
    df = wine()
    v1, v2 = encode(df.iloc[:100], "csv"), encode(df, "csv")
    _, a = await upload(api, v1, "wine.csv")
    _, b = await upload(api, v2, "wine.csv")
    assert b["id"] == a["id"] and b["current_version"] == 2 and b["version_created"]
    _, same = await upload(api, v2, "wine.csv", expect=200)
    assert not same["version_created"] and same["deduplicated"]
    _, back = await upload(api, v1, "wine.csv")
    assert back["current_version"] == 3 and back["deduplicated"], "old bytes are found in the bucket by their hash"
    _, other = await upload(api, v2, "wine-copy.csv")
    assert other["created"] and other["deduplicated"]
    assert len(objects(s3_endpoint, bucket)) == 2, objects(s3_endpoint, bucket)
    for version in (1, 2):  # the profiles read the uploads' cached files: let them finish first
        await wait_profile(api, a["id"], version=version)

    _clear_cache(svc)
    old = await api.ok("GET", f"datasets/{a['id']}/preview", version=2, offset=170, limit=50)
    assert len(old["rows"]) == 8, "version 2 has 178 rows"
    assert (await wait_profile(api, a["id"], version=2))["profile"]["rows"] == 178

    await api.ok("DELETE", f"datasets/{other['id']}", expect=204)
    assert len(objects(s3_endpoint, bucket)) == 2, "wine.csv still uses those bytes"
    await api.ok("DELETE", f"datasets/{a['id']}", expect=204)
    assert objects(s3_endpoint, bucket) == {}, "unused uploads are deleted from the bucket"
    assert not [p for p in svc.files.cache.rglob("*") if p.is_file()], "and from the read cache"


async def test_full_report_is_stored_in_the_bucket(api, jp_fetch, jp_serverapp, s3):
    s3_endpoint, bucket = s3["endpoint"], s3["bucket"]
    svc = _svc(jp_serverapp)
    _, ds = await upload(api, encode(iris(), "csv"), "iris.csv")
    sha = ds["latest"]["sha256"]
    await wait_profile(api, ds["id"])
    _clear_cache(svc)  # the report process reads a fresh download
    await api.ok("POST", f"datasets/{ds['id']}/report", expect=202)
    rep = await wait_report(api, ds["id"])
    assert rep["status"] == "succeeded", rep
    assert (rep["rows"], rep["sample_rows"]) == (150, 100)
    key = f"{PREFIX}/reports/{sha}.csv.html"
    assert objects(s3_endpoint, bucket).get(key, 0) > 10_000, objects(s3_endpoint, bucket)
    assert not [p for p in svc.files.tmp.iterdir()], "the local output was moved to the bucket"

    resp = await jp_fetch("notebook-dag", "api", "datasets", ds["id"], "report")
    html = resp.body.decode()
    assert resp.headers["Content-Type"].startswith("text/html") and "sandbox" in resp.headers["Content-Security-Policy"]
    assert "random sample of 100 of 150 rows" in html and len(resp.body) == objects(s3_endpoint, bucket)[key]
    again = await api.ok("POST", f"datasets/{ds['id']}/report", expect=200)
    assert again["status"] == "succeeded", "the stored report is found in the bucket"

    await api.ok("DELETE", f"datasets/{ds['id']}", expect=204)
    assert objects(s3_endpoint, bucket) == {}, "the report goes with the last use of its content"


# ---- errors ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("storage", [
    {"storage_url": "s3://no-such-bucket-here/x"},
    {"storage_options": {"endpoint_url": f"http://127.0.0.1:{_free_port()}",
                      "config_kwargs": {"retries": {"max_attempts": 1}}}},
    {"storage_url": "nosuchprotocol://bucket/x"},
], indirect=True, ids=["missing-bucket", "unreachable-endpoint", "unknown-protocol"])
async def test_a_bad_store_answers_503_and_leaves_nothing(api, jp_serverapp, storage):
    svc = _svc(jp_serverapp)
    t0 = time.monotonic()
    code, err = await api.call("POST", "datasets", raw=encode(iris(), "csv"), name="iris.csv")
    assert code == 503 and err["reason"] == "unavailable", (code, err)
    assert "dataset storage" in err["message"] and err["storage"].startswith(storage["storage_url"][:5])
    assert "testing" not in json.dumps(err), "no credentials in errors"
    assert time.monotonic() - t0 < 60
    assert not _local_files(svc), "the partial upload is removed"
    listed = await api.ok("GET", "datasets")
    assert listed["total"] == 0, "nothing was recorded; the rest of the API works"


async def test_reads_tell_a_gone_object_from_a_gone_bucket(api, jp_serverapp, s3):
    s3_endpoint, bucket = s3["endpoint"], s3["bucket"]
    svc = _svc(jp_serverapp)
    _, ds = await upload(api, encode(iris(), "csv"), "iris.csv")
    await wait_profile(api, ds["id"])
    client = s3_client(s3_endpoint)
    for key in objects(s3_endpoint, bucket):
        client.delete_object(Bucket=bucket, Key=key)
    _clear_cache(svc)
    code, err = await api.call("GET", f"datasets/{ds['id']}/preview")
    assert code == 404 and "gone" in err["message"], (code, err)
    client.delete_bucket(Bucket=bucket)
    code, err = await api.call("GET", f"datasets/{ds['id']}/preview")
    assert code == 503 and "does not exist" in err["message"], (code, err)
    code, err = await api.call("POST", f"datasets/{ds['id']}/report")
    assert code == 503, (code, err)
    await api.ok("DELETE", f"datasets/{ds['id']}", expect=204)  # the records go; the store's failure is logged


# ---- bounded memory ------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_process(aws_env):
    """A moto S3 server in a process of its own (its memory must not count as the
    Jupyter server's)."""
    with moto_process() as endpoint:
        yield endpoint


@pytest.mark.parametrize("s3", ["process"], indirect=True)
async def test_large_upload_to_s3_in_bounded_memory(jp_fetch, jp_serverapp, s3, tmp_path):
    svc = _svc(jp_serverapp)
    row = "".join(f"{i},{i * 0.5:.3f},name_{i % 977},{'abcdefghij'[i % 10] * 8}\n" for i in range(20000)).encode()
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.write(b"id,value,name,code\n")
        while f.tell() < 120 * 2**20:
            f.write(row)
    size = path.stat().st_size
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    async def producer(write):
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                await write(chunk)

    warm = await jp_fetch("notebook-dag", "api", "datasets", method="POST", params={"name": "warm.csv"},
                          body=encode(iris(), "csv"))  # loads pyarrow's CSV reader and s3fs's client
    assert warm.code == 201
    with PeakRSS() as rss:
        resp = await jp_fetch("notebook-dag", "api", "datasets", method="POST", params={"name": "big.csv"},
                              body_producer=producer, headers={"Content-Length": str(size)}, request_timeout=600)
    assert resp.code == 201
    growth = rss.peak - rss.base
    print(f"\n{size / 2**20:.0f} MiB upload to S3: server+client RSS growth {growth / 2**20:.1f} MiB")
    assert growth < 64 * 2**20, f"RSS grew by {growth / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB upload"
    ds = json.loads(resp.body)
    assert ds["latest"]["sha256"] == digest
    key = f"{PREFIX}/blobs/{digest[:2]}/{digest}/big.csv"
    assert objects(s3["endpoint"], s3["bucket"]).get(key) == size, "stored whole (multipart)"
    await svc.jobs.wait_profile((digest, "csv"), 120)
    await asyncio.sleep(0)


# ---- start-up recovery scoped to this server (local storage) -------------------------

ME, OTHER = "hub:alice/", "hub:bob/"


@pytest.fixture
def shared_state(db_url, local_dir):
    """Before the server starts: on the shared database, a profile and a report each of
    this server (``ME``) and of another live one (``OTHER``) left unfinished; in the
    shared datasets directory, partial uploads of both, an old one of a server that
    never came back, and one from before per-server directories."""

    async def seed() -> None:
        db = Database(db_url)
        await db.migrate()
        async with db.session() as s:
            s.add(DatasetProfile(sha256="a" * 64, format="csv", status="pending", server=ME))
            s.add(DatasetProfile(sha256="b" * 64, format="csv", status="pending", server=OTHER))
            s.add(DatasetReport(sha256="c" * 64, format="csv", status="running", progress=0.4, server=ME))
            s.add(DatasetReport(sha256="d" * 64, format="csv", status="queued", server=OTHER))
        await db.dispose()

    asyncio.run(seed())
    tmp = local_dir / "tmp"
    files = {
        "mine": tmp / server_dir(ME) / "x.part",
        "other": tmp / server_dir(OTHER) / "y.part",
        "dead": tmp / server_dir("hub:carol/") / "z.part",
        "legacy_old": tmp / "old.part",
        "legacy_new": tmp / "new.part",
    }
    for p in files.values():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"a,b\n1,2\n")
    week_ago = time.time() - 7 * 24 * 3600
    for k in ("dead", "legacy_old"):
        os.utime(files[k], (week_ago, week_ago))
    return files


@pytest.mark.parametrize("storage", [{"storage_url": "", "server_id": ME}], indirect=True)
async def test_startup_recovery_is_scoped_to_this_server(shared_state, db_url, api, jp_serverapp):
    db = Database(db_url)
    try:
        async with db.session() as s:
            mine_p = await s.get(DatasetProfile, ("a" * 64, "csv"))
            other_p = await s.get(DatasetProfile, ("b" * 64, "csv"))
            mine_r = await s.get(DatasetReport, ("c" * 64, "csv"))
            other_r = await s.get(DatasetReport, ("d" * 64, "csv"))
            assert (mine_p.status, mine_p.error) == ("failed", INTERRUPTED)
            assert (mine_r.status, mine_r.error) == ("failed", INTERRUPTED)
            assert other_p.status == "pending" and other_p.error is None, "another live server's profile"
            assert other_r.status == "queued" and other_r.error is None, "another live server's report"
    finally:
        await db.dispose()
    assert not shared_state["mine"].exists(), "this server's partial upload is removed"
    assert shared_state["other"].exists(), "another server's upload in progress is kept"
    assert shared_state["legacy_new"].exists(), "a recent upload of an older version may still be going"
    assert not shared_state["dead"].exists() and not shared_state["legacy_old"].exists(), "stale leftovers go"

    svc = _svc(jp_serverapp)
    assert svc.files.tmp.name == server_dir(ME)
    _, ds = await upload(api, encode(iris(), "csv"), "iris.csv")
    await wait_profile(api, ds["id"])
    db = Database(db_url)
    try:
        async with db.session() as s:
            row = await s.get(DatasetProfile, (ds["latest"]["sha256"], "csv"))
            assert row.server == ME, "the jobs this server runs carry its name"
    finally:
        await db.dispose()


# ---- units: locations, the cache, any fsspec filesystem -------------------------------


def test_locations_names_and_redaction():
    from notebook_dag.datasets.objectstore import is_url, local_path, protocol, redact

    assert is_url("s3://b/k") and is_url("gcs://b/k") and is_url("memory://x")
    assert not is_url("/srv/x.csv") and not is_url("file:///srv/x") and not is_url("C:\\x.csv") and not is_url(None)
    assert local_path("file:///srv/data") == "/srv/data" and local_path("/srv/data") == "/srv/data"
    assert protocol("S3://b") == "s3" and protocol("/x") == ""
    assert redact("s3://AKIA:secret@bucket/p") == "s3://bucket/p" and redact("s3://bucket/p") == "s3://bucket/p"
    names = {server_dir(x) for x in ("", "hub:alice/", "hub_alice_", "hub:alice/lab", "../../etc")}
    assert len(names) == 5 and all("/" not in n and not n.startswith(".") for n in names)

    from notebook_dag.datasets.lineage import Candidate, Ref, match

    url = f"s3://bucket/{PREFIX}/blobs/ab/{'ab' * 32}/iris.csv"
    cand = Candidate("d1", "iris-2024", "p1", {"iris.csv"}, set(), {url})
    other = Candidate("d2", "other", "p2", {"other.csv"}, set(), set())
    assert match(Ref("read", "path", url, "pd.read_csv", 1), "nb.ipynb", "p1", [cand, other]) == [cand], \
        "a cell reading the object URL is a reader of the dataset"


def test_cache_eviction_is_lru_and_spares_files_in_use(tmp_path):
    from notebook_dag.datasets.objectstore import cache_path, evict

    now = time.time()
    paths = []
    for i in range(4):
        p = cache_path(tmp_path, f"{i:x}" * 64, ".csv")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 1000)
        age = now - 3600 * (4 - i)  # 0 is the least recently used
        os.utime(p, (age, age))
        paths.append(p)
    os.utime(paths[0], (now, now))  # just used: spared however old its content
    assert evict(tmp_path, 2500) == 2000
    assert [p.exists() for p in paths] == [True, False, False, True]
    assert evict(tmp_path, 2500, grace=0) == 0, "under the limit now"
    assert evict(tmp_path, 0, keep={paths[3]}, grace=0) == 1000 and [p.exists() for p in paths] == [
        False, False, False, True]


def test_any_fsspec_filesystem_and_file_urls(tmp_path):
    """The same store on fsspec's in-memory filesystem (the generic, non-S3 code paths),
    and a ``file://`` URL, which is a local directory like ``datasets_dir``."""
    from notebook_dag.datasets.store import DatasetFiles
    from notebook_dag.errors import NotFound

    files = DatasetFiles(tmp_path / "work", url=f"memory://nbdag-{uuid.uuid4().hex[:8]}/prefix")
    assert files.remote and not files.blobs.exists()
    data = encode(iris(), "csv")
    sink = files.new_upload(10**9)
    sink.feed(data)
    path, size, sha = sink.finish()
    loc, dedup = files.commit(path, sha, "iris.csv", ".csv")
    assert loc.startswith("memory://") and loc.endswith(f"/blobs/{sha[:2]}/{sha}/iris.csv") and not dedup
    assert not path.exists() and files.is_blob(loc) and files.exists(loc, sha)
    for p in files.cache.rglob("*"):
        if p.is_file():
            p.unlink()
    local = files.local_copy(loc, sha)
    assert Path(local).read_bytes() == data and Path(local).is_relative_to(files.cache)
    again = files.new_upload(10**9)
    again.feed(data)
    assert files.commit(again.finish()[0], sha, "other.csv", ".csv") == (loc, True)
    out = files.report_output(sha, "csv")
    out.write_text("<html></html>")
    report = files.save_report(out, sha, "csv")
    assert files.report_exists(sha, "csv") and not out.exists()
    f = files.open_report(report)
    assert f.read() == b"<html></html>"
    f.close()
    files.remove_report(report)
    files.remove_blob(loc)
    assert not files.exists(loc, sha) and not files.report_exists(sha, "csv")
    with pytest.raises(NotFound):
        files.local_copy(loc, sha)

    local_files = DatasetFiles(tmp_path / "ignored", url=f"file://{tmp_path / 'shared'}")
    assert not local_files.remote and local_files.root == (tmp_path / "shared").resolve()
    sink = local_files.new_upload(10**9)
    sink.feed(data)
    part, _, digest = sink.finish()
    loc, _ = local_files.commit(part, digest, "iris.csv", ".csv")
    assert Path(loc).is_relative_to(tmp_path / "shared" / "blobs") and local_files.local_copy(loc, sha) == loc
