"""Regression tests of defects found by fuzzing the REST API: bad input is answered with
a JSON 4xx error (never a 500, never silently accepted), and dataset previews show the
file's own values and dtypes. Each test names the defect it covers."""

from __future__ import annotations

import io
import json
import math
import os

import nbformat
import pandas as pd
import pytest

from conftest import write_notebook
from datasets_helpers import upload, wait_profile

from notebook_dag.datasets import preview as previews


def _services(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"]


async def _json_error(api, method, path, body=None, raw=None, expect=422, **params):
    code, err = await api.call(method, path, body, raw=raw, **params)
    assert code == expect, (method, path, body, raw, params, code, err)
    assert isinstance(err, dict) and err["message"] and err["reason"], err
    return err


# ---- 1. nulls and wrong types in PATCH bodies -------------------------------------


async def test_null_or_wrong_type_in_a_patch_body_is_422(api, jp_root_dir):
    write_notebook(jp_root_dir, "n.ipynb", ["x = 1"])
    p = await api.project("n.ipynb", name="N", description="d", tags=["t"])
    pid = p["id"]

    err = await _json_error(api, "PATCH", f"projects/{pid}/blocks/c0", {"source": None})
    assert err["reason"] == "unprocessable" and err["errors"][0]["loc"] == ["source"]
    nb = nbformat.read(jp_root_dir / "n.ipynb", as_version=4)
    assert nb.cells[0].source == "x = 1", "nothing was written"
    for body in [{"source": 5}, {"source": ["x"]}, {"title": 3}, {"position": "here"}, {"position": {"x": "1", "y": 2}}]:
        await _json_error(api, "PATCH", f"projects/{pid}/blocks/c0", body)

    for body in [{"name": None}, {"description": None}, {"tags": None}, {"favorite": None}, {"visibility": None},
                 {"name": "  "}, {"name": "\t\n"}, {"name": 5}, {"description": 5}, {"favorite": "true"},
                 {"favorite": 1}, {"tags": "a"}, {"kernel_name": 5}]:
        await _json_error(api, "PATCH", f"projects/{pid}", body)
    still = await api.ok("GET", f"projects/{pid}")
    assert (still["name"], still["description"], still["tags"], still["version"]) == ("N", "d", ["t"], p["version"])
    for body in [{"name": "  "}, {"name": None}, {"name": "x", "notebook_path": None}]:
        await _json_error(api, "POST", "projects", {"notebook_path": "other.ipynb", **body})
    await _json_error(api, "POST", f"projects/{pid}/duplicate", {"name": " "})

    # null where it means something is still accepted
    assert (await api.ok("PATCH", f"projects/{pid}", {"kernel_name": None}))["kernel_name"] is None
    assert (await api.ok("PATCH", f"projects/{pid}", {"name": "  Trimmed "}))["name"] == "Trimmed"
    block = await api.ok("PATCH", f"projects/{pid}/blocks/c0", {"title": None, "position": None})
    assert block["position"] is None and block["source"] == "x = 1"

    _, ds = await upload(api, b"a,b\n1,2\n", "small.csv")
    for body in [{"current_version": None}, {"name": None}, {"description": None}, {"tags": None},
                 {"name": "   "}, {"current_version": "1"}, {"current_version": 1.0}, {"current_version": True}]:
        err = await _json_error(api, "PATCH", f"datasets/{ds['id']}", body)
        assert err["reason"] == "unprocessable"
    assert (await api.ok("PATCH", f"datasets/{ds['id']}", {"project_id": None}))["project_id"] is None
    assert (await api.ok("PATCH", f"datasets/{ds['id']}", {"current_version": 1}))["current_version"] == 1


# ---- 2. strict run bodies --------------------------------------------------------


async def test_run_body_types_are_strict(api, jp_root_dir):
    write_notebook(jp_root_dir, "r.ipynb", ["x = 1"])
    pid = (await api.project("r.ipynb"))["id"]
    for body in [{"max_parallel": "2"}, {"force": "yes"}, {"force": 1}, {"force": "true"}, {"max_parallel": 2.0},
                 {"max_parallel": True}, {"mode": 1}, {"block_id": 5}]:
        err = await _json_error(api, "POST", f"projects/{pid}/runs", body)
        assert err["reason"] == "unprocessable" and err["errors"], err
    assert (await api.ok("GET", f"projects/{pid}/runs"))["total"] == 0, "no run was started"


# ---- 3. non-finite positions -----------------------------------------------------


async def test_nan_and_infinite_positions_are_422(api, jp_root_dir):
    write_notebook(jp_root_dir, "pos.ipynb", ["x = 1", "y = x"])
    pid = (await api.project("pos.ipynb"))["id"]
    for value in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        raw = b'{"positions": {"c0": {"x": ' + value + b', "y": 1}}}'
        await _json_error(api, "PUT", f"projects/{pid}/positions", raw=raw)
        raw = b'{"position": {"x": 1, "y": ' + value + b"}}"
        await _json_error(api, "PATCH", f"projects/{pid}/blocks/c1", raw=raw)
    blocks = await api.ok("GET", f"projects/{pid}/blocks")
    assert [b["position"] for b in blocks["blocks"]] == [None, None]
    saved = await api.ok("PUT", f"projects/{pid}/positions", {"positions": {"c0": {"x": 1, "y": 2.5}}})
    assert saved["blocks"][0]["position"] == {"x": 1.0, "y": 2.5}


# ---- 4. control characters in path parameters ------------------------------------


async def test_control_characters_in_path_parameters_are_400(api, jp_root_dir):
    await api.project("a.ipynb", name="A")
    await api.project("b.ipynb", name="B")
    for value in ("\x00", "a\x00.ipynb", "a.ipynb\x00", "\x01", "a\x1fb.ipynb", "a\x7f.ipynb", "a\nb.ipynb"):
        err = await _json_error(api, "GET", "projects", expect=400, notebook_path=value)
        assert err["reason"] == "bad_request"
    assert [p["name"] for p in (await api.ok("GET", "projects", notebook_path="a.ipynb"))["projects"]] == ["A"]
    pid = (await api.ok("GET", "projects", notebook_path="a.ipynb"))["projects"][0]["id"]
    await _json_error(api, "DELETE", f"projects/{pid}/members/bob\x00", expect=400)
    await _json_error(api, "GET", "datasets", expect=400, project_id="x\x00")
    await _json_error(api, "POST", "datasets", raw=b"a\n1\n", expect=400, name="d\x00.csv")
    # free text may hold a tab or a line break, never a NUL
    assert (await api.ok("GET", "projects", q="A\tB"))["total"] == 0
    await _json_error(api, "GET", "projects", expect=400, q="A\x00")


# ---- 5. file names too long for the OS --------------------------------------------


async def test_too_long_notebook_name_is_400_without_server_paths(api, jp_root_dir):
    (jp_root_dir / "d").mkdir()
    for path in ["x" * 300 + ".ipynb", "d/" + "é" * 200 + ".ipynb", "/".join(["d" * 250] * 20) + ".ipynb"]:
        body = {"name": "long", "notebook_path": path}
        err = await _json_error(api, "POST", "projects", body, expect=400 if len(path) <= 1024 else 422)
        assert str(jp_root_dir) not in err["message"] and os.path.realpath(jp_root_dir) not in err["message"]
        assert "too long" in err["message"] or "at most 1024" in err["message"]
        err = await _json_error(api, "GET", "projects", expect=400, notebook_path=path)
        assert str(jp_root_dir) not in err["message"] and "too long" in err["message"]
    src = await api.project("short.ipynb")
    err = await _json_error(api, "POST", f"projects/{src['id']}/duplicate",
                            {"notebook_path": "y" * 256 + ".ipynb"}, expect=400)
    assert str(jp_root_dir) not in err["message"]
    assert (await api.ok("GET", "projects"))["total"] == 1


async def test_contents_manager_errors_do_not_leak_server_paths(api, jp_root_dir):
    (jp_root_dir / "broken.ipynb").write_text("{not a notebook")
    err = await _json_error(api, "POST", "projects", {"name": "b", "notebook_path": "broken.ipynb"}, expect=422)
    assert str(jp_root_dir) not in err["message"] and os.path.realpath(jp_root_dir) not in err["message"]


# ---- 6. hidden files -----------------------------------------------------------


async def test_registering_a_hidden_file_respects_allow_hidden(api, jp_root_dir, jp_serverapp):
    hidden = jp_root_dir / ".hidden"
    hidden.mkdir()
    (hidden / "secret.csv").write_text("a,b\n1,2\n")
    (jp_root_dir / ".dotfile.csv").write_text("a,b\n1,2\n")
    (jp_root_dir / "visible.csv").symlink_to(hidden / "secret.csv")
    cm = jp_serverapp.contents_manager
    assert not cm.allow_hidden, "Jupyter's default"
    for path in [".hidden/secret.csv", ".dotfile.csv", "visible.csv", "./.hidden/../.hidden/secret.csv"]:
        err = await _json_error(api, "POST", "datasets", {"path": path}, expect=403)
        assert err["reason"] == "forbidden" and "hidden" in err["message"]
    assert (await api.ok("GET", "datasets"))["total"] == 0
    cm.allow_hidden = True
    try:
        await api.ok("POST", "datasets", {"path": ".hidden/secret.csv"}, expect=201)
    finally:
        cm.allow_hidden = False


# ---- 7. unknown kernels ------------------------------------------------------------


async def test_kernel_name_must_be_an_installed_kernelspec(api, jp_root_dir, jp_serverapp):
    specs = jp_serverapp.kernel_spec_manager.get_all_specs()
    assert "python3" in specs and "no-such-kernel" not in specs
    err = await _json_error(api, "POST", "projects", {"name": "k", "notebook_path": "k.ipynb",
                                                       "kernel_name": "no-such-kernel"})
    assert err["errors"][0]["loc"] == ["kernel_name"] and "python3" in err["message"]
    assert not (jp_root_dir / "k.ipynb").exists(), "nothing was created"
    await _json_error(api, "POST", "projects", {"name": "k", "notebook_path": "k.ipynb", "kernel_name": ""})
    p = await api.project("k.ipynb", kernel_name="python3")
    assert p["kernel_name"] == "python3"
    err = await _json_error(api, "PATCH", f"projects/{p['id']}", {"kernel_name": "pyhton3"})
    assert err["errors"][0]["loc"] == ["kernel_name"]
    assert (await api.ok("GET", f"projects/{p['id']}"))["kernel_name"] == "python3"
    other = sorted(set(specs) - {"python3"})
    if other:
        assert (await api.ok("PATCH", f"projects/{p['id']}", {"kernel_name": other[0]}))["kernel_name"] == other[0]


# ---- 8. JSON 404 for unmatched API paths -------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "PUT", "DELETE"])
async def test_unmatched_api_paths_get_a_json_404(api, method):
    for path in ["projects/x@y", "projects/a b", "projects/x@y/blocks", "projects/ok/blocks/c@1", "runs/ü",
                 "datasets/a:b/preview", "nothing", "projects/ok/nothing/else", "ai/x@y"]:
        body = {} if method in ("POST", "PATCH", "PUT") else None
        err = await _json_error(api, method, path, body, expect=404)
        assert err["reason"] == "not_found" and set(err) == {"message", "reason"}, (path, err)


async def test_the_api_root_is_a_json_404_and_needs_authentication(http_server_client, jp_base_url, jp_auth_header):
    for tail in ("notebook-dag/api", "notebook-dag/api/", "notebook-dag/api/projects/x%00y",
                 "notebook-dag/api/projects/x%2Fy", "notebook-dag/api/projects/x/blocks/a%20b"):
        resp = await http_server_client.fetch(f"{jp_base_url}{tail}", headers=jp_auth_header, raise_error=False)
        assert resp.code == 404 and json.loads(resp.body)["reason"] == "not_found", (tail, resp.code, resp.body)
    resp = await http_server_client.fetch(f"{jp_base_url}notebook-dag/api/projects/x@y", raise_error=False)
    assert resp.code == 403, "no token: not even the 404 is answered"


# ---- 9. booleans and repeated tags --------------------------------------------------


async def test_one_boolean_parser_everywhere(api, jp_root_dir):
    write_notebook(jp_root_dir, "bo.ipynb", ["x = 1"])
    p = await api.project("bo.ipynb")
    await api.ok("PATCH", f"projects/{p['id']}", {"favorite": True})
    for value, expected in [("true", 1), ("TRUE", 1), ("1", 1), ("false", 0), ("False", 0), ("0", 0)]:
        assert (await api.ok("GET", "projects", favorite=value))["total"] == expected, value
    _, ds = await upload(api, b"a,b\n1,2\n", "bools.csv")
    for value in ("maybe", "yes", "no", "", "2", "on", "truee"):
        await _json_error(api, "GET", "projects", expect=400, favorite=value)
        await _json_error(api, "GET", f"projects/{p['id']}/dag", expect=400, datasets=value)
        await _json_error(api, "POST", "runs/nope/retry", expect=400, force=value)
        await _json_error(api, "POST", f"datasets/{ds['id']}/profile", expect=400, force=value)
        await _json_error(api, "POST", f"datasets/{ds['id']}/report", expect=400, force=value)
    plain = await api.ok("GET", f"projects/{p['id']}/dag", datasets="0")
    assert plain == await api.ok("GET", f"projects/{p['id']}/dag")
    assert await api.ok("GET", f"projects/{p['id']}/dag", datasets="1")
    assert (await api.call("POST", "runs/nope/retry", force="1"))[0] == 404


async def test_repeated_tag_parameters_all_apply(api):
    for name, tags in [("ab", ["a", "b"]), ("a", ["a"]), ("b", ["b"]), ("abc", ["c", "b", "a"])]:
        await api.project(f"{name}.ipynb", name=name, tags=tags)
        await upload(api, f"x\n{len(tags)}\n".encode(), f"{name}.csv", tags=",".join(tags))

    async def names(path, key, *tags):
        resp = await api.fetch("notebook-dag", "api", path, params=[("tag", t) for t in tags] + [("sort", "name")])
        return [x["name"] for x in json.loads(resp.body)[key]]

    assert await names("projects", "projects", "a", "b") == ["ab", "abc"]
    assert await names("projects", "projects", "b", "a", "c") == ["abc"]
    assert await names("projects", "projects", "a") == ["a", "ab", "abc"]
    assert await names("projects", "projects", "a", "a") == ["a", "ab", "abc"]
    assert await names("projects", "projects", "a", "nope") == []
    assert await names("datasets", "datasets", "a", "b") == ["ab.csv", "abc.csv"]
    assert await names("datasets", "datasets", "b") == ["ab.csv", "abc.csv", "b.csv"]


# ---- 10. previews: exact floats and whole-file dtypes ------------------------------

FLOATS = [1.5e-11, 0.1 + 0.2, 1.2345678901234567, -2.5e-300, 1e308, 5e-324, 123456789.12345678, 1 / 3]


def _mixed_csv() -> tuple[bytes, pd.DataFrame]:
    n = 70
    df = pd.DataFrame({
        "late_float": [0] * 60 + [2.5] + [0] * (n - 61),
        "exact": [FLOATS[i % len(FLOATS)] for i in range(n)],
        "ints": list(range(n)),
        "late_missing": [1] * 65 + [None] + [1] * (n - 66),
    })
    buf = io.StringIO()
    df.to_csv(buf, index=False, float_format=lambda v: repr(float(v)))
    text = buf.getvalue().replace(".0,", ",").replace(".0\n", "\n")  # integers written as integers
    return text.encode(), pd.read_csv(io.BytesIO(text.encode()), float_precision="round_trip")


def _check_preview(prev, expected: pd.DataFrame, offset: int) -> None:
    assert {c["name"]: c["dtype"] for c in prev["columns"]} == {c: str(t) for c, t in expected.dtypes.items()}
    want = expected.iloc[offset: offset + prev["limit"]].astype(object).values.tolist()
    for got_row, want_row in zip(prev["rows"], want, strict=True):
        for got, value in zip(got_row, want_row, strict=True):
            if isinstance(value, float) and math.isnan(value):
                assert got is None
            else:
                assert got == value and type(got) is type(value), (got, value)


async def test_previews_are_exact_and_typed_by_the_whole_file(api, jp_serverapp):
    data, expected = _mixed_csv()
    assert str(expected.dtypes["late_float"]) == "float64" and str(expected.dtypes["late_missing"]) == "float64"
    _, ds = await upload(api, data, "mixed.csv")
    for offset in (0, 55, 64):  # before the profile is stored (or not: the same answer)
        _check_preview(await api.ok("GET", f"datasets/{ds['id']}/preview", offset=offset, limit=8), expected, offset)
    prof = await wait_profile(api, ds["id"])
    assert prof["status"] == "ready" and dict(prof["profile"]["pandas_dtypes"])["late_float"] == "float64"
    for offset in (0, 55, 64):
        _check_preview(await api.ok("GET", f"datasets/{ds['id']}/preview", offset=offset, limit=8), expected, offset)
    # an offset far past the end (found by schemathesis: pandas made list(range(offset)))
    far = await api.ok("GET", f"datasets/{ds['id']}/preview", offset=87178291200, limit=8)
    assert far["rows"] == [] and far["has_more"] is False and [c["name"] for c in far["columns"]] == list(expected.columns)

    # a large file without a profile is typed by the profile (in its worker process)
    svc = _services(jp_serverapp).datasets
    svc.preview_read_whole_bytes = 0
    _, big = await upload(api, data.replace(b"late_float", b"late_f"), "big.csv")
    prev = await api.ok("GET", f"datasets/{big['id']}/preview", offset=0, limit=5)
    _check_preview(prev, expected.rename(columns={"late_float": "late_f"}), 0)

    # Parquet: dtypes from its metadata; JSON lines: exact floats too
    buf = io.BytesIO()
    expected.to_parquet(buf, index=False, row_group_size=16)
    _, pq = await upload(api, buf.getvalue(), "mixed.parquet")
    _check_preview(await api.ok("GET", f"datasets/{pq['id']}/preview", offset=60, limit=8), expected, 60)
    exact = "\n".join(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()})
                      for r in expected.to_dict(orient="records")).encode()
    _, jl = await upload(api, exact, "mixed.jsonl")
    _check_preview(await api.ok("GET", f"datasets/{jl['id']}/preview", offset=0, limit=8), expected, 0)


