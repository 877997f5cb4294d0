"""Sharing between named users: visibility, roles on every route, per-user favourites,
the activity feed, and two concurrent editors of one block."""

from __future__ import annotations


import pytest

from conftest import write_notebook
from identity import named_users_config


@pytest.fixture
def jp_server_config(db_url):
    return named_users_config(db_url)


async def _project(alice, root):
    write_notebook(root, "shared.ipynb", ["x = 1", "y = x + 1\nprint(y)"])
    code, p = await alice.call("POST", "projects", {"name": "Alice's", "notebook_path": "shared.ipynb"})
    assert code == 201 and p["owner"] == "alice" and p["role"] == "owner" and p["visibility"] == "private"
    return p


async def test_private_project_is_invisible_to_others(alice, bob, jp_root_dir):
    p = await _project(alice, jp_root_dir)
    pid = p["id"]
    code, listing = await bob.call("GET", "projects")
    assert code == 200 and listing["total"] == 0
    for method, path in [("GET", f"projects/{pid}"), ("GET", f"projects/{pid}/dag"), ("GET", f"projects/{pid}/blocks"),
                         ("GET", f"projects/{pid}/runs"), ("POST", f"projects/{pid}/runs"), ("DELETE", f"projects/{pid}"),
                         ("GET", f"projects/{pid}/members"), ("GET", f"projects/{pid}/activity")]:
        assert (await bob.call(method, path))[0] == 404, (method, path)
    code, run = await alice.call("POST", f"projects/{pid}/runs", {"mode": "all"})
    assert code == 202
    assert (await bob.call("GET", f"runs/{run['id']}"))[0] == 404
    assert (await bob.call("POST", f"runs/{run['id']}/cancel"))[0] == 404


async def test_viewer_reads_but_cannot_edit_editor_can(alice, bob, jp_root_dir):
    p = await _project(alice, jp_root_dir)
    pid = p["id"]
    code, members = await alice.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "viewer"})
    assert code == 200 and members["members"] == [{"username": "bob", "role": "viewer", "added_by": "alice"}]
    code, mine = await bob.call("GET", "projects", scope="shared")
    assert code == 200 and [x["id"] for x in mine["projects"]] == [pid] and mine["projects"][0]["role"] == "viewer"
    assert (await bob.call("GET", "projects", scope="mine"))[1]["total"] == 0
    assert (await bob.call("GET", f"projects/{pid}/dag"))[0] == 200
    for method, path, body in [
        ("PATCH", f"projects/{pid}/blocks/c0", {"source": "x = 2"}),
        ("POST", f"projects/{pid}/blocks", {"source": "z = 3"}),
        ("POST", f"projects/{pid}/edges", {"source": "c0", "target": "c1"}),
        ("POST", f"projects/{pid}/runs", {"mode": "all"}),
        ("PATCH", f"projects/{pid}", {"name": "mine now"}),
        ("PUT", f"projects/{pid}/members", {"username": "carol", "role": "owner"}),
        ("DELETE", f"projects/{pid}", None),
    ]:
        code, body_ = await bob.call(method, path, body)
        assert code == 403 and body_["reason"] == "forbidden", (method, path, code, body_)
    # a viewer may still star it, for themselves only
    code, starred = await bob.call("PATCH", f"projects/{pid}", {"favorite": True})
    assert code == 200 and starred["favorite"] is True
    assert (await alice.call("GET", f"projects/{pid}"))[1]["favorite"] is False
    assert [x["id"] for x in (await bob.call("GET", "projects", favorite="true"))[1]["projects"]] == [pid]

    await alice.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "editor"})
    code, block = await bob.call("PATCH", f"projects/{pid}/blocks/c0", {"source": "x = 5"})
    assert code == 200 and block["source"] == "x = 5"
    assert (await bob.call("DELETE", f"projects/{pid}"))[0] == 403, "only owners delete"

    code, feed = await alice.call("GET", f"projects/{pid}/activity")
    actions = [(a["username"], a["action"]) for a in feed["activity"]]
    assert ("bob", "edit_block") in actions and ("alice", "share") in actions and ("alice", "create_project") in actions
    assert feed["activity"][0]["action"] == "edit_block", "newest first"
    code, bobs = await bob.call("GET", "activity")
    assert code == 200 and any(a["action"] == "share" for a in bobs["activity"])

    assert (await bob.call("DELETE", f"projects/{pid}/members/bob"))[0] == 204, "a member may leave"
    assert (await bob.call("GET", f"projects/{pid}"))[0] == 404


async def test_shared_with_all_and_membership_errors(alice, bob, jp_root_dir):
    p = await _project(alice, jp_root_dir)
    pid = p["id"]
    assert (await bob.call("PATCH", f"projects/{pid}", {"visibility": "shared-with-all"}))[0] == 404
    code, upd = await alice.call("PATCH", f"projects/{pid}", {"visibility": "shared-with-all"})
    assert code == 200 and upd["visibility"] == "shared-with-all"
    code, seen = await bob.call("GET", f"projects/{pid}")
    assert code == 200 and seen["role"] == "viewer"
    assert (await alice.call("PUT", f"projects/{pid}/members", {"username": "alice", "role": "viewer"}))[0] == 400
    assert (await alice.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "admin"}))[0] == 422
    assert (await alice.call("DELETE", f"projects/{pid}/members/nobody"))[0] == 404


async def test_two_concurrent_editors_of_one_block(alice, bob, jp_root_dir):
    p = await _project(alice, jp_root_dir)
    pid = p["id"]
    await alice.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "editor"})
    _, a_view = await alice.call("GET", f"projects/{pid}/blocks/c1")
    _, b_view = await bob.call("GET", f"projects/{pid}/blocks/c1")
    assert a_view["version"] == b_view["version"]
    code, won = await alice.call("PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x + 10"}, headers={"If-Match": a_view["version"]})
    assert code == 200 and won["version"] != a_view["version"]
    code, lost = await bob.call("PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x + 20"}, headers={"If-Match": b_view["version"]})
    assert code == 409 and lost["current"]["source"] == "y = x + 10" and lost["current"]["version"] == won["version"]
    code, retried = await bob.call("PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x + 20"}, headers={"If-Match": lost["current"]["version"]})
    assert code == 200 and retried["source"] == "y = x + 20"
