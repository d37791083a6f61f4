"""Boundary geometry: reading GeoJSON polygons, checking them, deriving bbox and centroid (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# Siblings may share edges; an overlap larger than this share of the smaller one's area is an error.
OVERLAP_TOLERANCE = 1e-3
COORDINATE_DECIMALS = 7


class GeometryError(ValueError):
    """A boundary that cannot be used, with the reason in plain words."""


@dataclass(frozen=True, slots=True)
class Boundary:
    """A checked WGS-84 polygon with what is derived from it; ``geojson`` is its RFC 7946 text."""

    shape: BaseGeometry
    geojson: str
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


def read(geojson: Any) -> BaseGeometry:
    """Check the structure and coordinates of a GeoJSON Polygon or MultiPolygon and build its shape.

    Raises GeometryError naming what is wrong; validity is checked by ``boundaries``.
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
    shape: BaseGeometry = shapely.geometry.shape({"type": kind, "coordinates": coords})
    return shape


def boundaries(shapes: Sequence[BaseGeometry]) -> list[Boundary | GeometryError]:
    """Check many shapes at once (vectorised) and derive what is stored with each: a Boundary, or
    the GeometryError saying why that shape cannot be used."""
    geoms = np.array(shapes, dtype=object)
    if len(geoms) == 0:
        return []
    types = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms)
    valid = shapely.is_valid(geoms)
    area = shapely.area(geoms)
    bounds = shapely.bounds(geoms)
    centroids = shapely.centroid(geoms)
    inside = shapely.contains_properly(geoms, centroids)
    points = np.where(inside, centroids, shapely.point_on_surface(geoms))
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    wkbs = shapely.to_wkb(geoms)
    texts = shapely.to_geojson(geoms)
    out: list[Boundary | GeometryError] = []
    for i, shape in enumerate(shapes):
        if types[i] not in (_POLYGON, _MULTIPOLYGON):
            out.append(GeometryError(f"geometry type must be Polygon or MultiPolygon, not {shape.geom_type}"))
        elif empty[i]:
            out.append(GeometryError("geometry is empty"))
        elif not valid[i]:
            out.append(GeometryError(f"geometry is not valid: {shapely.is_valid_reason(shape)}"))
        elif area[i] <= 0:
            out.append(GeometryError("geometry has no area"))
        elif not (
            bounds[i, 0] >= -180 and bounds[i, 2] <= 180 and bounds[i, 1] >= -90 and bounds[i, 3] <= 90
        ):
            out.append(GeometryError("coordinates must be WGS-84 longitude/latitude"))
        else:
            box = (float(bounds[i, 0]), float(bounds[i, 1]), float(bounds[i, 2]), float(bounds[i, 3]))
            centroid = (round(float(xs[i]), COORDINATE_DECIMALS), round(float(ys[i]), COORDINATE_DECIMALS))
            out.append(Boundary(shape, str(texts[i]), bytes(wkbs[i]), box, centroid))
    return out


def boundary(shape: BaseGeometry) -> Boundary:
    """One shape through ``boundaries``; raises its GeometryError."""
    result = boundaries([shape])[0]
    if isinstance(result, GeometryError):
        raise result
    return result


_POLYGON, _MULTIPOLYGON = 3, 6


def overlap_share(a: BaseGeometry, b: BaseGeometry) -> float:
    """Area of the overlap of two shapes as a share of the smaller one."""
    smaller = min(a.area, b.area)
    if smaller <= 0 or not a.intersects(b):
        return 0.0
    return float(a.intersection(b).area / smaller)