def test_frame_rows_keep_every_float_and_value():
    import datetime
    import decimal

    frame = pd.DataFrame({
        "f": FLOATS[:3],
        "t": pd.to_datetime(["2020-01-01 00:00:01.123456", None, "2021-05-06 00:00:00.000000"]),
        "o": [{"x": 0.1 + 0.2}, [1, 2.5e-11], None],
        "b": [b"ab\xff", None, b"x"],
        "d": [decimal.Decimal("1.10"), decimal.Decimal("3.14159265358979323846264338327950288"), None],
        "i": pd.array([1, None, 3], dtype="Int64"),
        "day": [datetime.date(2020, 1, 2), None, datetime.date(2020, 1, 3)],
        "inf": [math.inf, -math.inf, math.nan],
    })
    rows = previews.frame_rows(frame)
    assert [r[0] for r in rows] == FLOATS[:3]
    assert rows[0][1] == "2020-01-01T00:00:01.123456" and rows[1][1] is None
    assert rows[0][2] == {"x": 0.1 + 0.2} and rows[1][2] == [1, 2.5e-11]
    assert rows[0][3] == "ab\ufffd" and rows[0][4] == 1.1 and rows[1][4] == "3.14159265358979323846264338327950288"
    assert [r[5] for r in rows] == [1, None, 3] and rows[0][6] == "2020-01-02"
    assert [r[7] for r in rows] == [None, None, None]
    assert json.loads(json.dumps(rows)) == rows


