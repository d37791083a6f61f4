"""Synthetic boundaries for the demo and benchmark net (pure): a coarse outline of Zhejiang, city sites
near the real cities, and Voronoi partitions of every parent clipped to it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from onegrid.areas.keyed import Purpose, Random

Geometries = NDArray[np.object_]


def ragged_index(counts: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """For counts per parent: the parent of each child and its 0-based index within the parent."""
    parent = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return parent, np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


# ---------------------------------------------------------------------------------------------
# Upper geometry: a coarse hand-drawn outline of Zhejiang and city sites near the real cities.

# Mainland, clockwise from the north-west tip at Changxing; Hangzhou Bay is the notch at 120.55 E.
_MAINLAND: tuple[tuple[float, float], ...] = (
    (119.63, 31.18), (119.95, 31.05), (120.35, 30.92), (120.70, 31.02), (121.00, 31.03),
    (121.30, 30.78), (121.10, 30.60), (120.80, 30.42), (120.55, 30.33), (120.95, 30.15),
    (121.30, 30.30), (121.70, 30.02), (122.00, 29.90), (121.85, 29.65), (121.98, 29.35),
    (121.65, 29.05), (121.68, 28.75), (121.58, 28.33), (121.20, 28.05), (120.95, 27.95),
    (120.80, 27.70), (120.65, 27.35), (120.45, 27.15), (120.10, 27.25), (119.70, 27.30),
    (119.30, 27.45), (118.90, 27.50), (118.70, 27.95), (118.40, 28.20), (118.05, 28.55),
    (118.05, 29.10), (118.35, 29.45), (118.80, 29.95), (119.05, 30.30), (119.25, 30.60),
    (119.40, 30.90),
)  # fmt: skip
# Zhoushan (舟山) archipelago, very coarse: the main island, Daishan, Zhujiajian, Shengsi.
_ISLANDS: tuple[tuple[tuple[float, float], ...], ...] = (
    ((121.97, 30.05), (122.10, 30.14), (122.30, 30.06), (122.28, 29.94), (122.05, 29.95)),
    ((122.08, 30.22), (122.22, 30.31), (122.36, 30.26), (122.20, 30.19)),
    ((122.36, 29.96), (122.47, 29.95), (122.45, 29.84), (122.36, 29.86)),
    ((122.40, 30.70), (122.55, 30.76), (122.70, 30.70), (122.52, 30.65)),
)  # fmt: skip
# Voronoi sites per city: the seat first (approximate public coordinates), then a few points that
# pull the cell over the rest of the city's real territory. A city is the union of its sites' cells.
_CITY_SITES: dict[str, tuple[tuple[float, float], ...]] = {
    "330100": ((120.20, 30.28), (120.30, 30.42), (119.95, 30.05), (119.70, 30.23), (119.25, 30.25),
               (119.65, 29.80), (119.30, 29.50), (118.95, 29.62)),  # Hangzhou 杭州
    "330200": ((121.55, 29.87), (121.25, 30.15), (121.15, 29.95), (121.40, 29.60), (121.45, 29.30),
               (121.85, 29.45), (121.85, 29.80)),  # Ningbo 宁波
    "330300": ((120.70, 28.00), (120.95, 28.15), (120.60, 28.35), (120.40, 27.80), (120.10, 27.80),
               (119.75, 27.50), (120.45, 27.50)),  # Wenzhou 温州
    "330400": ((120.75, 30.75), (121.00, 30.85), (120.65, 30.50), (120.50, 30.65), (121.05, 30.62)),  # Jiaxing 嘉兴
    "330500": ((120.09, 30.89), (119.85, 30.98), (119.60, 30.62), (120.00, 30.55), (120.40, 30.85)),  # Huzhou 湖州
    "330600": ((120.58, 30.00), (120.88, 30.03), (120.25, 29.70), (120.85, 29.60), (120.95, 29.35)),  # Shaoxing 绍兴
    "330700": ((119.65, 29.08), (119.90, 29.45), (119.45, 29.20), (120.08, 29.30), (120.25, 29.20),
               (120.50, 29.05), (120.05, 28.90), (119.80, 28.85)),  # Jinhua 金华
    "330800": ((118.87, 28.94), (118.35, 29.15), (118.60, 28.70), (119.15, 29.05), (118.45, 28.90)),  # Quzhou 衢州
    "330900": ((122.20, 30.02), (122.25, 30.26), (122.55, 30.70), (122.42, 29.90)),  # Zhoushan 舟山
    "331000": ((121.42, 28.66), (121.10, 29.15), (121.40, 29.00), (120.75, 28.80), (121.35, 28.40),
               (121.15, 28.80)),  # Taizhou 台州
    "331100": ((119.92, 28.45), (120.15, 28.60), (119.45, 28.45), (119.20, 28.60), (119.15, 28.10),
               (119.05, 27.65), (119.65, 27.95), (120.25, 28.15), (119.55, 28.15)),  # Lishui 丽水
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Partitions: Voronoi cells of seeded sites clipped to the parent, all parents of a level at once
# (numpy half-plane clipping, GEOS for the few parents where that does not apply).

_CANDIDATES = 6  # Mitchell's best-candidate sampling: candidates drawn per site
_CENTRAL_ATTEMPTS = 32  # after this many misses a central site is drawn uniformly instead
_MAX_ATTEMPTS = 4096
_SLIVER = 1e-12  # square degrees (about 0.01 m²): parts this small are floating-point debris


def outline() -> BaseGeometry:
    polygons = [shapely.Polygon(_MAINLAND), *(shapely.Polygon(island) for island in _ISLANDS)]
    return shapely.orient_polygons(shapely.MultiPolygon(polygons), exterior_cw=False)


def city_cells(province: BaseGeometry, codes: Sequence[str]) -> tuple[Geometries, NDArray[np.float64]]:
    """City geometries and seats: each city is the union of its sites' Voronoi cells."""
    sites = [site for code in codes for site in _CITY_SITES[code]]
    owner = np.repeat(np.arange(len(codes)), [len(_CITY_SITES[code]) for code in codes])
    diagram = shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=province, ordered=True)
    cells = shapely.intersection(shapely.get_parts(diagram), province)
    cities = np.array([shapely.union_all(cells[owner == i]) for i in range(len(codes))], dtype=object)
    seats = np.array([_CITY_SITES[code][0] for code in codes], dtype=np.float64)
    return _clean(cities), seats


