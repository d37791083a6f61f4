"""Request-wide middleware: request ids for the audit trail, and the body size limit (413)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from onegrid.kit import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Sets the request id (honouring a sane ``X-Request-ID``) and client address for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        token = context.enter(
            ip=request.META.get("REMOTE_ADDR") or None,
            request_id=incoming if _REQUEST_ID.match(incoming) else None,
        )
        try:
            response = self.get_response(request)
            ctx = context.current()
            if ctx is not None:
                response["X-Request-ID"] = ctx.request_id
            return response
        finally:
            context.leave(token)


class BodySizeLimitMiddleware:
    """Refuses a request whose declared body exceeds ``MAX_BODY_BYTES`` before anything reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        limit: int = settings.MAX_BODY_BYTES
        try:
            size = int(declared)
        except ValueError:
            return JsonResponse({"code": "malformed", "detail": "Content-Length is not a number"}, status=400)
        if size > limit:
            return JsonResponse(
                {"code": "too_large", "detail": f"request body of {size} bytes exceeds the limit of {limit}"},
                status=413,
            )
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy (``settings.CONTENT_SECURITY_POLICY``: scripts only from this
    site, no framing, forms posting only here) and a Permissions-Policy that lets pages of this site ask
    for the location and the camera (a resident's report) and nothing else. Paths in
    ``settings.CSP_EXEMPT_PATHS`` (the interactive API documentation, which runs its own inline script)
    get the rest of the headers but no policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(tuple(settings.CSP_EXEMPT_PATHS)):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
