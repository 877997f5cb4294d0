"""Every route refuses unauthenticated requests, and every handler method carries
``@web.authenticated`` and ``@authorized`` with the ``notebook_dag`` resource."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from notebook_dag import handlers
from notebook_dag.handlers import DagAPIHandler, route_table


def _concrete(pattern: str) -> str:
    return re.sub(r"\(\?P<[a-z_]+>[^)]*\)", "x1", pattern)


@pytest.mark.parametrize("pattern,handler", route_table())
async def test_unauthenticated_requests_are_refused(pattern, handler, jp_serverapp, http_server_client, jp_base_url):
    url = f"{jp_base_url.rstrip('/')}{_concrete(pattern)}"
    methods = [m for m in ("GET", "POST", "PATCH", "PUT", "DELETE") if m.lower() in handler.__dict__]
    assert methods, handler
    for method in methods:
        resp = await http_server_client.fetch(url, method=method, body=b"{}" if method in ("POST", "PATCH", "PUT") else None, raise_error=False)
        assert resp.code == 403, (method, url, resp.code)


def test_every_handler_method_is_authenticated_and_authorized():
    assert DagAPIHandler.auth_resource == "notebook_dag"
    tree = ast.parse(inspect.getsource(handlers))
    checked = 0
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            if fn.name not in {"get", "post", "patch", "put", "delete"}:
                continue
            names = [ast.unparse(d) for d in fn.decorator_list]
            assert names[:2] == ["web.authenticated", "authorized"], f"{cls.name}.{fn.name}: {names}"
            checked += 1
    assert checked >= len(route_table())
    for _, handler in route_table():
        assert issubclass(handler, DagAPIHandler)
