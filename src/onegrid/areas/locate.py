"""Point location over the leaf grids (网格定位): which polygon covers a WGS-84 point.

Contract
--------
``LocateIndex.build(ids, geometries)`` takes Polygons and MultiPolygons in lon/lat (holes allowed)
that form an (almost) planar partition — neighbours may gap or overlap by floating noise along
shared edges — and answers, for any point, the id of the polygon that *covers* it (GEOS ``covers``
semantics: interior or boundary), exactly as ``shapely.covers(polygon, Point(lon, lat))`` decides.
The agreement is total, not statistical: every fast path is certified, and whatever cannot be
certified is asked of GEOS itself.

* **Tie rule.** A point covered by several polygons (exactly on a shared edge or vertex, or inside
  an overlap) gets the polygon that comes *first in build order* (lowest position in
  ``geometries``), whatever path answers it.
* **Outside** every polygon: ``locate`` returns ``None``, ``locate_many`` returns ``-1``.
* **Non-finite** coordinates (NaN, ±inf) are outside every polygon: ``None`` / ``-1``, no error.
* Geometries must be Polygon or MultiPolygon (``ValueError`` otherwise); empty ones never match.
  Validity is not checked; for invalid geometries the answers are unspecified.
* The index keeps references to the geometries (GEOS answers the rare uncertain points) and
  never mutates them. It is immutable after ``build`` and safe to share between threads.

Algorithm
---------
A uniform raster of square cells covers the extent, sized from the mean polygon area (about
``cells_per_polygon`` cells per polygon). At build, every polygon edge is walked column by column
to list the cells its segment touches, each cell box widened by a small margin that exceeds every
rounding error of the point-to-cell arithmetic. A cell touched by no edge is *interior*: no
boundary passes through it, so one polygon (or none) covers all of it, found by scan-line filling
at cell centres; its label answers a point by a single array read. A cell touched by edges is a
*boundary* cell: it keeps its clipped edge list (exact float64 coordinates), the polygons owning
them (its *slots*, at most 62) and a reference point ``r`` on the row's centre line whose
covering polygon is known exactly from the scan-line spans. A query point ``p`` in a boundary
cell starts from ``r``'s polygon set and toggles, per slot, every edge that the segment ``r → p``
crosses; the segment never leaves the cell, so only the cell's edges can cross it. Every
orientation sign is taken only when Shewchuk's forward error bound certifies it; a point for
which any needed sign is uncertain (on or within rounding of an edge or vertex) is answered by
GEOS over the cell's slots. Cells where no reference point can be certified, with overlapping
polygons or with too many slots fall back to GEOS for all their points. ``locate_many`` runs all
of this vectorised with numpy; ``locate`` runs the same tests in plain Python floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
I8 = NDArray[np.int8]
Bool = NDArray[np.bool_]
Objects = NDArray[np.object_]

# Shewchuk's orient2d bound A is (3 + 16ε)ε·(|l| + |r|) with ε = 2⁻⁵³ ≈ 3.33e-16; keep headroom.
_ORIENT_ERR: Final = 4.0e-16
# Absolute slack for products that underflow into subnormals (Shewchuk's bound assumes none).
_ORIENT_TINY: Final = 2.0**-1070
# Slots are bits of an int64 mask; bit 63 is the sign.
_MAX_SLOTS: Final = 62
# Where on the row's centre line the reference point may sit, as a fraction of the cell width.
# Dyadic, so ``col + t`` is exact.
_REF_FRACTIONS: Final = (0.5, 0.3125, 0.6875, 0.1875, 0.8125, 0.4375, 0.5625, 0.25, 0.75, 0.125, 0.875)
# Sub-units per cell used to order crossings along a row without ties, and the minimum distance
# (in sub-units) a reference point keeps from any crossing of its row line.
_QUANTA: Final = 1 << 20
_REF_CLEARANCE: Final = 16
_CHUNK: Final = 1 << 16
_NONE: Final = np.iinfo(np.int32).max


@dataclass(frozen=True, slots=True)
class _Grid:
    x0: float
    y0: float
    size: float
    inv: float  # 1 / size
    nx: int
    ny: int
    margin: float


@dataclass(frozen=True, slots=True)
class _Edges:
    """Directed polygon edges with non-zero length, in build order of their polygon."""

    ax: F64
    ay: F64
    bx: F64
    by: F64
    poly: I64


class LocateIndex:
    """Raster-accelerated exact point location (see the module docstring for the contract)."""

    __slots__ = (
        "_b_ref",
        "_b_rt",
        "_coords",
        "_entry_off",
        "_entry_s1",
        "_entry_slot",
        "_geom_bytes",
        "_geoms",
        "_grid",
        "_ids",
        "_label",
        "_row_y",
        "_slot_off",
        "_slot_poly",
    )

    def __init__(
        self,
        *,
        ids: I64,
        geoms: Objects,
        grid: _Grid,
        label: I32,
        row_y: F64,
        b_rt: I8,
        b_ref: I8,
        entry_off: I32,
        coords: F64,
        entry_s1: I8,
        entry_slot: I8,
        slot_off: I32,
        slot_poly: I32,
    ) -> None:
        self._ids = ids
        self._geoms = geoms
        self._grid = grid
        self._label = label
        self._row_y = row_y
        self._b_rt = b_rt
        self._b_ref = b_ref
        self._entry_off = entry_off
        self._coords = coords
        self._entry_s1 = entry_s1
        self._entry_slot = entry_slot
        self._slot_off = slot_off
        self._slot_poly = slot_poly
        # GEOS: 16 B per 2-D coordinate plus ~250 B of headers per geometry; the Python wrapper
        # and the object array slot ~60 B.
        n_coords = int(np.asarray(shapely.get_num_coordinates(geoms), dtype=np.int64).sum())
        self._geom_bytes = 16 * n_coords + 310 * len(geoms)

    # ------------------------------------------------------------------ build

    @classmethod
    def build(
        cls,
        ids: ArrayLike | Sequence[int],
        geometries: Sequence[shapely.Geometry] | Objects,
        *,
        cells_per_polygon: float = 16.0,
        max_cells: int = 1 << 27,
    ) -> LocateIndex:
        """Index `geometries` (Polygon / MultiPolygon, lon/lat) under `ids` (same length).

        `cells_per_polygon` sets the raster resolution from the mean polygon area: more cells mean
        fewer boundary points and shorter edge lists, at the cost of memory. `max_cells` caps the
        raster. Raises ``ValueError`` for mismatched lengths or non-polygonal geometries.
        """
        id_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        geoms = np.empty(len(geometries), dtype=object)
        geoms[:] = list(geometries)
        if len(id_arr) != len(geoms):
            raise ValueError(f"{len(id_arr)} ids for {len(geoms)} geometries")
        type_ids = np.asarray(shapely.get_type_id(geoms), dtype=np.int64)
        bad = np.flatnonzero((type_ids != 3) & (type_ids != 6))
        if len(bad):
            raise ValueError(f"geometry at position {int(bad[0])} is not a Polygon or MultiPolygon")
        if len(geoms) >= _NONE:
            raise ValueError("too many geometries")
        return _build(cls, id_arr, geoms, cells_per_polygon, max_cells)

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def nbytes(self) -> int:
        """Bytes held: every array, plus an estimate of the referenced GEOS geometries."""
        arrays = (
            self._ids,
            self._label,
            self._row_y,
            self._b_rt,
            self._b_ref,
            self._entry_off,
            self._coords,
            self._entry_s1,
            self._entry_slot,
            self._slot_off,
            self._slot_poly,
        )
        return sum(a.nbytes for a in arrays) + self._geom_bytes

    @property
    def cells(self) -> tuple[int, int, int]:
        """(raster cells, boundary cells, boundary cells answered by GEOS only) — for tuning."""
        n_boundary = len(self._b_rt)
        n_geos = int(np.count_nonzero(np.diff(self._entry_off) == 0))
        return self._grid.nx * self._grid.ny, n_boundary, n_geos

    def locate(self, lon: float, lat: float) -> int | None:
        """Id of the polygon covering (lon, lat), or None (outside every polygon, or non-finite)."""
        g = self._grid
        fx = (lon - g.x0) * g.inv
        fy = (lat - g.y0) * g.inv
        nx = g.nx
        if not (0.0 <= fx < nx and 0.0 <= fy < g.ny):
            return None
        ix = int(fx)
        iy = int(fy)
        lab: int = self._label.item(iy * nx + ix)
        if lab >= 0:
            return int(self._ids.item(lab))
        if lab == -1:
            return None
        pos = self._boundary_one(float(lon), float(lat), ix, iy, -2 - lab)
        return None if pos < 0 else int(self._ids.item(pos))

    def locate_many(self, lon: ArrayLike, lat: ArrayLike) -> I64:
        """Ids (int64) of the polygons covering each point; -1 outside or non-finite.

        `lon` and `lat` broadcast together; the result has their broadcast shape.
        """
        x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        shape = x.shape
        xf = np.ascontiguousarray(x).reshape(-1)
        yf = np.ascontiguousarray(y).reshape(-1)
        out = np.full(len(xf), -1, dtype=np.int64)
        if len(self._ids) == 0:
            return out.reshape(shape)
        for start in range(0, len(xf), _CHUNK):
            stop = start + _CHUNK
            pos = self._positions(xf[start:stop], yf[start:stop])
            out[start:stop] = np.where(pos >= 0, self._ids[np.maximum(pos, 0)], -1)
        return out.reshape(shape)

    # ------------------------------------------------------------------ internals

    def _positions(self, x: F64, y: F64) -> I64:
        """Build positions of the covering polygons for one chunk (-1: none)."""
        g = self._grid
        res = np.full(len(x), -1, dtype=np.int64)
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite or huge: outside
            fx = (x - g.x0) * g.inv
            fy = (y - g.y0) * g.inv
            ok = (fx >= 0.0) & (fx < g.nx) & (fy >= 0.0) & (fy < g.ny)
        sel = np.flatnonzero(ok)
        ix = fx[sel].astype(np.int64)
        iy = fy[sel].astype(np.int64)
        lab = self._label[iy * g.nx + ix].astype(np.int64)
        res[sel] = np.maximum(lab, -1)
        bnd = np.flatnonzero(lab <= -2)
        if len(bnd) == 0:
            return res
        pts = sel[bnd]
        res[pts] = self._boundary_many(x[pts], y[pts], ix[bnd], iy[bnd], -2 - lab[bnd])
        return res

    def _boundary_many(self, px: F64, py: F64, ix: I64, iy: I64, b: I64) -> I64:
        """Positions for points in boundary cells `b` (vectorised parity walk from r to p)."""
        g = self._grid
        e0 = self._entry_off[b].astype(np.int64)
        ne = self._entry_off[b + 1] - e0
        res = np.full(len(b), -1, dtype=np.int64)
        pt, ent = _expand(e0, ne)
        c = np.take(self._coords, ent, axis=0)
        ax, ay, bx, by = c[:, 0], c[:, 1], c[:, 2], c[:, 3]
        qx = px[pt]
        qy = py[pt]
        s2 = _sign(ax, ay, bx, by, qx, qy)
        s1 = self._entry_s1[ent]
        # Same certain side of the edge's line as r: the segment r→p cannot reach the edge.
        maybe = np.flatnonzero(s2 != s1)
        pm = pt[maybe]
        rx = g.x0 + (ix[pm].astype(np.float64) + _REF_T[self._b_rt[b[pm]]]) * g.size
        ry = self._row_y[iy[pm]]
        ax, ay, bx, by = ax[maybe], ay[maybe], bx[maybe], by[maybe]
        qx, qy = qx[maybe], qy[maybe]
        s34 = _sign(rx, ry, qx, qy, ax, ay) * _sign(rx, ry, qx, qy, bx, by)
        s2m = s2[maybe]
        cross = (s2m == -s1[maybe]) & (s34 == -1)
        unsure = ~cross & (s34 != 1)
        parity = np.zeros(len(b), dtype=np.int64)
        hit = maybe[cross]
        np.bitwise_xor.at(parity, pt[hit], np.left_shift(1, self._entry_slot[ent[hit]].astype(np.int64)))
        ref = self._b_ref[b].astype(np.int64)
        mask = parity ^ np.where(ref >= 0, np.left_shift(1, np.maximum(ref, 0)), 0)
        low = mask & -mask
        slot = np.bitwise_count(low - 1).astype(np.int64)
        s0 = self._slot_off[b].astype(np.int64)
        res = np.where(mask != 0, self._slot_poly[np.where(mask != 0, s0 + slot, 0)], -1).astype(np.int64)
        exact = np.zeros(len(b), dtype=np.bool_)
        exact[pm[unsure]] = True
        exact |= ne == 0
        if exact.any():
            idx = np.flatnonzero(exact)
            res[idx] = self._exact_many(px[idx], py[idx], b[idx])
        return res

    def _exact_many(self, px: F64, py: F64, b: I64) -> I64:
        """GEOS over each cell's slots; lowest covering position, or -1."""
        s0 = self._slot_off[b].astype(np.int64)
        ns = self._slot_off[b + 1] - s0
        pt, slot = _expand(s0, ns)
        cand = self._slot_poly[slot].astype(np.int64)
        points = shapely.points(px[pt], py[pt])
        hit = np.asarray(shapely.covers(self._geoms[cand], points), dtype=np.bool_)
        best = np.full(len(b), _NONE, dtype=np.int64)
        np.minimum.at(best, pt[hit], cand[hit])
        return np.where(best == _NONE, -1, best)

    def _boundary_one(self, px: float, py: float, ix: int, iy: int, b: int) -> int:
        """`_boundary_many` for one point, in Python floats."""
        e0, e1 = self._entry_off[b : b + 2].tolist()
        if e0 == e1:
            return self._exact_one(px, py, b)
        g = self._grid
        rx = g.x0 + (ix + _REF_T_LIST[self._b_rt.item(b)]) * g.size
        ry: float = self._row_y.item(iy)
        edges: list[list[float]] = self._coords[e0:e1].tolist()
        s1s: list[int] = self._entry_s1[e0:e1].tolist()
        err, tiny = _ORIENT_ERR, _ORIENT_TINY
        parity = 0
        for k, (ax, ay, bx, by) in enumerate(edges):
            lt = (bx - ax) * (py - ay)
            rt = (by - ay) * (px - ax)
            d = lt - rt
            bound = err * (abs(lt) + abs(rt)) + tiny
            s2 = 1 if d > bound else (-1 if d < -bound else 0)
            s1 = s1s[k]
            if s2 == s1:
                continue
            lt = (px - rx) * (ay - ry)
            rt = (py - ry) * (ax - rx)
            d = lt - rt
            bound = err * (abs(lt) + abs(rt)) + tiny
            s3 = 1 if d > bound else (-1 if d < -bound else 0)
            lt = (px - rx) * (by - ry)
            rt = (py - ry) * (bx - rx)
            d = lt - rt
            bound = err * (abs(lt) + abs(rt)) + tiny
            s4 = 1 if d > bound else (-1 if d < -bound else 0)
            if s3 * s4 == 1:
                continue
            if s2 == -s1 and s3 * s4 == -1:
                parity ^= 1 << self._entry_slot.item(e0 + k)
                continue
            return self._exact_one(px, py, b)
        ref: int = self._b_ref.item(b)
        mask = parity ^ (1 << ref if ref >= 0 else 0)
        if mask == 0:
            return -1
        slot = (mask & -mask).bit_length() - 1
        return int(self._slot_poly.item(self._slot_off.item(b) + slot))

    def _exact_one(self, px: float, py: float, b: int) -> int:
        point = shapely.Point(px, py)
        for k in range(self._slot_off.item(b), self._slot_off.item(b + 1)):
            pos: int = self._slot_poly.item(k)
            if shapely.covers(self._geoms[pos], point):
                return pos
        return -1