def _sites(
    parents: Geometries,
    centres: NDArray[np.float64],
    counts: NDArray[np.int64],
    central: NDArray[np.bool_],
    keys: NDArray[np.int64],
    rng: Random,
    spread: float,
) -> NDArray[np.float64]:
    """Sites inside each parent, ``counts[p]`` of them, evenly spread (Mitchell's best candidate).

    Central sites are drawn around the parent's centre (a normal law of radius ``spread`` times
    the radius of a disc of the parent's area), the others uniformly: Voronoi cells of central
    sites come out smaller, like an urban core.
    """
    n_sites = int(counts.sum())
    parent_of, local = ragged_index(counts)
    slot_parent = np.repeat(parent_of, _CANDIDATES)
    slot_counter = (
        np.repeat(local, _CANDIDATES) * _CANDIDATES + np.tile(np.arange(_CANDIDATES), n_sites)
    ).astype(np.uint64) << np.uint64(16)
    slot_central = np.repeat(central, _CANDIDATES)
    bounds = shapely.bounds(parents)
    cos_lat = np.cos(np.radians((bounds[:, 1] + bounds[:, 3]) / 2))
    sigma = spread * np.sqrt(shapely.area(parents) * cos_lat / math.pi)
    shapely.prepare(parents)

    xy = np.empty((len(slot_parent), 2))
    pending = np.arange(len(slot_parent))
    attempt = 0
    while pending.size:
        if attempt >= _MAX_ATTEMPTS:
            raise RuntimeError("could not place Voronoi sites inside a parent area")
        p = slot_parent[pending]
        counter = slot_counter[pending] | np.uint64(attempt << 1)
        u1 = rng.uniform(Purpose.SITES, keys[p], counter)
        u2 = rng.uniform(Purpose.SITES, keys[p], counter | np.uint64(1))
        radius = sigma[p] * np.sqrt(-2.0 * np.log1p(-u1))
        gaussian = slot_central[pending] & (attempt < _CENTRAL_ATTEMPTS)
        x = np.where(
            gaussian,
            centres[p, 0] + radius * np.cos(2 * math.pi * u2) / cos_lat[p],
            bounds[p, 0] + u1 * (bounds[p, 2] - bounds[p, 0]),
        )
        y = np.where(
            gaussian,
            centres[p, 1] + radius * np.sin(2 * math.pi * u2),
            bounds[p, 1] + u2 * (bounds[p, 3] - bounds[p, 1]),
        )
        inside = shapely.contains_xy(parents[p], x, y)
        xy[pending[inside], 0] = x[inside]
        xy[pending[inside], 1] = y[inside]
        pending = pending[~inside]
        attempt += 1

    candidates = np.zeros((len(parents), int(counts.max()), _CANDIDATES, 2))
    candidates[parent_of, local] = xy.reshape(n_sites, _CANDIDATES, 2)
    chosen = np.zeros((len(parents), int(counts.max()), 2))
    chosen[:, 0] = candidates[:, 0, 0]
    for j in range(1, int(counts.max())):
        rows = np.flatnonzero(counts > j)
        c = candidates[rows, j]  # (rows, K, 2)
        previous = chosen[rows, :j]  # (rows, j, 2)
        dx = (c[:, :, None, 0] - previous[:, None, :, 0]) * cos_lat[rows, None, None]
        dy = c[:, :, None, 1] - previous[:, None, :, 1]
        nearest = (dx * dx + dy * dy).min(axis=2)  # (rows, K)
        chosen[rows, j] = c[np.arange(len(rows)), nearest.argmax(axis=1)]
    result: NDArray[np.float64] = chosen[parent_of, local]
    return result


