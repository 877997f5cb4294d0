"""Domain errors of notebook_dag and the one table that maps them to HTTP statuses.

Service classes raise these plain exceptions; they know nothing about HTTP.
:class:`notebook_dag.handlers.base.DagAPIHandler` turns any of them into a JSON
body ``{"message": str, "reason": str, **extra}`` with the status given by
:data:`HTTP_STATUS`.
"""

from __future__ import annotations

from typing import Any


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


#: The only place where error kinds meet HTTP status codes.
HTTP_STATUS: dict[type[NotebookDagError], int] = {
    BadRequest: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    CycleError: 409,
    PayloadTooLarge: 413,
    Unprocessable: 422,
    TooManyRequests: 429,
    Unavailable: 503,
}


def status_for(error: NotebookDagError) -> int:
    """HTTP status of ``error``: the entry of its nearest class in :data:`HTTP_STATUS`."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500