# ---- 11. header-only CSV ---------------------------------------------------------


async def test_header_only_csv_is_an_empty_table_with_or_without_a_line_break(api):
    answers = []
    for name, data in [("h1.csv", b"a,b"), ("h2.csv", b"a,b\n"), ("h3.csv", b"a,b\r\n"), ("h4.tsv", b"a\tb")]:
        code, ds = await upload(api, data, name, expect=None)
        assert code == 201, (name, code, ds)
        prev = await api.ok("GET", f"datasets/{ds['id']}/preview")
        prof = await wait_profile(api, ds["id"])
        assert prof["status"] == "ready", prof
        answers.append((prev["columns"], prev["rows"], prev["has_more"], prof["profile"]["rows"],
                        prof["profile"]["columns"]))
    assert answers[0][0] == [{"name": "a", "dtype": "float64"}, {"name": "b", "dtype": "float64"}]
    assert all(a == answers[0] for a in answers), answers
    assert answers[0][1:] == ([], False, 0, 2)


# ---- 12. no 500 for bad input, anywhere ------------------------------------------
# (a NUL in any string of a body is a 422, PostgreSQL could not store it; in a path a 400)

BAD_VALUES = [None, "", " ", "\x00", 0, -1, 2**70, 1.5, True, [], {}, ["x"], {"x": 1}, "x" * 20000, "NaN"]


