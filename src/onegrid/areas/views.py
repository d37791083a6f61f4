"""Area pages: the net in the caller's scope, an area with its children on a map."""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from onegrid.areas import exchange, selectors
from onegrid.areas.levels import Level
from onegrid.areas.models import LEVEL_CHOICES, Area
from onegrid.kit import scope
from onegrid.kit.errors import NotFound


def _plural(level: int) -> str:
    """How a heading or a count names several areas of ``level``, in the current language."""
    return {
        Level.PROVINCE: _("Provinces"),
        Level.CITY: _("Cities"),
        Level.COUNTY: _("Counties"),
        Level.TOWNSHIP: _("Townships and subdistricts"),
        Level.VILLAGE: _("Villages and communities"),
        Level.GRID: _("Grids"),
        Level.MICRO_GRID: _("Micro-grids"),
    }[Level(level)]


# Fill colours of the children on the map and in the table (the same child gets the same colour in both):
# a qualitative palette whose colours stay apart for the common forms of colour blindness.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#a0cbe8",
    "#8cd17d",
    "#d4a6c8",
)


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


@dataclass(frozen=True, slots=True)
class ChildRow:
    area: Area
    colour: str
    population: str
    households: str
    grids: str


@dataclass(frozen=True, slots=True)
class Total:
    label: str
    value: str


def _below(actor: Any, area: Area, children: list[Area]) -> tuple[dict[str, int], Counter[int]]:
    """Grids below each child (by child path) and areas below ``area`` by level, in the caller's scope.
    One grouped query per distinct child path length (one in a regular net)."""
    per_child: dict[str, int] = {}
    per_level: Counter[int] = Counter()
    subtree = selectors.visible(actor).filter(path__startswith=area.path, level__gt=area.level)
    lengths = sorted({len(c.path) for c in children})
    for length in lengths:
        rows = subtree
        if len(lengths) > 1:  # an irregular net: keep to the subtrees of the children of this length
            rows = rows.filter(
                reduce(operator.or_, (Q(path__startswith=c.path) for c in children if len(c.path) == length))
            )
        grouped = (
            rows.annotate(child=Substr("path", 1, length))
            .values("child", "level")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in grouped:
            if row["level"] == Level.GRID:
                per_child[row["child"]] = per_child.get(row["child"], 0) + row["n"]
            per_level[row["level"]] += row["n"]
    return per_child, per_level


def _client_texts() -> dict[str, Any]:
    """Every string the map and locate scripts show, translated for the current language."""
    return {
        "levels": {Level(value).name.lower(): str(label) for value, label in LEVEL_CHOICES},
        "tip": {
            "code": _("Code: {value}"),
            "level": _("Level: {value}"),
            "population": _("Population: {value}"),
        },
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
        "grid": _("Grid"),
        "microGrid": _("Micro-grid"),
        "chain": _("Within"),
        "locating": _("Locating…"),
        "noGrid": _("The point lies in no grid of the net."),
        "forbidden": _("You may not locate points."),
        "failed": _("The lookup failed. Try again."),
        "fields": {"lon": _("Longitude"), "lat": _("Latitude"), "crs": _("Coordinate system")},
        "errors": {
            "missing": _("{field} is required."),
            "float_parsing": _("{field} must be a number."),
            "float_type": _("{field} must be a number."),
            "finite_number": _("{field} must be a finite number."),
            "less_than_equal": _("{field} must be at most {le}."),
            "greater_than_equal": _("{field} must be at least {ge}."),
            "literal_error": _("{field} must be one of {expected}."),
            "other": _("{field}: {message}"),
        },
        "outOfScope": _("(outside your jurisdiction)"),
    }


def _scope_paths(request: HttpRequest) -> list[str]:
    return list(scope.paths_for(request.user, "areas.view"))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The top of the caller's jurisdiction; a page that says so when there is none."""
    roots = scope.paths_for(request.user, "areas.view")
    top = None
    if roots:
        visible = selectors.visible(request.user)
        tops = visible.filter(parent__isnull=True) if scope.ROOT in roots else visible.filter(path__in=roots)
        top = tops.order_by("level", "path").first()
    if top is not None:
        return redirect("areas:detail", code=top.code)
    can_locate = scope.has_permission(request.user, "areas.locate")
    return render(
        request,
        "areas/empty.html",
        {
            "has_scope": bool(roots),
            "can_locate": can_locate,
            "client_texts": _client_texts(),
            "scope_paths": _scope_paths(request),
        },
        # with nothing to see or do here the page explains, and its status says the same
        status=200 if roots or can_locate else 403,
    )


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """An area with its chain, facts, children (table and map) and, for a grid, its grid workers."""
    try:
        area = selectors.get_for(request.user, code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    children = list(
        selectors.visible(request.user).filter(parent=area).defer("geometry", "geometry_wkb").order_by("code")
    )
    grids_below, per_level = _below(request.user, area, children)
    rows = [
        ChildRow(
            area=c,
            colour=_colour(i),
            population=_number(c.population),
            households=_number(c.households),
            grids=_number(grids_below.get(c.path, 0)),
        )
        for i, c in enumerate(children)
    ]
    totals = [
        Total(_("Population"), _number(area.population)),
        Total(_("Households"), _number(area.households)),
    ]
    totals += [Total(_plural(level), _number(per_level[level])) for level in sorted(per_level)]
    child_level = Level(children[0].level) if children else area.level_enum.child
    parent = area.parent
    # A grid alone on a plain background says little: its neighbours in scope are drawn around it.
    neighbours = (
        reverse("areas:children-geojson", args=[parent.code])
        if area.level >= Level.GRID and parent and scope.covers(request.user, "areas.view", parent.path)
        else ""
    )
    return render(
        request,
        "areas/detail.html",
        {
            "area": area,
            "is_grid": area.level >= Level.GRID,
            "chain": [
                (a, scope.covers(request.user, "areas.view", a.path)) for a in selectors.ancestors(area)
            ],
            "children": rows,
            "children_heading": _plural(child_level) if child_level else _("Areas below"),
            "show_grids": child_level is not None and child_level < Level.GRID,
            "totals": totals,
            "grid_workers": list(area.grid_workers.order_by("display_name", "username"))
            if area.level >= Level.GRID
            else [],
            "population": _number(area.population),
            "households": _number(area.households),
            "bbox": ", ".join(f"{v:.5f}" for v in area.bbox),
            "centroid": f"{area.centroid_lon:.5f}, {area.centroid_lat:.5f}",
            "hint_lon": f"{area.centroid_lon:.4f}",
            "hint_lat": f"{area.centroid_lat:.4f}",
            "outline": area.geometry,
            "neighbours_url": neighbours,
            "can_locate": scope.has_permission(request.user, "areas.locate"),
            "client_texts": _client_texts(),
            "scope_paths": _scope_paths(request),
        },
    )


@login_required
def children_geojson(request: HttpRequest, code: str) -> JsonResponse:
    """The children of an area in scope as a FeatureCollection, with what the map shows about each."""
    try:
        area = selectors.get_for(request.user, code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    features = []
    children = selectors.visible(request.user).filter(parent=area).order_by("code")
    for i, child in enumerate(children):
        feature = exchange.feature_of(child)
        feature["properties"] |= {
            "url": reverse("areas:detail", args=[child.code]),
            "level_label": str(child.get_level_display()),
            "kind_label": str(child.get_kind_display()),
            "centroid": [child.centroid_lon, child.centroid_lat],
            "colour": _colour(i),
        }
        features.append(feature)
    return JsonResponse({"type": "FeatureCollection", "features": features})
