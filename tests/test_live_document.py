"""The live document of a notebook open in JupyterLab (issue #12): what an editor PUTs
is what the DAG, blocks and runs read, without any write of the file; block edits by
REST are refused meanwhile (409 open_in_editor) or go into a shared collaboration
document; ids of an older notebook are assigned in memory; the last opened project of
a notebook is listed first, per user."""

from __future__ import annotations

import asyncio
import json
import time

import nbformat
import pytest

from conftest import TERMINAL, write_notebook
from identity import named_users_config
from notebook_dag.notebooks import CELL_ID_PATTERN, ensure_cell_ids


@pytest.fixture
def jp_server_config(db_url):
    return named_users_config(db_url)


async def ok(user, method, path, body=None, expect=200, **params):
    code, data = await user.call(method, path, body, **params)
    assert code == expect, f"{method} {path} -> {code}: {data}"
    return data


async def dag(user, pid, etag=None):
    """``(status, body, ETag)`` of GET /projects/{pid}/dag (with If-None-Match ``etag``)."""
    resp = await user.fetch("notebook-dag", "api", "projects", pid, "dag", method="GET", raise_error=False,
                            headers={"X-Test-User": user.user, **({"If-None-Match": etag} if etag else {})})
    return resp.code, (json.loads(resp.body) if resp.body else None), resp.headers.get("Etag")


async def run(user, pid, timeout=120, **body):
    started = await ok(user, "POST", f"projects/{pid}/runs", body or {"mode": "all"}, expect=202)
    deadline = time.monotonic() + timeout
    while True:
        r = await ok(user, "GET", f"runs/{started['id']}")
        if r["status"] in TERMINAL:
            return r
        assert time.monotonic() < deadline, f"run still {r['status']}"
        await asyncio.sleep(0.1)


def stdout(run_: dict, block_id: str) -> str:
    block = {b["block_id"]: b for b in run_["blocks"]}[block_id]
    return "".join(o.get("text", "") for o in block["outputs"] if o.get("name") == "stdout")


def cells(*sources):
    return [{"id": f"c{i}", "cell_type": "code", "source": s} for i, s in enumerate(sources)]


def edges(doc):
    return {(e["source"], e["target"]) for e in doc["edges"]}


def file_state(path):
    return path.read_bytes(), path.stat().st_mtime_ns


async def test_editor_document_is_what_the_server_reads_and_the_file_stays(alice, jp_root_dir):
    path = write_notebook(jp_root_dir, "live.ipynb", ["x = 1", "y = 2", "print('file', y)"])
    p = await ok(alice, "POST", "projects", {"name": "live", "notebook_path": "live.ipynb"}, expect=201)
    pid = p["id"]
    before = file_state(path)
    code, doc, etag = await dag(alice, pid)
    assert code == 200 and doc["document"] == "file" and ("c0", "c1") not in edges(doc)

    # the editor has an unsaved edit: c1 now reads x
    sent = cells("x = 1", "y = x + 41", "print('editor', y)")
    out = await ok(alice, "PUT", f"projects/{pid}/document", {"cells": sent, "metadata": {}})
    assert out["live"] == "editor" and isinstance(out["revision"], int) and out["expires_in"] == 120
    code, doc, etag2 = await dag(alice, pid, etag)
    assert code == 200, "the old ETag no longer matches"
    assert etag2 != etag and doc["document"] == "editor"
    assert ("c0", "c1") in edges(doc) and ("c1", "c2") in edges(doc)
    assert {n["id"]: n["source"] for n in doc["nodes"]}["c1"] == "y = x + 41"
    blocks = (await ok(alice, "GET", f"projects/{pid}/blocks"))["blocks"]
    assert [b["source"] for b in blocks] == [c["source"] for c in sent]
    assert file_state(path) == before, "reading a live document never writes the file"

    # the same content again keeps its revision; a change raises it
    assert (await ok(alice, "PUT", f"projects/{pid}/document", {"cells": sent, "metadata": {}}))["revision"] == out["revision"]
    code, _, etag3 = await dag(alice, pid, etag2)
    assert code == 304 and etag3 == etag2, "a re-send without change keeps the cached DAG"
    changed = await ok(alice, "PUT", f"projects/{pid}/document",
                       {"cells": sent, "base_revision": out["revision"] + 1000})
    assert changed["revision"] > out["revision"] + 1000, "revisions stay above the client's base_revision"

    # a run executes the editor's code, not the file's; with the file's kernelspec
    r = await run(alice, pid)
    assert r["status"] == "succeeded", r
    assert stdout(r, "c2") == "editor 42\n"
    assert file_state(path) == before, "runs never write the notebook"

    # block edits by REST are refused while the editor holds the notebook
    for method, sub, body in [("PATCH", "blocks/c1", {"source": "y = 0"}),
                              ("POST", "blocks", {"source": "z = 1"}),
                              ("DELETE", "blocks/c1", None)]:
        code, err = await alice.call(method, f"projects/{pid}/{sub}", body)
        assert code == 409 and err["reason"] == "open_in_editor" and "open in JupyterLab" in err["message"], \
            (method, sub, code, err)
    titled = await ok(alice, "PATCH", f"projects/{pid}/blocks/c1", {"title": "the answer", "position": {"x": 1, "y": 2}})
    assert titled["title"] == "the answer" and titled["source"] == "y = x + 41", "titles and positions still save"
    assert file_state(path) == before

    # the editor closed: back to the file
    assert (await alice.call("DELETE", f"projects/{pid}/document"))[0] == 204
    code, doc, _ = await dag(alice, pid)
    assert doc["document"] == "file" and ("c0", "c1") not in edges(doc)
    assert (await ok(alice, "PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x"}))["source"] == "y = x"
    assert nbformat.read(path, as_version=4).cells[1].source == "y = x", "without a live document: the file"
    assert (await alice.call("DELETE", f"projects/{pid}/document"))[0] == 204, "closing twice is harmless"


