"""notebook_dag on JupyterHub: a real hub (configurable-http-proxy from npm,
DummyAuthenticator with a password, SimpleLocalProcessSpawner) starts two users'
single-user servers with notebook_dag on one shared database (PostgreSQL when the tests
have one, else one SQLite file) and one shared notebook directory
(tests/hub/jupyterhub_config.py). Everything goes through the hub's proxy, with the
users' own hub API tokens, as a browser or script of theirs would."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

import pg
from conftest import blocks_by_id, stdout_of, write_notebook
from servers import TESTS, free_port, http, stop_process, tail

pytest.importorskip("jupyterhub", reason="jupyterhub is not installed (pip install '.[test]')")
pytestmark = [pytest.mark.deployment, pytest.mark.timeout(420)]

ROOT = TESTS.parent
CHP_CACHE = ROOT / ".cache" / "chp"


def configurable_http_proxy() -> str | None:
    """JupyterHub's proxy: $NOTEBOOK_DAG_TEST_CHP, on PATH, or installed from npm into
    .cache/chp (what scripts/run-tests.sh does too)."""
    for candidate in (os.environ.get("NOTEBOOK_DAG_TEST_CHP"), shutil.which("configurable-http-proxy"),
                      str(CHP_CACHE / "node_modules" / ".bin" / "configurable-http-proxy")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    npm = shutil.which("npm")
    if npm is None:
        return None
    CHP_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(CHP_CACHE),
                    "configurable-http-proxy"], check=False, timeout=300, capture_output=True)
    path = CHP_CACHE / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(path) if path.exists() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class Hub:
    """A running JupyterHub; :meth:`api` is its REST API with the admin service token."""

    def __init__(self, work: Path, db_url: str, notebooks: Path, chp: str) -> None:
        self.work = work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token = secrets.token_hex(16)
        self.password = secrets.token_hex(8)
        self.server_pids: set[int] = set()
        env = dict(
            os.environ,
            NBDAG_HUB_DIR=str(work), NBDAG_HUB_PORT=str(self.port), NBDAG_HUB_API_PORT=str(free_port()),
            NBDAG_HUB_PROXY_API_PORT=str(free_port()), NBDAG_HUB_CHP=chp, NBDAG_HUB_PASSWORD=self.password,
            NBDAG_HUB_ADMIN_TOKEN=self.admin_token, NBDAG_HUB_DB_URL=db_url, NBDAG_HUB_NOTEBOOKS=str(notebooks),
        )
        env.pop("JUPYTERHUB_API_TOKEN", None)
        self.log_path = work / "jupyterhub.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(TESTS / "hub" / "jupyterhub_config.py")],
            cwd=work, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.time() + 90
        while True:
            try:
                if self.api("GET", "")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise AssertionError(f"JupyterHub did not start:\n{tail(self.log_path, 60)}")
            time.sleep(0.3)

    def api(self, method: str, path: str, body=None, token: str | None = None):
        return http(method, f"{self.url}/hub/api/{path}".rstrip("/"), body,
                    {"Authorization": f"token {token or self.admin_token}"})

    def add_user(self, name: str) -> str:
        """Create the user, start their server, and return an API token of theirs."""
        code, body = self.api("POST", f"users/{name}")
        assert code == 201, body
        code, body = self.api("POST", f"users/{name}/tokens", {"note": "notebook_dag test", "expires_in": 3600})
        assert code == 201, body
        return body["token"]

    def start_server(self, name: str) -> None:
        code, body = self.api("POST", f"users/{name}/server")
        assert code in (201, 202), body
        deadline = time.time() + 150
        while True:
            code, user = self.api("GET", f"users/{name}")
            server = (user.get("servers") or {}).get("") if code == 200 else None
            if server and server.get("state", {}).get("pid"):
                self.server_pids.add(server["state"]["pid"])
            if server and server.get("ready"):
                return
            assert time.time() < deadline, f"{name}'s server did not start:\n{tail(self.log_path, 60)}"
            time.sleep(0.3)

    def dag(self, token: str, method: str, path: str, body=None, server: str | None = None, headers=None):
        """notebook_dag's API on ``server``'s single-user server (default: the token's
        user's), through the proxy."""
        user = server or self.owner_of[token]
        return http(method, f"{self.url}/user/{user}/notebook-dag/api/{path}", body,
                    {"Authorization": f"token {token}", **(headers or {})})

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                pass
        stop_process(self.proc)
        pids = set(self.server_pids)
        proxy_pid = self.work / "proxy.pid"
        if proxy_pid.exists():
            pids.add(int(proxy_pid.read_text().strip() or 0))
        for pid in pids:  # nothing the hub started may outlive the test
            if pid and _alive(pid):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        self._log.close()


@pytest.fixture
def hub_db_url(tmp_path):
    """The database the single-user servers share: a fresh PostgreSQL database when the
    tests have a PostgreSQL server, else one SQLite file."""
    if pg.server_url():
        url = pg.create_database("hub")
        try:
            yield url
        finally:
            pg.drop_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'shared' / 'notebook_dag.db'}"


