"""Domain errors that carry their HTTP status, turned into JSON bodies by the API layer."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose. Nothing is written when one is raised."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "detail": self.message}
        if self.field:
            out["field"] = self.field
        if self.details is not None:
            out["errors"] = self.details
        return out


class Invalid(DomainError):
    """The payload is well-formed but a value breaks a rule (422, field named)."""

    status = 422
    code = "invalid"


class Malformed(DomainError):
    """The payload cannot be read at all (400)."""

    status = 400
    code = "malformed"


class NotFound(DomainError):
    """Absent, or outside the caller's scope: the two are indistinguishable on purpose (404)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The object is not in a state that allows this (409)."""

    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"