def subdivide(
    parents: Geometries,
    centres: NDArray[np.float64],
    counts: NDArray[np.int64],
    central: NDArray[np.bool_],
    keys: NDArray[np.int64],
    rng: Random,
    spread: float = 0.0,
) -> tuple[Geometries, NDArray[np.float64]]:
    """Split each parent into ``counts[p]`` children; returns the children and their sites.

    A child is its site's Voronoi cell (among its siblings' sites) intersected with the parent.
    Children come parent by parent, in order. A parent with one child passes its geometry on.
    """
    if int(counts.sum()) == 0:  # no parents, or only 龙港市, which has no townships
        return np.empty(0, dtype=object), np.empty((0, 2))
    sites = _sites(parents, centres, counts, central, keys, rng, spread)
    parent_of, _ = ragged_index(counts)
    children = np.empty(len(parent_of), dtype=object)
    single = counts[parent_of] == 1
    children[single] = parents[parent_of[single]]

    simple = (counts > 1) & (shapely.get_type_id(parents) == shapely.GeometryType.POLYGON)
    simple &= shapely.get_num_interior_rings(parents) == 0
    clipped, failed = _clip_cells(parents[simple], sites[simple[parent_of]], counts[simple])
    simple_parents = np.flatnonzero(simple)
    mine = simple[parent_of]
    children[mine] = clipped
    rest = (counts > 1) & ~simple
    rest[simple_parents[failed]] = True
    if rest.any():
        mine = rest[parent_of]
        children[mine] = _clean(_voronoi_cells(parents[rest], sites[mine], counts[rest]))
    return children, sites


def _voronoi_cells(parents: Geometries, sites: NDArray[np.float64], counts: NDArray[np.int64]) -> Geometries:
    """Voronoi cells of each parent's sites intersected with the parent, by GEOS (any geometry)."""
    parent_of, _ = ragged_index(counts)
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(sites, indices=parent_of), extend_to=parents, ordered=True
    )
    cells, which = shapely.get_parts(diagram, return_index=True)
    if len(cells) != len(sites):
        raise RuntimeError("Voronoi diagram lost a site (duplicate sites?)")
    result: Geometries = shapely.intersection(cells, parents[which])
    return result


_CLIP_BATCH = 20_000  # parents per batch: bounds the (cells x vertices) arrays to some tens of MB


def _clip_cells(
    parents: Geometries, sites: NDArray[np.float64], counts: NDArray[np.int64]
) -> tuple[Geometries, NDArray[np.bool_]]:
    """Voronoi cells clipped to parents, for Polygons without holes, by numpy (the fast path).

    The cell of site i is the parent clipped by the half-planes nearer to i than to each sibling
    site j (Sutherland–Hodgman, all cells at once). The half-plane of (i, j) is the exact negation
    of that of (j, i), so shared edges match up to rounding. A clipped ring that is valid is the
    right answer; one that is not (a non-convex parent cut into pieces, leaving zero-width
    bridges) marks its parent as failed, for the caller to redo with GEOS. Returns one cell per
    site (garbage for failed parents) and the failed mask over parents.
    """
    cells = np.empty(len(sites), dtype=object)
    failed = np.zeros(len(parents), dtype=bool)
    if len(parents) == 0:
        return cells, failed
    rings, ring_of = shapely.get_coordinates(shapely.get_exterior_ring(parents), return_index=True)
    ring_n = np.bincount(ring_of, minlength=len(parents)) - 1  # without the closing vertex
    ring_starts = np.cumsum(ring_n + 1) - (ring_n + 1)
    site_starts = np.cumsum(counts) - counts
    for first in range(0, len(parents), _CLIP_BATCH):
        batch = np.arange(first, min(first + _CLIP_BATCH, len(parents)))
        batch_parent, cell_local = ragged_index(counts[batch])
        cell_parent = batch[batch_parent]
        n = ring_n[cell_parent].copy()
        # Vertices as (cells, width) arrays padded with the first vertex, so that the vertex after
        # the last one is the next column.
        column = np.arange(int(n.max()) + 1)[None, :]
        vertex = rings[ring_starts[cell_parent, None] + np.where(column < n[:, None], column, 0)]
        x, y = vertex[..., 0], vertex[..., 1]
        own = sites[site_starts[cell_parent] + cell_local]
        n_sites = counts[cell_parent]
        for step in range(int(counts[batch].max()) - 1):
            other_local = np.where(step < cell_local, step, step + 1)
            rows = np.flatnonzero(other_local < n_sites)
            other = sites[site_starts[cell_parent[rows]] + other_local[rows]]
            normal = other - own[rows]
            middle = (own[rows] + other) / 2
            f = normal[:, 0, None] * (x[rows] - middle[:, 0, None]) + normal[:, 1, None] * (
                y[rows] - middle[:, 1, None]
            )
            x_rows, y_rows, n[rows] = _clip_step(x[rows], y[rows], n[rows], f)
            if x_rows.shape[1] > x.shape[1]:
                extra = x_rows.shape[1] - x.shape[1]
                x = np.concatenate([x, np.repeat(x[:, :1], extra, axis=1)], axis=1)
                y = np.concatenate([y, np.repeat(y[:, :1], extra, axis=1)], axis=1)
            x[rows, : x_rows.shape[1]] = x_rows
            y[rows, : x_rows.shape[1]] = y_rows
            x[rows, x_rows.shape[1] :] = x_rows[:, :1]
            y[rows, x_rows.shape[1] :] = y_rows[:, :1]
        polygons, ok = _rings_to_polygons(x, y, n)
        cells[site_starts[first] + np.arange(len(cell_parent))] = polygons
        failed[np.unique(cell_parent[~ok])] = True
    return cells, failed