@pytest.fixture
def hub(tmp_path, hub_db_url):
    chp = configurable_http_proxy()
    if chp is None:
        pytest.skip("configurable-http-proxy is not installed and npm is not available")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    h = Hub(tmp_path, hub_db_url, notebooks, chp)
    h.notebooks = notebooks
    h.owner_of = {}
    try:
        yield h
    finally:
        h.stop()
        leftover = [pid for pid in h.server_pids if _alive(pid)]
        assert not leftover, f"single-user servers outlived the hub: {leftover}"


def _ok(result, expect=200):
    code, body = result
    assert code == expect, (code, body)
    return body


def _login(hub: Hub, username: str, password: str) -> tuple[int, urllib.request.OpenerDirector]:
    """Log in through the hub's login form (with its XSRF cookie) as a browser would;
    returns the status the form answered and a cookie-carrying opener."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{hub.url}/hub/login", timeout=30).read()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    form = urllib.parse.urlencode({"username": username, "password": password, "_xsrf": xsrf}).encode()
    try:
        with opener.open(f"{hub.url}/hub/login?next=/hub/home", data=form, timeout=60) as r:
            return r.status, opener
    except urllib.error.HTTPError as e:
        return e.code, opener


def test_two_users_share_a_project_through_jupyterhub(hub):
    write_notebook(hub.notebooks, "team.ipynb", [
        "x = 20\nprint('x', x)",
        "y = x * 2 + 2\nprint('y', y)",
        "import os, time\nwhile not os.path.exists('go'):\n    time.sleep(0.05)\nprint('done', y)",
    ])
    alice, bob = hub.add_user("alice"), hub.add_user("bob")
    hub.owner_of.update({alice: "alice", bob: "bob"})
    hub.start_server("alice")

    # a private project of alice's, and a run of it still going while bob's server starts
    p = _ok(hub.dag(alice, "POST", "projects", {"name": "Alice's analysis", "notebook_path": "team.ipynb"}), 201)
    pid = p["id"]
    assert p["owner"] == "alice" and p["role"] == "owner", "usernames are the hub's"
    run = _ok(hub.dag(alice, "POST", f"projects/{pid}/runs", {"mode": "all"}), 202)
    deadline = time.time() + 60
    while blocks_by_id(_ok(hub.dag(alice, "GET", f"runs/{run['id']}")))["c2"]["status"] != "running":
        assert time.time() < deadline
        time.sleep(0.1)
    hub.start_server("bob")
    assert _ok(hub.dag(alice, "GET", f"runs/{run['id']}"))["status"] == "running", \
        "bob's server starting must not mark alice's run interrupted"
    (hub.notebooks / "go").touch()
    deadline = time.time() + 60
    while (done := _ok(hub.dag(alice, "GET", f"runs/{run['id']}")))["status"] in ("queued", "running"):
        assert time.time() < deadline
        time.sleep(0.1)
    by = blocks_by_id(done)
    assert done["status"] == "succeeded", done
    assert [stdout_of(by[b]) for b in ("c0", "c1", "c2")] == ["x 20\n", "y 42\n", "done 42\n"]

    # private: invisible to bob on his own server, and alice's server is not his
    assert hub.dag(bob, "GET", f"projects/{pid}")[0] == 404
    assert _ok(hub.dag(bob, "GET", "projects"))["total"] == 0
    assert hub.dag(bob, "GET", f"runs/{run['id']}")[0] == 404
    assert hub.dag(bob, "GET", "projects", server="alice")[0] == 403, "the hub keeps bob out of alice's server"

    # shared as viewer: bob reads everything through his server, changes nothing
    members = _ok(hub.dag(alice, "PUT", f"projects/{pid}/members", {"username": "bob", "role": "viewer"}))
    assert members["members"] == [{"username": "bob", "role": "viewer", "added_by": "alice"}]
    seen = _ok(hub.dag(bob, "GET", f"projects/{pid}"))
    assert seen["role"] == "viewer" and seen["owner"] == "alice"
    assert [x["id"] for x in _ok(hub.dag(bob, "GET", "projects?scope=shared"))["projects"]] == [pid]
    from_bob = _ok(hub.dag(bob, "GET", f"runs/{run['id']}"))
    assert [stdout_of(b) for b in from_bob["blocks"]] == ["x 20\n", "y 42\n", "done 42\n"]
    for method, path, body in [
        ("PATCH", f"projects/{pid}/blocks/c1", {"source": "y = 0"}),
        ("POST", f"projects/{pid}/runs", {"mode": "all"}),
        ("PATCH", f"projects/{pid}", {"name": "bob's now"}),
        ("DELETE", f"projects/{pid}", None),
    ]:
        code, answer = hub.dag(bob, method, path, body)
        assert code == 403 and answer["reason"] == "forbidden", (method, path, code, answer)

    # one database and one notebook directory: alice's edit is bob's to see at once
    block = _ok(hub.dag(alice, "GET", f"projects/{pid}/blocks/c1"))
    edited = _ok(hub.dag(alice, "PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x * 3\nprint('y', y)"},
                         headers={"If-Match": block["version"]}))
    assert _ok(hub.dag(bob, "GET", f"projects/{pid}/blocks/c1"))["version"] == edited["version"]
    dag = _ok(hub.dag(bob, "GET", f"projects/{pid}/dag"))
    assert [n["id"] for n in dag["nodes"]] == ["c0", "c1", "c2"]
    assert {(e["source"], e["target"]) for e in dag["edges"]} >= {("c0", "c1"), ("c1", "c2")}
    feed = _ok(hub.dag(bob, "GET", f"projects/{pid}/activity"))["activity"]
    assert [(a["username"], a["action"]) for a in feed][:4] == [
        ("alice", "edit_block"), ("alice", "share"), ("alice", "run"), ("alice", "create_project")]
    assert _ok(hub.dag(bob, "GET", f"projects/{pid}/members"))["owner"] == "alice"

    # promoted to editor, bob edits; a stale edit of alice's then conflicts
    _ok(hub.dag(alice, "PUT", f"projects/{pid}/members", {"username": "bob", "role": "editor"}))
    bobs = _ok(hub.dag(bob, "PATCH", f"projects/{pid}/blocks/c1", {"source": "y = x + 1\nprint('y', y)"},
                       headers={"If-Match": edited["version"]}))
    code, conflict = hub.dag(alice, "PATCH", f"projects/{pid}/blocks/c1", {"source": "y = -1"},
                             headers={"If-Match": edited["version"]})
    assert code == 409 and conflict["current"]["version"] == bobs["version"]
    assert conflict["current"]["source"] == "y = x + 1\nprint('y', y)"

    # the password login of the DummyAuthenticator, as a browser: wrong, then right
    assert _login(hub, "alice", "not-the-password")[0] == 403
    status, browser = _login(hub, "alice", hub.password)
    assert status == 200
    with browser.open(f"{hub.url}/user/alice/", timeout=60) as r:  # the OAuth round trip to her server
        assert r.status == 200 and urllib.parse.urlparse(r.geturl()).path == "/user/alice/lab", r.geturl()
    with browser.open(f"{hub.url}/user/alice/notebook-dag/api/projects", timeout=60) as r:
        listing = json.loads(r.read())
    assert [x["id"] for x in listing["projects"]] == [pid] and listing["projects"][0]["owner"] == "alice"
