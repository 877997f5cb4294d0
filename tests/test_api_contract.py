"""The route table is the single source of the routing and of the OpenAPI document:
every tornado rule has its documented operations and every documented operation its
handler method; every query parameter a handler reads is declared (statically, by the
names handler methods pass to the query helpers, and at run time, where reading an
undeclared one is a 500); the document describes headers, the raw upload body, the
security scheme and the errors; the cancel answer conforms to its model."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import textwrap

import pytest

from conftest import write_notebook
from notebook_dag import models as m
from notebook_dag.app import api_routes, url_rules
from notebook_dag.base_handler import APINotFoundHandler
from notebook_dag.openapi import openapi_document

METHODS = ("get", "post", "patch", "put", "delete")
#: the helpers whose first argument is a query parameter name
READERS = {"get_query_argument", "get_query_arguments", "query_int", "query_bool", "query_list", "float_arg"}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", "x1", path)


def test_every_rule_is_documented_and_every_operation_routed():
    doc = openapi_document(api_routes())
    rules = [(re.compile(p + "$"), h) for p, h, _ in url_rules() if h is not APINotFoundHandler]
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    # each documented operation reaches, as the first matching rule, a handler defining the method
    for path, method in documented:
        url = "/notebook-dag/api" + _concrete(path)
        handler = next(h for rx, h in [(re.compile(p + "$"), h) for p, h, _ in url_rules()] if rx.match(url))
        assert handler is not APINotFoundHandler, (method, path)
        assert callable(getattr(handler, method, None)) and method in _own_methods(handler), (method, path, handler)
    # each rule's handler methods are all documented on a path that rule serves
    for route in api_routes():
        for method in _own_methods(route.handler):
            assert (route.path, method) in documented, f"{route.handler.__name__}.{method} of {route.path} undocumented"
    assert len(rules) == len(api_routes())


def _own_methods(handler: type) -> set[str]:
    """HTTP methods the handler class (or a notebook_dag base below DagAPIHandler) defines."""
    found = set()
    for klass in handler.__mro__:
        if klass.__module__.startswith("notebook_dag") and klass.__name__ != "DagAPIHandler":
            found |= {name for name in METHODS if name in klass.__dict__}
    return found


def _literal_reads(fn) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    names = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in READERS
                and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(node.args[0].value)
    return names


def test_every_query_parameter_a_handler_method_names_is_declared():
    checked = 0
    for route in api_routes():
        for op in route.ops:
            fn = getattr(route.handler, op.method)
            declared = {p.name for p in op.query}
            read = _literal_reads(fn)
            assert read <= declared, f"{route.handler.__name__}.{op.method} reads {read - declared} undeclared"
            checked += len(read)
    assert checked >= 30


def test_handlers_read_query_parameters_only_through_the_checked_readers():
    """``get_argument`` is Jupyter Server's (unchecked); handlers must not use it."""
    for module in {r.handler.__module__ for r in api_routes()} | {"notebook_dag.base_handler"}:
        source = inspect.getsource(__import__(module, fromlist=["x"]))
        assert not re.search(r"\.get_arguments?\(", source), module


def test_the_document_is_valid_openapi():
    validator = pytest.importorskip("openapi_spec_validator")
    doc = openapi_document(api_routes())
    validator.validate(doc)
    # "absent: unchanged" fields refuse null, so they have no default null
    assert "default" not in doc["components"]["schemas"]["BlockUpdate"]["properties"]["source"]


async def test_reading_an_undeclared_query_parameter_is_a_server_error(jp_serverapp, jp_fetch):
    """The run-time half: a route declaring no parameter whose handler reads ``limit``."""
    from notebook_dag.handlers import UserActivityHandler

    jp_serverapp.web_app.add_handlers(".*$", [(
        jp_serverapp.base_url + "notebook-dag/undeclared", UserActivityHandler,
        {"name": "notebook_dag", "query_parameters": {"GET": frozenset({"offset"})}},
    )])
    resp = await jp_fetch("notebook-dag", "undeclared", params={"limit": "5"}, raise_error=False)
    assert resp.code == 500
    ok = await jp_fetch("notebook-dag", "api", "activity", params={"limit": "5"})
    assert ok.code == 200