_REF_T: Final = np.array(_REF_FRACTIONS, dtype=np.float64)
_REF_T_LIST: Final = list(_REF_FRACTIONS)


# ---------------------------------------------------------------------- helpers


def _sign(ax: F64, ay: F64, bx: F64, by: F64, cx: F64, cy: F64) -> I8:
    """Certified sign of orient(a, b, c): +1 left, -1 right, 0 when rounding could flip it."""
    lt = (bx - ax) * (cy - ay)
    rt = (by - ay) * (cx - ax)
    d = lt - rt
    bound = _ORIENT_ERR * (np.abs(lt) + np.abs(rt)) + _ORIENT_TINY
    return (d > bound).astype(np.int8) - (d < -bound).astype(np.int8)


def _expand(start: I64, count: I64) -> tuple[I64, I64]:
    """For runs (start, count): the run index of every item and the item's value start + rank."""
    count = np.asarray(count, dtype=np.int64)
    total = int(count.sum())
    run = np.repeat(np.arange(len(count), dtype=np.int64), count)
    offset = np.cumsum(count) - count
    value = np.arange(total, dtype=np.int64) + np.repeat(start - offset, count)
    return run, value


def _cross_x(ax: F64, ay: F64, bx: F64, by: F64, yr: F64) -> F64:
    """x where edge a→b meets the horizontal line y = yr (edge not horizontal), kept on the edge."""
    x = ax + (yr - ay) * (bx - ax) / (by - ay)
    return np.clip(x, np.minimum(ax, bx), np.maximum(ax, bx))


