"""Kernels hold no database credential: ``notebook_dag.load()`` reads through the server
with a token of the kernel's user, scoped to dataset reads; members of a shared project
read its datasets (REST and kernels alike), others do not."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from conftest import TERMINAL, blocks_by_id, stdout_of, write_notebook
from datasets_helpers import encode, iris, wine
from identity import As, named_users_config
from notebook_dag.kernel_auth import InvalidToken, KernelTokens

ADMIN_URL = "postgresql://admin:s3cret-pw@db.example.org/notebook_dag"


@pytest.fixture
def jp_server_config(db_url, monkeypatch):
    # an administrator exported a database URL with its password before starting the server,
    # and this is alice's JupyterHub single-user server (the owner of its notebook sessions)
    monkeypatch.setenv("NOTEBOOK_DAG_DB_URL", ADMIN_URL)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    return named_users_config(db_url)


async def _upload(who: As, data: bytes, name: str, **params) -> dict:
    resp = await who.fetch("notebook-dag", "api", "datasets", method="POST", body=data, raise_error=False,
                           params={"name": name, **params}, headers={"X-Test-User": who.user})
    assert resp.code == 201, (resp.code, resp.body)
    return json.loads(resp.body)


async def _run(who: As, project_id: str, timeout: float = 120, **body) -> dict:
    code, run = await who.call("POST", f"projects/{project_id}/runs", {"mode": "all", "force": True, **body})
    assert code == 202, run
    deadline = time.monotonic() + timeout
    while run["status"] not in TERMINAL:
        assert time.monotonic() < deadline, run
        code, run = await who.call("GET", f"runs/{run['id']}")
    return run


ENV_CELL = ("import os, json\n"
            "print(json.dumps(dict(os.environ)))")
TRY_CELL = ("import notebook_dag\n"
            "for name in NAMES:\n"
            "    try:\n"
            "        print(name, 'ok', notebook_dag.load(name).shape)\n"
            "    except Exception as e:\n"
            "        print(name, type(e).__name__, e)")


def _results(run: dict, block: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in stdout_of(blocks_by_id(run)[block]).splitlines())


async def test_kernels_get_a_token_not_the_database(alice, jp_root_dir, db_url, jp_serverapp):
    import os

    write_notebook(jp_root_dir, "env.ipynb", [ENV_CELL])
    code, p = await alice.call("POST", "projects", {"name": "env", "notebook_path": "env.ipynb"})
    assert code == 201
    run = await _run(alice, p["id"])
    assert run["status"] == "succeeded", run
    env = json.loads(stdout_of(blocks_by_id(run)["c0"]))
    secrets_ = [db_url, "s3cret-pw", ADMIN_URL] + [make_url(db_url).password or "s3cret-pw"]
    assert "NOTEBOOK_DAG_DB_URL" not in env, "the administrator's URL is removed from the kernel's environment"
    assert not [s for s in secrets_ for v in env.values() if s in v], "no database URL or password in any variable"
    assert db_url not in os.environ.values(), "the server never exports its database URL"
    assert env["NOTEBOOK_DAG_API_URL"] == f"http://127.0.0.1:{jp_serverapp.port}{jp_serverapp.base_url}"
    assert env["NOTEBOOK_DAG_KERNEL_TOKEN"].startswith("ndk1.") and env["NOTEBOOK_DAG_PROJECT_ID"] == p["id"]
    tokens = jp_serverapp.web_app.settings["notebook_dag_kernel_tokens"]
    who = tokens.verify(env["NOTEBOOK_DAG_KERNEL_TOKEN"])
    assert who.user == "alice" and who.scopes == ("datasets:read",)
    assert 11.9 * 3600 < who.expires - time.time() <= 12 * 3600


async def test_a_kernel_reads_what_its_user_may_read(alice, bob, jp_root_dir):
    write_notebook(jp_root_dir, "a/team.ipynb", ["import notebook_dag\nprint(notebook_dag.load('team.csv').shape)"])
    code, pa = await alice.call("POST", "projects", {"name": "team", "notebook_path": "a/team.ipynb"})
    assert code == 201
    team = await _upload(alice, encode(iris(), "csv"), "team.csv", project_id=pa["id"])
    private = await _upload(alice, encode(wine(), "csv"), "private.csv")

    run = await _run(alice, pa["id"])  # (b) a run of alice's project loads her dataset
    assert run["status"] == "succeeded", run
    assert stdout_of(blocks_by_id(run)["c0"]).strip() == "(150, 6)"

    names = ["team.csv", team["id"], "private.csv", private["id"]]
    write_notebook(jp_root_dir, "b/mine.ipynb", [f"NAMES = {names!r}", TRY_CELL])
    code, pb = await bob.call("POST", "projects", {"name": "bob's", "notebook_path": "b/mine.ipynb"})
    assert code == 201
    # (c) bob's kernel reads none of alice's private datasets, and says so
    got = _results(await _run(bob, pb["id"]), "c1")
    for name in names:
        assert got[name].startswith("LookupError no dataset named"), (name, got)
    for path in (f"datasets/{team['id']}", f"datasets/{team['id']}/preview", f"datasets/{team['id']}/lineage"):
        assert (await bob.call("GET", path))[0] == 404, path
    assert (await bob.call("GET", "datasets"))[1]["total"] == 0

    # shared as viewer: the project's dataset opens to bob, in his kernel and on the REST API
    code, _ = await alice.call("PUT", f"projects/{pa['id']}/members", {"username": "bob", "role": "viewer"})
    assert code == 200
    got = _results(await _run(bob, pb["id"]), "c1")
    assert got["team.csv"] == got[team["id"]] == "ok (150, 6)", got
    assert got["private.csv"].startswith("LookupError") and got[private["id"]].startswith("LookupError"), got
    code, listed = await bob.call("GET", "datasets")
    assert code == 200 and [d["id"] for d in listed["datasets"]] == [team["id"]]
    assert (await bob.call("GET", "datasets", project_id=pa["id"]))[1]["total"] == 1
    for path in (f"datasets/{team['id']}", f"datasets/{team['id']}/versions",
                 f"datasets/{team['id']}/preview", f"datasets/{team['id']}/profile"):
        assert (await bob.call("GET", path))[0] == 200, path
    code, lineage = await bob.call("GET", f"datasets/{team['id']}/lineage")
    assert code == 200 and [(r["project_id"], r["block_id"], r["via"]) for r in lineage["readers"]] == [
        (pa["id"], "c0", "notebook_dag.load")]
    assert (await bob.call("GET", f"datasets/{private['id']}"))[0] == 404
    # writing needs an editor
    code, err = await bob.call("PATCH", f"datasets/{team['id']}", {"description": "bob was here"})
    assert code == 403 and err["reason"] == "forbidden", err
    assert (await bob.call("DELETE", f"datasets/{team['id']}"))[0] == 403
    await alice.call("PUT", f"projects/{pa['id']}/members", {"username": "bob", "role": "editor"})
    code, edited = await bob.call("PATCH", f"datasets/{team['id']}", {"description": "bob was here"})
    assert code == 200 and edited["description"] == "bob was here" and edited["owner"] == "alice"
    code, err = await bob.call("PATCH", f"datasets/{team['id']}", {"project_id": None})
    assert code == 403, "only the owner moves a dataset out of its project"

    # unshared: closed again, at once (the token names bob; rights are checked on each read)
    assert (await alice.call("DELETE", f"projects/{pa['id']}/members/bob"))[0] == 204
    got = _results(await _run(bob, pb["id"]), "c1")
    assert got["team.csv"].startswith("LookupError"), got


async def test_the_token_opens_nothing_else(alice, jp_root_dir, jp_serverapp, http_server_client, jp_base_url):
    write_notebook(jp_root_dir, "tok.ipynb", ["import os\nprint(os.environ['NOTEBOOK_DAG_KERNEL_TOKEN'])"])
    code, p = await alice.call("POST", "projects", {"name": "tok", "notebook_path": "tok.ipynb"})
    assert code == 201
    await _upload(alice, encode(iris(), "csv"), "iris.csv")
    token = stdout_of(blocks_by_id(await _run(alice, p["id"]))["c0"]).strip()
    base = jp_base_url.rstrip("/")

    async def get(path: str, auth: str | None) -> int:
        headers = {"Authorization": auth} if auth else {}
        resp = await http_server_client.fetch(f"{base}{path}", headers=headers, raise_error=False)
        return resp.code

    resolve = "/notebook-dag/api/kernel/datasets/resolve?name=iris.csv"
    assert await get(resolve, f"notebook-dag-kernel {token}") == 200
    for path in ("/notebook-dag/api/projects", f"/notebook-dag/api/projects/{p['id']}", "/notebook-dag/api/datasets",
                 "/api/kernels", "/api/contents", "/api/sessions"):
        for auth in (f"notebook-dag-kernel {token}", f"token {token}", f"Bearer {token}"):
            assert await get(path, auth) in (401, 403), (path, auth)
    jupyter_token = jp_serverapp.identity_provider.token
    assert await get(resolve, f"token {jupyter_token}") == 401, "a Jupyter login does not open the kernel routes"
    assert await get(resolve, None) == 401
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert await get(resolve, f"notebook-dag-kernel {forged}") == 401


async def test_notebook_sessions_get_a_token_renewed_on_restart(alice, jp_root_dir, jp_fetch, jp_serverapp):
    """A kernel JupyterLab starts (``POST /api/sessions``) belongs to the server's owner."""
    await _upload(alice, encode(iris(), "csv"), "iris.csv")
    (jp_root_dir / "s.ipynb").write_text("")
    resp = await jp_fetch("api", "sessions", method="POST", headers={"X-Test-User": "alice"}, body=json.dumps(
        {"path": "s.ipynb", "type": "notebook", "name": "s.ipynb", "kernel": {"name": "python3"}}))
    kid = json.loads(resp.body)["kernel"]["id"]
    code = ("import os, notebook_dag\n"
            "print(os.environ['NOTEBOOK_DAG_KERNEL_TOKEN'], 'NOTEBOOK_DAG_DB_URL' in os.environ, "
            "notebook_dag.load('iris.csv').shape)")
    first = (await _execute(jp_serverapp, kid, code)).split()
    assert first[1:] == ["False", "(150,", "6)"], first
    tokens = jp_serverapp.web_app.settings["notebook_dag_kernel_tokens"]
    assert tokens.verify(first[0]).user == "alice"
    await jp_fetch("api", "kernels", kid, "restart", method="POST", body=b"{}")
    second = (await _execute(jp_serverapp, kid, code)).split()
    assert second[1:] == first[1:] and second[0] != first[0], "a restarted kernel gets a fresh token"
    await jp_fetch("api", "kernels", kid, method="DELETE")