def _next(a: NDArray[Any]) -> NDArray[Any]:
    """The following column, cyclically (rows are padded with their first vertex)."""
    return np.concatenate([a[:, 1:], a[:, :1]], axis=1)


def _clip_step(
    x: NDArray[np.float64], y: NDArray[np.float64], n: NDArray[np.int64], f: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """One Sutherland–Hodgman step: the part of each ring where ``f <= 0``, padded likewise."""
    rows, width = x.shape
    valid = np.arange(width)[None, :] < n[:, None]
    f_next = _next(f)
    inside = f <= 0
    keep = valid & inside
    cross = valid & (inside != (f_next <= 0))
    t = np.where(cross, f / np.where(cross, f - f_next, 1.0), 0.0)
    points_x = np.stack([x, x + t * (_next(x) - x)], axis=2).reshape(rows, 2 * width)
    points_y = np.stack([y, y + t * (_next(y) - y)], axis=2).reshape(rows, 2 * width)
    emitted = np.stack([keep, cross], axis=2).reshape(rows, 2 * width)
    counts = emitted.sum(axis=1)
    first = emitted.argmax(axis=1)[:, None]
    new_width = int(counts.max()) + 1
    out_x = np.repeat(np.take_along_axis(points_x, first, axis=1), new_width, axis=1)
    out_y = np.repeat(np.take_along_axis(points_y, first, axis=1), new_width, axis=1)
    r, c = np.nonzero(emitted)
    position = (np.cumsum(emitted, axis=1) - 1)[r, c]
    out_x[r, position] = points_x[r, c]
    out_y[r, position] = points_y[r, c]
    return out_x, out_y, counts


def _rings_to_polygons(
    x: NDArray[np.float64], y: NDArray[np.float64], n: NDArray[np.int64]
) -> tuple[Geometries, NDArray[np.bool_]]:
    """Polygons from padded open rings, without repeated vertices; and which ones are valid."""
    keep = np.arange(x.shape[1])[None, :] < n[:, None]
    keep &= (x != _next(x)) | (y != _next(y))
    ok = keep.sum(axis=1) >= 3
    keep &= ok[:, None]
    r, c = np.nonzero(keep)
    polygons = np.empty(len(x), dtype=object)
    ring_index = np.cumsum(ok) - 1
    polygons[ok] = shapely.polygons(shapely.linearrings(x[r, c], y[r, c], indices=ring_index[r]))
    ok[ok] = shapely.is_valid(polygons[ok])
    return polygons, ok


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The polygonal part of any geometry, without sliver debris."""
    polygons: list[BaseGeometry] = []
    for part in shapely.get_parts(geometry):
        if part.geom_type == "Polygon":
            if part.area >= _SLIVER:
                polygons.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            polygons.extend(shapely.get_parts(_polygonal(part)))
    if not polygons:
        raise RuntimeError("a partition produced an empty area")
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _clean(geometries: Geometries) -> Geometries:
    """Valid, non-empty Polygons or MultiPolygons without slivers, exterior rings counter-clockwise."""
    types = shapely.get_type_id(geometries)
    suspects = (types != shapely.GeometryType.POLYGON) | ~shapely.is_valid(geometries)
    for i in np.flatnonzero(suspects):
        geometries[i] = _polygonal(shapely.make_valid(geometries[i]))
    oriented: Geometries = shapely.orient_polygons(geometries, exterior_cw=False)
    return oriented