async def test_editor_document_rights_and_bad_bodies(alice, bob, jp_root_dir):
    path = write_notebook(jp_root_dir, "rights.ipynb", ["x = 1"])
    pid = (await ok(alice, "POST", "projects", {"name": "r", "notebook_path": "rights.ipynb"}, expect=201))["id"]
    body = {"cells": cells("x = 2")}
    assert (await bob.call("PUT", f"projects/{pid}/document", body))[0] == 404, "a private project is not revealed"
    assert (await alice.call("PUT", "projects/nope/document", body))[0] == 404
    await ok(alice, "PUT", f"projects/{pid}/members", {"username": "bob", "role": "viewer"})
    code, err = await bob.call("PUT", f"projects/{pid}/document", body)
    assert code == 403 and err["reason"] == "forbidden"
    assert (await ok(bob, "GET", f"projects/{pid}/blocks"))["blocks"][0]["source"] == "x = 1"

    bad = [
        {"cells": [{"id": "a", "cell_type": "code", "source": "1"}, {"id": "a", "cell_type": "code", "source": "2"}]},
        {"cells": [{"id": "a", "cell_type": "code", "source": None}]},
        {"cells": [{"id": "a", "cell_type": "sql", "source": "select 1"}]},
        {"cells": [{"id": "", "cell_type": "code", "source": "1"}]},
        {"cells": [{"id": "no spaces", "cell_type": "code", "source": "1"}]},
        {"cells": [{"id": "a", "cell_type": "code", "source": "1", "outputs": []}]},
        {"cells": [{"id": "a", "cell_type": "code"}]},
        {"cells": cells("1"), "metadata": None},
        {"cells": cells("1"), "base_revision": -1},
        {"cells": cells("1"), "extra": 1},
        {},
    ]
    for b in bad:
        code, err = await alice.call("PUT", f"projects/{pid}/document", b)
        assert code == 422 and err["reason"] == "unprocessable", (b, code, err)
    code, doc, _ = await dag(alice, pid)
    assert doc["document"] == "file", "no bad body became a live document"
    # an editor of the project may send it; the viewer then reads it too
    await ok(alice, "PUT", f"projects/{pid}/members", {"username": "bob", "role": "editor"})
    await ok(bob, "PUT", f"projects/{pid}/document", body)
    assert (await ok(alice, "GET", f"projects/{pid}/blocks"))["blocks"][0]["source"] == "x = 2"
    # alice closing her (absent) editor leaves bob's document live
    assert (await alice.call("DELETE", f"projects/{pid}/document"))[0] == 204
    assert (await dag(alice, pid))[1]["document"] == "editor"
    assert nbformat.read(path, as_version=4).cells[0].source == "x = 1"