def _quantize(grid: _Grid, x: F64) -> I64:
    return np.floor((x - grid.x0) * (grid.inv * _QUANTA)).astype(np.int64)


def _extract_edges(geoms: Objects) -> _Edges:
    parts, part_poly = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, coord_ring = shapely.get_coordinates(rings, return_index=True)
    xs = np.ascontiguousarray(np.asarray(xy, dtype=np.float64)[:, 0])
    ys = np.ascontiguousarray(np.asarray(xy, dtype=np.float64)[:, 1])
    ring_of = np.asarray(coord_ring, dtype=np.int64)
    keep = (ring_of[1:] == ring_of[:-1]) & ((xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1]))
    v = np.flatnonzero(keep)
    poly = np.asarray(part_poly, dtype=np.int64)[np.asarray(ring_part, dtype=np.int64)[ring_of[v]]]
    return _Edges(ax=xs[v], ay=ys[v], bx=xs[v + 1], by=ys[v + 1], poly=poly)


def _make_grid(edges: _Edges, geoms: Objects, cells_per_polygon: float, max_cells: int) -> _Grid:
    xmin = float(min(edges.ax.min(), edges.bx.min()))
    xmax = float(max(edges.ax.max(), edges.bx.max()))
    ymin = float(min(edges.ay.min(), edges.by.min()))
    ymax = float(max(edges.ay.max(), edges.by.max()))
    width, height = xmax - xmin, ymax - ymin
    n_poly = int(np.count_nonzero(np.bincount(edges.poly)))
    area = float(np.asarray(shapely.area(geoms), dtype=np.float64).sum())
    if area > 0.0:
        size = math.sqrt(area / n_poly / cells_per_polygon)
    else:
        size = max(width, height) / max(1.0, math.sqrt(n_poly * cells_per_polygon))
    magnitude = max(abs(xmin), abs(xmax), abs(ymin), abs(ymax), 1.0)
    # Cells much smaller than the coordinates' resolution would make the margins meaningless.
    size = max(size, magnitude * 1e-9)
    while (width / size + 2) * (height / size + 2) > max_cells:
        size *= 1.25
    # Pad by an odd fraction of a cell so that round coordinates rarely fall on cell lines.
    pad = 0.5371 * size
    x0, y0 = xmin - pad, ymin - pad
    nx = int((xmax + pad - x0) / size) + 1
    ny = int((ymax + pad - y0) / size) + 1
    margin = max(size * 1e-7, magnitude * 1e-12)
    return _Grid(x0=x0, y0=y0, size=size, inv=1.0 / size, nx=nx, ny=ny, margin=margin)


