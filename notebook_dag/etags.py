"""One ETag scheme for every versioned resource of the API (RFC 9110 §8.8.3, §13.1).

Every project, block, edge and dataset carries a strong entity tag::

    "<kind>-<id>-<version>.<view>"

``kind`` is ``project``, ``block``, ``edge`` or ``dataset``; ``id`` the resource's id;
``version`` what a write can lose: a project's row version (an integer), a block's
source tag (:func:`notebook_dag.blocks.source_version`), a dataset's edit tag (a hash of
its editable fields and ``updated_at``), an edge's immutable content; ``view`` is 8 hex
digits of SHA-256 over the whole JSON representation, so that the tag changes whenever
the representation does (a per-user star or role, a block's layout position or index).

The tag is sent as the ``ETag`` header of every single-resource answer (GET, PATCH,
POST, PUT) and as the ``etag`` field of each resource in bodies and lists.

``If-Match`` on a write (RFC 9110 §13.1.1) is a list of entity tags or ``*``:

- ``*`` matches any current resource;
- a strong tag matches when its kind and id name this resource and its ``version``
  is the current one. ``view`` is not compared: it changes with things no edit can
  lose (another user's star, a node moved in the DAG view, a cell inserted above);
- a weak tag (``W/"..."``) never matches: If-Match uses the strong comparison;
- for projects and blocks a quoted bare version (``"3"``, ``"9f86d081884c7d65"``) is
  the same as the full tag, as clients sent it before this scheme.

When no tag matches, nothing is written and the answer is 412 Precondition Failed
(:class:`~notebook_dag.errors.PreconditionFailed`) whose JSON body holds the current
resource (``current``) and its tag (``etag``, also in the ``ETag`` header). The check
and the write are one atomic step (a ``WHERE version = ...`` on the row, or the
per-notebook lock for blocks).

Backward compatibility: an unquoted bare version — ``If-Match: 3`` for a project, the
bare block ``version`` for a block — is still checked and answers 409 Conflict (with
``current``) on a mismatch, as before.

``If-None-Match`` on a GET answers 304 Not Modified when a listed tag equals the
current one under the weak comparison (tornado's :meth:`check_etag_header`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .errors import BadRequest, Conflict, NotebookDagError, PreconditionFailed

_ENTITY_TAG = re.compile(r'\s*(\*|(?:W/)?"[^"\x00-\x20\x7f]*")\s*(?:,|$)')
_BARE = re.compile(r"[A-Za-z0-9_.\-]+")


def view_digest(representation: dict[str, Any]) -> str:
    """8 hex digits of SHA-256 over ``representation`` (its ``etag`` key left out) as
    canonical JSON (sorted keys; datetimes and other objects by ``str``)."""
    data = {k: v for k, v in representation.items() if k != "etag"}
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def make(kind: str, resource_id: str, version: Any, representation: dict[str, Any]) -> str:
    """The strong entity tag (with its double quotes) of one resource:
    ``"<kind>-<id>-<version>.<view>"``."""
    return f'"{kind}-{resource_id}-{version}.{view_digest(representation)}"'


def tagged(kind: str, resource_id: str, version: Any, representation: dict[str, Any]) -> dict[str, Any]:
    """``representation`` with its ``etag`` set (see :func:`make`); returns the same dict."""
    representation["etag"] = make(kind, resource_id, version, representation)
    return representation


def version_digest(*parts: Any) -> str:
    """A 16-hex-digit version tag of ``parts`` (JSON of them, SHA-256), for resources
    without a row version of their own."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Expected:
    """What a write's ``If-Match`` asks of one resource.

    ``versions``: the version tokens any of its tags names for this resource (empty:
    nothing can match); ``any``: ``If-Match: *``; ``legacy``: the older unquoted bare
    version, whose mismatch stays a 409 Conflict."""

    versions: frozenset[str] = frozenset()
    any: bool = False
    legacy: bool = False

    def matches(self, version: Any) -> bool:
        """Whether the resource at ``version`` (its current version token) satisfies it."""
        return self.any or str(version) in self.versions

    def int_versions(self) -> list[int]:
        """The integer versions named (projects' row versions), for a ``WHERE version IN``;
        only those a 32-bit ``INTEGER`` column can hold (no other can match)."""
        return sorted(int(v) for v in self.versions if v.isascii() and v.isdigit() and int(v) < 2**31)

    def failure(self, message: str, current: dict[str, Any]) -> NotebookDagError:
        """The error to raise when the resource ``current`` (its API dict, with ``etag``)
        does not match: :class:`PreconditionFailed` (412), or :class:`Conflict` (409)
        for the legacy bare form."""
        cls = Conflict if self.legacy else PreconditionFailed
        return cls(message, current=current, etag=current.get("etag"))

    @classmethod
    def of_version(cls, version: int | None) -> Expected | None:
        """The legacy form: a bare integer version given by a caller (None: no check)."""
        return None if version is None else cls(frozenset({str(version)}), legacy=True)


