"""The HTTP API at /api/v1/: one NinjaAPI, the routers of every app, and errors as JSON."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from onegrid.access.api import router as access_router
from onegrid.access.auth import API_AUTH
from onegrid.areas.api import router as areas_router
from onegrid.audit.api import router as audit_router
from onegrid.kit.errors import DomainError
from onegrid.ledger.api import router as ledger_router
from onegrid.matters.api import router as matters_router
from onegrid.notify.api import router as notify_router

# Every operation can answer with these: the body is a Problem (``code``, ``detail``, the ``field`` at
# fault and, for request validation, each ``errors`` entry). 401 needs no sign-in only on public routes.
PROBLEM = {
    "title": "Problem",
    "type": "object",
    "required": ["code", "detail"],
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
ERROR_STATUSES = {
    "400": "Malformed request",
    "401": "Not signed in, or the bearer token is not valid",
    "403": "The permission is held nowhere",
    "404": "Not found, or outside the caller's scope",
    "409": "Conflicts with the current state",
    "413": "Request body too large",
    "422": "A field is invalid",
}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class TextParser(Parser):
    """JSON bodies and query strings, refusing text with NUL characters (no database keeps them, and no
    person types them) with a 400 before anything reads the fields."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        if _has_nul(data):
            raise HttpError(400, "text must not contain NUL characters")
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        parsed = super().parse_querydict(data, list_fields, request)
        if _has_nul(parsed):
            raise HttpError(400, "text must not contain NUL characters")
        return parsed


class OneGridAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The generated schema, with the error answers every operation can give documented once."""
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(status, {"description": description, **ref})
        return schema


api = OneGridAPI(
    title="OneGrid API",
    version="1",
    description="Every matter in one net: the area net, access control, the audit trail and the evidence ledger.",
    auth=API_AUTH,
    urls_namespace="api-v1",
    parser=TextParser(),
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


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Request validation failures as a Problem naming the first field at fault, with every error."""
    errors = [dict(e) for e in exc.errors]
    first = errors[0] if errors else {}
    location = [
        str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "payload")
    ]
    field = ".".join(location) or None
    detail = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid request"))
    body = {"code": "invalid", "detail": detail, "field": field, "errors": errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """The framework's own refusals (an unparsable body...) as a Problem too."""
    code = {400: "malformed", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
    return api.create_response(request, {"code": code, "detail": str(exc)}, status=exc.status_code)
