"""LocateIndex agrees with exact point-in-polygon (GEOS covers), lowest build position first."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from onegrid.areas.locate import LocateIndex

Geoms = list[shapely.Geometry]


def reference(geoms: Geoms, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int64]:
    """Lowest position among the polygons that cover each point, by GEOS; -1 for none.

    The STRtree only proposes bounding-box candidates; ``covers(polygon, point)`` decides. (The
    tree's own predicate runs on a prepared *point*, which GEOS evaluates differently for
    subnormal coordinates.)
    """
    points = shapely.points(x, y)
    pts, polys = shapely.STRtree(geoms).query(points)
    hit = shapely.covers(np.asarray(geoms, dtype=object)[polys], points[pts])
    best = np.full(len(x), len(geoms), dtype=np.int64)
    np.minimum.at(best, pts[hit], polys[hit])
    return np.where(best == len(geoms), -1, best)


def assert_exact(index: LocateIndex, geoms: Geoms, x: NDArray[np.float64], y: NDArray[np.float64]) -> None:
    """Batch answers, and single-point answers for up to 10,000 of the points, equal the GEOS
    reference (ids are 1000 + position)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    expected = reference(geoms, x, y)
    expected_ids = np.where(expected >= 0, expected + 1000, -1)
    got = index.locate_many(x, y)
    wrong = np.flatnonzero(got != expected_ids)
    assert len(wrong) == 0, [(x[i], y[i], got[i], expected_ids[i]) for i in wrong[:5]]
    some = np.arange(len(x))
    if len(x) > 10_000:
        some = np.sort(np.random.default_rng(0).choice(len(x), 10_000, replace=False))
    single = [index.locate(a, b) for a, b in zip(x[some].tolist(), y[some].tolist(), strict=True)]
    assert [-1 if s is None else s for s in single] == expected_ids[some].tolist()


def build(geoms: Geoms, cells_per_polygon: float = 16.0) -> LocateIndex:
    return LocateIndex.build(np.arange(len(geoms)) + 1000, geoms, cells_per_polygon=cells_per_polygon)


def vertices_and_edge_points(geoms: Geoms) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Every vertex, and points at 1/2, 1/3 and 1/7 along every edge (exactly on or nearest to it)."""
    rings = shapely.get_rings(shapely.get_parts(geoms))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    along = [a + t * (b - a) for t in (0.5, 1 / 3, 1 / 7)]
    pts = np.concatenate([xy, *along])
    return pts[:, 0], pts[:, 1]


def nudged(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each point moved by one ulp in each of eight directions."""
    xs = [x, np.nextafter(x, np.inf), np.nextafter(x, -np.inf)]
    ys = [y, np.nextafter(y, np.inf), np.nextafter(y, -np.inf)]
    px = np.concatenate([xv for xv in xs for _ in ys])
    py = np.concatenate([yv for _ in xs for yv in ys])
    return px, py


def squares(n: int, size: float = 1.0, x0: float = 0.0, y0: float = 0.0) -> Geoms:
    return [
        shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size)
        for j in range(n)
        for i in range(n)
    ]


@functools.cache
def voronoi(n: int, seed: int) -> Geoms:
    """A Voronoi partition of `n` random seeds, clipped to a Zhejiang-sized box."""
    rng = np.random.default_rng(seed)
    extent = shapely.box(118.0, 27.0, 123.0, 31.3)
    seeds = shapely.multipoints(np.c_[rng.uniform(118, 123, n), rng.uniform(27, 31.3, n)])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=extent))
    return list(shapely.intersection(cells, extent))


@functools.cache
def voronoi_index(n: int, seed: int) -> LocateIndex:
    return build(voronoi(n, seed))


# ---------------------------------------------------------------- hand-made partitions


def test_unit_squares_on_every_vertex_edge_and_centre() -> None:
    geoms = squares(3)
    grid = np.arange(-0.5, 3.51, 0.25)
    x, y = np.meshgrid(grid, grid)
    assert_exact(build(geoms), geoms, *nudged(x.ravel(), y.ravel()))


def test_shared_vertex_goes_to_the_first_polygon_in_build_order() -> None:
    geoms = squares(2)
    index = build(geoms[::-1])
    assert index.locate(1.0, 1.0) == 1000  # all four cover it; the first built wins
    assert index.locate(1.0, 0.5) == 1002  # right-bottom (position 2 reversed) and left-bottom
    assert index.locate(0.5, 0.5) == 1003


