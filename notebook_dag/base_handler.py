"""The base of every REST handler under ``/notebook-dag/api/``: :class:`DagAPIHandler`
(JSON in and out, error mapping, the current user, the query parameter parsers) and the
JSON 404 of unmatched API paths. The feature modules (:mod:`notebook_dag.handlers`,
:mod:`notebook_dag.ai.handlers`, :mod:`notebook_dag.datasets.handlers`) build on it and
never import one another.

Every method is ``@web.authenticated`` and ``@authorized`` on the resource
``notebook_dag``. Errors raised by services (:mod:`notebook_dag.errors`) become JSON
bodies ``{"message", "reason", ...}`` with the status of :data:`errors.HTTP_STATUS`;
so do database errors caused by a concurrent writer (:func:`errors.as_domain_error`:
404 when the project was deleted meanwhile, else 409); anything else is a bug and
answers 500.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, ValidationError
from tornado import web

from .errors import BadRequest, NotebookDagError, NotFound, Unavailable, Unprocessable, as_domain_error, status_for
from .routes import API, ID_PATTERN

__all__ = ["API", "ID", "DagAPIHandler", "APINotFoundHandler", "UndeclaredParameter"]
from .services import Services

M = TypeVar("M", bound=BaseModel)

ID = rf"(?P<{{}}>{ID_PATTERN})"

#: query parameters of free text, which may hold a tab, CR or LF; no other parameter
#: (paths, names, ids, numbers) nor URL path argument may hold any control character
FREE_TEXT_PARAMETERS = frozenset({"q", "description"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TRUE, FALSE = ("true", "1"), ("false", "0")
#: query parameters Jupyter Server itself reads (with ``get_argument``, which is not
#: checked: handlers read theirs with ``get_query_argument(s)``): authentication, XSRF,
#: activity tracking
SERVER_PARAMETERS = frozenset({"token", "_xsrf", "no_track_activity"})


class UndeclaredParameter(RuntimeError):
    """A handler read a query parameter its route does not declare (a bug: 500)."""


class DagAPIHandler(ExtensionHandlerMixin, APIHandler):
    """Base handler: JSON in and out, error mapping, the current user's name."""

    auth_resource = "notebook_dag"
    #: the query parameter names each method's route declares (None: not checked)
    query_parameters: dict[str, frozenset[str]] | None = None

    def initialize(self, name: str, *args: Any, query_parameters: dict[str, frozenset[str]] | None = None,
                   **kwargs: Any) -> None:
        """``query_parameters``: what :func:`notebook_dag.routes.tornado_rules` passes, the
        names the route of this handler declares for each method."""
        if query_parameters is not None:
            self.query_parameters = query_parameters
        super().initialize(name, *args, **kwargs)

    def declared(self, name: str) -> str:
        """``name``, once checked to be a query parameter the route declares for this
        request's method: reading any other one is a bug (the OpenAPI document would not
        describe it), raised as :class:`UndeclaredParameter` (500). Handlers read query
        parameters only with ``get_query_argument(s)`` (or the ``query_*`` helpers), which
        check; ``get_argument`` stays Jupyter Server's (tests/test_api_contract.py checks
        that no handler calls it)."""
        if name in SERVER_PARAMETERS:
            return name
        if self.query_parameters is not None and name not in self.query_parameters.get(self.request.method or "", ()):
            raise UndeclaredParameter(f"{type(self).__name__}.{(self.request.method or '').lower()} reads the query "
                                      f"parameter {name!r}, which its route in the API table does not declare")
        return name

    def get_query_argument(self, name: str, default: Any = web._ARG_DEFAULT, strip: bool = True) -> Any:  # type: ignore[override]
        return super().get_query_argument(self.declared(name), default, strip)

    def get_query_arguments(self, name: str, strip: bool = True) -> list[str]:
        return super().get_query_arguments(self.declared(name), strip)

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
