"""Domain errors of notebook_dag and the one table that maps them to HTTP statuses.

Service classes raise these plain exceptions; they know nothing about HTTP.
:class:`notebook_dag.handlers.DagAPIHandler` turns any of them into a JSON
body ``{"message": str, "reason": str, **extra}`` with the status given by
:data:`HTTP_STATUS`; :func:`as_domain_error` also turns a database error caused by a
concurrent writer, should one escape a service, into a :class:`Conflict`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError


class NotebookDagError(Exception):
    """Base class of every error a service may raise on purpose.

    ``message`` is shown to the user; ``extra`` is merged into the JSON error body
    (for example ``{"cycle": [...]}``).
    """

    reason = "error"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadRequest(NotebookDagError):
    """The request is malformed (not JSON, unknown query value, path outside the root)."""

    reason = "bad_request"


class Forbidden(NotebookDagError):
    """The user may see the resource but not act on it this way."""

    reason = "forbidden"


class NotFound(NotebookDagError):
    """An id or path names nothing."""

    reason = "not_found"


class Conflict(NotebookDagError):
    """The request contradicts the current state (for example an edge that already exists)."""

    reason = "conflict"


class CycleError(Conflict):
    """Adding an edge would close a cycle; ``extra["cycle"]`` lists the block ids on it."""

    reason = "cycle"


class PreconditionFailed(NotebookDagError):
    """A write's ``If-Match`` names no current version of the resource (it changed since
    the client read it, or the tag is weak or names another resource); nothing was
    written. ``extra["current"]`` is the resource now and ``extra["etag"]`` its tag
    (see :mod:`notebook_dag.etags`)."""

    reason = "precondition_failed"


class PayloadTooLarge(NotebookDagError):
    """The request body is over a configured limit."""

    reason = "payload_too_large"


class Unprocessable(NotebookDagError):
    """Well-formed JSON whose content cannot be acted on (schema violation, unparsable file)."""

    reason = "unprocessable"


class TooManyRequests(NotebookDagError):
    """The user sent more requests than a configured rate limit allows;
    ``extra["retry_after"]`` is the number of seconds to wait."""

    reason = "too_many_requests"


class Unavailable(NotebookDagError):
    """A needed service (kernel, provider) is not available right now."""

    reason = "unavailable"


class BadGateway(NotebookDagError):
    """A remote source the server fetches from failed or could not be reached."""

    reason = "bad_gateway"


class GatewayTimeout(NotebookDagError):
    """A remote source the server fetches from did not answer in time."""

    reason = "gateway_timeout"


#: The only place where error kinds meet HTTP status codes.
HTTP_STATUS: dict[type[NotebookDagError], int] = {
    BadRequest: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    CycleError: 409,
    PreconditionFailed: 412,
    PayloadTooLarge: 413,
    Unprocessable: 422,
    TooManyRequests: 429,
    Unavailable: 503,
    BadGateway: 502,
    GatewayTimeout: 504,
}


def status_for(error: NotebookDagError) -> int:
    """HTTP status of ``error``: the entry of its nearest class in :data:`HTTP_STATUS`."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


#: SQLSTATEs of a transaction the database rolled back because of a concurrent one
#: (PostgreSQL's serialization failure and deadlock): retrying it can succeed.
_CONCURRENCY_SQLSTATES = frozenset({"40001", "40P01"})
_FOREIGN_KEY_SQLSTATE = "23503"  # PostgreSQL's foreign_key_violation
_SQLITE_CONSTRAINT_FOREIGNKEY = 787


def is_foreign_key_violation(error: IntegrityError) -> bool:
    """Whether ``error`` is a foreign-key violation (on PostgreSQL or SQLite): a row
    referred to a row — a project, a run — that is not there (any more)."""
    orig = error.orig
    return (
        getattr(orig, "sqlstate", None) == _FOREIGN_KEY_SQLSTATE
        or getattr(orig, "sqlite_errorcode", None) == _SQLITE_CONSTRAINT_FOREIGNKEY
        or "FOREIGN KEY constraint failed" in str(orig)
    )


def as_domain_error(error: BaseException | None) -> NotebookDagError | None:
    """``error`` as the error the client is told about: itself when it is a
    :class:`NotebookDagError`; for a database error that a concurrent writer caused and
    a service let through, a :class:`NotFound` (404) for a foreign-key violation (what
    the request refers to, such as its project, was deleted at the same moment) and a
    :class:`Conflict` (409) for any other integrity error (a row another request
    created at the same moment), a row changed since it was read (``StaleDataError``),
    a deadlock or a serialization failure; None for anything else (a bug: 500).
    Services handle the races they know of themselves; this is the one last resort
    that keeps a missed one from answering 500."""
    if error is None or isinstance(error, NotebookDagError):
        return error
    if isinstance(error, IntegrityError) and is_foreign_key_violation(error):
        mapped: NotebookDagError = NotFound(
            "what this request refers to (such as its project) was deleted by a concurrent request"
        )
    elif isinstance(error, (IntegrityError, StaleDataError)) or (
        isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _CONCURRENCY_SQLSTATES
    ):
        mapped = Conflict(
            "this request collided with a concurrent change to the same data (another request or "
            "another user at the same moment); reload and try again"
        )
    else:
        return None
    mapped.__cause__ = error
    return mapped