async def _execute(serverapp, kernel_id: str, code: str) -> str:
    kc = serverapp.kernel_manager.get_kernel(kernel_id).client()
    kc.start_channels()
    out: list[str] = []
    try:
        await kc.wait_for_ready(timeout=60)

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        await kc.execute_interactive(code, output_hook=hook, timeout=60)
    finally:
        kc.stop_channels()
    return "".join(out)


async def test_parallel_worker_kernels_read_as_the_run_user(alice, jp_root_dir, jp_serverapp):
    await _upload(alice, encode(iris(), "csv"), "par.csv")
    cell = ("{v} = notebook_dag.load('par.csv').shape\n"
            "time.sleep(1)\n"
            "print({v})")
    # (no os.environ here: a block touching the environment is pinned to the project kernel; a
    # worker without the token could not load at all, as the test server has no default database)
    write_notebook(jp_root_dir, "par.ipynb", ["import notebook_dag, time", cell.format(v="left"),
                                              cell.format(v="right")])
    code, p = await alice.call("POST", "projects", {"name": "par", "notebook_path": "par.ipynb"})
    assert code == 201
    run = await _run(alice, p["id"], max_parallel=2)
    assert run["status"] == "succeeded", run
    blocks = blocks_by_id(run)
    assert {blocks["c1"]["kernel"], blocks["c2"]["kernel"]} == {"project", "worker-1"}, blocks
    assert stdout_of(blocks["c1"]) == stdout_of(blocks["c2"]) == "(150, 6)\n", blocks


