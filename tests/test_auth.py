"""Every route refuses unauthenticated requests, and every handler method carries
``@web.authenticated`` and ``@authorized`` with the ``notebook_dag`` resource."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap

import pytest

from notebook_dag.app import url_rules
from notebook_dag.base_handler import DagAPIHandler


def _concrete(pattern: str) -> str:
    return re.sub(r"\(\?P<[a-z_]+>[^)]*\)", "x1", pattern)


@pytest.mark.parametrize("pattern,handler,kwargs", url_rules())
async def test_unauthenticated_requests_are_refused(pattern, handler, kwargs, jp_serverapp, http_server_client, jp_base_url):
    url = f"{jp_base_url.rstrip('/')}{_concrete(pattern)}"
    methods = [m for m in ("GET", "POST", "PATCH", "PUT", "DELETE") if m.lower() in handler.__dict__]
    assert methods, handler
    for method in methods:
        resp = await http_server_client.fetch(url, method=method, body=b"{}" if method in ("POST", "PATCH", "PUT") else None, raise_error=False)
        assert resp.code == 403, (method, url, resp.code)


def test_every_handler_method_is_authenticated_and_authorized():
    """Every route's handler class (wherever it is defined) decorates each HTTP method
    with ``@web.authenticated`` then ``@authorized``, and inherits the resource name."""
    checked = 0
    for _, handler, _ in url_rules():
        assert issubclass(handler, DagAPIHandler) and handler.auth_resource == "notebook_dag"
        for klass in handler.__mro__:
            if klass is DagAPIHandler or not issubclass(klass, DagAPIHandler):
                continue
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
            for fn in (n for n in tree.body[0].body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
                if fn.name not in {"get", "post", "patch", "put", "delete"}:
                    continue
                names = [ast.unparse(d) for d in fn.decorator_list]
                assert names[:2] == ["web.authenticated", "authorized"], f"{klass.__name__}.{fn.name}: {names}"
                checked += 1
    assert checked >= len(url_rules())
