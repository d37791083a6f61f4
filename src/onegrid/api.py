"""The HTTP API at /api/v1/: one NinjaAPI, the routers of every app, and errors as JSON."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from onegrid.access.api import router as access_router
from onegrid.access.auth import API_AUTH
from onegrid.areas.api import router as areas_router
from onegrid.audit.api import router as audit_router
from onegrid.kit.errors import DomainError
from onegrid.ledger.api import router as ledger_router
from onegrid.matters.api import router as matters_router
from onegrid.notify.api import router as notify_router

api = NinjaAPI(
    title="OneGrid API",
    version="1",
    description="Every matter in one net: the area net, access control, the audit trail and the evidence ledger.",
    auth=API_AUTH,
    urls_namespace="api-v1",
)
api.add_router("/areas", areas_router, tags=["areas"])
api.add_router("/access", access_router, tags=["access"])
api.add_router("/audit", audit_router, tags=["audit"])
api.add_router("/matters", matters_router, tags=["matters"])
api.add_router("/notify", notify_router, tags=["notify"])
api.add_router("/ledger", ledger_router, tags=["ledger"])


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.body(), status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"code": "unauthenticated", "detail": "sign in or send a valid bearer token"}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="onegrid"'
    return response


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"code": "too_large", "detail": str(exc)}, status=413)
