"""The one table of the REST API: each feature module (:mod:`notebook_dag.handlers`,
:mod:`notebook_dag.ai.handlers`, :mod:`notebook_dag.datasets.handlers`) exports a tuple
``ROUTES`` of :class:`Route`; :func:`notebook_dag.app.api_routes` composes them, and both
the tornado URL rules (:func:`tornado_rules`) and the OpenAPI document
(:func:`notebook_dag.openapi.openapi_document`) are generated from that one list, so the
two cannot drift apart.

A route also declares the query parameters its handler reads: :class:`DagAPIHandler
<notebook_dag.base_handler.DagAPIHandler>` refuses (with an internal error, 500) to read
one that its route did not declare, so an undocumented parameter fails the first test
that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

#: URL prefix of every route, relative to the server's base URL
API = r"/notebook-dag/api"
#: the characters of an id in a URL path (projects, blocks, edges, runs, datasets ...)
ID_PATTERN = r"[A-Za-z0-9_.\-]+"

Model = type[BaseModel]


@dataclass(frozen=True)
class Param:
    """A query parameter: ``schema`` is its JSON schema (for a repeated parameter, an
    ``array`` schema: ``?tag=a&tag=b``)."""

    name: str
    schema: Mapping[str, Any]
    description: str
    required: bool = False

    def __hash__(self) -> int:
        return hash((self.name, self.description, self.required))


@dataclass(frozen=True)
class Header:
    """A request or response header (a string unless ``schema`` says otherwise)."""

    name: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class RawBody:
    """A request body that is not JSON: its media type (``*/*`` for any) and what it is."""

    media_type: str
    description: str


@dataclass(frozen=True)
class Op:
    """One operation (an HTTP method of a :class:`Route`).

    ``status``/``response``: the success status and its JSON model (a tuple of models for
    one of several shapes, None for no body or a non-JSON one, then in ``media_type``);
    ``also``: further success statuses with the same body; ``errors``: the error statuses
    the handler may answer (``400`` for bad parameters, ``403`` and ``404`` for ops with
    path parameters are added by the document); ``query``: every query parameter the
    handler reads; ``headers``/``response_headers``: headers it reads and writes.
    """

    method: str
    summary: str
    status: int = 200
    response: Model | tuple[Model, ...] | None = None
    media_type: str | tuple[str, ...] = "application/json"
    request: Model | None = None
    raw_body: RawBody | None = None
    also: tuple[int, ...] = ()
    errors: tuple[int, ...] = ()
    query: tuple[Param, ...] = ()
    headers: tuple[Header, ...] = ()
    response_headers: tuple[Header, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Route:
    """A path template such as ``/projects/{project_id}`` (relative to :data:`API`), the
    handler class serving it, and its operations. Path parameters match
    :data:`ID_PATTERN` unless ``path_patterns`` gives another regex (``(("username",
    "[^/]+"),)``)."""

    path: str
    handler: type
    ops: tuple[Op, ...]
    path_patterns: tuple[tuple[str, str], ...] = field(default=())

    def path_parameters(self) -> list[tuple[str, str]]:
        """``(name, regex)`` of each ``{name}`` in the path, in order."""
        special = dict(self.path_patterns)
        return [(name, special.get(name, ID_PATTERN)) for name in re.findall(r"\{(\w+)\}", self.path)]

    def pattern(self) -> str:
        """The tornado URL pattern (a regex with named groups), relative to the base URL."""
        special = dict(self.path_parameters())
        return API + re.sub(r"\{(\w+)\}", lambda mt: f"(?P<{mt[1]}>{special[mt[1]]})", self.path)

    def query_names(self) -> dict[str, frozenset[str]]:
        """The declared query parameter names of each method (upper case)."""
        return {op.method.upper(): frozenset(p.name for p in op.query) for op in self.ops}


def tornado_rules(routes: Iterable[Route], not_found: type | None = None) -> list[tuple[str, type, dict[str, Any]]]:
    """``(url pattern, handler, kwargs)`` rules of ``routes``, in order, then (when given)
    ``not_found`` for anything else under :data:`API`. The handler gets its route's
    declared query parameters as the ``query_parameters`` keyword argument."""
    rules = [(r.pattern(), r.handler, {"query_parameters": r.query_names()}) for r in routes]
    if not_found is not None:
        rules += [(rf"{API}/?", not_found, {}), (rf"{API}/(?P<rest>.*)", not_found, {})]
    return rules


# ---- parameters and headers shared by several routes --------------------------------

def integer(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def one_of(values: Iterable[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


BOOLEAN = {"type": "string", "enum": ["true", "false", "1", "0"]}
STRING = {"type": "string"}
LIMIT = Param("limit", integer(1, 1000), "page size (default 50)")
OFFSET = Param("offset", integer(0, 10**9), "items to skip (default 0)")
PAGE = (LIMIT, OFFSET)
Q = Param("q", STRING, "free text searched in names and descriptions")
TAGS = Param("tag", {"type": "array", "items": STRING}, "only items carrying every one of these tags (repeatable)")

IF_MATCH = Header("If-Match", "only change the resource when its current version matches: the ETag of an earlier "
                              "answer (for projects also its bare integer version); else 412 (or 409)")
IF_NONE_MATCH = Header("If-None-Match", "the ETag of an earlier answer: 304 without a body while it is still current")
ETAG = Header("ETag", "the resource's current version as a strong entity tag; send it back as If-Match")
LOCATION = Header("Location", "URL of the resource created")
RETRY_AFTER = Header("Retry-After", "seconds to wait before the next request (with 429)")
