"""Several Jupyter servers on one PostgreSQL database, as in a team deployment: each is
a real ``jupyter_server`` process with notebook_dag on the same database and the same
notebook directory. Whatever the pass's ``--db``, these tests use PostgreSQL (skipped
when ``NOTEBOOK_DAG_TEST_PG_URL`` names no server)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import pg
from conftest import blocks_by_id, stdout_of, write_notebook
from servers import Server

pytestmark = [
    pytest.mark.deployment,
    pytest.mark.skipif(not pg.server_url(), reason=f"{pg.ENV_PG_URL} is not set (scripts/pg-test-cluster.sh)"),
]


@pytest.fixture(scope="module")
def pg_url():
    url = pg.create_database("shared")
    try:
        yield url
    finally:
        pg.drop_database(url)


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, pg_url):
    """Servers ``a`` and ``b`` started at the same moment on one fresh database (so they
    migrate it concurrently), serving one notebook directory; users via ``X-Test-User``.
    Shared by the tests of this module: each works on a notebook of its own."""
    root = tmp_path_factory.mktemp("team") / "shared"
    root.mkdir()
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(Server, root, pg_url, users=True, name=n, args=[f"--RunService.server_id={n}"])
                   for n in ("a", "b")]
        errors = [f.exception() for f in futures]
        servers = [f.result() for f in futures if f.exception() is None]
    try:
        assert not any(errors), errors
        yield servers
    finally:
        for s in servers:
            s.stop()


@pytest.fixture
def notebook(two_servers, request):
    """A notebook of this test's own in the shared directory; its API path."""
    name = f"{request.node.name[:40]}.ipynb"
    write_notebook(two_servers[0].root, name, [
        "x = 1\nprint('x', x)",
        "y = x + 1\nprint('y', y)",
        "import os, time\nwhile not os.path.exists('go'):\n    time.sleep(0.05)\nprint('went')",
    ])
    return name


