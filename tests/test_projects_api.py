"""Projects and blocks through the REST API of a real jupyter_server."""

from __future__ import annotations

import json

import nbformat

from conftest import write_notebook


async def test_create_get_list_update_delete(api, jp_root_dir):
    write_notebook(jp_root_dir, "work/a.ipynb", ["x = 1"])
    p = await api.project("work/a.ipynb", name="Sales", description="monthly sales", tags=["finance", "q1"])
    assert p["notebook_path"] == "work/a.ipynb" and p["tags"] == ["finance", "q1"] and p["owner"]
    assert (await api.ok("GET", f"projects/{p['id']}"))["name"] == "Sales"

    await api.project("work/b.ipynb", name="Churn", tags=["ml"])
    listing = await api.ok("GET", "projects")
    assert listing["total"] == 2 and {x["name"] for x in listing["projects"]} == {"Sales", "Churn"}
    assert [x["name"] for x in (await api.ok("GET", "projects", q="MONTHLY"))["projects"]] == ["Sales"]
    assert [x["name"] for x in (await api.ok("GET", "projects", tag="ml"))["projects"]] == ["Churn"]
    assert [x["name"] for x in (await api.ok("GET", "projects", sort="name"))["projects"]] == ["Churn", "Sales"]
    page = await api.ok("GET", "projects", sort="name", limit="1", offset="1")
    assert page["total"] == 2 and [x["name"] for x in page["projects"]] == ["Sales"]
    found = await api.ok("GET", "projects", notebook_path="work/b.ipynb")
    assert [x["name"] for x in found["projects"]] == ["Churn"]

    upd = await api.ok("PATCH", f"projects/{p['id']}", {"favorite": True, "name": "Sales 2"})
    assert upd["favorite"] is True and upd["name"] == "Sales 2" and upd["version"] == p["version"] + 1
    assert [x["name"] for x in (await api.ok("GET", "projects", favorite="true"))["projects"]] == ["Sales 2"]

    await api.ok("DELETE", f"projects/{p['id']}", expect=204)
    assert (await api.call("GET", f"projects/{p['id']}"))[0] == 404
    assert (jp_root_dir / "work/a.ipynb").exists(), "deleting a project never deletes its notebook"


async def test_missing_notebook_is_created_empty(api, jp_root_dir):
    p = await api.project("new.ipynb")
    nb = nbformat.read(jp_root_dir / "new.ipynb", as_version=4)
    assert nb.cells == [] and nb.metadata.kernelspec.name == "python3"
    assert (await api.ok("GET", f"projects/{p['id']}/blocks"))["blocks"] == []


async def test_bad_input(api, jp_root_dir):
    for path in ["../outside.ipynb", "a/../../outside.ipynb", "/etc/passwd.ipynb", "notes.txt", "a\x00b.ipynb"]:
        code, body = await api.call("POST", "projects", {"name": "x", "notebook_path": path})
        assert code == 400, (path, code, body)
        assert body["message"] and body["reason"] == "bad_request"
    code, body = await api.call("POST", "projects", {"name": "x", "notebook_path": "nodir/a.ipynb"})
    assert code == 404 and "nodir" in body["message"]
    code, body = await api.call("POST", "projects", raw=b"{not json")
    assert code == 400 and "JSON" in body["message"]
    code, body = await api.call("POST", "projects", {"notebook_path": "a.ipynb"})
    assert code == 422 and body["errors"][0]["loc"] == ["name"]
    code, body = await api.call("POST", "projects", {"name": "x", "notebook_path": "a.ipynb", "bogus": 1})
    assert code == 422
    assert (await api.call("GET", "projects/doesnotexist"))[0] == 404
    assert (await api.call("PATCH", "projects/doesnotexist", {"name": "y"}))[0] == 404
    assert (await api.call("DELETE", "projects/doesnotexist"))[0] == 404
    assert (await api.call("GET", "projects", sort="sideways"))[0] == 400
    assert (await api.call("GET", "projects", limit="many"))[0] == 400
    assert (await api.call("GET", "projects", limit="0"))[0] == 400
    (jp_root_dir / "broken.ipynb").write_text("{this is not a notebook")
    code, body = await api.call("POST", "projects", {"name": "x", "notebook_path": "broken.ipynb"})
    assert code == 422, (code, body)
    assert (await api.ok("GET", "projects"))["total"] == 0, "failed creations leave nothing behind"


async def test_stale_version_conflicts(api, jp_root_dir):
    p = await api.project("v.ipynb")
    await api.ok("PATCH", f"projects/{p['id']}", {"description": "first"})
    resp = await api.fetch(
        "notebook-dag", "api", "projects", p["id"], method="PATCH", raise_error=False,
        body=json.dumps({"description": "second"}), headers={"If-Match": str(p["version"])},
    )
    assert resp.code == 409
    assert json.loads(resp.body)["current"]["description"] == "first"


