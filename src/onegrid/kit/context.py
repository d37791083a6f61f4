"""Per-request context (request id, client address) for audit records and logs."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    ip: str | None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "onegrid_request_context", default=None
)


def current() -> RequestContext | None:
    return _current.get()


def enter(*, ip: str | None, request_id: str | None = None) -> contextvars.Token[RequestContext | None]:
    return _current.set(RequestContext(request_id=request_id or uuid.uuid4().hex, ip=ip))


def leave(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
