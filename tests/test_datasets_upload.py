"""Streamed uploads against a real server: bounded memory for a 200 MB CSV, the size
limit (declared and counted), traversal and NUL names, broken and mislabelled files,
paths outside the root, and authentication before any byte is accepted."""

from __future__ import annotations

import hashlib
import os

import pytest

from datasets_helpers import PeakRSS, encode, iris, upload


def _svc(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"].datasets


def _stored(svc) -> list:
    return [p for p in svc.files.root.rglob("*") if p.is_file()]


def _write_big_csv(path, target_bytes: int) -> int:
    """A CSV of about ``target_bytes`` written in 1 MiB blocks (never held in memory)."""
    rows = [f"{i},{i * 0.5:.3f},name_{i % 977},{'abcdefghij'[i % 10] * 8},{i % 2 == 0}\n" for i in range(20000)]
    block = "".join(rows).encode()
    with open(path, "wb") as f:
        f.write(b"id,value,name,code,flag\n")
        while f.tell() < target_bytes:
            f.write(block)
    return os.path.getsize(path)


async def test_200mb_csv_uploads_in_bounded_memory(jp_fetch, jp_serverapp, tmp_path):
    path = tmp_path / "big.csv"
    size = _write_big_csv(path, 200 * 1024 * 1024)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)

    async def producer(write):
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                await write(chunk)

    # warm-up: the first upload loads pyarrow's CSV reader (shared libraries count in RSS)
    warm = await jp_fetch("notebook-dag", "api", "datasets", method="POST", params={"name": "warm.csv"},
                          body=encode(iris(), "csv"))
    assert warm.code == 201
    with PeakRSS() as rss:
        resp = await jp_fetch("notebook-dag", "api", "datasets", method="POST", params={"name": "big.csv"},
                              body_producer=producer, headers={"Content-Length": str(size)}, request_timeout=600)
    assert resp.code == 201
    growth = rss.peak - rss.base
    print(f"\n200 MB upload: file {size / 2**20:.0f} MiB, server+client RSS growth {growth / 2**20:.1f} MiB")
    assert growth < 32 * 2**20, f"RSS grew by {growth / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB upload"
    import json

    ds = json.loads(resp.body)
    assert ds["latest"]["sha256"] == digest.hexdigest() and ds["latest"]["size_bytes"] == size
    svc = _svc(jp_serverapp)
    stored = [p for p in svc.files.blobs.rglob("*") if p.is_file()]
    big = [p for p in stored if p.name == "big.csv"]
    assert len(stored) == 2 and big[0].stat().st_size == size
    path.unlink()
    await svc.jobs.wait_profile((ds["latest"]["sha256"], "csv"), 120)
    resp = await jp_fetch("notebook-dag", "api", "datasets", ds["id"], method="DELETE")
    assert resp.code == 204 and len(_stored(svc)) == 1


async def test_size_limit_declared_and_counted_leaves_nothing(api, jp_fetch, jp_serverapp):
    svc = _svc(jp_serverapp)
    svc.max_upload_bytes = 100_000
    data = encode(iris(), "csv") * 40  # ~170 kB
    code, err = await api.call("POST", "datasets", raw=data, name="big.csv")
    assert code == 413 and err["reason"] == "payload_too_large" and "100000" in err["message"]
    assert not _stored(svc)

    async def chunked(write):  # no Content-Length: the server counts while streaming
        for i in range(0, len(data), 16384):
            await write(data[i: i + 16384])

    try:
        resp = await jp_fetch("notebook-dag", "api", "datasets", method="POST", params={"name": "big.csv"},
                              body_producer=chunked, raise_error=False)
        assert resp.code == 413
    except Exception as e:  # the server may close the connection before the client is done sending
        assert "Stream closed" in str(e) or "Connection" in str(e), e
    assert not _stored(svc), "a partial upload is removed"
    await upload(api, encode(iris(), "csv"), "small.csv")


