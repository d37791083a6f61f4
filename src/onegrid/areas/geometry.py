"""Boundary geometry: reading GeoJSON polygons, checking them, deriving bbox and centroid (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

# Siblings may share edges; an overlap larger than this share of the smaller one's area is an error.
OVERLAP_TOLERANCE = 1e-3
COORDINATE_DECIMALS = 7


class GeometryError(ValueError):
    """A boundary that cannot be used, with the reason in plain words."""


@dataclass(frozen=True, slots=True)
class Boundary:
    """A checked WGS-84 polygon with what is derived from it."""

    shape: BaseGeometry
    geojson: dict[str, Any]
    wkb: bytes
    bbox: tuple[float, float, float, float]
    centroid: tuple[float, float]


def _check_position(pos: Any, where: str) -> None:
    if not isinstance(pos, list | tuple) or len(pos) < 2:
        raise GeometryError(f"{where}: a position must be [lon, lat]")
    lon, lat = pos[0], pos[1]
    for name, value, bound in (("longitude", lon, 180.0), ("latitude", lat, 90.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise GeometryError(f"{where}: {name} {value!r} is not a finite number")
        if abs(value) > bound:
            raise GeometryError(f"{where}: {name} {value} is outside [-{bound:g}, {bound:g}]")


def _check_rings(rings: Any, where: str) -> None:
    if not isinstance(rings, list) or not rings:
        raise GeometryError(f"{where}: a polygon needs at least one ring")
    for r, ring in enumerate(rings):
        if not isinstance(ring, list) or len(ring) < 4:
            raise GeometryError(f"{where} ring {r}: a ring needs at least 4 positions")
        for p, pos in enumerate(ring):
            _check_position(pos, f"{where} ring {r} position {p}")
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise GeometryError(f"{where} ring {r}: the first and last positions must be the same")


def parse(geojson: Any) -> Boundary:
    """Check a GeoJSON Polygon or MultiPolygon and return it with its derived values.

    Raises GeometryError naming what is wrong: structure, coordinates out of range, self-intersection,
    empty or zero-area shapes.
    """
    if not isinstance(geojson, dict):
        raise GeometryError("geometry must be a GeoJSON object")
    kind, coords = geojson.get("type"), geojson.get("coordinates")
    if kind == "Polygon":
        _check_rings(coords, "polygon")
    elif kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise GeometryError("multipolygon: needs at least one polygon")
        for i, polygon in enumerate(coords):
            _check_rings(polygon, f"polygon {i}")
    else:
        raise GeometryError(f"geometry type must be Polygon or MultiPolygon, not {kind!r}")
    shape = shapely.geometry.shape({"type": kind, "coordinates": coords})
    return from_shape(shape)


def from_shape(shape: BaseGeometry) -> Boundary:
    """Check a shapely polygon and derive what is stored with it."""
    if shape.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryError(f"geometry type must be Polygon or MultiPolygon, not {shape.geom_type}")
    if shape.is_empty:
        raise GeometryError("geometry is empty")
    if not shape.is_valid:
        raise GeometryError(f"geometry is not valid: {shapely.is_valid_reason(shape)}")
    if shape.area <= 0:
        raise GeometryError("geometry has no area")
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in shape.bounds)
    if not (min_lon >= -180 and max_lon <= 180 and min_lat >= -90 and max_lat <= 90):
        raise GeometryError("coordinates must be WGS-84 longitude/latitude")
    point = shape.representative_point() if not shape.centroid.within(shape) else shape.centroid
    return Boundary(
        shape=shape,
        geojson=dict(shapely.geometry.mapping(shape)),
        wkb=shapely.to_wkb(shape),
        bbox=(min_lon, min_lat, max_lon, max_lat),
        centroid=(round(point.x, COORDINATE_DECIMALS), round(point.y, COORDINATE_DECIMALS)),
    )


def overlap_share(a: BaseGeometry, b: BaseGeometry) -> float:
    """Area of the overlap of two shapes as a share of the smaller one."""
    smaller = min(a.area, b.area)
    if smaller <= 0 or not a.intersects(b):
        return 0.0
    return float(a.intersection(b).area / smaller)