async def test_the_served_document_describes_parameters_headers_bodies_and_security(api):
    doc = await api.ok("GET", "openapi.json")
    assert doc == openapi_document(api_routes())
    assert doc["security"] == [{"jupyterToken": []}]
    scheme = doc["components"]["securitySchemes"]["jupyterToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    paths = doc["paths"]

    def params(path, method, where):
        return {p["name"]: p for p in paths[path][method].get("parameters", []) if p["in"] == where}

    listing = params("/projects", "get", "query")
    assert set(listing) == {"q", "tag", "notebook_path", "favorite", "scope", "sort", "limit", "offset"}
    assert listing["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert listing["tag"]["schema"]["type"] == "array" and listing["tag"]["explode"] is True
    assert set(params("/datasets/{dataset_id}/preview", "get", "query")) == {"version", "offset", "limit"}
    assert "force" in params("/runs/{run_id}/retry", "post", "query")
    assert "stream" in params("/ai/generate", "post", "query")
    # versioned resources: If-Match on writes (412, 409), ETag answered, If-None-Match on reads
    for path, method in [("/projects/{project_id}", "patch"), ("/projects/{project_id}", "delete"),
                         ("/projects/{project_id}/blocks/{block_id}", "patch"),
                         ("/projects/{project_id}/blocks/{block_id}", "delete"),
                         ("/projects/{project_id}/edges/{edge_id}", "delete"),
                         ("/datasets/{dataset_id}", "patch"), ("/datasets/{dataset_id}", "delete")]:
        assert "If-Match" in params(path, method, "header"), (method, path)
        assert {"409", "412"} <= set(paths[path][method]["responses"]), (method, path)
    for path in ("/projects/{project_id}", "/projects/{project_id}/blocks/{block_id}", "/projects/{project_id}/edges",
                 "/datasets/{dataset_id}"):
        assert "ETag" in paths[path]["get"]["responses"]["200"]["headers"], path
        assert "If-None-Match" in params(path, "get", "header"), path
    assert "ETag" in paths["/projects/{project_id}"]["patch"]["responses"]["200"]["headers"]
    # the raw-body upload next to the JSON registration
    upload = paths["/datasets"]["post"]
    assert set(upload["requestBody"]["content"]) == {"application/json", "application/octet-stream"}
    assert upload["requestBody"]["content"]["application/octet-stream"]["schema"]["format"] == "binary"
    assert {"200", "201", "413"} <= set(upload["responses"])
    # every operation: 403 without a token; 404 when it names an id; errors are ErrorOut
    for path, ops in paths.items():
        for method, op in ops.items():
            assert "403" in op["responses"], (method, path)
            if "{" in path:
                assert "404" in op["responses"], (method, path)
            for code, answer in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert "Retry-After" in paths["/ai/generate"]["post"]["responses"]["429"]["headers"]
    path_param = paths["/projects/{project_id}"]["get"]["parameters"][0]
    assert path_param == {"name": "project_id", "in": "path", "required": True,
                          "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.\\-]+$"}}


async def test_the_cancel_answer_conforms_to_its_documented_model(api, jp_root_dir):
    doc = await api.ok("GET", "openapi.json")
    answer = doc["paths"]["/runs/{run_id}/cancel"]["post"]["responses"]["202"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RunCancelling"}
    assert doc["components"]["schemas"]["RunCancelling"]["properties"]["status"]["const"] == "cancelling"
    write_notebook(jp_root_dir, "slow.ipynb", ["import time\ntime.sleep(30)"])
    p = await api.project("slow.ipynb")
    started = await api.ok("POST", f"projects/{p['id']}/runs", {"mode": "all"}, expect=202)
    for _ in range(100):  # until the block runs on its kernel
        if (await api.ok("GET", f"runs/{started['id']}"))["status"] == "running":
            break
        await asyncio.sleep(0.1)
    body = await api.ok("POST", f"runs/{started['id']}/cancel", expect=202)
    assert m.RunCancelling.model_validate(body).status == "cancelling"
    assert (await api.wait(started["id"], 60))["status"] == "cancelled"


@pytest.mark.parametrize("path", ["/projects/{project_id}/members/{username}"])
def test_special_path_patterns_reach_the_rules(path):
    route = next(r for r in api_routes() if r.path == path)
    assert re.fullmatch(route.pattern(), "/notebook-dag/api/projects/p1/members/a@b.c")