def _edge_cells(grid: _Grid, edges: _Edges) -> tuple[I64, I64]:
    """(cell, edge) for every cell whose margin-widened box the edge touches, sorted by cell, edge."""
    inv, m = grid.inv, grid.margin
    xlo = np.minimum(edges.ax, edges.bx)
    xhi = np.maximum(edges.ax, edges.bx)
    c0 = np.clip(np.floor((xlo - m - grid.x0) * inv), 0, grid.nx - 1).astype(np.int64)
    c1 = np.clip(np.floor((xhi + m - grid.x0) * inv), 0, grid.nx - 1).astype(np.int64)
    e, col = _expand(c0, c1 - c0 + 1)
    ax, ay, bx, by = edges.ax[e], edges.ay[e], edges.bx[e], edges.by[e]
    u0 = np.maximum(xlo[e], grid.x0 + col * grid.size - m)
    u1 = np.minimum(xhi[e], grid.x0 + (col + 1) * grid.size + m)
    dx = bx - ax
    vertical = dx == 0.0
    safe = np.where(vertical, 1.0, dx)
    t0 = np.where(vertical, 0.0, np.clip((u0 - ax) / safe, 0.0, 1.0))
    t1 = np.where(vertical, 1.0, np.clip((u1 - ax) / safe, 0.0, 1.0))
    ya = ay + t0 * (by - ay)
    yb = ay + t1 * (by - ay)
    r0 = np.clip(np.floor((np.minimum(ya, yb) - m - grid.y0) * inv), 0, grid.ny - 1).astype(np.int64)
    r1 = np.clip(np.floor((np.maximum(ya, yb) + m - grid.y0) * inv), 0, grid.ny - 1).astype(np.int64)
    k, row = _expand(r0, r1 - r0 + 1)
    n_edges = len(edges.poly)
    key = np.sort((row * grid.nx + col[k]) * n_edges + e[k])
    return key // n_edges, key % n_edges