async def test_outside_a_server_kernel_load_says_how_to_get_a_token(tmp_path, monkeypatch):
    import notebook_dag
    from notebook_dag.kernel_api import NoKernelToken

    for name in ("NOTEBOOK_DAG_KERNEL_TOKEN", "NOTEBOOK_DAG_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))  # no default database of this user there
    with pytest.raises(NoKernelToken, match="kernel started by a Jupyter server.*db_url="):
        notebook_dag.load("iris.csv")


async def test_a_kernel_without_the_file_system_downloads_verified_bytes(alice, jp_root_dir, jp_serverapp,
                                                                         tmp_path, monkeypatch):
    import asyncio
    import hashlib

    from notebook_dag import kernel_api
    from notebook_dag.kernel_auth import api_url

    data = encode(iris(), "csv")
    ds = await _upload(alice, data, "iris.csv")
    tokens = jp_serverapp.web_app.settings["notebook_dag_kernel_tokens"]
    monkeypatch.setenv("NOTEBOOK_DAG_DATASETS_CACHE", str(tmp_path / "cache"))
    api = api_url(jp_serverapp).rstrip("/") + "/notebook-dag/api/kernel/datasets"
    found = {"dataset_id": ds["id"], "name": "iris.csv", "version": 1, "sha256": ds["latest"]["sha256"]}
    # urllib blocks: in a thread, as in a kernel, while this loop serves the request
    path = await asyncio.to_thread(kernel_api._download, f"{api}/{ds['id']}/content?version=1",
                                   tokens.issue("alice"), found)
    assert path.startswith(str(tmp_path / "cache")) and hashlib.sha256(Path(path).read_bytes()).hexdigest() \
        == ds["latest"]["sha256"]
    with pytest.raises(LookupError, match="no dataset"):
        await asyncio.to_thread(kernel_api._download, f"{api}/{ds['id']}/content", tokens.issue("bob"),
                                {**found, "sha256": "0" * 64})


def test_tokens_expire_are_signed_and_scoped():
    now = [1000.0]
    tokens = KernelTokens(lifetime=60, clock=lambda: now[0])
    token = tokens.issue("alice")
    assert tokens.verify(token).user == "alice"
    with pytest.raises(InvalidToken, match="does not allow"):
        tokens.verify(token, scope="projects:read")
    with pytest.raises(InvalidToken, match="not issued by this server"):
        KernelTokens(clock=lambda: now[0]).verify(token)
    head, _, sig = token.split(".")
    other = tokens.issue("bob").split(".")[1]
    with pytest.raises(InvalidToken, match="not issued"):
        tokens.verify(f"{head}.{other}.{sig}")
    with pytest.raises(InvalidToken):
        tokens.verify("token abc")
    now[0] += 61
    with pytest.raises(InvalidToken, match="expired"):
        tokens.verify(token)