class TestExpiry:
    @pytest.fixture
    def jp_server_config(self, db_url):
        config = named_users_config(db_url)
        config["LiveDocuments"] = {"editor_ttl": 1.0}
        return config

    async def test_editor_document_expires(self, alice, jp_root_dir):
        write_notebook(jp_root_dir, "ttl.ipynb", ["x = 1", "y = 2"])
        pid = (await ok(alice, "POST", "projects", {"name": "t", "notebook_path": "ttl.ipynb"}, expect=201))["id"]
        out = await ok(alice, "PUT", f"projects/{pid}/document", {"cells": cells("x = 1", "y = x")})
        assert out["expires_in"] == 1.0, "c.LiveDocuments.editor_ttl configures it"
        code, doc, etag = await dag(alice, pid)
        assert doc["document"] == "editor" and ("c0", "c1") in edges(doc)
        await asyncio.sleep(1.3)
        code, doc, etag2 = await dag(alice, pid, etag)
        assert code == 200 and doc["document"] == "file" and ("c0", "c1") not in edges(doc) and etag2 != etag
        assert (await ok(alice, "PATCH", f"projects/{pid}/blocks/c1", {"source": "y = 3"}))["source"] == "y = 3"


async def test_notebook_without_ids_is_never_written(alice, jp_root_dir):
    path = write_notebook(jp_root_dir, "old.ipynb", [("markdown", "# Old"), "a = 1", "b = a + 1"], with_ids=False)
    before = file_state(path)
    pid = (await ok(alice, "POST", "projects", {"name": "old", "notebook_path": "old.ipynb"}, expect=201))["id"]
    ids = [b["id"] for b in (await ok(alice, "GET", f"projects/{pid}/blocks"))["blocks"]]
    assert len(set(ids)) == 3 and all(CELL_ID_PATTERN.match(i) for i in ids)
    code, doc, _ = await dag(alice, pid)
    assert code == 200 and [n["id"] for n in doc["nodes"]] == ids and (ids[1], ids[2]) in edges(doc)
    other = (await ok(alice, "POST", "projects", {"name": "old 2", "notebook_path": "old.ipynb"}, expect=201))["id"]
    assert [b["id"] for b in (await ok(alice, "GET", f"projects/{other}/blocks"))["blocks"]] == ids, "same file, same ids"
    r = await run(alice, pid)
    assert r["status"] == "succeeded" and {b["block_id"] for b in r["blocks"]} == {ids[1], ids[2]}
    assert file_state(path) == before, "neither creating a project, reading nor running wrote it"


def test_ensure_cell_ids_is_deterministic_and_repairs(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a"), nbformat.v4.new_code_cell("b"),
                                         nbformat.v4.new_code_cell("c"), nbformat.v4.new_code_cell("d")])
    nb.cells[0]["id"] = "keep"
    nb.cells[1]["id"] = "keep"  # a duplicate
    nb.cells[2]["id"] = "bad id!"
    del nb.cells[3]["id"]
    nb.nbformat_minor = 4
    first, second = nbformat.from_dict(json.loads(json.dumps(nb))), nbformat.from_dict(json.loads(json.dumps(nb)))
    assert ensure_cell_ids(first, "dir/n.ipynb") and ensure_cell_ids(second, "dir/n.ipynb")
    ids = [c["id"] for c in first.cells]
    assert ids == [c["id"] for c in second.cells] and ids[0] == "keep" and len(set(ids)) == 4
    assert all(CELL_ID_PATTERN.match(i) and len(i) <= 64 for i in ids)
    assert first.nbformat_minor == 5
    assert not ensure_cell_ids(first, "dir/n.ipynb"), "nothing left to change"
    elsewhere = nbformat.from_dict(json.loads(json.dumps(nb)))
    ensure_cell_ids(elsewhere, "other.ipynb")
    assert [c["id"] for c in elsewhere.cells][1:] != ids[1:], "ids derive from the path too"