@dataclass(frozen=True, slots=True)
class _Spans:
    """Per (polygon, row centre line): the x-intervals inside the polygon (even-odd rule)."""

    row: I64
    poly: I64
    xs: F64
    xe: F64


def _row_spans(grid: _Grid, edges: _Edges, row_y: F64) -> _Spans:
    ylo = np.minimum(edges.ay, edges.by)
    yhi = np.maximum(edges.ay, edges.by)
    j0 = np.clip(np.floor((ylo - grid.y0) * grid.inv - 0.5), 0, grid.ny - 1).astype(np.int64)
    j1 = np.clip(np.floor((yhi - grid.y0) * grid.inv - 0.5) + 1, 0, grid.ny - 1).astype(np.int64)
    e, j = _expand(j0, j1 - j0 + 1)
    yr = row_y[j]
    # Half-open rule: an edge crosses the line when ylo <= y < yhi; every ring crosses evenly.
    on = (ylo[e] <= yr) & (yr < yhi[e])
    e, j, yr = e[on], j[on], yr[on]
    xc = _cross_x(edges.ax[e], edges.ay[e], edges.bx[e], edges.by[e], yr)
    group = edges.poly[e] * grid.ny + j
    order = np.argsort(xc)
    order = order[np.argsort(group[order], kind="stable")]
    group, xc = group[order], xc[order]
    if len(group) % 2 or np.any(group[0::2] != group[1::2]):
        raise ValueError("a ring crosses a scan line an odd number of times (unclosed or corrupt ring)")
    g = group[0::2]
    return _Spans(row=g % grid.ny, poly=g // grid.ny, xs=xc[0::2], xe=xc[1::2])


def _fill_interior(grid: _Grid, spans: _Spans) -> I32:
    """Label every cell by the lowest polygon whose span covers its centre (-1: none)."""
    i0 = np.clip(np.ceil((spans.xs - grid.x0) * grid.inv - 0.5), 0, grid.nx).astype(np.int64)
    i1 = np.clip(np.floor((spans.xe - grid.x0) * grid.inv - 0.5), -1, grid.nx - 1).astype(np.int64)
    s, col = _expand(i0, np.maximum(i1 - i0 + 1, 0))
    label = np.full(grid.nx * grid.ny, _NONE, dtype=np.int32)
    np.minimum.at(label, spans.row[s] * grid.nx + col, spans.poly[s].astype(np.int32))
    label[label == _NONE] = -1
    return label


def _choose_refs(grid: _Grid, row_y: F64, bcell: I64, first: I64, c: F64) -> tuple[I8, I8]:
    """Per boundary cell the index of its reference fraction (-1: none certifiable); per entry the
    sign of r against the entry's edge. Entries of cell i are ``first[i]:first[i + 1]``.

    A candidate r is accepted when every edge of the cell certainly misses it and every crossing
    of the row line by those edges keeps ``_REF_CLEARANCE`` sub-units away from it.
    """
    chosen = np.full(len(bcell), -1, dtype=np.int8)
    s1 = np.zeros(len(c), dtype=np.int8)
    cells = np.arange(len(bcell), dtype=np.int64)  # cells still without a reference
    entries = np.arange(len(c), dtype=np.int64)  # their entries, cell by cell
    counts = np.diff(np.r_[first, len(c)])
    for t_index, t in enumerate(_REF_FRACTIONS):
        n = counts[cells]
        rx = np.repeat(grid.x0 + ((bcell[cells] % grid.nx).astype(np.float64) + t) * grid.size, n)
        ry = np.repeat(row_y[bcell[cells] // grid.nx], n)
        e = c[entries] if len(entries) < len(c) else c
        ax, ay, bx, by = e[:, 0], e[:, 1], e[:, 2], e[:, 3]
        sign = _sign(ax, ay, bx, by, rx, ry)
        ok = sign != 0
        k = np.flatnonzero((np.minimum(ay, by) <= ry) & (ry < np.maximum(ay, by)))
        xc = _cross_x(ax[k], ay[k], bx[k], by[k], ry[k])
        ok[k] &= np.abs(_quantize(grid, xc) - _quantize(grid, rx[k])) >= _REF_CLEARANCE
        starts = np.r_[0, np.cumsum(n)[:-1]]
        cell_ok = np.logical_and.reduceat(ok, starts)
        chosen[cells[cell_ok]] = t_index
        good = np.repeat(cell_ok, n)
        s1[entries[good]] = sign[good]
        cells, entries = cells[~cell_ok], entries[~good]
        if len(cells) == 0:
            break
    return chosen, s1


def _ref_cover(grid: _Grid, spans: _Spans, row: I64, rx: F64) -> tuple[I64, I64]:
    """For reference points (row centre line, rx): how many polygons cover each, and which if one."""
    stride = (grid.nx + 2) * _QUANTA
    ks = spans.row * stride + _quantize(grid, spans.xs)
    ke = spans.row * stride + _quantize(grid, spans.xe)
    os_, oe = np.argsort(ks), np.argsort(ke)
    ks, ke = ks[os_], ke[oe]
    ps = np.r_[0, np.cumsum(spans.poly[os_])]
    pe = np.r_[0, np.cumsum(spans.poly[oe])]
    q = row * stride + _quantize(grid, rx)
    i_s = np.searchsorted(ks, q, side="right")
    i_e = np.searchsorted(ke, q, side="left")
    return (i_s - i_e).astype(np.int64), (ps[i_s] - pe[i_e]).astype(np.int64)


def _build(
    cls: type[LocateIndex], ids: I64, geoms: Objects, cells_per_polygon: float, max_cells: int
) -> LocateIndex:
    edges = _extract_edges(geoms)
    if len(edges.poly) == 0:
        return _empty(cls, ids, geoms)
    grid = _make_grid(edges, geoms, cells_per_polygon, max_cells)
    row_y = grid.y0 + (np.arange(grid.ny, dtype=np.float64) + 0.5) * grid.size

    ecell, eedge = _edge_cells(grid, edges)
    first = np.flatnonzero(np.r_[True, ecell[1:] != ecell[:-1]])
    bcell = ecell[first]
    n_b = len(bcell)
    if n_b >= _NONE or len(ecell) >= _NONE:
        raise ValueError("raster too large: lower cells_per_polygon")
    eb = np.repeat(np.arange(n_b, dtype=np.int64), np.diff(np.r_[first, len(ecell)]))
    coords = np.stack([edges.ax[eedge], edges.ay[eedge], edges.bx[eedge], edges.by[eedge]], axis=1)
    epoly = edges.poly[eedge]

    spans = _row_spans(grid, edges, row_y)
    label = _fill_interior(grid, spans)
    label[bcell] = (-2 - np.arange(n_b, dtype=np.int64)).astype(np.int32)

    rt, s1 = _choose_refs(grid, row_y, bcell, first, coords)
    has_ref = rt >= 0
    rx = grid.x0 + ((bcell % grid.nx).astype(np.float64) + _REF_T[np.maximum(rt, 0)]) * grid.size
    depth, cover = _ref_cover(grid, spans, bcell // grid.nx, rx)

    # Slots: the distinct polygons of a cell's edges, ascending (entries are sorted by edge, and
    # edges by polygon).
    new_slot = np.r_[True, (ecell[1:] != ecell[:-1]) | (epoly[1:] != epoly[:-1])]
    slot_b = eb[new_slot]
    slot_poly = epoly[new_slot]
    n_slots = np.bincount(slot_b, minlength=n_b)
    slot_off = np.r_[0, np.cumsum(n_slots)]
    entry_slot = np.cumsum(new_slot) - 1 - slot_off[eb]
    n_poly = len(geoms)
    slot_key = slot_b * n_poly + slot_poly
    covered = depth == 1
    where = np.searchsorted(slot_key, np.arange(n_b) * n_poly + np.maximum(cover, 0))
    where = np.minimum(where, len(slot_key) - 1)
    in_slots = slot_key[where] == np.arange(n_b) * n_poly + cover
    ref = np.where(covered & in_slots, where - slot_off[:-1], -1)

    fallback = ~has_ref | (depth > 1) | (covered & ~in_slots) | (n_slots > _MAX_SLOTS)
    if fallback.any():
        keep = ~fallback[eb]
        fb = np.flatnonzero(fallback)
        fb_b, fb_poly = _cell_candidates(grid, geoms, bcell[fb])
        normal = ~fallback[slot_b]
        merged = np.sort(np.r_[slot_b[normal] * n_poly + slot_poly[normal], fb[fb_b] * n_poly + fb_poly])
        slot_b, slot_poly = merged // n_poly, merged % n_poly
        slot_off = np.r_[0, np.cumsum(np.bincount(slot_b, minlength=n_b))]
        coords, s1, entry_slot, eb = coords[keep], s1[keep], entry_slot[keep], eb[keep]
        ref[fallback] = -1
    entry_off = np.r_[0, np.cumsum(np.bincount(eb, minlength=n_b))]

    return cls(
        ids=ids,
        geoms=geoms,
        grid=grid,
        label=label,
        row_y=row_y,
        b_rt=np.maximum(rt, 0).astype(np.int8),
        b_ref=ref.astype(np.int8),
        entry_off=entry_off.astype(np.int32),
        coords=np.ascontiguousarray(coords),
        entry_s1=s1,
        entry_slot=entry_slot.astype(np.int8),
        slot_off=slot_off.astype(np.int32),
        slot_poly=slot_poly.astype(np.int32),
    )


def _cell_candidates(grid: _Grid, geoms: Objects, cells: I64) -> tuple[I64, I64]:
    """(index into `cells`, polygon) for every polygon meeting the margin-widened cell box."""
    m = grid.margin
    x = grid.x0 + (cells % grid.nx) * grid.size
    y = grid.y0 + (cells // grid.nx) * grid.size
    boxes = shapely.box(x - m, y - m, x + grid.size + m, y + grid.size + m)
    tree = shapely.STRtree(geoms)
    pairs = np.asarray(tree.query(boxes, predicate="intersects"), dtype=np.int64)
    return pairs[0], pairs[1]


def _empty(cls: type[LocateIndex], ids: I64, geoms: Objects) -> LocateIndex:
    grid = _Grid(x0=0.0, y0=0.0, size=1.0, inv=1.0, nx=0, ny=0, margin=0.0)
    return cls(
        ids=ids,
        geoms=geoms,
        grid=grid,
        label=np.empty(0, dtype=np.int32),
        row_y=np.empty(0, dtype=np.float64),
        b_rt=np.empty(0, dtype=np.int8),
        b_ref=np.empty(0, dtype=np.int8),
        entry_off=np.zeros(1, dtype=np.int32),
        coords=np.empty((0, 4), dtype=np.float64),
        entry_s1=np.empty(0, dtype=np.int8),
        entry_slot=np.empty(0, dtype=np.int8),
        slot_off=np.zeros(1, dtype=np.int32),
        slot_poly=np.empty(0, dtype=np.int32),
    )
