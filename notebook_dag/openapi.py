"""The OpenAPI 3.1 document of the REST API, generated from the route table
(:mod:`notebook_dag.routes`) and the pydantic models, the same table tornado's URL rules
come from, so that the document, the routing and the models cannot drift apart. Served at
``GET /notebook-dag/api/openapi.json``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from pydantic.json_schema import models_json_schema

from .models import ErrorOut
from .routes import IF_NONE_MATCH, RETRY_AFTER, Header, Model, Op, Route

#: the security scheme: Jupyter's token in the Authorization header. (Jupyter Server also
#: takes it as a ``?token=`` query parameter, which then needs the ``_xsrf`` cookie for
#: writes; that way is for browser links and is left out of the document.)
SECURITY_SCHEMES = {
    "jupyterToken": {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "the Jupyter server's token (or a JupyterHub API token): `Authorization: token <token>`; "
                       "without it (or a browser session with its _xsrf cookie) every route answers 403",
    },
}


def _models(op: Op) -> list[Model]:
    response = op.response if isinstance(op.response, tuple) else (op.response,)
    return [x for x in (op.request, *response) if x is not None]


def _error_statuses(route: Route, op: Op) -> list[int]:
    """The op's error statuses plus those every op of its kind may answer: 403 (not
    authenticated or not authorized), 400 (a malformed parameter or body), 404 (an
    unknown id in the path), 422 (a body that does not match its model)."""
    codes = set(op.errors) | {403}
    if route.path_parameters() or op.query or op.request or op.raw_body:
        codes.add(400)
    if route.path_parameters():
        codes.add(404)
    if op.request is not None:
        codes.add(422)
    return sorted(codes)


#: a header value HTTP/1.1 can carry (visible ASCII and spaces): tornado's HTTP server
#: answers any other one with a bare 400 before the API sees the request
HEADER_VALUE = {"type": "string", "pattern": "^[\\x20-\\x7e]*$"}


def _headers(headers: Iterable[Header]) -> dict[str, Any]:
    return {h.name: {"description": h.description, "required": h.required, "schema": {"type": "string"}}
            for h in headers}


def _operation(route: Route, op: Op, ref: dict[Model, dict[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.method.lower() + "_" + re.sub(r"[^A-Za-z0-9]+", "_", route.path).strip("_"),
        "summary": op.summary,
        "responses": {},
    }
    if op.description:
        doc["description"] = op.description
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": f"^{regex}$"}}
        for name, regex in route.path_parameters()
    ]
    for p in op.query:
        param = {"name": p.name, "in": "query", "required": p.required, "description": p.description,
                 "schema": dict(p.schema)}
        if p.schema.get("type") == "array":
            param.update(style="form", explode=True)
        params.append(param)
    params += [{"name": h.name, "in": "header", "required": h.required, "description": h.description,
                "schema": dict(HEADER_VALUE)} for h in op.headers]
    if params:
        doc["parameters"] = params
    content: dict[str, Any] = {}
    if op.request is not None:
        content["application/json"] = {"schema": ref[op.request]}
    if op.raw_body is not None:
        content[op.raw_body.media_type] = {"schema": {"type": "string", "format": "binary",
                                                      "description": op.raw_body.description}}
    if content:
        doc["requestBody"] = {"required": op.raw_body is None, "content": content}
    response = op.response if isinstance(op.response, tuple) else (op.response,) if op.response else ()
    media_types = op.media_type if isinstance(op.media_type, tuple) else (op.media_type,)
    for status in (op.status, *op.also):
        ok: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        if len(response) == 1:
            ok["content"] = {t: {"schema": ref[response[0]]} for t in media_types}
        elif response:
            ok["content"] = {t: {"schema": {"anyOf": [ref[x] for x in response]}} for t in media_types}
        elif status != 204:
            ok["content"] = {t: {"schema": {} if "json" in t else {"type": "string"}} for t in media_types}
        if op.response_headers:
            ok["headers"] = _headers(op.response_headers)
        doc["responses"][str(status)] = ok
    if IF_NONE_MATCH in op.headers:
        doc["responses"]["304"] = {"description": "Not Modified: the If-None-Match ETag is still current"}
    for code in _error_statuses(route, op):
        error: dict[str, Any] = {"description": HTTPStatus(code).phrase,
                                 "content": {"application/json": {"schema": ref[ErrorOut]}}}
        if code == 429:
            error["headers"] = _headers([RETRY_AFTER])
        doc["responses"][str(code)] = error
    return doc


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_allows_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def _drop_null_defaults(schemas: dict[str, Any]) -> None:
    """Input fields meaning "absent: unchanged" have the Python default None but refuse
    null; their JSON schema must not claim a ``default`` its own type refuses."""
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            if "default" in prop and prop["default"] is None and not _allows_null(prop):
                del prop["default"]


def openapi_document(routes: Iterable[Route]) -> dict[str, Any]:
    """The OpenAPI 3.1 document (a JSON-ready dict) of ``routes``: every path, method,
    path/query/header parameter, request body (JSON model or raw bytes), success and
    error response with their models and headers, and the Jupyter token security scheme
    applied to every operation."""
    routes = list(routes)
    models = {ErrorOut}
    for route in routes:
        for op in route.ops:
            models.update(_models(op))
    ordered = sorted(models, key=lambda c: c.__name__)
    keys, schemas = models_json_schema([(c, "validation") for c in ordered], ref_template="#/components/schemas/{model}")
    ref = {c: keys[(c, "validation")] for c in ordered}
    _drop_null_defaults(schemas.get("$defs", {}))
    paths: dict[str, Any] = {}
    for route in routes:
        for op in route.ops:
            paths.setdefault(route.path, {})[op.method.lower()] = _operation(route, op, ref)
    return {
        "openapi": "3.1.0",
        "info": {"title": "notebook_dag REST API", "version": "1",
                 "description": "Projects whose notebook cells form a DAG, their runs on Jupyter kernels, "
                                "datasets and AI generation. Errors are JSON {message, reason, ...}."},
        "servers": [{"url": "/notebook-dag/api"}],
        "security": [{"jupyterToken": []}],
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {}), "securitySchemes": SECURITY_SCHEMES},
    }
