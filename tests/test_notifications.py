"""Notifications between named users: ownership (nobody reads or marks another user's),
ordering and paging, read and read-all, the notebook_dag/notification/v1 events, and the
producers: a run longer than NotificationService.run_threshold, a share, a full report."""

from __future__ import annotations

import asyncio
import time

import pytest

from conftest import write_notebook
from datasets_helpers import encode, iris
from identity import As, named_users_config
from notebook_dag.notifications.service import NOTIFICATION_SCHEMA_ID


@pytest.fixture
def jp_server_config(db_url):
    config = named_users_config(db_url)
    config["NotificationService"] = {"run_threshold": 0}
    config["DatasetService"] = {"report_max_rows": 100}
    return config


@pytest.fixture
def notifications(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"].notifications


@pytest.fixture
def events(jp_serverapp):
    seen: list[dict] = []

    async def listener(logger, schema_id, data):
        seen.append(dict(data))

    jp_serverapp.event_logger.add_listener(schema_id=NOTIFICATION_SCHEMA_ID, listener=listener)
    return seen


async def _wait_for(user: As, count: int, timeout: float = 60) -> dict:
    """``GET /notifications`` once ``user`` has at least ``count``."""
    deadline = time.monotonic() + timeout
    while True:
        page = await user.ok("GET", "notifications")
        if page["total"] >= count:
            return page
        assert time.monotonic() < deadline, f"{user.user} has {page['total']} notification(s), not {count}"
        await asyncio.sleep(0.1)


async def test_ownership_order_paging_read_and_events(alice, bob, notifications, events):
    for i in range(5):
        await notifications.notify("alice", "run", f"run {i}", target={"project_id": "p", "run_id": f"r{i}"},
                                   level="success")
    await notifications.notify("bob", "share", "for bob")
    await asyncio.sleep(0.05)  # listeners run in tasks
    assert [(e["user"], e["action"], e["kind"]) for e in events] == [("alice", "created", "run")] * 5 + [
        ("bob", "created", "share")]

    page = await alice.ok("GET", "notifications")
    assert (page["user"], page["total"], page["unread"]) == ("alice", 5, 5)
    assert [n["title"] for n in page["notifications"]] == [f"run {i}" for i in (4, 3, 2, 1, 0)], "newest first"
    first = page["notifications"][-1]
    assert first["target"] == {"project_id": "p", "run_id": "r0"} and first["level"] == "success"
    assert first["read"] is False and first["read_at"] is None
    bobs = await bob.ok("GET", "notifications")
    assert (bobs["user"], bobs["total"], [n["title"] for n in bobs["notifications"]]) == ("bob", 1, ["for bob"])
    bob_id = bobs["notifications"][0]["id"]

    # paging
    pages = [await alice.ok("GET", "notifications", limit=2, offset=o) for o in (0, 2, 4)]
    assert [[n["title"] for n in p["notifications"]] for p in pages] == [["run 4", "run 3"], ["run 2", "run 1"], ["run 0"]]
    assert all(p["total"] == 5 for p in pages)
    assert (await alice.call("GET", "notifications", limit=0))[0] == 400

    # nobody reads or marks another user's
    for method, path in [("GET", f"notifications/{bob_id}"), ("POST", f"notifications/{bob_id}/read")]:
        code, err = await alice.call(method, path)
        assert code == 404 and err["reason"] == "not_found", (method, path, code, err)
    for missing in ("999999", "abc", "1.5"):
        assert (await alice.call("GET", f"notifications/{missing}"))[0] == 404, missing
    assert (await bob.ok("GET", f"notifications/{bob_id}"))["read"] is False, "alice's attempt changed nothing"

    # read one: it goes after the unread ones
    events.clear()
    read = await alice.ok("POST", f"notifications/{first['id']}/read")
    assert read["read"] is True and read["read_at"] is not None
    again = await alice.ok("POST", f"notifications/{first['id']}/read")
    assert again["read_at"] == read["read_at"], "reading again keeps the first time"
    page = await alice.ok("GET", "notifications")
    assert page["unread"] == 4
    assert [n["title"] for n in page["notifications"]] == ["run 4", "run 3", "run 2", "run 1", "run 0"]
    run3 = page["notifications"][1]["id"]
    await alice.ok("POST", f"notifications/{run3}/read")
    page = await alice.ok("GET", "notifications")
    assert [(n["title"], n["read"]) for n in page["notifications"]] == [
        ("run 4", False), ("run 2", False), ("run 1", False), ("run 3", True), ("run 0", True)], "unread first"

    # read-all marks only the caller's
    assert await alice.ok("POST", "notifications/read-all") == {"marked": 3, "unread": 0}
    assert await alice.ok("POST", "notifications/read-all") == {"marked": 0, "unread": 0}
    assert (await alice.ok("GET", "notifications"))["unread"] == 0
    assert (await bob.ok("GET", "notifications"))["unread"] == 1
    await asyncio.sleep(0.05)
    assert [(e["user"], e["action"], e["id"]) for e in events] == [
        ("alice", "read", first["id"]), ("alice", "read", run3), ("alice", "read", 0)], "once each, alice only"


async def test_notify_never_raises(notifications, alice):
    await notifications.notify("alice", "no such kind", "x")  # logged, not raised
    await notifications.notify("", "run", "nobody")
    assert (await alice.ok("GET", "notifications"))["total"] == 0


async def test_run_longer_than_threshold_notifies_who_started_it(alice, bob, notifications, jp_root_dir, events):
    assert notifications.run_threshold == 0, "c.NotificationService.run_threshold applies"
    write_notebook(jp_root_dir, "long.ipynb", ["x = 1", "print(x)"])
    p = await alice.ok("POST", "projects", {"name": "Long", "notebook_path": "long.ipynb"}, expect=201)
    run = await alice.run(p["id"])
    assert run["status"] == "succeeded"
    page = await _wait_for(alice, 1)
    n = page["notifications"][0]
    assert (n["kind"], n["level"], n["target"]) == ("run", "success", {"project_id": p["id"], "run_id": run["id"]})
    assert n["title"] == "Run of Long succeeded" and n["message"].startswith("after ")
    assert any(e["user"] == "alice" and e["action"] == "created" and e["id"] == n["id"] for e in events)

    # a failed run: an error, with the reason; a fast run under the threshold: nothing
    write_notebook(jp_root_dir, "long.ipynb", ["x = 1", "raise ValueError('boom')"])
    failed = await alice.run(p["id"])
    assert failed["status"] == "failed"
    page = await _wait_for(alice, 2)
    n = page["notifications"][0]
    assert (n["kind"], n["level"], n["title"]) == ("run", "error", "Run of Long failed")
    assert n["target"]["run_id"] == failed["id"]

    notifications.run_threshold = 3600
    try:
        quick = await alice.run(p["id"])
        assert quick["status"] == "failed"
        await notifications.drain()
        assert (await alice.ok("GET", "notifications"))["total"] == 2, "a run under the threshold notifies nobody"
    finally:
        notifications.run_threshold = 0
    assert (await bob.ok("GET", "notifications"))["total"] == 0


async def test_run_by_a_member_notifies_the_member_not_the_owner(alice, bob, notifications, jp_root_dir):
    write_notebook(jp_root_dir, "team.ipynb", ["y = 2"])
    p = await alice.ok("POST", "projects", {"name": "Team", "notebook_path": "team.ipynb"}, expect=201)
    await alice.ok("PUT", f"projects/{p['id']}/members", {"username": "bob", "role": "editor"})
    run = await bob.run(p["id"])
    assert run["status"] == "succeeded"
    page = await _wait_for(bob, 2)  # the share, then the run
    assert [n["kind"] for n in page["notifications"]] == ["run", "share"]
    assert page["notifications"][0]["target"]["run_id"] == run["id"]
    await notifications.drain()
    assert (await alice.ok("GET", "notifications"))["total"] == 0


async def test_share_notifies_the_new_member_once(alice, bob, notifications, jp_root_dir, events):
    write_notebook(jp_root_dir, "shared.ipynb", ["x = 1"])
    p = await alice.ok("POST", "projects", {"name": "Shared", "notebook_path": "shared.ipynb"}, expect=201)
    await alice.ok("PUT", f"projects/{p['id']}/members", {"username": "bob", "role": "viewer"})
    page = await _wait_for(bob, 1)
    n = page["notifications"][0]
    assert (n["kind"], n["level"], n["target"]) == ("share", "info", {"project_id": p["id"]})
    assert n["title"] == "alice shared Shared with you" and n["message"] == "as viewer"
    await alice.ok("PUT", f"projects/{p['id']}/members", {"username": "bob", "role": "editor"})  # a role change
    await notifications.drain()
    assert (await bob.ok("GET", "notifications"))["total"] == 1, "changing a role is no new share"
    assert (await alice.ok("GET", "notifications"))["total"] == 0
    assert [e["user"] for e in events if e["action"] == "created"] == ["bob"]


async def test_full_report_notifies_who_asked(alice, jp_fetch):
    resp = await jp_fetch("notebook-dag", "api", "datasets", method="POST", body=encode(iris(), "csv"),
                          params={"name": "iris.csv"}, headers={"X-Test-User": "alice"})
    ds_id = __import__("json").loads(resp.body)["id"]
    await alice.ok("POST", f"datasets/{ds_id}/report", expect=202)
    page = await _wait_for(alice, 1, timeout=240)
    n = page["notifications"][0]
    assert (n["kind"], n["level"]) == ("report", "success"), n
    assert n["target"] == {"dataset_id": ds_id, "version": 1}
    assert n["title"] == "Profile report of iris.csv is ready" and "100 of 150 rows" in n["message"]
