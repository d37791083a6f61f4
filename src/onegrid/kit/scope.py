"""Data scope: the one place where a user's grants become a WHERE clause.

Every area-scoped row carries a materialised ``area_path`` such as ``/330000/330100/330122/``. A grant of
a role over an area covers that area's subtree, i.e. every path starting with the area's path. A user
holds a permission over the union of the subtrees of the grants (their own and their organisations')
whose role includes it; an API token can only narrow that set. ``restrict(user, permission)`` turns the
set into ``path LIKE 'p1%' OR path LIKE 'p2%' ...``, plus any participation rules the owning app
registered (e.g. "the reporter of a matter sees it"). Out of scope is indistinguishable from absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Q

M = TypeVar("M", bound=models.Model)
Participation = Callable[[Any, str], Q | None]
GrantResolver = Callable[[Any], Iterable[tuple[str, str]]]

ROOT = "/"
_scoped: dict[type[models.Model], str] = {}
_participations: dict[type[models.Model], list[Participation]] = {}
_resolvers: list[GrantResolver] = []


def register_resolver(resolver: GrantResolver) -> None:
    """Install the function that lists a user's (permission, area path) pairs from their grants
    (the access app does this at start-up; kit knows nothing of grants)."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def register_participation(model: type[models.Model], rule: Participation) -> None:
    """Let ``model`` rows be visible beyond area grants, e.g. to the people taking part in them. A rule
    reads nothing of the user but ``user.pk`` (listings compile it once for every user, with a marker
    in place of the key)."""
    _participations.setdefault(model, []).append(rule)


def scoped_models() -> list[tuple[type[models.Model], str]]:
    """Every model with a ScopedManager and the name of its materialised path column."""
    return list(_scoped.items())


def minimal(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop every path that lies inside another one of the set."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(kept)


def narrow(paths: Iterable[str], within: str) -> tuple[str, ...]:
    """The part of the subtrees ``paths`` that lies inside the subtree ``within``."""
    paths = tuple(paths)
    inside = [p for p in paths if p.startswith(within)]
    if any(within.startswith(p) for p in paths):
        inside.append(within)
    return minimal(inside)


def _granted(user: Any) -> dict[str, tuple[str, ...]]:
    """Every permission the user holds through grants, with its subtrees: one query per request."""
    cached: dict[str, tuple[str, ...]] | None = user.__dict__.get("_onegrid_grants")
    if cached is None:
        pairs: dict[str, list[str]] = {}
        for resolve in _resolvers:
            for permission, path in resolve(user):
                pairs.setdefault(permission, []).append(path)
        cached = {permission: minimal(paths) for permission, paths in pairs.items()}
        user.__dict__["_onegrid_grants"] = cached
    return cached


def paths_for(user: Any, permission: str) -> tuple[str, ...]:
    """The area subtrees (as path prefixes) where ``user`` holds ``permission``, cached on the user
    object for the request. ``("/",)`` means everywhere."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    paths: tuple[str, ...] = (ROOT,) if user.is_superuser else _granted(user).get(permission, ())
    token = getattr(user, "api_token", None)
    if token is not None:
        if permission not in (token.permissions or []):
            paths = ()
        elif token.area_path:
            paths = narrow(paths, token.area_path)
    return paths


def has_permission(user: Any, permission: str) -> bool:
    """Whether ``user`` holds ``permission`` anywhere (the 403 test; scope decides 404 after it)."""
    return bool(paths_for(user, permission))


def covers(user: Any, permission: str, path: str) -> bool:
    return any(path.startswith(p) for p in paths_for(user, permission))


def forget(user: Any) -> None:
    """Drop the cached scope, e.g. after the user's grants changed within the request."""
    user.__dict__.pop("_onegrid_grants", None)


class ScopedQuerySet(models.QuerySet[M], Generic[M]):
    """QuerySet with ``restrict``. The model names its path column in ``scope_path_field``
    (default ``area_path``)."""

    def restrict(
        self, user: Any, permission: str, *, paths: tuple[str, ...] | None = None
    ) -> ScopedQuerySet[M]:
        """The rows ``user`` may see with ``permission``; ``paths`` in place of the user's own subtrees
        (a statement compiled once for many users passes markers, see ``kit.prepared.Shapes``)."""
        paths = paths_for(user, permission) if paths is None else paths
        if ROOT in paths:
            return self.all()
        field = getattr(self.model, "scope_path_field", "area_path")
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(**{f"{field}__startswith": path})
        if user is not None and getattr(user, "is_authenticated", False):
            for rule in _participations.get(self.model, []):
                extra = rule(user, permission)
                if extra is not None:
                    condition |= extra
        return self.filter(condition)


class ScopedManager(models.Manager[M], Generic[M]):
    """Manager whose querysets offer ``restrict``."""

    def contribute_to_class(self, cls: type[M], name: str) -> None:  # type: ignore[override]
        super().contribute_to_class(cls, name)
        if not cls._meta.abstract:
            _scoped[cls] = getattr(cls, "scope_path_field", "area_path")

    def get_queryset(self) -> ScopedQuerySet[M]:
        return ScopedQuerySet(self.model, using=self._db)

    def restrict(
        self, user: Any, permission: str, *, paths: tuple[str, ...] | None = None
    ) -> ScopedQuerySet[M]:
        return self.get_queryset().restrict(user, permission, paths=paths)
