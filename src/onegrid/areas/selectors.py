"""Every read of the area net, through the caller's scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from onegrid.areas.levels import Level
from onegrid.areas.models import Area, AreaNetRevision
from onegrid.kit.errors import NotFound
from onegrid.kit.prepared import Prepared
from onegrid.kit.scope import ScopedQuerySet

_REVISION = Prepared(lambda: AreaNetRevision.objects.filter(id=1).values_list("number"), ())


def net_revision() -> int:
    """The number every change to the net raises (``services.bump_revision``): what a process holding
    something made of areas compares to tell whether it is still current."""
    found = _REVISION.rows()
    return int(found[0][0]) if found else 0


def visible(actor: Any, permission: str = "areas.view") -> ScopedQuerySet[Area]:
    return Area.objects.restrict(actor, permission)


def get_for(actor: Any, code: str, permission: str = "areas.view") -> Area:
    """The area with ``code`` if ``actor`` holds ``permission`` over it; NotFound (404) otherwise."""
    area = visible(actor, permission).select_related("parent").filter(code=code).first()
    if area is None:
        raise NotFound(f"area {code} not found")
    return area


def search(
    actor: Any,
    *,
    level: Level | None = None,
    parent: str | None = None,
    within: str | None = None,
    q: str | None = None,
) -> ScopedQuerySet[Area]:
    """Areas in scope, filtered: ``parent`` = direct children of that code, ``within`` = the whole
    subtree of that code, ``q`` = code prefix or name substring."""
    qs = visible(actor).select_related("parent").defer("geometry", "geometry_wkb")
    if level is not None:
        qs = qs.filter(level=int(level))
    if parent:
        qs = qs.filter(parent__code=parent)
    if within:
        root = get_for(actor, within)
        qs = qs.filter(path__startswith=root.path)
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(name__icontains=q) | Q(name_en__icontains=q))
    return qs


def ancestors(area: Area) -> list[Area]:
    """The chain from the root to ``area``'s parent (one query)."""
    codes = area.ancestor_codes()
    found = {a.code: a for a in Area.objects.filter(code__in=codes).defer("geometry", "geometry_wkb")}
    return [found[c] for c in codes if c in found]


def subtree_for_export(actor: Any, root: str | None) -> Iterator[Area]:
    """Everything ``actor`` may export, or the subtree of ``root``, parents before children."""
    qs = Area.objects.restrict(actor, "areas.export").select_related("parent").defer("geometry_wkb")
    if root:
        area = get_for(actor, root, "areas.export")
        qs = qs.filter(path__startswith=area.path)
    return qs.order_by("level", "path").iterator(chunk_size=2000)