def test_triangle_fan_around_one_vertex() -> None:
    centre = (120.123456789, 30.987654321)
    angles = np.linspace(0, 2 * math.pi, 9)[:-1] + 0.1
    rim = [(centre[0] + 0.01 * math.cos(a), centre[1] + 0.007 * math.sin(a)) for a in angles]
    geoms = [shapely.Polygon([centre, rim[i], rim[(i + 1) % 8]]) for i in range(8)]
    x, y = vertices_and_edge_points(geoms)
    rng = np.random.default_rng(3)
    rx = rng.uniform(120.11, 120.14, 2000)
    ry = rng.uniform(30.97, 31.0, 2000)
    assert_exact(build(geoms), geoms, *nudged(np.r_[x, rx], np.r_[y, ry]))


def test_holes_islands_and_multipolygons() -> None:
    outer = shapely.Polygon(
        [(0, 0), (10, 0), (10, 10), (0, 10)],
        holes=[[(2, 2), (4, 2), (4, 4), (2, 4)], [(6, 6), (8.5, 6), (8.5, 8.5), (6, 8.5)]],
    )
    island = shapely.box(2, 2, 4, 4)  # fills the first hole; the second stays empty
    pair = shapely.MultiPolygon([shapely.box(11, 0, 12, 1), shapely.box(13, 0, 14, 1)])
    geoms = [outer, island, pair]
    rng = np.random.default_rng(4)
    rx = rng.uniform(-1, 15, 20000)
    ry = rng.uniform(-1, 11, 20000)
    vx, vy = vertices_and_edge_points(geoms)
    index = build(geoms)
    assert_exact(index, geoms, *nudged(np.r_[rx, vx], np.r_[ry, vy]))
    assert index.locate(7, 7) is None  # in the empty hole
    assert index.locate(3, 3) == 1001
    assert index.locate(13.5, 0.5) == 1002


def test_overlaps_resolve_to_the_lowest_position() -> None:
    geoms = [shapely.box(0, 0, 4, 4), shapely.box(1, 1, 3, 3), shapely.box(2, 2, 6, 6)]
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-1, 7, 5000), rng.uniform(-1, 7, 5000)
    index = build(geoms[::-1])
    assert_exact(index, geoms[::-1], x, y)
    assert index.locate(2.5, 2.5) == 1000


def test_cells_with_more_polygons_than_slots_fall_back_to_geos() -> None:
    geoms = squares(20, size=0.001, x0=121.0, y0=29.0)  # 400 polygons in four cells
    index = build(geoms, cells_per_polygon=0.005)
    assert index.cells[2] > 0
    rng = np.random.default_rng(6)
    x, y = rng.uniform(120.999, 121.021, 1000), rng.uniform(28.999, 29.021, 1000)
    vx, vy = vertices_and_edge_points(geoms)
    some = rng.choice(len(vx), 1000, replace=False)
    assert_exact(index, geoms, np.r_[x, vx[some]], np.r_[y, vy[some]])


def test_cell_lines_on_polygon_edges() -> None:
    """Round coordinates whose edges may coincide with raster lines or reference rows."""
    geoms = squares(8, size=0.125)
    for cells_per_polygon in (1.0, 4.0, 16.0, 64.0):
        index = build(geoms, cells_per_polygon=cells_per_polygon)
        grid = np.arange(-0.0625, 1.07, 0.03125)
        x, y = np.meshgrid(grid, grid)
        assert_exact(index, geoms, *nudged(x.ravel(), y.ravel()))


def test_outside_non_finite_and_shapes() -> None:
    geoms = squares(2)
    index = build(geoms)
    odd = [math.nan, math.inf, -math.inf, 1e308, -1e308, 0.5]
    for a in odd:
        for b in odd:
            if a == 0.5 and b == 0.5:
                continue
            assert index.locate(a, b) is None
    x, y = np.meshgrid(odd, odd)
    got = index.locate_many(x, y)
    assert got.shape == (6, 6)
    assert got.dtype == np.int64
    assert (got == -1).sum() == 35
    assert index.locate_many(0.5, 1.5).tolist() == 1002
    assert index.locate_many(np.empty(0), np.empty(0)).shape == (0,)


