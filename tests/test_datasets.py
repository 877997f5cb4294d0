"""Datasets through the REST API of a real server: every format round-trips (upload →
preview → profile → ``notebook_dag.load()`` in a real kernel), versions, content
deduplication, CRUD, search, and bad input on every route."""

from __future__ import annotations

import math

import pytest

from conftest import blocks_by_id, stdout_of, write_notebook
from datasets_helpers import EXT, encode, iris, sp500, upload, wait_profile, wine

FORMATS = ["csv", "tsv", "parquet", "json", "jsonl", "excel"]


def _services(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"]


def _close(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)
    return a == b


async def test_every_format_round_trips_through_preview_profile_and_load(api, jp_root_dir):
    df = iris()
    ids = {}
    for fmt in FORMATS:
        name = f"iris.{EXT[fmt]}"
        code, ds = await upload(api, encode(df, fmt), name, description=f"iris as {fmt}", tags="flowers,sklearn")
        assert ds["latest"]["format"] == fmt and ds["created"] and ds["version_created"] and not ds["deduplicated"]
        assert ds["tags"] == ["flowers", "sklearn"] and ds["current_version"] == 1
        ids[fmt] = ds["id"]

        prev = await api.ok("GET", f"datasets/{ds['id']}/preview", limit=10, offset=140)
        assert [c["name"] for c in prev["columns"]] == list(df.columns), fmt
        assert len(prev["rows"]) == 10 and not prev["has_more"]
        expected = df.iloc[140:150].values.tolist()
        assert all(_close(a, b) for got, want in zip(prev["rows"], expected) for a, b in zip(got, want)), fmt
        dtypes = {c["name"]: c["dtype"] for c in prev["columns"]}
        assert dtypes["sepal length (cm)"] == "float64" and dtypes["target"] == "int64", (fmt, dtypes)

        prof = await wait_profile(api, ds["id"])
        assert prof["status"] == "ready", prof
        again = await api.ok("GET", f"datasets/{ds['id']}/preview", limit=10, offset=140)
        assert again["rows"] == prev["rows"] and again["total_rows"] == 150, "with the stored row index"
        p = prof["profile"]
        assert (p["rows"], p["columns"]) == (150, 6), fmt
        cols = {c["name"]: c for c in p["column_profiles"]}
        assert cols["species"]["distinct"] == 3 and cols["species"]["top"][0]["count"] == 50
        assert math.isclose(cols["sepal length (cm)"]["mean"], df["sepal length (cm)"].mean())
        assert sum(cols["petal width (cm)"]["histogram"]["counts"]) == 150
        assert p["duplicate_rows"] == int(df.duplicated().sum())
        # one vocabulary for types: the profile says what the preview and load() say
        assert {c["name"]: c["dtype"] for c in p["column_profiles"]} == dtypes, fmt
        assert 0 <= p["quality"]["score"] <= 100 and p["quality"]["rules"]

    write_notebook(jp_root_dir, "load.ipynb", [
        "import notebook_dag",
        "for name in ['iris.csv', 'iris.tsv', 'iris.parquet', 'iris.json', 'iris.jsonl', 'iris.xlsx']:\n"
        "    d = notebook_dag.load(name)\n"
        "    print(name, d.shape, round(float(d['sepal length (cm)'].sum()), 6), sorted(d['species'].unique())[0])",
    ])
    project = await api.project("load.ipynb")
    run = await api.run(project["id"])
    assert run["status"] == "succeeded", run
    lines = stdout_of(blocks_by_id(run)["c1"]).splitlines()
    total = round(float(df["sepal length (cm)"].sum()), 6)
    assert lines == [f"{n} (150, 6) {total} setosa" for n in
                     ["iris.csv", "iris.tsv", "iris.parquet", "iris.json", "iris.jsonl", "iris.xlsx"]]

    listed = await api.ok("GET", "datasets", q="iris", sort="name")
    assert listed["total"] == 6
    assert [d["name"] for d in listed["datasets"]] == sorted(f"iris.{EXT[f]}" for f in FORMATS)
    assert all(d["latest"]["profile_status"] == "ready" and d["latest"]["rows"] == 150 for d in listed["datasets"])


async def test_datetime_columns_and_parquet_row_groups(api):
    df = sp500()
    _, ds = await upload(api, encode(df, "parquet"), "sp500.parquet")
    prev = await api.ok("GET", f"datasets/{ds['id']}/preview", limit=3, offset=1000)
    assert prev["total_rows"] == len(df) and prev["has_more"]
    assert prev["rows"][0][0].startswith(str(df.iloc[1000, 0].date()))
    prof = (await wait_profile(api, ds["id"]))["profile"]
    date = prof["column_profiles"][0]
    assert date["kind"] == "datetime" and date["min"].startswith(str(df.iloc[0, 0].date()))
    assert sum(date["histogram"]["counts"]) == len(df)


async def test_versions_and_content_deduplication(api, jp_root_dir, jp_serverapp):
    files = _services(jp_serverapp).datasets.files
    df = wine()
    v1, v2 = encode(df.iloc[:100], "csv"), encode(df, "csv")
    code, a = await upload(api, v1, "wine.csv")
    code, b = await upload(api, v2, "wine.csv")
    assert b["id"] == a["id"] and b["current_version"] == 2 and not b["created"] and b["version_created"]
    code, same = await upload(api, v2, "wine.csv", expect=200)
    assert same["current_version"] == 2 and not same["version_created"] and same["deduplicated"]
    code, back = await upload(api, v1, "wine.csv")
    assert back["current_version"] == 3 and back["deduplicated"], "old bytes are found by their hash"
    code, other = await upload(api, v2, "wine-copy.csv")
    assert other["id"] != a["id"] and other["created"] and other["deduplicated"]
    blobs = [p for p in files.blobs.rglob("*") if p.is_file()]
    assert len(blobs) == 2, blobs

    versions = await api.ok("GET", f"datasets/{a['id']}/versions")
    assert [v["version"] for v in versions["versions"]] == [1, 2, 3]
    assert versions["versions"][0]["sha256"] == versions["versions"][2]["sha256"] != versions["versions"][1]["sha256"]
    old = await api.ok("GET", f"datasets/{a['id']}/preview", version=2, offset=170, limit=50)
    assert len(old["rows"]) == 8, "version 2 has 178 rows"
    assert (await wait_profile(api, a["id"], version=2))["profile"]["rows"] == 178
    assert (await wait_profile(api, a["id"]))["profile"]["rows"] == 100

    write_notebook(jp_root_dir, "versions.ipynb", [
        "import notebook_dag\nprint(len(notebook_dag.load('wine.csv')), len(notebook_dag.load('wine.csv', version=2)))",
    ])
    project = await api.project("versions.ipynb")
    run = await api.run(project["id"])
    assert stdout_of(blocks_by_id(run)["c0"]) == "100 178\n", run

    cur = await api.ok("PATCH", f"datasets/{a['id']}", {"current_version": 2})
    assert cur["current_version"] == 2 and cur["latest"]["version"] == 2
    await api.ok("DELETE", f"datasets/{other['id']}", expect=204)
    assert len([p for p in files.blobs.rglob("*") if p.is_file()]) == 2, "wine.csv still uses those bytes"
    await api.ok("DELETE", f"datasets/{a['id']}", expect=204)
    assert not [p for p in files.blobs.rglob("*") if p.is_file()], "unused uploads are removed"


async def test_metadata_search_and_project_association(api, jp_root_dir):
    write_notebook(jp_root_dir, "p.ipynb", ["x = 1"])
    project = await api.project("p.ipynb")
    _, a = await upload(api, encode(iris(), "csv"), "iris.csv", project_id=project["id"], tags="train")
    _, b = await upload(api, encode(wine(), "csv"), "wine.csv")
    _, c = await upload(api, encode(iris(), "csv"), "iris.csv")
    assert c["id"] != a["id"], "the same name in another scope is another dataset"

    assert (await api.ok("GET", "datasets", project_id=project["id"]))["total"] == 1
    assert (await api.ok("GET", "datasets", project_id="none"))["total"] == 2
    assert [d["id"] for d in (await api.ok("GET", "datasets", tag="train"))["datasets"]] == [a["id"]]
    by_size = await api.ok("GET", "datasets", sort="-size")
    assert by_size["datasets"][0]["id"] == b["id"]
    page = await api.ok("GET", "datasets", sort="name", limit=1, offset=1)
    assert page["total"] == 3 and len(page["datasets"]) == 1

    changed = await api.ok("PATCH", f"datasets/{b['id']}", {
        "name": "wine-2024.csv", "description": "UCI wine", "tags": ["uci", "wine", "uci"], "project_id": project["id"]})
    assert (changed["name"], changed["description"], changed["tags"], changed["project_id"]) == (
        "wine-2024.csv", "UCI wine", ["uci", "wine"], project["id"])
    assert (await api.ok("GET", "datasets", q="uci"))["total"] == 1
    code, err = await api.call("PATCH", f"datasets/{c['id']}", {"project_id": project["id"]})
    assert code == 409 and "exists already" in err["message"]
    detached = await api.ok("PATCH", f"datasets/{b['id']}", {"project_id": None})
    assert detached["project_id"] is None
    code, _ = await api.call("PATCH", f"datasets/{b['id']}", {"project_id": "nope"})
    assert code == 404

    await api.ok("DELETE", f"projects/{project['id']}", expect=204)
    kept = await api.ok("GET", f"datasets/{a['id']}")
    assert kept["project_id"] is None, "deleting a project keeps its datasets"


async def test_bad_input_on_every_route(api):
    _, ds = await upload(api, encode(iris(), "csv"), "iris.csv")
    did = ds["id"]
    for method, path in [("GET", "datasets/nope"), ("PATCH", "datasets/nope"), ("DELETE", "datasets/nope"),
                         ("GET", "datasets/nope/versions"), ("GET", "datasets/nope/preview"),
                         ("GET", "datasets/nope/profile"), ("POST", "datasets/nope/profile"),
                         ("GET", "datasets/nope/report"), ("POST", "datasets/nope/report"),
                         ("GET", "datasets/nope/report/status"), ("GET", "datasets/nope/lineage")]:
        code, body = await api.call(method, path, {} if method == "PATCH" else None)
        assert code == 404 and body["reason"] == "not_found", (method, path, code, body)
    for path, params in [("datasets", {"sort": "size-ish"}), ("datasets", {"limit": "0"}),
                         ("datasets", {"offset": "-1"}), ("datasets", {"limit": "x"}),
                         (f"datasets/{did}/preview", {"limit": "100000"}), (f"datasets/{did}/preview", {"version": "v1"}),
                         (f"datasets/{did}/profile", {"wait": "-1"}), (f"datasets/{did}/profile", {"wait": "soon"})]:
        code, body = await api.call("GET", path, **params)
        assert code == 400 and body["reason"] == "bad_request", (path, params, code, body)
    code, _ = await api.call("POST", f"datasets/{did}/report", force="maybe")
    assert code == 400
    code, _ = await api.call("GET", f"datasets/{did}/preview", version="7")
    assert code == 404
    code, _ = await api.call("POST", "datasets", raw=b"x,y\n1,2\n", name="a.csv", format="xls")
    assert code == 400
    code, _ = await api.call("POST", "datasets", raw=b"x,y\n1,2\n", name="a.csv", project_id="nope")
    assert code == 404
    for body in [{"name": ""}, {"color": "red"}, {"tags": "a"}, {"tags": [" "]}, {"current_version": 0}]:
        code, err = await api.call("PATCH", f"datasets/{did}", body)
        assert code == 422 and err["reason"] == "unprocessable", (body, code, err)
    code, _ = await api.call("PATCH", f"datasets/{did}", {"current_version": 5})
    assert code == 404
    code, _ = await api.call("PATCH", f"datasets/{did}", raw=b"{not json")
    assert code == 400
    for body in [{"path": "x.csv", "extra": 1}, {"path": ""}, {"path": "x.csv", "format": "xml"}]:
        code, err = await api.call("POST", "datasets", body)
        assert code == 422, (body, code, err)
    code, _ = await api.call("POST", "datasets", raw=b"[1, 2]")
    assert code == 400, "a JSON body must be an object"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
async def test_register_a_file_under_the_root_without_copying(api, jp_root_dir, jp_serverapp, fmt):
    data = encode(iris(), fmt)
    (jp_root_dir / "data").mkdir()
    target = jp_root_dir / "data" / f"iris.{EXT[fmt]}"
    target.write_bytes(data)
    code, ds = await api.call("POST", "datasets", {"path": f"data/iris.{EXT[fmt]}", "tags": ["local"]})
    assert code == 201, ds
    assert ds["latest"]["source"] == "path" and ds["latest"]["path"] == f"data/iris.{EXT[fmt]}"
    files = _services(jp_serverapp).datasets.files
    assert not [p for p in files.blobs.rglob("*") if p.is_file()], "registered files are not copied"
    assert (await wait_profile(api, ds["id"]))["profile"]["rows"] == 150
    again = await api.ok("POST", "datasets", {"path": f"data/iris.{EXT[fmt]}"}, expect=200)
    assert not again["version_created"]

    target.write_bytes(encode(iris().iloc[:10], fmt))
    stale = await api.ok("GET", f"datasets/{ds['id']}")
    assert stale["latest"]["changed_on_disk"]
    code, err = await api.call("GET", f"datasets/{ds['id']}/preview")
    assert code == 409 and "register it again" in err["message"]
    newer = await api.ok("POST", "datasets", {"path": f"data/iris.{EXT[fmt]}"}, expect=201)
    assert newer["current_version"] == 2 and not newer["latest"]["changed_on_disk"]
    await api.ok("DELETE", f"datasets/{ds['id']}", expect=204)
    assert target.exists(), "deleting a dataset never deletes a registered file"
