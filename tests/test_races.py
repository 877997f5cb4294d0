"""Concurrent identical writes through the real server: the "first insert" of a row
(a member, a favourite, a block position, an edge) must never surface as a 500 when two
requests race to create it. Idempotent requests all succeed and leave exactly one row;
a request that contradicts what a concurrent one just did gets 409 JSON.

Run in both passes: on PostgreSQL (``NOTEBOOK_DAG_TEST_DB=postgresql``) transactions
truly interleave (duplicate keys, deadlocks); SQLite serialises writes, but a read
before the write is outside the write lock, so a select-then-insert races there too."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError

import pg
from conftest import write_notebook
from identity import named_users_config
from notebook_dag.errors import Conflict, NotFound, as_domain_error, status_for
from notebook_dag.storage import Database, Favorite, Project

N = 16


@pytest.fixture
def jp_server_config(db_url):
    return named_users_config(db_url)


async def _project(alice, root, name="race.ipynb"):
    # c0 → c1 is inferred (x); c2 and c3 are independent of everything
    write_notebook(root, name, ["x = 1", "y = x + 1", "a = 10", "b = 20"])
    code, p = await alice.call("POST", "projects", {"name": "Race", "notebook_path": name})
    assert code == 201, p
    return p


async def _all(calls):
    """The ``(status, body)`` of every call, started together."""
    return await asyncio.gather(*calls)


def _no_500(results):
    bad = [(c, b) for c, b in results if c >= 500]
    assert not bad, bad


def _rows(db_url, sql, *args):
    return pg.fetch(db_url, sql, *args)


async def test_concurrent_shares_of_one_user(alice, bob, jp_root_dir, db_url):
    pid = (await _project(alice, jp_root_dir))["id"]
    results = await _all([alice.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "editor"})
                          for _ in range(N)])
    _no_500(results)
    assert [c for c, _ in results] == [200] * N, results
    assert all(b["members"] == [{"username": "bob", "role": "editor", "added_by": "alice"}] for _, b in results)
    assert _rows(db_url, "SELECT username, role FROM project_members WHERE project_id = ?", pid) == [("bob", "editor")]
    assert (await bob.call("GET", f"projects/{pid}"))[1]["role"] == "editor"

    # different roles at the same moment: every request succeeds, one role stays
    roles = ["viewer", "editor", "owner"] * (N // 3)
    results = await _all([alice.call("PUT", f"projects/{pid}/members", {"username": "carol", "role": r}) for r in roles])
    assert [c for c, _ in results] == [200] * len(roles), results
    rows = _rows(db_url, "SELECT role FROM project_members WHERE project_id = ? AND username = 'carol'", pid)
    assert len(rows) == 1 and rows[0][0] in roles
    code, members = await alice.call("GET", f"projects/{pid}/members")
    assert code == 200 and {m["username"]: m["role"] for m in members["members"]} == {"bob": "editor", "carol": rows[0][0]}


async def test_concurrent_favourites(alice, bob, jp_root_dir, db_url):
    pid = (await _project(alice, jp_root_dir))["id"]
    assert (await alice.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "viewer"}))[0] == 200
    for user in (alice, bob):
        results = await _all([user.call("PATCH", f"projects/{pid}", {"favorite": True}) for _ in range(N)])
        _no_500(results)
        assert [c for c, _ in results] == [200] * N, results
        assert all(b["favorite"] is True for _, b in results)
    assert sorted(_rows(db_url, "SELECT username FROM favorites WHERE project_id = ?", pid)) == [("alice",), ("bob",)]

    # starring and a renaming together: the star never makes the rename fail, nor the reverse
    results = await _all([alice.call("PATCH", f"projects/{pid}", {"favorite": i % 2 == 0, "name": f"n{i}"})
                          for i in range(N)])
    assert [c for c, _ in results] == [200] * N, results

    results = await _all([bob.call("PATCH", f"projects/{pid}", {"favorite": False}) for _ in range(N)])
    assert [c for c, _ in results] == [200] * N, results
    assert _rows(db_url, "SELECT username FROM favorites WHERE project_id = ? AND username = 'bob'", pid) == []
    assert (await bob.call("GET", f"projects/{pid}"))[1]["favorite"] is False


async def test_concurrent_favourites_with_a_stale_version_conflict(alice, jp_root_dir, db_url):
    p = await _project(alice, jp_root_dir)
    pid, v = p["id"], p["version"]
    results = await _all([alice.call("PATCH", f"projects/{pid}", {"favorite": True, "description": f"d{i}"},
                                     headers={"If-Match": str(v)}) for i in range(N)])
    _no_500(results)
    codes = sorted(c for c, _ in results)
    assert codes == [200] + [409] * (N - 1), results
    winner = next(b for c, b in results if c == 200)
    for c, b in results:
        if c == 409:
            assert b["reason"] == "conflict" and b["current"]["description"] == winner["description"], b
    assert _rows(db_url, "SELECT username FROM favorites WHERE project_id = ?", pid) == [("alice",)]


async def test_concurrent_first_positions(alice, jp_root_dir, db_url):
    pid = (await _project(alice, jp_root_dir))["id"]
    # half of the requests name the cells in one order, half in the other: the rows must
    # not be locked in opposite orders by two transactions (a deadlock on PostgreSQL)
    bodies = [
        {"positions": dict(sorted({"c0": {"x": i, "y": 1}, "c1": {"x": i, "y": 2}, "c3": {"x": i, "y": 3}}.items(),
                                  reverse=i % 2 == 1))}
        for i in range(N)
    ]
    results = await _all([alice.call("PUT", f"projects/{pid}/positions", b) for b in bodies])
    _no_500(results)
    assert [c for c, _ in results] == [200] * N, results
    rows = _rows(db_url, "SELECT block_id, x, y FROM block_meta WHERE project_id = ? ORDER BY block_id", pid)
    assert [r[0] for r in rows] == ["c0", "c1", "c3"] and [r[2] for r in rows] == [1, 2, 3]
    assert len({r[1] for r in rows}) == 1, "one request's positions won, whole"

    # one block's position and title saved for the first time by many editors at once
    results = await _all([alice.call("PATCH", f"projects/{pid}/blocks/c2", {"position": {"x": i, "y": i}, "title": "T"})
                          for i in range(N)])
    _no_500(results)
    assert [c for c, _ in results] == [200] * N, results
    rows = _rows(db_url, "SELECT title, x, y FROM block_meta WHERE project_id = ? AND block_id = 'c2'", pid)
    assert len(rows) == 1 and rows[0][0] == "T" and rows[0][1] == rows[0][2]
    code, block = await alice.call("GET", f"projects/{pid}/blocks/c2")
    assert code == 200 and block["title"] == "T" and block["position"] == {"x": rows[0][1], "y": rows[0][2]}


async def test_concurrent_identical_manual_edges(alice, jp_root_dir, db_url):
    pid = (await _project(alice, jp_root_dir))["id"]
    results = await _all([alice.call("POST", f"projects/{pid}/edges", {"source": "c2", "target": "c3"}) for _ in range(N)])
    _no_500(results)
    # as when they come one after another: the first adds it, the others find it there
    assert sorted(c for c, _ in results) == [201] + [409] * (N - 1), results
    assert all(b["reason"] == "conflict" for c, b in results if c == 409)
    winner = next(b for c, b in results if c == 201)
    rows = _rows(db_url, "SELECT id FROM edges WHERE project_id = ? AND kind = 'manual'", pid)
    assert rows == [(winner["id"],)]


async def test_concurrent_opposite_edges_never_make_a_cycle(alice, jp_root_dir, db_url):
    pid = (await _project(alice, jp_root_dir))["id"]
    calls = [alice.call("POST", f"projects/{pid}/edges", {"source": s, "target": t})
             for _ in range(N // 2) for s, t in (("c2", "c3"), ("c3", "c2"))]
    results = await _all(calls)
    _no_500(results)
    assert sorted(c for c, _ in results) == [201] + [409] * (N - 1), results
    assert len(_rows(db_url, "SELECT id FROM edges WHERE project_id = ? AND kind = 'manual'", pid)) == 1
    code, dag = await alice.call("GET", f"projects/{pid}/dag")
    assert code == 200 and len(dag["order"]) == 4


async def test_concurrent_hides_of_one_inferred_edge(alice, jp_root_dir, db_url):
    pid = (await _project(alice, jp_root_dir))["id"]
    results = await _all([alice.call("POST", f"projects/{pid}/edges/hidden", {"source": "c0", "target": "c1"})
                          for _ in range(N)])
    _no_500(results)
    assert sorted(c for c, _ in results) == [201] + [409] * (N - 1), results
    assert len(_rows(db_url, "SELECT id FROM edges WHERE project_id = ? AND kind = 'hidden'", pid)) == 1
    code, dag = await alice.call("GET", f"projects/{pid}/dag")
    assert code == 200 and [(e["source"], e["target"]) for e in dag["hidden"]] == [("c0", "c1")]


async def test_writes_racing_a_project_deletion_never_fail_with_500(alice, bob, jp_root_dir):
    for i in range(3):
        pid = (await _project(alice, jp_root_dir, f"gone{i}.ipynb"))["id"]
        calls = [
            alice.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "viewer"}),
            alice.call("PATCH", f"projects/{pid}", {"favorite": True}),
            alice.call("PATCH", f"projects/{pid}", {"name": "renamed"}),
            alice.call("PUT", f"projects/{pid}/positions", {"positions": {"c0": {"x": 1, "y": 1}}}),
            alice.call("POST", f"projects/{pid}/edges", {"source": "c2", "target": "c3"}),
            alice.call("POST", f"projects/{pid}/edges/hidden", {"source": "c0", "target": "c1"}),
            alice.call("PATCH", f"projects/{pid}/blocks/c2", {"title": "T"}),
        ]
        results = await _all([alice.call("DELETE", f"projects/{pid}"), *calls])
        _no_500(results)
        assert results[0][0] == 204, results[0]
        for code, body in results[1:]:
            assert code in (200, 201, 404, 409), (code, body)
            if code >= 400:
                assert body["reason"] in ("not_found", "conflict"), body


async def test_concurrent_deletions_of_one_project(alice, jp_root_dir, db_url):
    pid = (await _project(alice, jp_root_dir))["id"]
    results = await _all([alice.call("DELETE", f"projects/{pid}") for _ in range(N)])
    _no_500(results)
    assert sorted(c for c, _ in results) == [204] + [404] * (N - 1), results
    assert _rows(db_url, "SELECT id FROM projects WHERE id = ?", pid) == []


async def test_database_conflicts_escaping_a_service_are_404_or_409(db_url):
    """The last resort of the handlers' error mapping, on real integrity errors."""
    db = Database(db_url)
    await db.migrate()
    try:
        async with db.session() as s:
            p = Project(name="p", notebook_path="p.ipynb", owner="alice")
            s.add(p)
            await s.flush()
            s.add(Favorite(project_id=p.id, username="alice"))
        with pytest.raises(IntegrityError) as duplicate:
            async with db.session() as s:
                s.add(Favorite(project_id=p.id, username="alice"))
        error = as_domain_error(duplicate.value)
        assert isinstance(error, Conflict) and status_for(error) == 409 and error.__cause__ is duplicate.value
        assert "concurrent" in error.message and error.reason == "conflict"
        with pytest.raises(IntegrityError) as dangling:
            async with db.session() as s:
                s.add(Favorite(project_id="deleted", username="alice"))
        error = as_domain_error(dangling.value)
        assert isinstance(error, NotFound) and status_for(error) == 404
        assert as_domain_error(ValueError("a bug")) is None, "anything else stays a 500"
    finally:
        await db.dispose()


async def test_concurrent_profile_and_report_requests_of_one_dataset(api):
    """Forced re-profiles and report requests of one dataset, all at once: each answers
    2xx (one profile row and one report row, written by INSERT ... ON CONFLICT), none 500."""
    from datasets_helpers import iris, upload, wait_profile, wait_report

    _, d = await upload(api, iris().to_csv(index=False).encode(), "iris-race")
    await wait_profile(api, d["id"])
    answers = await _all(api.call("POST", f"datasets/{d['id']}/profile", force="true") for _ in range(N))
    assert all(code < 300 for code, _ in answers), answers
    assert (await wait_profile(api, d["id"]))["status"] == "ready"
    answers = await _all(api.call("POST", f"datasets/{d['id']}/report") for _ in range(4))
    assert all(code < 300 for code, _ in answers), answers
    assert (await wait_report(api, d["id"]))["status"] == "succeeded"
