"""Dataset analyses and chart suggestions follow the dataset's read rights (those of its
preview and profile): invisible to another user until they are a member of its project."""

from __future__ import annotations

import json

import pytest

from conftest import write_notebook
from datasets_helpers import encode, iris
from identity import As, named_users_config


@pytest.fixture
def jp_server_config(db_url):
    return named_users_config(db_url)


async def test_analysis_and_charts_need_read_rights(jp_fetch, jp_root_dir):
    alice, bob = As(jp_fetch, "alice"), As(jp_fetch, "bob")
    write_notebook(jp_root_dir, "a.ipynb", ["x = 1"])
    code, p = await alice.call("POST", "projects", {"name": "Alice's", "notebook_path": "a.ipynb"})
    assert code == 201
    resp = await jp_fetch("notebook-dag", "api", "datasets", method="POST", body=encode(iris(), "csv"),
                          headers={"X-Test-User": "alice"}, params={"name": "iris.csv", "project_id": p["id"]},
                          raise_error=False)
    assert resp.code == 201, resp.body
    ds = json.loads(resp.body)
    paths = [(f"datasets/{ds['id']}/analysis", {"kind": "correlation"}), (f"datasets/{ds['id']}/charts", {"limit": 2}),
             (f"datasets/{ds['id']}/preview", {})]
    for path, params in paths:
        assert (await bob.call("GET", path, **params))[0] == 404, path
    assert (await alice.call("PUT", f"projects/{p['id']}/members", {"username": "bob", "role": "viewer"}))[0] == 200
    for path, params in paths:
        code, body = await bob.call("GET", path, **params)
        assert code == 200, (path, body)
    code, out = await bob.call("GET", f"datasets/{ds['id']}/analysis", kind="statistics")
    assert f"notebook_dag.load('iris.csv', project={p['id']!r})" in out["code"]
