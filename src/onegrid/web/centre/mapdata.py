"""What the jurisdiction map draws: grids with their open and overdue matters, and matter markers
clustered on a square grid of screen-sized cells. Both from one grouped query each, scoped through
``matters.selectors``; the grid outlines come from the area net in the caller's ``matters.view`` scope."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Min, Q
from django.db.models.functions import Floor
from django.utils import timezone

from onegrid.areas import selectors as area_selectors
from onegrid.areas.levels import Level
from onegrid.matters import selectors
from onegrid.matters.lifecycle import OPEN
from onegrid.matters.models import Matter

CELL_PX = 64  # a cluster gathers the markers that fall in one square of this many screen pixels
MAX_CLUSTERS = 2000
MAX_GRIDS = 5000


def _late() -> Q:
    return Q(due_at__lt=timezone.now())


def _open_in_scope(actor: Any) -> Any:
    """Open matters the actor sees, as a subquery of ids (so the scope's joins never count twice)."""
    return Matter.objects.filter(
        pk__in=selectors.visible(actor).filter(status__in=list(OPEN)).order_by().values("pk")
    ).order_by()


def _grid_of(path: str, grids: dict[str, Any]) -> str | None:
    parts = [p for p in path.split("/") if p]
    for i in range(len(parts), 0, -1):
        prefix = "/" + "/".join(parts[:i]) + "/"
        if prefix in grids:
            return prefix
    return None


def grids(actor: Any, *, language_en: bool = False) -> dict[str, Any]:
    """The grids in scope as a GeoJSON FeatureCollection with ``open`` and ``overdue`` counts."""
    areas = (
        area_selectors.visible(actor, "matters.view")
        .filter(level=Level.GRID)
        .only("code", "name", "name_en", "path", "geometry")
        .order_by("path")[:MAX_GRIDS]
    )
    features: dict[str, dict[str, Any]] = {}
    for area in areas:
        features[area.path] = {
            "type": "Feature",
            "geometry": area.geometry,
            "properties": {
                "code": area.code,
                "name": area.name_en if language_en and area.name_en else area.name,
                "open": 0,
                "overdue": 0,
            },
        }
    outside = 0
    grouped = (
        _open_in_scope(actor).values("area_path").annotate(n=Count("pk"), late=Count("pk", filter=_late()))
    )
    for row in grouped:
        path = _grid_of(row["area_path"], features)
        if path is None:
            outside += row["n"]
            continue
        features[path]["properties"]["open"] += row["n"]
        features[path]["properties"]["overdue"] += row["late"]
    return {"type": "FeatureCollection", "features": list(features.values()), "outside_grids": outside}


@dataclass(frozen=True, slots=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> Box:
        """``west,south,east,north`` in degrees; ValueError when it is not that."""
        parts = [float(p) for p in text.split(",")]
        if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
            raise ValueError("bbox is west,south,east,north")
        west, south, east, north = parts
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError("bbox is west,south,east,north within the world")
        return cls(west, south, east, north)


def cell_degrees(zoom: int) -> float:
    """The width of a cluster cell at ``zoom`` (Web Mercator tiles of 256 px)."""
    return 360.0 / (256 * 2.0**zoom) * CELL_PX


def clusters(actor: Any, box: Box, zoom: int) -> list[dict[str, Any]]:
    """Open matters inside ``box`` grouped into cells; a cell of one is the matter itself."""
    size = cell_degrees(zoom)
    rows = (
        _open_in_scope(actor)
        .filter(lon__gte=box.west, lon__lte=box.east, lat__gte=box.south, lat__lte=box.north)
        .annotate(cx=Floor(F("lon") / size), cy=Floor(F("lat") / size))
        .values("cx", "cy")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=_late()),
            lon=Avg("lon"),
            lat=Avg("lat"),
            first=Min("number"),
        )
        .order_by("-n")[:MAX_CLUSTERS]
    )
    out = []
    for row in rows:
        item: dict[str, Any] = {
            "lon": round(row["lon"], 6),
            "lat": round(row["lat"], 6),
            "n": row["n"],
            "overdue": row["late"],
        }
        if row["n"] == 1:
            item["number"] = row["first"]
        out.append(item)
    return out
