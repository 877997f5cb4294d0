"""Dataset imports (POST /datasets/import) against real local servers started here: an
HTTP file server on 127.0.0.1 (Range requests, a download that breaks off, a slow one
for cancel and timeout, 404, 401, a non-table file), the moto S3 server of the S3
tests, and a stub of Kaggle's API that the official client is pointed at through its
own endpoint setting (``KAGGLE_API_ENVIRONMENT=TEST``)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import time

import pytest

from datasets_helpers import encode, iris, wine
from import_servers import KAGGLE_KEY, KAGGLE_PORT, KAGGLE_USER, KaggleStub, SourceServer
from notebook_dag.datasets.imports import IMPORT_EVENT_SCHEMA_ID, is_public_address, parse_kaggle_ref
from notebook_dag.errors import BadRequest
from test_datasets_s3 import aws_env, s3_client, s3_endpoint  # noqa: F401 - fixtures

IRIS = encode(iris(), "csv")
WINE = encode(wine(), "csv")
BIG = IRIS * 30  # ~130 kB: several chunks, a visible progress


def _svc(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"].datasets


def _leftovers(svc) -> list:
    """Every file of the dataset store: partial uploads under tmp/ and stored blobs."""
    return [p for p in svc.files.root.rglob("*") if p.is_file()]


@pytest.fixture
def source():
    server = SourceServer({"iris.csv": IRIS, "big.csv": BIG, "wine.csv": WINE,
                           "notatable.bin": bytes(range(256)) * 64, "iris.zip": _zip({"data/iris.csv": IRIS})})
    yield server
    server.close()


@pytest.fixture
def private_ok(jp_serverapp):
    """The loopback servers of these tests are private addresses: allow them."""
    _svc(jp_serverapp).import_allow_private_addresses = True


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


async def start(api, body: dict, expect: int = 202) -> dict:
    code, out = await api.call("POST", "datasets/import", body)
    assert code == expect, (code, out)
    return out


async def finish(api, import_id: str, timeout: float = 60) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        out = await api.ok("GET", f"datasets/imports/{import_id}", wait="5")
        if out["status"] in ("succeeded", "failed", "cancelled"):
            return out
        assert loop.time() < deadline, out


async def test_url_import_is_an_upload_hashed_deduplicated_versioned(api, jp_serverapp, source, private_ok):
    events: list[dict] = []

    async def listener(logger, schema_id, data):
        events.append(dict(data))

    jp_serverapp.event_logger.add_listener(schema_id=IMPORT_EVENT_SCHEMA_ID, listener=listener)
    started = await start(api, {"url": f"{source.url}/big.csv", "tags": ["web"]})
    assert started["status"] in ("queued", "downloading") and started["source"] == {"url": f"{source.url}/big.csv"}
    done = await finish(api, started["id"])
    assert done["status"] == "succeeded", done
    ds = done["dataset"]
    assert ds["name"] == "big.csv" and ds["tags"] == ["web"] and ds["created"] is True
    assert ds["latest"]["sha256"] == hashlib.sha256(BIG).hexdigest() and ds["latest"]["size_bytes"] == len(BIG)
    assert ds["latest"]["format"] == "csv" and done["bytes_done"] == done["bytes_total"] == len(BIG)
    assert "Imported from" in ds["description"]
    await asyncio.sleep(0.2)
    mine = [e for e in events if e["import_id"] == started["id"]]
    assert mine[-1]["status"] == "succeeded" and mine[-1]["dataset_id"] == ds["id"]
    assert any(e["status"] == "downloading" and e["bytes_total"] == len(BIG) for e in mine)
    assert [e["bytes_done"] for e in mine] == sorted(e["bytes_done"] for e in mine)

    # the same bytes again (through a redirect): no new version, nothing stored twice
    again = await finish(api, (await start(api, {"url": f"{source.url}/redirect/big.csv"}))["id"])
    assert again["status"] == "succeeded" and again["dataset"]["id"] == ds["id"]
    assert again["dataset"]["version_created"] is False
    # other content under the same name: version 2; an upload of the first bytes: deduplicated
    v2 = await finish(api, (await start(api, {"url": f"{source.url}/iris.csv", "name": "big.csv"}))["id"])
    assert v2["dataset"]["current_version"] == 2
    code, up = await api.call("POST", "datasets", raw=BIG, name="copy.csv")
    assert code == 201 and up["deduplicated"] is True
    listed = await api.ok("GET", "datasets")
    assert {d["name"] for d in listed["datasets"]} == {"big.csv", "copy.csv"}
    mine = await api.ok("GET", "datasets/imports")
    assert [i["id"] for i in mine["imports"]][-1] == started["id"] and len(mine["imports"]) == 3


async def test_broken_download_resumes_with_a_range_request(api, source, private_ok):
    done = await finish(api, (await start(api, {"url": f"{source.url}/flaky/big.csv"}))["id"])
    assert done["status"] == "succeeded", done
    assert done["dataset"]["latest"]["sha256"] == hashlib.sha256(BIG).hexdigest()
    ranges = [r for p, r in source.requests if p == "/flaky/big.csv"]
    assert ranges[0] is None and ranges[1] == f"bytes={len(BIG) // 2}-", ranges


async def test_zip_with_one_table_is_unpacked(api, source, private_ok):
    done = await finish(api, (await start(api, {"url": f"{source.url}/iris.zip"}))["id"])
    assert done["status"] == "succeeded", done
    assert done["dataset"]["name"] == "iris.csv"
    assert done["dataset"]["latest"]["sha256"] == hashlib.sha256(IRIS).hexdigest()


async def test_cancel_leaves_nothing(api, jp_serverapp, source, private_ok):
    svc = _svc(jp_serverapp)
    started = await start(api, {"url": f"{source.url}/slow/big.csv"})
    for _ in range(100):
        now = await api.ok("GET", f"datasets/imports/{started['id']}")
        if now["bytes_done"] > 0:
            break
        await asyncio.sleep(0.1)
    assert now["status"] == "downloading" and 0 < now["bytes_done"] < len(BIG)
    assert [p for p in _leftovers(svc) if p.suffix == ".part"], "the partial file is being written"
    cancelled = await api.ok("DELETE", f"datasets/imports/{started['id']}")
    assert cancelled["status"] == "cancelled" and cancelled["dataset"] is None
    assert _leftovers(svc) == []
    assert (await api.ok("GET", "datasets"))["total"] == 0
    assert (await api.ok("GET", f"datasets/imports/{started['id']}"))["status"] == "cancelled"


async def test_timeout_is_504_and_leaves_nothing(api, jp_serverapp, source, private_ok):
    svc = _svc(jp_serverapp)
    svc.import_timeout = 1.0
    done = await finish(api, (await start(api, {"url": f"{source.url}/slow/big.csv"}))["id"])
    assert done["status"] == "failed" and done["error"]["status"] == 504, done
    assert "import_timeout" in done["error"]["message"]
    assert _leftovers(svc) == [] and (await api.ok("GET", "datasets"))["total"] == 0


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("path,status,reason", [
    ("/missing.csv", 404, "source_not_found"),
    ("/secret.csv", 403, "source_unauthorized"),
    ("/notatable.bin", 422, "unprocessable"),
    ("/huge.csv", 413, "payload_too_large"),
    ("unreachable", 502, "bad_gateway"),
])
async def test_failures_are_clear_and_leave_nothing(api, jp_serverapp, source, private_ok, path, status, reason):
    svc = _svc(jp_serverapp)
    url = f"http://127.0.0.1:{_closed_port()}/x.csv" if path == "unreachable" else source.url + path
    done = await finish(api, (await start(api, {"url": url}))["id"])
    assert done["status"] == "failed" and done["error"]["status"] == status, done
    assert done["error"]["reason"] == reason and done["error"]["message"]
    assert _leftovers(svc) == [] and (await api.ok("GET", "datasets"))["total"] == 0


async def test_size_limit_counted_while_streaming(api, jp_serverapp, source, private_ok):
    svc = _svc(jp_serverapp)
    svc.max_upload_bytes = 50_000  # big.csv declares its length: refused before a byte is stored
    done = await finish(api, (await start(api, {"url": f"{source.url}/big.csv"}))["id"])
    assert done["error"]["status"] == 413 and "50000" in done["error"]["message"]
    # a zip whose member is over the limit is counted while it is unpacked
    source.files["bigzip.zip"] = _zip({"big.csv": BIG})
    svc.max_upload_bytes = len(source.files["bigzip.zip"]) + 10
    done = await finish(api, (await start(api, {"url": f"{source.url}/bigzip.zip"}))["id"])
    assert done["error"]["status"] == 413, done
    assert _leftovers(svc) == []


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "/etc/passwd", "etc/passwd", "memory://x.csv", "simplecache::http://example.org/x.csv",
    "local:///etc/passwd", "zip://a.csv::file:///tmp/a.zip",
])
async def test_local_sources_are_refused(api, jp_serverapp, url):
    _svc(jp_serverapp).import_allow_private_addresses = True  # refused whatever this says
    code, err = await api.call("POST", "datasets/import", {"url": url})
    assert code == 400 and err["reason"] == "refused_url", (code, err)
    assert "POST /datasets" in err["message"]


async def test_private_addresses_refused_by_default(api, jp_serverapp, source):
    for url in (f"{source.url}/iris.csv", f"http://localhost:{source.port}/iris.csv", "http://[::1]/x.csv",
                "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/x.csv"):
        code, err = await api.call("POST", "datasets/import", {"url": url})
        assert code == 400 and err["reason"] == "refused_url" and "import_allow_private_addresses" in err["message"], \
            (url, err)
    assert source.requests == []


async def test_bad_requests(api, source, private_ok):
    for body, code in [({}, 422), ({"url": "x", "kaggle": "a/b"}, 422), ({"url": "nosuchproto://x/y.csv"}, 400),
                       ({"kaggle": "not-a-ref"}, 400), ({"url": f"{source.url}/iris.csv", "name": "a/b"}, 400),
                       ({"url": f"{source.url}/iris.csv", "project_id": "nope"}, 404),
                       ({"url": f"{source.url}/iris.csv", "extra": 1}, 422)]:
        got, err = await api.call("POST", "datasets/import", body)
        assert got == code, (body, got, err)
    import importlib.util

    if importlib.util.find_spec("gcsfs") is None:  # gs:// needs its fsspec package: said at once
        code, err = await api.call("POST", "datasets/import", {"url": "gs://bucket/x.csv"})
        assert code == 400 and "gcsfs" in err["message"], err
    code, _ = await api.call("GET", "datasets/imports/nope")
    assert code == 404
    code, _ = await api.call("DELETE", "datasets/imports/nope")
    assert code == 404


async def test_notifies_when_done_or_failed(api, source, private_ok):
    """The user hears of both ends through the notification service (GET /notifications)."""
    ok = await finish(api, (await start(api, {"url": f"{source.url}/iris.csv"}))["id"])
    bad = await finish(api, (await start(api, {"url": f"{source.url}/missing.csv"}))["id"])
    assert ok["status"] == "succeeded" and bad["status"] == "failed"
    deadline = time.monotonic() + 10
    while True:
        listed = await api.ok("GET", "notifications")
        calls = [n for n in listed["notifications"] if n["kind"] == "import"]
        if len(calls) == 2 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    by_target = {json.dumps(n["target"], sort_keys=True): n for n in calls}
    done = by_target[json.dumps({"dataset_id": ok["dataset"]["id"]})]
    failed = by_target[json.dumps({"url": f"{source.url}/missing.csv"})]
    assert "iris.csv" in done["title"] and done["level"] == "success"
    assert "404" in failed["message"] and failed["level"] == "error"


def test_address_and_reference_rules():
    assert is_public_address("8.8.8.8") and is_public_address("2606:4700::1111")
    for ip in ("127.0.0.1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1",
               "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.1", "fd00::1"):
        assert not is_public_address(ip), ip
    assert parse_kaggle_ref("uciml/iris") == ("uciml", "iris", None)
    assert parse_kaggle_ref("uciml/iris/data/Iris.csv") == ("uciml", "iris", "data/Iris.csv")
    for bad in ("iris", "a/../b", "/a/b", "a b/c"):
        with pytest.raises(BadRequest):
            parse_kaggle_ref(bad)


# ---- S3 (the moto server of the S3 tests) ---------------------------------------------

async def test_s3_import(api, jp_serverapp, s3_endpoint):  # noqa: F811
    svc = _svc(jp_serverapp)
    svc.import_storage_options = {"s3": {"endpoint_url": s3_endpoint}}  # credentials: the AWS environment
    client = s3_client(s3_endpoint)
    client.create_bucket(Bucket="import-src")
    client.put_object(Bucket="import-src", Key="tables/wine.csv", Body=WINE)
    done = await finish(api, (await start(api, {"url": "s3://import-src/tables/wine.csv"}))["id"])
    assert done["status"] == "succeeded", done
    assert done["dataset"]["name"] == "wine.csv" and done["bytes_total"] == len(WINE)
    assert done["dataset"]["latest"]["sha256"] == hashlib.sha256(WINE).hexdigest()
    for url in ("s3://import-src/tables/nothing.csv", "s3://no-such-bucket-here/x.csv"):
        failed = await finish(api, (await start(api, {"url": url}))["id"])
        assert failed["error"]["status"] == 404, failed
    failed = await finish(api, (await start(api, {"url": "s3://import-src/tables"}))["id"])
    assert failed["error"]["status"] in (404, 422), failed
    assert [p for p in _leftovers(svc) if p.suffix == ".part"] == []


# ---- Kaggle (a stub of its API, reached through the official client's own setting) -------

@pytest.fixture
def kaggle(tmp_path, monkeypatch):
    try:
        stub = KaggleStub({
            "uciml/iris": {"Iris.csv": IRIS},
            "someone/wines": {"red.csv": WINE, "white.csv.zipped": IRIS, "README.md": b"# wines"},
        })
    except OSError:
        pytest.skip(f"port {KAGGLE_PORT} (the Kaggle client's TEST endpoint) is in use")
    monkeypatch.setenv("KAGGLE_API_ENVIRONMENT", "TEST")
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "kaggle-config"))
    monkeypatch.setenv("KAGGLE_USERNAME", KAGGLE_USER)
    monkeypatch.setenv("KAGGLE_KEY", KAGGLE_KEY)
    monkeypatch.delenv("KAGGLE_API_TOKEN", raising=False)
    yield stub
    stub.close()


async def test_kaggle_search(api, kaggle):
    out = await api.ok("GET", "datasets/kaggle", search="wines")
    assert [d["ref"] for d in out["datasets"]] == ["someone/wines"] and out["page"] == 1
    d = out["datasets"][0]
    assert d["title"] == "Wines" and d["downloads"] == 42 and d["license"] == "CC0-1.0"
    assert d["size_bytes"] == len(WINE) + len(IRIS) + len(b"# wines") and d["last_updated"].startswith("2026-11-01")
    assert ("ListDatasets", {"search": "wines", "page": 1}) in kaggle.calls
    out = await api.ok("GET", "datasets/kaggle")
    assert len(out["datasets"]) == 2


async def test_kaggle_import(api, jp_serverapp, kaggle):
    done = await finish(api, (await start(api, {"kaggle": "uciml/iris"}))["id"])
    assert done["status"] == "succeeded", done
    assert done["source"] == {"kaggle": "uciml/iris"} and done["dataset"]["name"] == "Iris.csv"
    assert done["dataset"]["latest"]["sha256"] == hashlib.sha256(IRIS).hexdigest()
    # several files: name one; a large one comes zipped and is unpacked
    many = await finish(api, (await start(api, {"kaggle": "someone/wines"}))["id"])
    assert many["error"]["status"] == 422 and "red.csv" in many["error"]["message"], many
    red = await finish(api, (await start(api, {"kaggle": "someone/wines/red.csv"}))["id"])
    assert red["dataset"]["latest"]["sha256"] == hashlib.sha256(WINE).hexdigest()
    white = await finish(api, (await start(api, {"kaggle": "someone/wines/white.csv", "name": "white"}))["id"])
    assert white["status"] == "succeeded", white
    assert white["dataset"]["latest"]["sha256"] == hashlib.sha256(IRIS).hexdigest()
    assert _leftovers(_svc(jp_serverapp)) and not [p for p in _leftovers(_svc(jp_serverapp)) if p.suffix == ".part"]


async def test_kaggle_missing_and_unauthorised(api, jp_serverapp, kaggle, monkeypatch):
    svc = _svc(jp_serverapp)
    for ref in ("nobody/nothing", "uciml/iris/nothing.csv"):
        done = await finish(api, (await start(api, {"kaggle": ref}))["id"])
        assert done["error"]["status"] == 404 and done["error"]["reason"] == "source_not_found", done
    monkeypatch.setenv("KAGGLE_KEY", "wrong")
    done = await finish(api, (await start(api, {"kaggle": "uciml/iris"}))["id"])
    assert done["error"]["status"] == 403 and "credentials" in done["error"]["message"], done
    code, err = await api.call("GET", "datasets/kaggle", search="iris")
    assert code == 403 and err["reason"] == "source_unauthorized"
    assert _leftovers(svc) == [] and (await api.ok("GET", "datasets"))["total"] == 0
    # credentials are never stored by us: nothing Kaggle-related in the database or the store
    assert KAGGLE_KEY not in json.dumps(await api.ok("GET", "datasets/imports"))
    assert not os.path.exists(os.environ["KAGGLE_CONFIG_DIR"])


async def test_every_connection_is_checked_not_only_the_url(jp_serverapp, source):
    """The address check is made when connecting too (redirects, DNS answers that change
    after the request was accepted): a download whose host turns out to be private stops."""
    from notebook_dag.datasets.imports import ImportJob, RefusedURL

    svc = _svc(jp_serverapp)
    svc.import_allow_private_addresses = False
    sink = svc.files.new_upload(svc.max_upload_bytes)
    job = ImportJob("x", "me", {"url": "u"}, "iris.csv", None, "", [], None)
    try:
        for url in (f"http://localhost:{source.port}/iris.csv", f"{source.url}/iris.csv"):
            with pytest.raises(RefusedURL):
                await svc.imports._fetch_http(job, url, sink)
    finally:
        sink.abort()
    assert source.requests == [] and sink.size == 0
