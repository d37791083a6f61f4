"""Password sign-in that refuses while a username or address is locked out by recent failures."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from onegrid.access import services


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        ip = request.META.get("REMOTE_ADDR") if request is not None else None
        if username and services.login_locked(username, ip):
            raise PermissionDenied("too many failed sign-ins; try again later")
        return super().authenticate(request, username=username, password=password, **kwargs)
