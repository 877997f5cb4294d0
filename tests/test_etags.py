"""ETags and conditional requests (RFC 9110 §13.1) on projects, blocks, edges and
datasets, through a real server on a real database: every single-resource answer has a
strong quoted ``ETag``; ``If-Match`` that names no current version is a 412 with the
current resource and tag, and nothing is written; ``If-None-Match`` gives 304. Also run
on PostgreSQL (``--db postgresql``), where the concurrent writes truly interleave."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from conftest import write_notebook
from datasets_helpers import upload, wait_profile
from notebook_dag import etags
from notebook_dag.errors import BadRequest

N = 20
STRONG = re.compile(r'^"(project|block|edge|dataset)-[A-Za-z0-9_\-]+-[0-9a-f]+\.[0-9a-f]{8}"$')


class Client:
    """The API with request headers; answers ``(status, ETag header, JSON body or None)``."""

    def __init__(self, fetch):
        self.fetch = fetch

    async def __call__(self, method, path, body=None, headers=None, raw=None, **params):
        kwargs = {"method": method, "raise_error": False, "headers": headers or {}}
        if raw is not None or body is not None:
            kwargs["body"] = raw if raw is not None else json.dumps(body)
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = b""
        if params:
            kwargs["params"] = params
        resp = await self.fetch("notebook-dag", "api", *path.split("/"), **kwargs)
        return resp.code, resp.headers.get("ETag"), (json.loads(resp.body) if resp.body else None)


@pytest.fixture
def http(jp_fetch):
    return Client(jp_fetch)


def weak(tag: str) -> str:
    return f"W/{tag}"


async def _project(http, root, name="e.ipynb"):
    write_notebook(root, name, ["x = 1", "y = x + 1", "z = 3"])
    code, tag, p = await http("POST", "projects", {"name": "E", "notebook_path": name})
    assert code == 201 and tag == p["etag"] and STRONG.match(tag), (code, tag, p)
    return p


async def _conditional_get(http, path, tag):
    """A GET returns ``tag``; If-None-Match with it (strong or weak) is a 304 without a
    body; with another tag a 200."""
    code, got, _ = await http("GET", path)
    assert (code, got) == (200, tag)
    for header in (tag, weak(tag), f'"other", {tag}', "*"):
        code, got, body = await http("GET", path, headers={"If-None-Match": header})
        assert (code, got, body) == (304, tag, None), header
    code, got, body = await http("GET", path, headers={"If-None-Match": '"other"'})
    assert code == 200 and got == tag and body["etag"] == tag


async def _refused(http, method, path, body, tag, current_tag, what):
    """``method`` with ``If-Match: tag`` is a 412 holding the current tag and resource."""
    code, got, err = await http(method, path, body, headers={"If-Match": tag})
    assert code == 412, (what, tag, code, err)
    assert err["reason"] == "precondition_failed" and err["etag"] == current_tag == got, (what, err)
    assert err["current"]["etag"] == current_tag
    return err


# ---- the parser -----------------------------------------------------------------------


def test_if_match_parsing():
    p = etags.parse_if_match
    assert p(None, "project", "a") is None and p("  ", "project", "a") is None
    assert p("*", "project", "a").any
    got = p('W/"project-a-3.00000000", "project-a-4.12345678", "project-b-5.0", "xyz"', "project", "a")
    assert got.versions == {"4"} and not got.legacy, "weak tags and other resources' tags never match"
    assert p('"3"', "project", "a", bare_versions=True).versions == {"3"}
    assert p('"3"', "dataset", "a").versions == frozenset(), "bare versions only where asked"
    legacy = p("3", "project", "a", bare_versions=True)
    assert legacy.legacy and legacy.matches(3) and not legacy.matches(4)
    block = p('"block-my-cell-id-9f86d081884c7d65.abcdef01"', "block", "my-cell-id")
    assert block.versions == {"9f86d081884c7d65"}, "ids holding '-' parse"
    for bad in ("3", '"unterminated', '*, "x"', '"a" "b"', 'W/ "a"'):
        with pytest.raises(BadRequest):
            p(bad, "dataset", "a")


# ---- projects -------------------------------------------------------------------------


async def test_project_etags(http, jp_root_dir):
    p = await _project(http, jp_root_dir)
    pid, path = p["id"], f"projects/{p['id']}"
    tag = p["etag"]
    assert tag.startswith(f'"project-{pid}-1.')
    await _conditional_get(http, path, tag)

    code, new, body = await http("PATCH", path, {"description": "one"}, headers={"If-Match": tag})
    assert code == 200 and new == body["etag"] != tag and new.startswith(f'"project-{pid}-2.') and body["version"] == 2
    for stale in (tag, weak(new), '"1"', '"7"', f'"project-{pid}-9.00000000"', '"project-other-2.00000000"',
                  f'"project-{pid}-99999999999999999999.0"', f'"project-{pid}-\u00b2.0"', f'"project-{pid}-.0"'):
        err = await _refused(http, "PATCH", path, {"description": "lost"}, stale, new, "project")
        assert err["current"]["description"] == "one"
    assert (await http("GET", path))[2]["description"] == "one", "nothing was written"

    # the quoted bare version and the list form are checked too; * matches any version
    code, new, body = await http("PATCH", path, {"description": "two"}, headers={"If-Match": '"2"'})
    assert code == 200 and body["version"] == 3
    code, new, body = await http("PATCH", path, {"description": "three"}, headers={"If-Match": f'"x", {new}'})
    assert code == 200 and body["version"] == 4
    code, new, body = await http("PATCH", path, {"description": "four"}, headers={"If-Match": "*"})
    assert code == 200 and body["version"] == 5

    # the older bare integer is still checked, and still answers 409
    code, _, err = await http("PATCH", path, {"description": "lost"}, headers={"If-Match": "4"})
    assert code == 409 and err["current"]["version"] == 5 and err["etag"] == new
    assert (await http("PATCH", path, {"description": "five"}, headers={"If-Match": "5"}))[0] == 200
    assert (await http("PATCH", path, {"name": "x"}, headers={"If-Match": '"a", oops'}))[0] == 400

    # a star changes the user's view (so a GET is no 304) but not the version If-Match checks
    code, before, _ = await http("GET", path)
    code, starred, body = await http("PATCH", path, {"favorite": True})
    assert code == 200 and body["favorite"] and starred != before
    assert (await http("GET", path, headers={"If-None-Match": before}))[0] == 200
    code, _, body = await http("PATCH", path, {"description": "six"}, headers={"If-Match": before})
    assert code == 200 and body["description"] == "six"

    # DELETE: a stale tag deletes nothing; the current one deletes
    _, current, _ = await http("GET", path)
    await _refused(http, "DELETE", path, None, before, current, "project delete")
    assert (await http("GET", path))[0] == 200
    assert (await http("DELETE", path, headers={"If-Match": current}))[0] == 204
    assert (await http("GET", path))[0] == 404
    assert (await http("DELETE", path, headers={"If-Match": current}))[0] == 404


async def test_concurrent_project_patches_with_one_etag(http, jp_root_dir):
    p = await _project(http, jp_root_dir)
    path = f"projects/{p['id']}"
    results = await asyncio.gather(*[
        http("PATCH", path, {"description": f"d{i}"}, headers={"If-Match": p["etag"]}) for i in range(N)])
    codes = sorted(code for code, _, _ in results)
    assert codes == [200] + [412] * (N - 1), codes
    winner = next(body for code, _, body in results if code == 200)
    assert winner["version"] == 2
    for code, tag, body in results:
        if code == 412:
            assert body["current"]["description"] == winner["description"] and tag == winner["etag"], body
    assert (await http("GET", path))[2]["description"] == winner["description"]


# ---- blocks ---------------------------------------------------------------------------


async def test_block_etags(http, jp_root_dir):
    pid = (await _project(http, jp_root_dir))["id"]
    path = f"projects/{pid}/blocks/c1"
    code, tag, block = await http("GET", path)
    assert code == 200 and tag == block["etag"] and STRONG.match(tag)
    assert tag.startswith(f'"block-c1-{block["version"]}.')
    listed = (await http("GET", f"projects/{pid}/blocks"))[2]["blocks"]
    assert listed[1]["etag"] == tag, "a list holds each block's tag"
    await _conditional_get(http, path, tag)

    code, new, edited = await http("PATCH", path, {"source": "y = x + 2"}, headers={"If-Match": tag})
    assert code == 200 and new == edited["etag"] != tag and edited["source"] == "y = x + 2"
    for stale in (tag, weak(new), f'"{block["version"]}"', '"0000000000000000"', '"block-c2-x.0"'):
        err = await _refused(http, "PATCH", path, {"source": "lost"}, stale, new, "block")
        assert err["current"]["source"] == "y = x + 2"
    assert (await http("GET", path))[2]["source"] == "y = x + 2", "nothing was written"

    # a moved node changes the view but is no edit of the source: the tag still applies
    code, moved, _ = await http("PATCH", path, {"position": {"x": 1, "y": 2}})
    assert code == 200 and moved != new
    code, new, edited = await http("PATCH", path, {"source": "y = x + 3"}, headers={"If-Match": new})
    assert code == 200 and edited["position"] == {"x": 1, "y": 2}
    code, new, _ = await http("PATCH", path, {"title": "t"}, headers={"If-Match": f'"{edited["version"]}"'})
    assert code == 200, "the quoted bare version is checked like the tag"
    assert (await http("PATCH", path, {"source": "y = 4"}, headers={"If-Match": "*"}))[0] == 200
    # the older bare version still answers 409
    code, _, err = await http("PATCH", path, {"source": "lost"}, headers={"If-Match": edited["version"]})
    assert code == 409 and err["current"]["source"] == "y = 4"

    _, current, _ = await http("GET", path)
    await _refused(http, "DELETE", path, None, new, current, "block delete")
    assert (await http("GET", path))[0] == 200
    assert (await http("DELETE", path, headers={"If-Match": current}))[0] == 204
    assert (await http("GET", path))[0] == 404


async def test_concurrent_block_patches_with_one_etag(http, jp_root_dir):
    pid = (await _project(http, jp_root_dir))["id"]
    path = f"projects/{pid}/blocks/c2"
    tag = (await http("GET", path))[1]
    results = await asyncio.gather(*[
        http("PATCH", path, {"source": f"z = {i}"}, headers={"If-Match": tag}) for i in range(N)])
    codes = sorted(code for code, _, _ in results)
    assert codes == [200] + [412] * (N - 1), codes
    winner = next(body for code, _, body in results if code == 200)
    assert all(body["current"]["source"] == winner["source"] for code, _, body in results if code == 412)
    assert (await http("GET", path))[2]["source"] == winner["source"]


# ---- edges ----------------------------------------------------------------------------


async def test_edge_etags(http, jp_root_dir):
    pid = (await _project(http, jp_root_dir))["id"]
    code, tag, edge = await http("POST", f"projects/{pid}/edges", {"source": "c0", "target": "c2"})
    assert code == 201 and tag == edge["etag"] and STRONG.match(tag) and tag.startswith(f'"edge-{edge["id"]}-')
    code, hidden_tag, hidden = await http("POST", f"projects/{pid}/edges/hidden", {"source": "c0", "target": "c1"})
    assert code == 201 and STRONG.match(hidden_tag)
    listed = (await http("GET", f"projects/{pid}/edges"))[2]
    assert [e["etag"] for e in listed["edges"] if e["kind"] == "manual"] == [tag]
    assert all(e["etag"] is None for e in listed["edges"] if e["kind"] == "inferred"), "inferred edges are not stored"
    path = f"projects/{pid}/edges/{edge['id']}"
    await _conditional_get(http, path, tag)

    for wrong in (weak(tag), hidden_tag, '"1"', f'"edge-{edge["id"]}-0000000000000000.00000000"'):
        await _refused(http, "DELETE", path, None, wrong, tag, "edge")
    assert (await http("GET", path))[0] == 200, "nothing was deleted"
    assert (await http("DELETE", path, headers={"If-Match": tag}))[0] == 204
    assert (await http("GET", path))[0] == 404
    assert (await http("DELETE", path, headers={"If-Match": "*"}))[0] == 404
    hidden_path = f"projects/{pid}/edges/{hidden['id']}"
    assert (await http("DELETE", hidden_path, headers={"If-Match": "*"}))[0] == 204


# ---- datasets -------------------------------------------------------------------------


async def test_dataset_etags(http, api):
    code, ds = await upload(api, b"a,b\n1,2\n3,4\n", "t.csv")
    await wait_profile(api, ds["id"])  # the profile status is part of the representation
    path = f"datasets/{ds['id']}"
    code, tag, got = await http("GET", path)
    assert code == 200 and tag == got["etag"] and STRONG.match(tag) and tag.startswith(f'"dataset-{ds["id"]}-')
    await _conditional_get(http, path, tag)

    code, new, body = await http("PATCH", path, {"description": "one"}, headers={"If-Match": tag})
    assert code == 200 and new == body["etag"] != tag
    for stale in (tag, weak(new), '"1"', f'"dataset-{ds["id"]}-0.00000000"'):
        err = await _refused(http, "PATCH", path, {"description": "lost"}, stale, new, "dataset")
        assert err["current"]["description"] == "one"
    assert (await http("GET", path))[2]["description"] == "one"
    assert (await http("PATCH", path, {"description": "x"}, headers={"If-Match": "1"}))[0] == 400, "no bare form"
    code, new, body = await http("PATCH", path, {"tags": ["t"]}, headers={"If-Match": "*"})
    assert code == 200 and body["tags"] == ["t"]

    results = await asyncio.gather(*[
        http("PATCH", path, {"description": f"d{i}"}, headers={"If-Match": new}) for i in range(N)])
    assert sorted(code for code, _, _ in results) == [200] + [412] * (N - 1)
    _, current, _ = await http("GET", path)
    await _refused(http, "DELETE", path, None, new, current, "dataset delete")
    assert (await http("GET", path))[0] == 200
    assert (await http("DELETE", path, headers={"If-Match": current}))[0] == 204
    assert (await http("GET", path))[0] == 404


async def test_lists_answer_304_too(http, jp_root_dir):
    pid = (await _project(http, jp_root_dir))["id"]
    for path in ("projects", f"projects/{pid}/blocks", f"projects/{pid}/edges", f"projects/{pid}/dag"):
        code, tag, _ = await http("GET", path)
        assert code == 200 and tag and tag.startswith('"'), (path, tag)
        assert (await http("GET", path, headers={"If-None-Match": tag}))[0] == 304, path
    code, old, _ = await http("GET", f"projects/{pid}/blocks")
    await http("PATCH", f"projects/{pid}/blocks/c0", {"source": "x = 2"})
    assert (await http("GET", f"projects/{pid}/blocks", headers={"If-None-Match": old}))[0] == 200