async def test_last_opened_project_is_listed_first_per_user(alice, bob, jp_root_dir):
    write_notebook(jp_root_dir, "two.ipynb", ["x = 1"])
    older = (await ok(alice, "POST", "projects", {"name": "older", "notebook_path": "two.ipynb"}, expect=201))["id"]
    await asyncio.sleep(0.05)
    newer = (await ok(alice, "POST", "projects", {"name": "newer", "notebook_path": "two.ipynb"}, expect=201))["id"]
    for pid in (older, newer):
        await ok(alice, "PATCH", f"projects/{pid}", {"visibility": "shared-with-all"})
    await asyncio.sleep(0.05)
    await ok(alice, "PATCH", f"projects/{newer}", {"description": "touched last"})

    def order(listing):
        return [(x["id"], x["last_opened_at"]) for x in listing["projects"]]

    mine = await ok(alice, "GET", "projects", notebook_path="two.ipynb")
    assert order(mine) == [(newer, None), (older, None)], "newest first while none was opened"
    assert (await alice.call("POST", f"projects/{older}/opened"))[0] == 204
    mine = await ok(alice, "GET", "projects", notebook_path="two.ipynb")
    assert [x["id"] for x in mine["projects"]] == [older, newer] and mine["total"] == 2
    assert mine["projects"][0]["last_opened_at"] is not None and mine["projects"][1]["last_opened_at"] is None
    theirs = await ok(bob, "GET", "projects", notebook_path="two.ipynb")
    assert order(theirs) == [(newer, None), (older, None)], "another user's order is their own"

    await asyncio.sleep(0.05)
    await ok(alice, "POST", f"projects/{newer}/opened", expect=204)
    mine = await ok(alice, "GET", "projects", notebook_path="two.ipynb")
    assert [x["id"] for x in mine["projects"]] == [newer, older]
    assert mine["projects"][1]["last_opened_at"] is not None, "both remembered"
    assert mine["projects"][0]["last_opened_at"] > mine["projects"][1]["last_opened_at"]
    assert (await bob.call("POST", "projects/nope/opened"))[0] == 404
    feed = await ok(alice, "GET", f"projects/{older}/activity")
    assert "opened" not in {a["action"] for a in feed["activity"]}, "openings are no activity"


class SharedDocuments:
    """An in-memory stand-in for jupyter-collaboration's shared documents, with the
    interface of notebook_dag.collab.CollaborationDocuments (the adapter itself is
    tested on its own branch): what LiveDocuments and BlockService do with it is
    under test here."""

    available = True

    def __init__(self, nb):
        self.nb = nb

    async def get(self, path):
        return self.nb if path == "shared.ipynb" else None

    def _index(self, cell_id):
        return next(i for i, c in enumerate(self.nb.cells) if c["id"] == cell_id)

    async def set_source(self, path, cell_id, source):
        self.nb.cells[self._index(cell_id)]["source"] = source
        return True

    async def insert_cell(self, path, index, cell):
        self.nb.cells.insert(index, nbformat.from_dict(cell))
        return True

    async def delete_cell(self, path, cell_id):
        del self.nb.cells[self._index(cell_id)]
        return True


async def test_collaboration_document_takes_block_edits(alice, jp_root_dir, jp_serverapp):
    path = write_notebook(jp_root_dir, "shared.ipynb", ["x = 1", "y = 2"])
    pid = (await ok(alice, "POST", "projects", {"name": "s", "notebook_path": "shared.ipynb"}, expect=201))["id"]
    before = file_state(path)
    shared = SharedDocuments(nbformat.read(path, as_version=4))
    documents = jp_serverapp.web_app.settings["notebook_dag_services"].documents
    documents.collab = shared
    try:
        code, doc, etag = await dag(alice, pid)
        assert doc["document"] == "collaboration"
        out = await ok(alice, "PUT", f"projects/{pid}/document", {"cells": cells("ignored")})
        assert out == {"live": "collaboration"}
        await ok(alice, "PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x"})
        assert shared.nb.cells[1]["source"] == "y = x"
        code, doc, etag2 = await dag(alice, pid, etag)
        assert code == 200 and ("c0", "c1") in edges(doc), "the DAG follows the shared document at once"
        new = await ok(alice, "POST", f"projects/{pid}/blocks", {"source": "print(y)", "after": "c1"}, expect=201)
        assert [c["source"] for c in shared.nb.cells] == ["x = 1", "y = x", "print(y)"] and new["index"] == 2
        await ok(alice, "DELETE", f"projects/{pid}/blocks/{new['id']}", expect=204)
        assert len(shared.nb.cells) == 2
        assert file_state(path) == before, "jupyter-collaboration saves the shared document, not we"
    finally:
        documents.collab = None
    assert (await dag(alice, pid))[1]["document"] == "file"