async def test_no_route_answers_500_to_bad_bodies(api, jp_root_dir):
    write_notebook(jp_root_dir, "fuzz.ipynb", ["x = 1", "y = x"])
    pid = (await api.project("fuzz.ipynb"))["id"]
    _, ds = await upload(api, b"a,b\n1,2\n", "fuzz.csv")
    routes = {
        ("POST", "projects"): ["name", "notebook_path", "description", "tags", "kernel_name"],
        ("PATCH", f"projects/{pid}"): ["name", "description", "tags", "favorite", "kernel_name", "visibility"],
        ("POST", f"projects/{pid}/blocks"): ["source", "cell_type", "after", "title"],
        ("PATCH", f"projects/{pid}/blocks/c0"): ["source", "title", "position"],
        ("PUT", f"projects/{pid}/positions"): ["positions"],
        ("POST", f"projects/{pid}/edges"): ["source", "target"],
        ("POST", f"projects/{pid}/duplicate"): ["name", "notebook_path"],
        ("PUT", f"projects/{pid}/members"): ["username", "role"],
        ("POST", f"projects/{pid}/runs"): ["mode", "max_parallel"],  # the others alone make a valid run
        ("PATCH", f"datasets/{ds['id']}"): ["name", "description", "tags", "project_id", "current_version"],
        ("POST", "datasets"): ["path", "name", "project_id", "description", "tags", "format"],
    }
    for (method, path), fields in routes.items():
        for field in fields:
            for value in BAD_VALUES:
                if path.endswith("/runs") and value is None:
                    continue  # {"max_parallel": null}: the server's default, a valid run
                code, body = await api.call(method, path, {field: value})
                assert code < 500 and isinstance(body, dict), (method, path, field, value, code, body)
                assert code < 300 or body["message"] and body["reason"], (method, path, field, value, code, body)
                if isinstance(value, str) and "\x00" in value:  # paths: the path checks' 400
                    assert code in ((400, 422) if field in ("path", "notebook_path") else (422,)), (path, field, code)
        for raw in (b"null", b"[]", b"1", b'"x"', b"{", b'{"a": NaN}', b"\xff\xfe", b'{"' + b"a" * 100 + b'": 1}'):
            code, body = await api.call(method, path, raw=raw)
            assert 400 <= code < 500 and body["reason"], (method, path, raw, code, body)
    assert (await api.ok("GET", f"projects/{pid}/runs"))["total"] == 0


