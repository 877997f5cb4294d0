"""The OpenAPI 3.1 document of the REST API, built from the pydantic models so the
two cannot drift apart. Served at ``GET /notebook-dag/api/openapi.json``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import models as m
from .ai.models import OPENAPI_ROUTES as AI_ROUTES
from .datasets.models import OPENAPI_ROUTES as DATASET_ROUTES

# (method, path, summary, request model, (status, response model or None), extra statuses)
ROUTES: list[tuple[str, str, str, type[BaseModel] | None, tuple[int, type[BaseModel] | None], tuple[int, ...]]] = [
    ("get", "/projects", "List and search projects (q, tag, notebook_path, favorite, sort, limit, offset)", None, (200, m.ProjectList), (400,)),
    ("post", "/projects", "Create a project bound to a notebook (created empty if missing)", m.ProjectCreate, (201, m.ProjectOut), (400, 404, 422)),
    ("get", "/projects/{project_id}", "Get a project", None, (200, m.ProjectOut), (404,)),
    ("patch", "/projects/{project_id}", "Update a project (If-Match: version)", m.ProjectUpdate, (200, m.ProjectOut), (404, 409, 422)),
    ("delete", "/projects/{project_id}", "Delete a project with its edges, runs and positions", None, (204, None), (404,)),
    ("get", "/projects/{project_id}/members", "Owner, visibility and members", None, (200, m.Members), (404,)),
    ("put", "/projects/{project_id}/members", "Share with a user as viewer, editor or owner (owner only)", m.MemberIn, (200, m.Members), (400, 404, 422)),
    ("delete", "/projects/{project_id}/members/{username}", "Stop sharing with a user (owner, or the member leaving)", None, (204, None), (404,)),
    ("get", "/projects/{project_id}/activity", "Who ran, edited, shared or generated what, newest first", None, (200, m.ActivityList), (404,)),
    ("get", "/activity", "The current user's activity and that on projects they can see", None, (200, m.ActivityList), (400,)),
    ("get", "/projects/{project_id}/blocks", "The notebook's cells in order", None, (200, m.BlockList), (404,)),
    ("post", "/projects/{project_id}/blocks", "Insert a cell", m.BlockCreate, (201, m.BlockOut), (404, 422)),
    ("get", "/projects/{project_id}/blocks/{block_id}", "One cell", None, (200, m.BlockOut), (404,)),
    ("patch", "/projects/{project_id}/blocks/{block_id}", "Edit a cell's source, title or position", m.BlockUpdate, (200, m.BlockOut), (404, 422)),
    ("delete", "/projects/{project_id}/blocks/{block_id}", "Remove a cell and its edges", None, (204, None), (404,)),
    ("get", "/projects/{project_id}/edges", "Manual and inferred edges", None, (200, m.EdgeList), (404,)),
    ("post", "/projects/{project_id}/edges", "Add a manual edge (409 with the cycle if it closes one)", m.EdgeCreate, (201, m.EdgeOut), (404, 409, 422)),
    ("post", "/projects/{project_id}/edges/hidden", "Hide an inferred edge", m.EdgeCreate, (201, m.EdgeOut), (404, 409, 422)),
    ("delete", "/projects/{project_id}/edges/{edge_id}", "Delete a manual edge or un-hide a hidden one", None, (204, None), (404,)),
    ("post", "/projects/{project_id}/duplicate", "Copy a project with its notebook, edges and positions", m.ProjectDuplicate, (201, m.ProjectOut), (404, 409, 422)),
    ("put", "/projects/{project_id}/positions", "Save many layout positions at once", m.PositionsUpdate, (200, m.BlockList), (404, 422)),
    ("get", "/projects/{project_id}/dag", "Nodes, edges and a topological order (ETag; If-None-Match answers 304)", None, (200, m.DagOut), (404,)),
    ("get", "/projects/{project_id}/export", "Export as format=py (script), ipynb (reordered notebook) or airflow (DAG file)", None, (200, None), (400, 404)),
    ("get", "/projects/{project_id}/runs", "Run history, newest first", None, (200, m.RunList), (404,)),
    ("post", "/projects/{project_id}/runs", "Start a run (all, block, upstream, downstream)", m.RunCreate, (202, m.RunSummary), (400, 404, 422)),
    ("get", "/runs/{run_id}", "A run with per-block status and outputs, each block's capped at NotebookDagApp.max_output_bytes (outputs=false: without outputs)", None, (200, m.RunOut), (404,)),
    ("post", "/runs/{run_id}/cancel", "Cancel a queued or running run", None, (202, m.RunSummary), (404, 409)),
    ("post", "/runs/{run_id}/retry", "Re-run what did not succeed, with what it needs (force=true: even up-to-date upstream); 409 once the run was retried or resumed", None, (202, m.RunSummary), (404, 409)),
    ("post", "/runs/{run_id}/resume", "Continue an interrupted run (same as retry; 409 once it was resumed)", None, (202, m.RunSummary), (404, 409)),
]
ROUTES += AI_ROUTES
ROUTES += DATASET_ROUTES


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as a dict (cached; the models do not change at run time)."""
    models = {m.ErrorOut}
    for _, _, _, req, (_, resp), _ in ROUTES:
        models.update(x for x in (req, resp) if x is not None)
    ordered = sorted(models, key=lambda c: c.__name__)
    keys, schemas = models_json_schema(
        [(c, "validation") for c in ordered], ref_template="#/components/schemas/{model}"
    )
    ref = {c: keys[(c, "validation")] for c in ordered}
    paths: dict[str, Any] = {}
    for method, path, summary, req, (status, resp), errors in ROUTES:
        op: dict[str, Any] = {"summary": summary, "responses": {}}
        params = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
        if params:
            op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
        if req is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref[req]}}}
        ok: dict[str, Any] = {"description": "success"}
        if resp is not None:
            ok["content"] = {"application/json": {"schema": ref[resp]}}
        op["responses"][str(status)] = ok
        for code in (*errors, 403):
            op["responses"][str(code)] = {"description": "error", "content": {"application/json": {"schema": ref[m.ErrorOut]}}}
        paths.setdefault(path, {})[method] = op
    paths["/projects/{project_id}/dag"]["get"]["responses"]["304"] = {
        "description": "not modified: If-None-Match names the current ETag (no body)"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "notebook_dag REST API", "version": "1"},
        "servers": [{"url": "/notebook-dag/api"}],
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {})},
    }