@pytest.mark.parametrize("name", ["../../x.csv", "/etc/x.csv", "..", "a/b.csv", "C:\\x.csv", " "])
async def test_traversal_and_absolute_names_are_refused(api, jp_serverapp, jp_root_dir, name):
    code, err = await api.call("POST", "datasets", raw=b"a,b\n1,2\n", name=name)
    assert code == 400 and err["reason"] == "bad_request", (name, code, err)
    svc = _svc(jp_serverapp)
    assert not _stored(svc)
    assert not (jp_root_dir.parent / "x.csv").exists()


async def test_control_characters_are_refused(api, jp_serverapp):
    # tornado would turn them into spaces ("we ird .csv"); a name is never silently changed
    for name in ["we\x00ird.csv", "bell\x07.csv", "del\x7f.csv", "tab\t.csv"]:
        code, err = await upload(api, b"a,b\n1,2\n", name, expect=400)
        assert err["reason"] == "bad_request" and "control characters" in err["message"]
    assert not _stored(_svc(jp_serverapp)) and (await api.ok("GET", "datasets"))["total"] == 0
    code, ds = await upload(api, b"a,b\n1,2\n", "we ird .csv")
    files = _stored(_svc(jp_serverapp))
    assert ds["name"] == "we ird .csv" and len(files) == 1 and files[0].name == "we ird.csv"
    assert _svc(jp_serverapp).files.blobs in files[0].parents


@pytest.mark.parametrize("name,data,needle", [
    ("broken.parquet", encode(iris(), "parquet")[:-200], "parquet"),
    ("noise.parquet", b"PAR1" + os.urandom(3000) + b"PAR1", "parquet"),
    ("ragged.csv", b"a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n", "Expected 3 columns"),
    ("short.csv", b"a,b,c\n1,2,3\n4,5\n", "Expected 3 columns"),
    ("csv-named.parquet", b"a,b\n1,2\n", "declared as parquet"),
    ("parquet-named.csv", encode(iris(), "parquet"), "Parquet"),
    ("bad.json", b'[{"a": 1}, {"a": 2', "JSON"),
    ("scalars.json", b"[1, 2, 3]", "records"),
    ("bad.jsonl", b'{"a": 1}\n{"a": \n', "line 2"),
    ("fake.xlsx", b"PK\x03\x04" + os.urandom(500), "xlsx"),
    ("empty.csv", b"", "empty"),
    ("binary.bin", b"\x00\x01\x02\x03" * 100, "binary"),
    ("latin1.csv", "name,city\nJosé,Zürich\n".encode("latin-1"), "UTF-8"),
])
async def test_broken_or_mislabelled_files_get_422_and_are_removed(api, jp_serverapp, name, data, needle):
    code, err = await api.call("POST", "datasets", raw=data, name=name)
    assert code == 422, (name, code, err)
    assert needle.lower() in err["message"].lower(), err["message"]
    assert not _stored(_svc(jp_serverapp))
    assert (await api.ok("GET", "datasets"))["total"] == 0


async def test_registration_refuses_paths_outside_the_root(api, jp_root_dir):
    outside = jp_root_dir.parent / "outside.csv"
    outside.write_bytes(b"a,b\n1,2\n")
    (jp_root_dir / "link.csv").symlink_to(outside)
    for path, status in [("../outside.csv", 400), (str(outside), 400), ("link.csv", 400), ("a\x00.csv", 400),
                         ("missing.csv", 404), ("", 422)]:
        code, err = await api.call("POST", "datasets", {"path": path})
        assert code == status, (path, code, err)
    (jp_root_dir / "sub").mkdir()
    (jp_root_dir / "sub" / "ok.csv").write_bytes(b"a,b\n1,2\n")
    ok = await api.ok("POST", "datasets", {"path": "sub/../sub/ok.csv", "name": "ok"}, expect=201)
    assert ok["latest"]["path"] == "sub/ok.csv" and ok["name"] == "ok"


async def test_unauthenticated_upload_is_refused_before_the_body(http_server_client, jp_base_url, jp_serverapp):
    url = f"{jp_base_url.rstrip('/')}/notebook-dag/api/datasets?name=x.csv"
    resp = await http_server_client.fetch(url, method="POST", body=b"a,b\n1,2\n" * 1000, raise_error=False)
    assert resp.code == 403
    assert not _stored(_svc(jp_serverapp)), "no byte was written for an unknown user"
