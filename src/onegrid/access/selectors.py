"""Reads of the access app, scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from onegrid.access.models import ApiToken, Grant, Organisation, Role, User
from onegrid.kit import scope
from onegrid.kit.errors import NotFound


def organisations(actor: Any) -> Any:
    return Organisation.objects.restrict(actor, "access.view").select_related("area", "parent")


def users(actor: Any) -> Any:
    """Users who belong to an organisation, or hold a grant, inside the caller's access.view scope."""
    paths = scope.paths_for(actor, "access.view")
    qs = User.objects.prefetch_related("memberships__organisation")
    if scope.ROOT in paths:
        return qs.order_by("username")
    condition = Q(pk=actor.pk) if actor.is_authenticated else Q(pk__in=[])
    for p in paths:
        condition |= Q(memberships__organisation__area_path__startswith=p) | Q(
            grants__area_path__startswith=p
        )
    return qs.filter(condition).distinct().order_by("username")


def user_for(actor: Any, username: str) -> User:
    user: User | None = users(actor).filter(username=username).first()
    if user is None:
        raise NotFound(f"user {username} not found")
    return user


def user_area_path(user: User) -> str:
    first = user.memberships.select_related("organisation").first()
    return first.organisation.area_path if first else ""


def roles() -> Any:
    return Role.objects.prefetch_related("permissions").order_by("code")


def grants(actor: Any) -> Any:
    return Grant.objects.restrict(actor, "access.view").select_related("role", "area", "user", "organisation")


def tokens(actor: Any) -> Any:
    qs = ApiToken.objects.select_related("user", "area")
    if scope.has_permission(actor, "access.manage_tokens"):
        own_scope = users(actor).values("pk")
        return qs.filter(Q(user=actor) | Q(user__in=own_scope))
    return qs.filter(user=actor)