def _all_at_once(calls):
    """Run the ``calls`` (functions) on threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))

    def go(fn):
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(go, calls))


def test_servers_migrate_one_fresh_database_together(two_servers, pg_url):
    heads = {r[0] for r in pg.fetch(pg_url, "SELECT version_num FROM alembic_version")}
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from notebook_dag.storage.database import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert heads == set(ScriptDirectory.from_config(cfg).get_heads())
    kinds = {r[0]: r[1] for r in pg.fetch(
        pg_url, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'runs'")}
    assert kinds["created_at"] == "timestamp with time zone" and kinds["server"] == "character varying"


def test_one_database_state_for_every_server(two_servers, notebook):
    a, b = two_servers
    p = a.call("POST", "projects", {"name": "Team", "notebook_path": notebook, "tags": ["Shared", "ünïcode"]}, user="alice")
    assert b.request("GET", f"projects/{p['id']}", user="bob")[0] == 404, "private until shared"
    a.call("PUT", f"projects/{p['id']}/members", {"username": "bob", "role": "viewer"}, user="alice")
    seen = b.call("GET", f"projects/{p['id']}", user="bob")
    assert seen["role"] == "viewer" and seen["owner"] == "alice" and seen["version"] == p["version"]
    # search goes through PostgreSQL's JSON text of the tags
    assert [x["id"] for x in b.call("GET", "projects?q=shared", user="bob")["projects"]] == [p["id"]]
    assert b.call("GET", "projects?tag=%C3%BCn%C3%AFcode", user="bob")["total"] == 1
    assert b.call("GET", "projects?q=%C3%9CN%C3%8F", user="bob")["total"] == 1, "non-ASCII tags are searchable"
    assert b.request("POST", f"projects/{p['id']}/runs", {"mode": "all"}, user="bob")[0] == 403

    run = a.wait(a.call("POST", f"projects/{p['id']}/runs", {"mode": "upstream", "block_id": "c1"}, user="alice")["id"], user="alice")
    assert run["status"] == "succeeded"
    from_b = b.call("GET", f"runs/{run['id']}", user="bob")
    assert stdout_of(blocks_by_id(from_b)["c1"]) == "y 2\n" and from_b["started_at"].endswith(("Z", "+00:00"))
    feed = b.call("GET", f"projects/{p['id']}/activity", user="bob")["activity"]
    assert [(x["username"], x["action"]) for x in feed][:3] == [("alice", "run"), ("alice", "share"), ("alice", "create_project")]
    assert b.call("GET", f"projects/{p['id']}/runs", user="bob")["total"] == 1


def test_concurrent_project_edits_on_two_servers_one_wins(two_servers, notebook):
    a, b = two_servers
    p = a.call("POST", "projects", {"name": "Team", "notebook_path": notebook}, user="alice")
    pid, v = p["id"], p["version"]
    a.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "editor"}, user="alice")

    # one after the other: the second writer saw an old version
    code, won = a.request("PATCH", f"projects/{pid}", {"name": "by alice"}, user="alice", headers={"If-Match": str(v)})
    assert code == 200 and won["version"] == v + 1
    code, lost = b.request("PATCH", f"projects/{pid}", {"name": "by bob"}, user="bob", headers={"If-Match": str(v)})
    assert code == 409 and lost["reason"] == "conflict"
    assert lost["current"]["version"] == v + 1 and lost["current"]["name"] == "by alice"

    # at the same moment, from both servers, all from the same version: exactly one wins
    v = won["version"]
    calls = [
        (lambda s=s, u=u, i=i: s.request("PATCH", f"projects/{pid}", {"description": f"{u} {i}"}, user=u,
                                         headers={"If-Match": str(v)}))
        for i in range(3) for s, u in ((a, "alice"), (b, "bob"))
    ]
    results = _all_at_once(calls)
    codes = sorted(c for c, _ in results)
    assert codes == [200] + [409] * 5, results
    winner = next(body for c, body in results if c == 200)
    assert winner["version"] == v + 1
    for c, body in results:
        if c == 409:
            assert body["current"]["version"] == v + 1 and body["current"]["description"] == winner["description"], body
    assert b.call("GET", f"projects/{pid}", user="bob")["description"] == winner["description"]

    # without If-Match nobody asked for a check: concurrent edits all land, one after another
    results = _all_at_once([
        (lambda s=s, u=u, i=i: s.request("PATCH", f"projects/{pid}", {"tags": [f"{u}{i}"]}, user=u))
        for i in range(2) for s, u in ((a, "alice"), (b, "bob"))
    ])
    assert [c for c, _ in results] == [200] * 4, results
    assert a.call("GET", f"projects/{pid}", user="alice")["version"] == v + 5


def test_two_concurrent_editors_of_one_block_on_two_servers(two_servers, notebook):
    a, b = two_servers
    p = a.call("POST", "projects", {"name": "Team", "notebook_path": notebook}, user="alice")
    pid = p["id"]
    a.call("PUT", f"projects/{pid}/members", {"username": "bob", "role": "editor"}, user="alice")
    a_view = a.call("GET", f"projects/{pid}/blocks/c1", user="alice")
    b_view = b.call("GET", f"projects/{pid}/blocks/c1", user="bob")
    assert a_view["version"] == b_view["version"]

    code, won = a.request("PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x + 10"}, user="alice",
                          headers={"If-Match": a_view["version"]})
    assert code == 200 and won["version"] != a_view["version"]
    code, lost = b.request("PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x + 20"}, user="bob",
                           headers={"If-Match": b_view["version"]})
    assert code == 409 and lost["current"]["source"] == "y = x + 10" and lost["current"]["version"] == won["version"]

    # both at the same moment, several times over: one wins, the others see what won
    for attempt in range(3):
        base = a.call("GET", f"projects/{pid}/blocks/c1", user="alice")["version"]
        results = _all_at_once([
            (lambda s=s, u=u, i=i: s.request("PATCH", f"projects/{pid}/blocks/c1", {"source": f"y = x + {u}{attempt}{i}"},
                                             user=u, headers={"If-Match": base}))
            for i in range(2) for s, u in ((a, "alice"), (b, "bob"))
        ])
        assert sorted(c for c, _ in results) == [200, 409, 409, 409], results
        winner = next(body for c, body in results if c == 200)
        assert all(body["current"]["source"] == winner["source"] for c, body in results if c == 409)
        import nbformat

        on_disk = nbformat.read(a.root / notebook, as_version=4)
        assert on_disk.cells[1].source == winner["source"], "the file holds what won"
        assert b.call("GET", f"projects/{pid}/blocks/c1", user="bob")["source"] == winner["source"]


def test_a_server_starting_leaves_other_servers_runs_alone(two_servers, notebook, pg_url):
    """Last of the module: it restarts server b."""
    a, b = two_servers
    p = a.call("POST", "projects", {"name": "Team", "notebook_path": notebook}, user="alice")
    run = a.call("POST", f"projects/{p['id']}/runs", {"mode": "all"}, user="alice")
    deadline = time.time() + 60
    while blocks_by_id(a.call("GET", f"runs/{run['id']}", user="alice"))["c2"]["status"] != "running":
        assert time.time() < deadline
        time.sleep(0.1)
    b.stop()  # b restarts while a runs a block: b's start-up must not mark a's run interrupted
    two_servers[1] = b = Server(a.root, pg_url, users=True, name="b2", args=["--RunService.server_id=b"])
    assert b.call("GET", f"runs/{run['id']}", user="alice")["status"] == "running"
    (a.root / "go").touch()
    done = b.wait(run["id"], 60, user="alice")
    assert done["status"] == "succeeded" and stdout_of(blocks_by_id(done)["c2"]) == "went\n"
    assert [r[0] for r in pg.fetch(pg_url, "SELECT server FROM runs WHERE id = ?", run["id"])] == ["a"]


def test_uploads_of_one_name_on_two_servers_make_one_dataset_with_distinct_versions(two_servers):
    """Twelve uploads of different bytes under one name, at once, half on each server:
    one dataset, versions 1..12, every upload 201 (never a duplicate dataset, a
    duplicate version number or a 500)."""
    name = "race-across-servers"

    def upload(i: int):
        server = two_servers[i % 2]
        return server.request("POST", f"datasets?name={name}", f"x,y\n{i},{i * 2}\n".encode(), user="alice",
                              timeout=120)

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(upload, range(12)))
    assert [code for code, _ in results] == [201] * 12, results
    ids = {body["id"] for _, body in results}
    assert len(ids) == 1, "one dataset, not one per server"
    code, versions = two_servers[1].request("GET", f"datasets/{ids.pop()}/versions", user="alice")
    assert code == 200 and sorted(v["version"] for v in versions["versions"]) == list(range(1, 13)), versions
