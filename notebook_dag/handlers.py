"""REST handlers under ``/notebook-dag/api/``: thin shells over the service classes.

Every method is ``@web.authenticated`` and ``@authorized`` on the resource
``notebook_dag``. Errors raised by services (:mod:`notebook_dag.errors`) become JSON
bodies ``{"message", "reason", ...}`` with the status of :data:`errors.HTTP_STATUS`;
so do database errors caused by a concurrent writer (:func:`errors.as_domain_error`:
404 when the project was deleted meanwhile, else 409); anything else is a bug and
answers 500.
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import re
from typing import Any, TypeVar

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, ValidationError
from tornado import web

from . import etags, export
from . import models as m
from .dag_cache import etag_matches
from .errors import BadRequest, NotebookDagError, NotFound, Unavailable, Unprocessable, as_domain_error, status_for
from .openapi import openapi_document
from .services import Services

M = TypeVar("M", bound=BaseModel)

API = r"/notebook-dag/api"
ID = r"(?P<{}>[A-Za-z0-9_.\-]+)"

#: query parameters of free text, which may hold a tab, CR or LF; no other parameter
#: (paths, names, ids, numbers) nor URL path argument may hold any control character
FREE_TEXT_PARAMETERS = frozenset({"q", "description"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TRUE, FALSE = ("true", "1"), ("false", "0")


class DagAPIHandler(ExtensionHandlerMixin, APIHandler):
    """Base handler: JSON in and out, error mapping, the current user's name."""

    auth_resource = "notebook_dag"

    @property
    def services(self) -> Services:
        return self.settings["notebook_dag_services"]

    @property
    def user(self) -> str:
        """The owner name for the current user.

        Jupyter's own identity providers (token or password login on a personal
        server) give every browser session a new random anonymous username; all of
        them are the one person who started the server, so they map to
        ``NotebookDagApp.local_user``. Any other identity provider (JupyterHub's,
        or a site's own) names real users, and their usernames are used as they are.
        """
        if type(self.identity_provider).__module__.startswith("jupyter_server."):
            return self.settings["notebook_dag_local_user"]
        return self.current_user.username

    def body(self, model: type[M]) -> M:
        """The request body validated as ``model``.
        Raises :class:`BadRequest` (not JSON) or :class:`Unprocessable` (schema)."""
        raw = self.request.body or b"{}"
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise BadRequest(f"the request body is not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise BadRequest("the request body must be a JSON object")
        try:
            return model.model_validate(data)
        except ValidationError as e:
            errors = [{"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in e.errors()]
            raise Unprocessable("the request body does not match the schema: " + "; ".join(
                f"{'.'.join(map(str, x['loc'])) or 'body'}: {x['msg']}" for x in errors), errors=errors) from None

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """Every URL path argument and query parameter passes here (tornado decodes them
        with this method). Tornado would then silently turn control characters into
        spaces and strip them, so that ``?notebook_path=%00`` became no filter at all;
        a NUL or another control character is refused instead (400). Only the free-text
        parameters (:data:`FREE_TEXT_PARAMETERS`) may hold a tab, CR or LF."""
        text = super().decode_argument(value, name)
        if (_CONTROL if name in FREE_TEXT_PARAMETERS else _ANY_CONTROL).search(text):
            what = f"parameter {name!r}" if name else "the URL path"
            raise BadRequest(f"{what} must not contain NUL bytes or other control characters")
        return text

    async def record(self, project_id: str | None, action: str, **detail: Any) -> None:
        """Add to the activity feed what the current user just did."""
        await self.services.activity.record(project_id, self.user, action, **detail)

    def query_int(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(f"query parameter {name!r} must be an integer, got {raw!r}") from None
        if not low <= value <= high:
            raise BadRequest(f"query parameter {name!r} must be between {low} and {high}, got {value}")
        return value

    def query_bool(self, name: str, default: bool | None = False) -> bool | None:
        """The boolean query parameter ``name``, the one parser of booleans for every
        route: ``true``/``1`` or ``false``/``0`` (any case); ``default`` when absent;
        anything else (``maybe``, ``yes``, an empty value) is a :class:`BadRequest`."""
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        value = raw.lower()
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise BadRequest(f"query parameter {name!r} must be true or false (or 1 or 0), got {raw!r}")

    def query_list(self, name: str) -> list[str]:
        """Every non-empty value of a repeated query parameter (``?tag=a&tag=b``), in order."""
        return list(dict.fromkeys(v for v in self.get_query_arguments(name) if v))

    async def check_kernel_name(self, kernel_name: str | None) -> None:
        """Raise :class:`Unprocessable` unless ``kernel_name`` is None or names a kernel
        spec of this server (its kernel spec manager: local kernelspecs, or those of
        the gateway); a project must never fall back silently to another kernel."""
        if kernel_name is None:
            return
        try:
            specs = await ensure_async(self.kernel_spec_manager.get_all_specs())
        except NotebookDagError:
            raise
        except Exception as e:  # noqa: BLE001 - e.g. an unreachable gateway
            raise Unavailable(f"the kernel specs cannot be listed to check kernel_name: {e}") from None
        if kernel_name not in specs:
            msg = f"{kernel_name!r} is not an installed kernel; installed: {', '.join(sorted(specs)) or 'none'}"
            raise Unprocessable(f"the request body does not match the schema: kernel_name: {msg}",
                                errors=[{"loc": ["kernel_name"], "msg": msg, "type": "unknown_kernel"}])

    def reply(self, model: type[BaseModel], data: Any, status: int = 200) -> None:
        """Validate ``data`` against the response ``model`` and write it as JSON."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(model.model_validate(data).model_dump_json())

    # ---- error mapping (the one place domain errors meet HTTP) ---------------------
    # A database error caused by a concurrent writer that a service did not handle is
    # answered as errors.as_domain_error says (404 or 409), never as a 500.
    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = as_domain_error(kwargs.get("exc_info", (None, None, None))[1])
        if exc is not None:
            status_code = status_for(exc)
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        error = as_domain_error(value)
        if error is value:
            self.log.info("notebook_dag %s %s: %s %s", self.request.method, self.request.path, status_for(error), error.message)
            return
        if isinstance(error, NotFound):  # a write racing the deletion of its project
            self.log.info("notebook_dag %s %s: 404 after a concurrent deletion: %s", self.request.method,
                          self.request.path, value)
            return
        if error is not None:  # a race no service handled: answered 409, logged to be fixed
            self.log.warning("notebook_dag %s %s: 409 after a concurrent write: %s", self.request.method,
                             self.request.path, value, exc_info=(typ, value, tb))
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = as_domain_error(kwargs.get("exc_info", (None, None, None))[1])
        if exc is not None:
            self.set_header("Content-Type", "application/json")
            if isinstance(exc.extra.get("etag"), str):  # a failed If-Match: the current tag
                self.set_header("ETag", exc.extra["etag"])
            body = {**exc.extra, "message": exc.message, "reason": exc.reason}
            self.finish(json.dumps(body, default=str))
            return
        super().write_error(status_code, **kwargs)


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
        p = await self.services.projects.create(body, self.user)
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
                                             bool(self.query_bool("datasets")))
        self.set_header("Etag", entry.etag)
        if etag_matches(self.request.headers.get("If-None-Match"), entry.etag):
            self.set_status(304)
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        self.finish(entry.body)


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
        self.set_status(202)
        self.finish(json.dumps({"id": run_id, "status": "cancelling"}))


class OpenAPIHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(openapi_document()))


class APINotFoundHandler(DagAPIHandler):
    """Any path under ``/notebook-dag/api/`` that no route matches (an unknown route, or
    an id with characters outside ``[A-Za-z0-9_.-]``): a JSON 404 ``{"message",
    "reason"}`` like every other error of this API, instead of Jupyter's HTML page.
    Authentication and authorization come first, as on every route (an anonymous
    request gets the usual 403)."""

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        # the unmatched rest of the path is only echoed: whatever it holds, the answer is 404
        return value.decode("utf-8", "replace")

    def _not_found(self) -> None:
        raise NotFound(f"no such API route: {self.request.method} {self.request.path}")

    @web.authenticated
    @authorized
    def get(self, rest: str = "") -> None:
        self._not_found()

    @web.authenticated
    @authorized
    def post(self, rest: str = "") -> None:
        self._not_found()

    @web.authenticated
    @authorized
    def patch(self, rest: str = "") -> None:
        self._not_found()

    @web.authenticated
    @authorized
    def put(self, rest: str = "") -> None:
        self._not_found()

    @web.authenticated
    @authorized
    def delete(self, rest: str = "") -> None:
        self._not_found()


def route_table() -> list[tuple[str, type[DagAPIHandler]]]:
    """``(url pattern, handler)`` pairs, relative to the server's base URL."""
    pid, bid, eid, rid = ID.format("project_id"), ID.format("block_id"), ID.format("edge_id"), ID.format("run_id")
    from .ai.handlers import ai_routes  # lazy: notebook_dag.ai.handlers imports this module
    from .datasets.handlers import dataset_routes  # lazy, for the same reason

    return [
        (rf"{API}/projects", ProjectsHandler),
        (rf"{API}/projects/{pid}", ProjectHandler),
        (rf"{API}/projects/{pid}/blocks", BlocksHandler),
        (rf"{API}/projects/{pid}/blocks/{bid}", BlockHandler),
        (rf"{API}/projects/{pid}/edges", EdgesHandler),
        (rf"{API}/projects/{pid}/edges/hidden", HiddenEdgesHandler),
        (rf"{API}/projects/{pid}/edges/{eid}", EdgeHandler),
        (rf"{API}/projects/{pid}/duplicate", ProjectDuplicateHandler),
        (rf"{API}/projects/{pid}/positions", PositionsHandler),
        (rf"{API}/projects/{pid}/members", MembersHandler),
        (rf"{API}/projects/{pid}/members/(?P<username>[^/]+)", MemberHandler),
        (rf"{API}/projects/{pid}/activity", ProjectActivityHandler),
        (rf"{API}/activity", UserActivityHandler),
        (rf"{API}/projects/{pid}/dag", DagHandler),
        (rf"{API}/projects/{pid}/runs", ProjectRunsHandler),
        (rf"{API}/projects/{pid}/export", ExportHandler),
        (rf"{API}/runs/{rid}", RunHandler),
        (rf"{API}/runs/{rid}/cancel", RunCancelHandler),
        (rf"{API}/runs/{rid}/(?:retry|resume)", RunRetryHandler),
        (rf"{API}/openapi.json", OpenAPIHandler),
    ] + ai_routes() + dataset_routes() + [
        # last: what no route above matched
        (rf"{API}/?", APINotFoundHandler),
        (rf"{API}/(?P<rest>.*)", APINotFoundHandler),
    ]
