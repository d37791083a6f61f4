"""How API callers are recognised: a bearer token (integrations) or the browser session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from onegrid.access import services
from onegrid.access.models import User
from onegrid.kit import scope
from onegrid.kit.errors import Forbidden


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """The signed-in browser user; unsafe methods need the CSRF token."""


API_AUTH = [BearerToken(), Session()]


def caller(request: HttpRequest) -> User:
    """The authenticated user behind an API call (the API's auth has already refused anyone else)."""
    user = request.user
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


def require(request: HttpRequest, permission: str) -> Any:
    """The caller, if they hold ``permission`` anywhere; 403 otherwise (scope gives 404 later)."""
    user = request.user
    if not scope.has_permission(user, permission):
        raise Forbidden(f"this needs the permission {permission}")
    return user
