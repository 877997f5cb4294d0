"""REST handlers of projects, blocks, edges, the DAG and runs under
``/notebook-dag/api/``: thin shells over the service classes, on
:class:`~notebook_dag.base_handler.DagAPIHandler`. :data:`ROUTES` is their part of the
route table (:mod:`notebook_dag.routes`)."""

from __future__ import annotations

import asyncio
import json
import posixpath

from jupyter_server.auth.decorator import authorized
from tornado import web

from . import etags, export
from . import models as m
from .base_handler import API, DagAPIHandler
from .artifacts.models import DagWithArtifactsOut
from .datasets.models import DagWithDatasetsOut
from .errors import BadRequest
from .routes import (BOOLEAN, ETAG, IF_MATCH, IF_NONE_MATCH, LOCATION, PAGE, STRING, TAGS, Op, Param, Q, Route, one_of)
from .dag_cache import etag_matches


class ProjectsHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        sort = self.get_query_argument("sort", "-updated")
        if sort not in m.ProjectSort.__args__:
            raise BadRequest(f"sort must be one of {', '.join(m.ProjectSort.__args__)}")
        scope = self.get_query_argument("scope", "all")
        if scope not in ("all", "mine", "shared"):
            raise BadRequest("scope must be one of all, mine, shared")
        rows, total = await self.services.projects.list(
            self.user,
            q=self.get_query_argument("q", None),
            tag=self.query_list("tag"),
            notebook_path=self.get_query_argument("notebook_path", None),
            favorite=self.query_bool("favorite", None),
            scope=scope,
            sort=sort,
            limit=self.query_int("limit", 50, 1, 1000),
            offset=self.query_int("offset", 0, 0, 10**9),
        )
        self.reply(m.ProjectList, {"projects": [self.services.project_dict(p) for p in rows], "total": total})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(m.ProjectCreate)
        await self.check_kernel_name(body.kernel_name)
        notebook = None
        if body.template is not None:
            user = self.user
            notebook = await self.services.templates.instantiate(
                body.template, lambda dataset_id: self.services.datasets.get(dataset_id, user))
        p = await self.services.projects.create(body, self.user, notebook=notebook)
        await self.record(p.id, "create_project", name=p.name)
        self.set_header("Location", f"{self.base_url.rstrip('/')}{API}/projects/{p.id}")
        etags.reply(self, m.ProjectOut, self.services.project_dict(p), 201)


class ProjectHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        etags.reply(self, m.ProjectOut, self.services.project_dict(p))

    @web.authenticated
    @authorized
    async def patch(self, project_id: str) -> None:
        body = self.body(m.ProjectUpdate)
        await self.check_kernel_name(body.kernel_name)
        # If-Match: the ETag, or the bare integer version of older clients (see etags)
        expected = etags.if_match(self, "project", project_id, bare_versions=True)
        p = await self.services.projects.update(project_id, body, self.user, expected)
        changed = sorted(body.model_dump(exclude_unset=True))
        if changed != ["favorite"]:
            await self.record(p.id, "edit_project", fields=changed)
        etags.reply(self, m.ProjectOut, self.services.project_dict(p))

    @web.authenticated
    @authorized
    async def delete(self, project_id: str) -> None:
        expected = etags.if_match(self, "project", project_id, bare_versions=True)
        p = await self.services.projects.get(project_id, self.user, "own")
        etags.check(expected, p.version, self.services.project_dict(p), "project")  # before forgetting its runs
        await self.services.runs.forget_project(project_id)
        await self.settings["notebook_dag_schedules"].forget_project(project_id)  # its jupyter-scheduler jobs
        await self.services.projects.delete(project_id, self.user, expected)
        self.set_status(204)
        self.finish()


class ProjectDuplicateHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        body = self.body(m.ProjectDuplicate)
        p = await self.services.projects.duplicate(project_id, self.user, body.name, body.notebook_path)
        etags.reply(self, m.ProjectOut, self.services.project_dict(p), 201)


class PositionsHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def put(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        body = self.body(m.PositionsUpdate)
        positions = {k: (v.model_dump() if v else None) for k, v in body.positions.items()}
        self.reply(m.BlockList, {"blocks": await self.services.blocks.set_positions(p, positions)})


class MembersHandler(DagAPIHandler):
    """``GET`` the owner, visibility and members; ``PUT {"username", "role"}`` shares
    (owner only)."""

    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        self.reply(m.Members, await self.services.projects.members(project_id, self.user))

    @web.authenticated
    @authorized
    async def put(self, project_id: str) -> None:
        body = self.body(m.MemberIn)
        members = await self.services.projects.share(project_id, self.user, body.username, body.role)
        await self.record(project_id, "share", username=body.username, role=body.role)
        self.reply(m.Members, members)


class MemberHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def delete(self, project_id: str, username: str) -> None:
        await self.services.projects.unshare(project_id, self.user, username)
        await self.record(project_id, "unshare", username=username)
        self.set_status(204)
        self.finish()


class ProjectActivityHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        await self.services.projects.get(project_id, self.user)
        rows, total = await self.services.activity.for_project(
            project_id, self.query_int("limit", 50, 1, 1000), self.query_int("offset", 0, 0, 10**9)
        )
        self.reply(m.ActivityList, {"activity": rows, "total": total})


class UserActivityHandler(DagAPIHandler):
    """``GET /activity``: the current user's actions and those on projects they see."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        rows, total = await self.services.activity.for_user(
            self.user, self.query_int("limit", 50, 1, 1000), self.query_int("offset", 0, 0, 10**9)
        )
        self.reply(m.ActivityList, {"activity": rows, "total": total})


class BlocksHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        self.reply(m.BlockList, {"blocks": await self.services.blocks.list(p)})

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        block = await self.services.blocks.insert(p, self.body(m.BlockCreate))
        await self.record(p.id, "add_block", block_id=block["id"])
        etags.reply(self, m.BlockOut, block, 201)


class BlockHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str, block_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        etags.reply(self, m.BlockOut, await self.services.blocks.get(p, block_id))

    @web.authenticated
    @authorized
    async def patch(self, project_id: str, block_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        body = self.body(m.BlockUpdate)
        expected = etags.if_match(self, "block", block_id, bare_versions=True)
        block = await self.services.blocks.update(p, block_id, body, expected)
        await self.record(p.id, "edit_block", block_id=block_id, fields=sorted(body.model_dump(exclude_unset=True)))
        etags.reply(self, m.BlockOut, block)

    @web.authenticated
    @authorized
    async def delete(self, project_id: str, block_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        await self.services.blocks.delete(p, block_id, etags.if_match(self, "block", block_id, bare_versions=True))
        await self.record(p.id, "delete_block", block_id=block_id)
        self.set_status(204)
        self.finish()


class EdgesHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        self.reply(m.EdgeList, await self.services.dag.list_edges(p))

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        body = self.body(m.EdgeCreate)
        edge = await self.services.dag.add_edge(p, body.source, body.target)
        await self.record(p.id, "add_edge", source=body.source, target=body.target)
        etags.reply(self, m.EdgeOut, edge, 201)


class HiddenEdgesHandler(DagAPIHandler):
    """``POST /projects/{id}/edges/hidden {"source", "target"}`` hides an inferred edge;
    ``DELETE /projects/{id}/edges/{edge_id}`` of the hidden edge shows it again."""

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        body = self.body(m.EdgeCreate)
        etags.reply(self, m.EdgeOut, await self.services.dag.hide_edge(p, body.source, body.target), 201)


class EdgeHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str, edge_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        etags.reply(self, m.EdgeOut, await self.services.dag.get_edge(p, edge_id))

    @web.authenticated
    @authorized
    async def delete(self, project_id: str, edge_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        await self.services.dag.delete_edge(p, edge_id, etags.if_match(self, "edge", edge_id))
        self.set_status(204)
        self.finish()


class DagHandler(DagAPIHandler):
    """``GET /projects/{id}/dag`` (``?datasets=true`` adds dataset nodes,
    ``?kernel_id=`` the block states in that kernel) with a strong ``ETag``; a request
    whose ``If-None-Match`` names the current one is answered 304 with no body."""

    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        entry = await self.services.dag_view(p, self.get_query_argument("kernel_id", None) or None, self.user,
                                             bool(self.query_bool("datasets")), bool(self.query_bool("artifacts")))
        self.set_header("Etag", entry.etag)
        if etag_matches(self.request.headers.get("If-None-Match"), entry.etag):
            self.set_status(304)
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        self.finish(entry.body)


class DocumentHandler(DagAPIHandler):
    """``PUT /projects/{id}/document``: the notebook as the user's open JupyterLab
    editor has it (edit rights needed), kept in memory as the notebook's live document
    (:mod:`notebook_dag.documents`); ``DELETE``: the user's editor closed, back to the
    file (or to another user's live editor document)."""

    @web.authenticated
    @authorized
    async def put(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        body = self.body(m.DocumentPut)
        documents = self.services.documents
        if await documents.collaboration(p.notebook_path) is not None:
            out = {"live": "collaboration"}
        else:
            revision = documents.put_editor(p.notebook_path, self.user, body.cells, body.metadata,
                                            body.base_revision)
            out = {"live": "editor", "revision": revision, "expires_in": documents.editor_ttl}
        self.set_header("Content-Type", "application/json")
        self.finish(m.DocumentOut.model_validate(out).model_dump_json(exclude_none=True))

    @web.authenticated
    @authorized
    async def delete(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        self.services.documents.drop_editor(p.notebook_path, self.user)
        self.set_status(204)
        self.finish()


class OpenedHandler(DagAPIHandler):
    """``POST /projects/{id}/opened``: the user opened this project's DAG view (``GET
    /projects?notebook_path=`` then lists it first for them)."""

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        await self.services.projects.opened(project_id, self.user)
        self.set_status(204)
        self.finish()


class ExportHandler(DagAPIHandler):
    """``GET /projects/{id}/export?format=py|ipynb|airflow`` as a file download."""

    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        fmt = self.get_query_argument("format", "py")
        if fmt not in export.FORMATS:
            raise BadRequest(f"format must be one of {', '.join(export.FORMATS)}, got {fmt!r}")
        dag = await self.services.dag.build(p)
        text = await asyncio.to_thread(export.export, dag, fmt, p.name, p.id)
        stem = posixpath.splitext(posixpath.basename(p.notebook_path))[0]
        filename = {"py": f"{stem}.py", "ipynb": f"{stem}.dag.ipynb", "airflow": f"{stem}_airflow_dag.py"}[fmt]
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.finish(text, set_content_type=export.media_type(fmt))


class ProjectRunsHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        runs, total = await self.services.runs.list(
            p, limit=self.query_int("limit", 50, 1, 1000), offset=self.query_int("offset", 0, 0, 10**9)
        )
        self.reply(m.RunList, {"runs": runs, "total": total})

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        body = self.body(m.RunCreate)
        run = await self.services.runs.start(p, body, self.user)
        await self.record(p.id, "run", run_id=run["id"], mode=body.mode, block_id=body.block_id)
        self.set_header("Location", f"{self.base_url.rstrip('/')}{API}/runs/{run['id']}")
        self.reply(m.RunSummary, run, 202)


class RunHandler(DagAPIHandler):
    """``GET /runs/{id}``: the run with its blocks' outputs (``?outputs=false``: without)."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        outputs = bool(self.query_bool("outputs", True))
        self.reply(m.RunOut, await self.services.runs.get(run_id, self.user, outputs=outputs))


class RunRetryHandler(DagAPIHandler):
    """``POST /runs/{id}/retry`` (and ``/resume``): a new run of what did not succeed."""

    @web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        force = self.query_bool("force")
        run = await self.services.runs.retry(run_id, self.user, force=force)
        self.set_header("Location", f"{self.base_url.rstrip('/')}{API}/runs/{run['id']}")
        self.reply(m.RunSummary, run, 202)


class RunCancelHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        await self.services.runs.cancel(run_id, self.user)
        self.reply(m.RunCancelling, {"id": run_id, "status": "cancelling"}, 202)


class OpenAPIHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.settings["notebook_dag_openapi"]))


_P = "/projects/{project_id}"
_KERNEL_NAME = (422, 503)  # kernel_name not installed; the kernel specs cannot be listed
_WRITE = (409, 412)  # a concurrent change; If-Match not matching the current version

#: the routes of projects, blocks, edges, the DAG, runs and the document itself
ROUTES: tuple[Route, ...] = (
    Route("/projects", ProjectsHandler, (
        Op("get", "List and search projects", response=m.ProjectList, query=(
            Q, TAGS,
            Param("notebook_path", STRING, "only the projects of this notebook (contents path), those the user "
                                           "opened first (last opened first)"),
            Param("favorite", BOOLEAN, "only favorites (true) or only the others (false)"),
            Param("scope", one_of(("all", "mine", "shared")), "all (default), owned by me, or shared with me"),
            Param("sort", one_of(m.ProjectSort.__args__), "order (default -updated: newest first)"),
            *PAGE)),
        Op("post", "Create a project bound to a notebook (created empty, or from a template, if missing)", 201,
           m.ProjectOut, request=m.ProjectCreate, errors=(404, 409, *_KERNEL_NAME), response_headers=(LOCATION, ETAG),
           description="With template: the notebook is written from that template (GET /templates) with its "
                       "parameters set; 409 when the path exists, 404 for an unknown template or a dataset the "
                       "user may not read, 422 for unknown parameters or values of the wrong type."),
    )),
    Route(_P, ProjectHandler, (
        Op("get", "Get a project", response=m.ProjectOut, headers=(IF_NONE_MATCH,), response_headers=(ETAG,)),
        Op("patch", "Update a project (If-Match: its ETag or bare integer version)", response=m.ProjectOut,
           request=m.ProjectUpdate, errors=(*_WRITE, *_KERNEL_NAME), headers=(IF_MATCH,), response_headers=(ETAG,)),
        Op("delete", "Delete a project with its edges, runs and positions", 204, headers=(IF_MATCH,), errors=_WRITE),
    )),
    Route(f"{_P}/blocks", BlocksHandler, (
        Op("get", "The notebook's cells in order", response=m.BlockList, errors=(409,)),
        Op("post", "Insert a cell", 201, m.BlockOut, request=m.BlockCreate, errors=(409,)),
    )),
    Route(f"{_P}/blocks/{{block_id}}", BlockHandler, (
        Op("get", "One cell", response=m.BlockOut, errors=(409,), headers=(IF_NONE_MATCH,), response_headers=(ETAG,)),
        Op("patch", "Edit a cell's source, title or position (If-Match: its ETag or version)", response=m.BlockOut,
           request=m.BlockUpdate, errors=_WRITE, headers=(IF_MATCH,), response_headers=(ETAG,)),
        Op("delete", "Remove a cell and its edges", 204, errors=_WRITE, headers=(IF_MATCH,)),
    )),
    Route(f"{_P}/edges", EdgesHandler, (
        Op("get", "Manual and inferred edges", response=m.EdgeList, errors=(409,), headers=(IF_NONE_MATCH,),
           response_headers=(ETAG,)),
        Op("post", "Add a manual edge (409 with the cycle if it closes one)", 201, m.EdgeOut, request=m.EdgeCreate,
           errors=(409,)),
    )),
    Route(f"{_P}/edges/hidden", HiddenEdgesHandler, (
        Op("post", "Hide an inferred edge", 201, m.EdgeOut, request=m.EdgeCreate, errors=(409,)),
    )),
    Route(f"{_P}/edges/{{edge_id}}", EdgeHandler, (
        Op("get", "One stored edge (manual or hidden)", response=m.EdgeOut, headers=(IF_NONE_MATCH,),
           response_headers=(ETAG,)),
        Op("delete", "Delete a manual edge or un-hide a hidden one", 204, errors=_WRITE, headers=(IF_MATCH,)),
    )),
    Route(f"{_P}/duplicate", ProjectDuplicateHandler, (
        Op("post", "Copy a project with its notebook, edges and positions", 201, m.ProjectOut,
           request=m.ProjectDuplicate, errors=(409,)),
    )),
    Route(f"{_P}/positions", PositionsHandler, (
        Op("put", "Save many layout positions at once", response=m.BlockList, request=m.PositionsUpdate,
           errors=(409,)),
    )),
    Route(f"{_P}/members", MembersHandler, (
        Op("get", "Owner, visibility and members", response=m.Members),
        Op("put", "Share with a user as viewer, editor or owner (owner only)", response=m.Members,
           request=m.MemberIn, errors=(409,)),
    )),
    Route(f"{_P}/members/{{username}}", MemberHandler, (
        Op("delete", "Stop sharing with a user (owner, or the member leaving)", 204, errors=(409,)),
    ), path_patterns=(("username", "[^/]+"),)),
    Route(f"{_P}/activity", ProjectActivityHandler, (
        Op("get", "Who ran, edited, shared or generated what, newest first", response=m.ActivityList, query=PAGE),
    )),
    Route("/activity", UserActivityHandler, (
        Op("get", "The current user's activity and that on projects they can see", response=m.ActivityList,
           query=PAGE),
    )),
    Route(f"{_P}/dag", DagHandler, (
        Op("get", "Nodes, edges and a topological order (datasets=true: with dataset nodes and edges)",
           response=(m.DagOut, DagWithDatasetsOut, DagWithArtifactsOut), errors=(409, 503), headers=(IF_NONE_MATCH,),
           response_headers=(ETAG,), query=(
               Param("kernel_id", STRING, "the kernel whose variables decide the blocks' state (default: the "
                                          "project's)"),
               Param("datasets", BOOLEAN, "add the datasets the blocks read and write as nodes"),
               Param("artifacts", BOOLEAN, "add the files runs wrote as nodes, with writes (block to file) and "
                                           "reads (file to block) edges"))),
    )),
    Route(f"{_P}/document", DocumentHandler, (
        Op("put", "The notebook as the user's open JupyterLab editor has it (unsaved edits included)",
           response=m.DocumentOut, request=m.DocumentPut,
           description="Kept in memory (never written) as the notebook's live document for "
                       "LiveDocuments.editor_ttl seconds: the DAG, blocks, runs and lineage read it instead of "
                       "the file, and block edits by REST answer 409 (reason open_in_editor) meanwhile. With a "
                       "shared jupyter-collaboration document for the notebook: {\"live\": \"collaboration\"} "
                       "and the body is ignored. Needs edit rights."),
        Op("delete", "The user's editor closed: back to the file", 204),
    )),
    Route(f"{_P}/opened", OpenedHandler, (
        Op("post", "The user opened this project's DAG view (GET /projects?notebook_path= lists it first)", 204),
    )),
    Route(f"{_P}/runs", ProjectRunsHandler, (
        Op("get", "Run history, newest first", response=m.RunList, query=PAGE),
        Op("post", "Start a run (all, block, upstream, downstream)", 202, m.RunSummary, request=m.RunCreate,
           errors=(409, 503), response_headers=(LOCATION,)),
    )),
    Route(f"{_P}/export", ExportHandler, (
        Op("get", "Export as format=py (script), ipynb (reordered notebook) or airflow (DAG file)",
           media_type=("text/x-python", "application/x-ipynb+json"), errors=(409,), query=(
               Param("format", one_of(export.FORMATS), "py (default), ipynb or airflow"),),
           description="A file download (Content-Disposition: attachment): text/x-python for py and "
                       "airflow, application/x-ipynb+json for ipynb."),
    )),
    Route("/runs/{run_id}", RunHandler, (
        Op("get", "A run with per-block status and outputs, each block's capped at max_output_bytes",
           response=m.RunOut, query=(Param("outputs", BOOLEAN, "false: the run without its blocks' outputs"),)),
    )),
    Route("/runs/{run_id}/cancel", RunCancelHandler, (
        Op("post", "Cancel a queued or running run", 202, m.RunCancelling, errors=(409,)),
    )),
    *(Route(f"/runs/{{run_id}}/{verb}", RunRetryHandler, (
        Op("post", summary, 202, m.RunSummary, errors=(409, 503), response_headers=(LOCATION,), query=(
            Param("force", BOOLEAN, "also re-run upstream blocks that are up to date"),)),
    )) for verb, summary in (("retry", "Re-run what did not succeed, with what it needs (409 once the run was "
                                       "retried or resumed)"),
                             ("resume", "Continue an interrupted run (same as retry; 409 once it was resumed)"))),
    Route("/openapi.json", OpenAPIHandler, (
        Op("get", "This OpenAPI document", response=None, media_type="application/json"),
    )),
)