def test_empty_geometries_never_match() -> None:
    empty = shapely.from_wkt("POLYGON EMPTY")
    index = build([empty, shapely.box(0, 0, 1, 1), empty])
    assert len(index) == 3
    assert index.locate(0.5, 0.5) == 1001
    assert index.locate(2, 2) is None
    nothing = build([empty])
    assert nothing.locate(0, 0) is None
    assert nothing.locate_many([0.0, 1.0], [0.0, 1.0]).tolist() == [-1, -1]
    assert build([]).locate(0, 0) is None


def test_rejects_non_polygons_and_mismatched_ids() -> None:
    with pytest.raises(ValueError, match="not a Polygon"):
        LocateIndex.build([1, 2], [shapely.box(0, 0, 1, 1), shapely.Point(0, 0)])
    with pytest.raises(ValueError, match="not a Polygon"):
        LocateIndex.build([1], [None])
    with pytest.raises(ValueError, match="ids for"):
        LocateIndex.build([1, 2], [shapely.box(0, 0, 1, 1)])


def test_reports_its_memory() -> None:
    index = voronoi_index(3000, 1)
    assert len(index) == 3000
    assert 100_000 < index.nbytes < 50_000_000


# ---------------------------------------------------------------- Voronoi partition


def test_voronoi_random_points_and_outside() -> None:
    geoms = voronoi(3000, 1)
    rng = np.random.default_rng(7)
    x, y = rng.uniform(117.9, 123.1, 50_000), rng.uniform(26.9, 31.4, 50_000)
    assert_exact(voronoi_index(3000, 1), geoms, x, y)


def test_voronoi_vertices_and_edges() -> None:
    geoms = voronoi(3000, 1)
    x, y = vertices_and_edge_points(geoms)
    index = voronoi_index(3000, 1)
    assert_exact(index, geoms, x, y)
    sample = np.random.default_rng(8).choice(len(x), 3000, replace=False)
    assert_exact(index, geoms, *nudged(x[sample], y[sample]))


# ---------------------------------------------------------------- properties


coordinate_x = st.floats(117.8, 123.2, allow_nan=False)
coordinate_y = st.floats(26.8, 31.5, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(x=coordinate_x, y=coordinate_y)
def test_any_point_agrees_with_geos(x: float, y: float) -> None:
    geoms = voronoi(3000, 1)
    assert_exact(voronoi_index(3000, 1), geoms, np.array([x]), np.array([y]))


@settings(max_examples=200, deadline=None)
@given(
    vertex=st.integers(0, 10**9),
    t=st.sampled_from([0.0, 0.5, 1 / 3, 0.25, 0.9]),
    ulps=st.tuples(st.integers(-2, 2), st.integers(-2, 2)),
)
def test_points_on_and_beside_shared_edges_agree(vertex: int, t: float, ulps: tuple[int, int]) -> None:
    geoms = voronoi(3000, 1)
    polygon = geoms[vertex % len(geoms)]
    ring = shapely.get_coordinates(polygon)
    k = vertex % (len(ring) - 1)
    x, y = ring[k] + t * (ring[k + 1] - ring[k])
    for _ in range(abs(ulps[0])):
        x = np.nextafter(x, math.copysign(math.inf, ulps[0]))
    for _ in range(abs(ulps[1])):
        y = np.nextafter(y, math.copysign(math.inf, ulps[1]))
    assert_exact(voronoi_index(3000, 1), geoms, np.array([x]), np.array([y]))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 60),
    cells_per_polygon=st.sampled_from([0.05, 1.0, 16.0, 200.0]),
)
def test_small_random_partitions_agree(seed: int, n: int, cells_per_polygon: float) -> None:
    rng = np.random.default_rng(seed)
    extent = shapely.box(0.0, 0.0, 1.0, 1.0)
    seeds = shapely.multipoints(np.unique(np.round(rng.uniform(0, 1, (n, 2)), 2), axis=0))
    try:
        cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=extent))
        geoms = list(shapely.intersection(cells, extent))
    except shapely.errors.GEOSException:
        # GEOS itself cannot build this partition (a degenerate Voronoi diagram): no input to test
        assume(False)
    geoms = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    index = build(geoms, cells_per_polygon=cells_per_polygon)
    vx, vy = vertices_and_edge_points(geoms)
    rx, ry = rng.uniform(-0.1, 1.1, 500), np.round(rng.uniform(-0.1, 1.1, 500), 2)
    assert_exact(index, geoms, np.r_[vx, rx], np.r_[vy, ry])