async def test_no_route_answers_500_to_bad_query_parameters(api, jp_root_dir):
    write_notebook(jp_root_dir, "q.ipynb", ["x = 1"])
    pid = (await api.project("q.ipynb"))["id"]
    _, ds = await upload(api, b"a,b\n1,2\n", "q.csv")
    did = ds["id"]
    routes = {
        "projects": ["q", "tag", "notebook_path", "favorite", "scope", "sort", "limit", "offset"],
        "activity": ["limit", "offset"],
        f"projects/{pid}/dag": ["kernel_id", "datasets"],
        f"projects/{pid}/export": ["format"],
        f"projects/{pid}/runs": ["limit", "offset"],
        "datasets": ["q", "tag", "project_id", "sort", "limit", "offset"],
        f"datasets/{did}/preview": ["version", "offset", "limit"],
        f"datasets/{did}/profile": ["version", "wait"],
        f"datasets/{did}/report/status": ["version"],
    }
    values = ["", " ", "-1", "1e999", "nan", "inf", "99999999999999999999999", "x" * 5000, "é", "\ud7ff", "%00",
              "../../etc/passwd", "a/b.ipynb", "\t"]
    for path, names in routes.items():
        for name in names:
            for value in values:
                code, body = await api.call("GET", path, **{name: value})
                assert code < 500, (path, name, value, code, body)
                assert code < 300 or body["message"] and body["reason"], (path, name, value, code, body)