async def test_blocks_crud_and_ids_assigned(api, jp_root_dir):
    write_notebook(jp_root_dir, "old.ipynb", [("markdown", "# Load the data\nintro"), "a = 1", "b = a + 1"], with_ids=False)
    before = (jp_root_dir / "old.ipynb").read_bytes()
    p = await api.project("old.ipynb")
    assert (jp_root_dir / "old.ipynb").read_bytes() == before, "opening a notebook never writes it"
    blocks = (await api.ok("GET", f"projects/{p['id']}/blocks"))["blocks"]
    assert all(b["id"] for b in blocks) and len({b["id"] for b in blocks}) == 3, "ids assigned in memory"
    assert [b["id"] for b in (await api.ok("GET", f"projects/{p['id']}/blocks"))["blocks"]] == [b["id"] for b in blocks]
    assert [b["cell_type"] for b in blocks] == ["markdown", "code", "code"]
    assert blocks[0]["title"] == "Load the data" and blocks[1]["title"] == "a = 1"
    assert [b["index"] for b in blocks] == [0, 1, 2]

    new = await api.ok("POST", f"projects/{p['id']}/blocks", {"source": "c = b * 2", "after": blocks[1]["id"], "title": "double"}, expect=201)
    assert new["index"] == 2 and new["title"] == "double"
    nb = nbformat.read(jp_root_dir / "old.ipynb", as_version=4)
    assert [c.source for c in nb.cells][1:3] == ["a = 1", "c = b * 2"]
    assert nb.nbformat_minor >= 5, "the first edit saves the notebook with its ids"
    assert [c.id for i, c in enumerate(nb.cells) if i != 2] == [b["id"] for b in blocks], "the ids shown before"

    upd = await api.ok("PATCH", f"projects/{p['id']}/blocks/{new['id']}", {"source": "c = a * 2", "position": {"x": 10, "y": 20.5}})
    assert upd["source"] == "c = a * 2" and upd["position"] == {"x": 10, "y": 20.5} and upd["title"] == "double"
    assert nbformat.read(jp_root_dir / "old.ipynb", as_version=4).cells[2].source == "c = a * 2"

    await api.ok("DELETE", f"projects/{p['id']}/blocks/{new['id']}", expect=204)
    assert len(nbformat.read(jp_root_dir / "old.ipynb", as_version=4).cells) == 3
    assert (await api.call("PATCH", f"projects/{p['id']}/blocks/nope", {"source": "x"}))[0] == 404
    assert (await api.call("POST", f"projects/{p['id']}/blocks", {"source": "x", "after": "nope"}))[0] == 404
    assert (await api.call("POST", f"projects/{p['id']}/blocks", {"source": "x", "cell_type": "sql"}))[0] == 422


async def test_openapi_document(api):
    doc = await api.ok("GET", "openapi.json")
    assert doc["openapi"].startswith("3.")
    assert "/projects/{project_id}/runs" in doc["paths"]
    assert "ProjectCreate" in doc["components"]["schemas"]


async def test_list_pages_count_every_match_and_carry_role_and_star(api, jp_root_dir):
    ids = []
    for i in range(5):
        write_notebook(jp_root_dir, f"page{i}.ipynb", ["x = 1"])
        ids.append((await api.project(f"page{i}.ipynb", name=f"P{i}", tags=["pg"]))["id"])
    await api.ok("PATCH", f"projects/{ids[3]}", {"favorite": True})

    def names(listing):
        return [x["name"] for x in listing["projects"]]

    for params, expected in [
        ({"limit": "2"}, ["P0", "P1"]),              # a full page: the total is counted
        ({"limit": "2", "offset": "4"}, ["P4"]),     # the last page
        ({"limit": "2", "offset": "9"}, []),         # past the end
        ({"limit": "5"}, ["P0", "P1", "P2", "P3", "P4"]),
        ({"limit": "2", "tag": "pg"}, ["P0", "P1"]),  # tags are matched in Python
    ]:
        listing = await api.ok("GET", "projects", sort="name", **params)
        assert (names(listing), listing["total"]) == (expected, 5), params
    starred = await api.ok("GET", "projects", favorite="true", limit="1")
    assert (names(starred), starred["total"]) == (["P3"], 1)
    unstarred = await api.ok("GET", "projects", favorite="false", sort="name", limit="3")
    assert (names(unstarred), unstarred["total"]) == (["P0", "P1", "P2"], 4)
    everything = (await api.ok("GET", "projects", sort="name"))["projects"]
    assert [(x["role"], x["favorite"]) for x in everything] == [("owner", i == 3) for i in range(5)]