def parse_if_match(header: str | None, kind: str, resource_id: str, bare_versions: bool = False) -> Expected | None:
    """``If-Match`` (the raw header value) as it applies to the resource ``kind``/
    ``resource_id``; None when absent or blank (no precondition).

    ``bare_versions``: a quoted bare version (``"3"``) names a version of this resource,
    and so does an unquoted bare token (the legacy form, see :class:`Expected`).
    Weak tags are dropped (they never match). Raises :class:`BadRequest` for a value
    that is neither a list of entity tags, ``*``, nor (with ``bare_versions``) a bare token."""
    if header is None or not header.strip():
        return None
    value = header.strip()
    if bare_versions and _BARE.fullmatch(value):
        return Expected(frozenset({value}), legacy=True)
    tags: list[str] = []
    pos = 0
    while pos < len(value):
        m = _ENTITY_TAG.match(value, pos)
        if m is None or m.end() == pos:
            raise BadRequest(f'If-Match must be "*" or a list of entity tags such as "project-<id>-<version>", got {header!r}')
        tags.append(m.group(1))
        pos = m.end()
    if "*" in tags:
        if len(tags) > 1:
            raise BadRequest("If-Match: * cannot be combined with entity tags")
        return Expected(any=True)
    prefix = f"{kind}-{resource_id}-"
    versions = set()
    for tag in tags:
        if tag.startswith("W/"):
            continue  # strong comparison: a weak tag never matches
        opaque = tag[1:-1]
        if opaque.startswith(prefix):
            versions.add(opaque[len(prefix):].partition(".")[0])
        elif bare_versions and _BARE.fullmatch(opaque) and "." not in opaque:
            versions.add(opaque)
    return Expected(frozenset(versions))


def if_match(handler: Any, kind: str, resource_id: str, bare_versions: bool = False) -> Expected | None:
    """:func:`parse_if_match` of the request ``handler`` is answering."""
    return parse_if_match(handler.request.headers.get("If-Match"), kind, resource_id, bare_versions)


def check(expected: Expected | None, version: Any, current: dict[str, Any], what: str) -> None:
    """Raise ``expected.failure(...)`` unless it is None or matches ``version`` (the
    current version token of the resource whose API dict is ``current``). Use only
    where nothing can change the resource between this check and the write (under
    its lock), or as an early check before an atomic conditional write."""
    if expected is not None and not expected.matches(version):
        raise expected.failure(f"the {what} changed since you read it (If-Match does not match its ETag)", current)


def reply(handler: Any, model: type[BaseModel], data: dict[str, Any], status: int = 200) -> None:
    """``handler.reply`` of one resource with its ``ETag`` header (``data["etag"]``);
    a GET whose ``If-None-Match`` lists that tag (weak comparison) or ``*`` is answered
    304 Not Modified without a body."""
    tag = data.get("etag")
    if tag:
        handler.set_header("ETag", tag)
        if status == 200 and handler.request.method in ("GET", "HEAD") and handler.check_etag_header():
            handler.set_status(304)
            handler.finish()
            return
    handler.reply(model, data, status)
