"""Hooks into Django: keep the permission table in step with the catalog; count failed sign-ins."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from onegrid.access import roles, services


@receiver(post_migrate)
def _sync_catalog(sender: Any, app_config: Any = None, **kwargs: Any) -> None:
    if app_config is not None and app_config.label == "access":
        services.sync_permissions()
        roles.sync_standard_roles()


def _client_ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    services.record_login_failure(str(credentials.get("username", "")), _client_ip(request))


@receiver(user_logged_in)
def _clear_failures(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.clear_login_failures(user.get_username())
