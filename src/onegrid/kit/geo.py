"""Coordinate systems of Chinese web maps: WGS-84, GCJ-02 (火星坐标) and BD-09 (百度坐标).

- ``wgs84``: GPS, EPSG:4326. OneGrid stores every coordinate in WGS-84.
- ``gcj02``: the obfuscated system required for maps published in mainland China (Amap, Tencent,
  Google China). Defined as WGS-84 plus an offset computed on the Krasovsky 1940 ellipsoid; outside
  the rough mainland box ``CHINA_BOX`` it equals WGS-84.
- ``bd09``: Baidu's system, a further transform of GCJ-02 applied everywhere.

Contracts:

- Every function takes and returns ``(lon, lat)`` in decimal degrees, longitude first.
- Scalar functions validate their input with ``validate_lon_lat``; the ``*_many`` functions take two
  arrays of the same shape, validate every element the same way, never modify their input and
  return new float64 arrays of that shape. No Python loop runs per point.
- A scalar function returns exactly (bit for bit) what its ``*_many`` twin returns for that point:
  both run the same numpy code, and the iterative inverses decide convergence per point.
- The forward transforms (WGS-84 → GCJ-02, GCJ-02 → BD-09) are the published closed forms. The
  inverses have no closed form; they are solved by fixed-point iteration on the forward transform
  until the residual is below ``1e-11`` degrees (at most ``MAX_ITERATIONS`` rounds). Guaranteed:
  the forward transform of the result reproduces the input within ``1e-9`` degrees (about 0.1 mm),
  and the round trips WGS-84 → GCJ-02 → WGS-84 and GCJ-02 → BD-09 → GCJ-02 return within ``1e-9``
  degrees. For BD-09 this holds everywhere away from the antimeridian; for GCJ-02 at every point
  outside ``CHINA_BOX`` and at least 0.05° inside it, which covers all of China's territory.
  Within 0.05° of the box's edges GCJ-02 is discontinuous: some points there have two WGS-84
  preimages and some none, and the result is the last iterate.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Transform = Callable[[Array, Array], tuple[Array, Array]]


class CRS(enum.StrEnum):
    """A coordinate reference system accepted from maps and devices."""

    WGS84 = "wgs84"  # GPS, EPSG:4326
    GCJ02 = "gcj02"  # 国测局 / 火星坐标: Amap, Tencent, Google China
    BD09 = "bd09"  # 百度坐标: Baidu


ACCEPTED_CRS: Final[tuple[str, ...]] = tuple(crs.value for crs in CRS)

# (west, south, east, north): the usual rough box in which GCJ-02 differs from WGS-84, inclusive.
CHINA_BOX: Final[tuple[float, float, float, float]] = (72.004, 0.8293, 137.8347, 55.8271)

MAX_ITERATIONS: Final = 30
_TOLERANCE: Final = 1e-11

# GCJ-02 parameters: Krasovsky 1940 semi-major axis and first eccentricity squared.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
_PI: Final = math.pi
# BD-09 parameter.
_X_PI: Final = math.pi * 3000.0 / 180.0


class CoordinateError(ValueError):
    """An unusable coordinate or coordinate system; ``str()`` is ``"<field>: <reason>"``."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def parse_crs(crs: CRS | str) -> CRS:
    """The `CRS` named by `crs` (case and surrounding spaces ignored); `CoordinateError` if unknown."""
    try:
        return CRS(str(crs).strip().lower())
    except ValueError:
        accepted = ", ".join(ACCEPTED_CRS)
        raise CoordinateError("crs", f"unknown coordinate system {crs!r}; accepted: {accepted}") from None


def validate_lon_lat(lon: float, lat: float) -> tuple[float, float]:
    """Return `(lon, lat)` as floats, or raise `CoordinateError` naming the field and the reason.

    Longitude must lie in [-180, 180] and latitude in [-90, 90]; NaN and infinities are refused.
    """
    return _check_scalar("lon", lon, 180.0), _check_scalar("lat", lat, 90.0)


def _check_scalar(field: str, value: float, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise CoordinateError(field, f"must be a number, not {type(value).__name__}")
    number = float(value)
    if math.isnan(number):
        raise CoordinateError(field, "is not a number (NaN)")
    if math.isinf(number):
        raise CoordinateError(field, "is infinite")
    if not -limit <= number <= limit:
        raise CoordinateError(field, f"must be between -{limit:g} and {limit:g} degrees, not {number!r}")
    return number


def _check_array(field: str, values: Array, limit: float) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise CoordinateError(
            field, f"{int(bad.sum())} value(s) are NaN or infinite (first at index {first})"
        )
    bad = np.abs(values) > limit
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise CoordinateError(
            field,
            f"{int(bad.sum())} value(s) are outside -{limit:g}..{limit:g} degrees "
            f"(first at index {first}: {float(values[first])!r})",
        )


def _float_array(field: str, values: npt.ArrayLike) -> Array:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise CoordinateError(field, "must be an array of numbers") from None


def _as_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array, tuple[int, ...]]:
    """Validated flat contiguous float64 copies of `lon` and `lat`, and their common shape."""
    lon_array = _float_array("lon", lon)
    lat_array = _float_array("lat", lat)
    if lon_array.shape != lat_array.shape:
        raise CoordinateError("lat", f"shape {lat_array.shape} differs from lon's shape {lon_array.shape}")
    flat_lon = np.array(lon_array, dtype=np.float64, copy=True, order="C").ravel()
    flat_lat = np.array(lat_array, dtype=np.float64, copy=True, order="C").ravel()
    _check_array("lon", flat_lon, 180.0)
    _check_array("lat", flat_lat, 90.0)
    return flat_lon, flat_lat, lon_array.shape


def _vectorised(transform: Transform) -> Callable[[npt.ArrayLike, npt.ArrayLike], tuple[Array, Array]]:
    def run(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
        flat_lon, flat_lat, shape = _as_arrays(lon, lat)
        out_lon, out_lat = transform(flat_lon, flat_lat)
        return out_lon.reshape(shape), out_lat.reshape(shape)

    return run


def _scalar(transform: Transform, lon: float, lat: float) -> tuple[float, float]:
    lon, lat = validate_lon_lat(lon, lat)
    out_lon, out_lat = transform(np.array([lon]), np.array([lat]))
    return float(out_lon[0]), float(out_lat[0])


# --- the kernels: flat float64 arrays in, new flat float64 arrays out ------------------------------


def _in_china(lon: Array, lat: Array) -> npt.NDArray[np.bool_]:
    west, south, east, north = CHINA_BOX
    inside: npt.NDArray[np.bool_] = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    return inside


def _gcj_offset(lon: Array, lat: Array) -> tuple[Array, Array]:
    """The GCJ-02 offset (dlon, dlat) in degrees at WGS-84 points, ignoring the box."""
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    shift_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    shift_lat += common
    shift_lat += (20.0 * np.sin(y * _PI) + 40.0 * np.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    shift_lat += (160.0 * np.sin(y / 12.0 * _PI) + 320.0 * np.sin(y * _PI / 30.0)) * 2.0 / 3.0
    shift_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    shift_lon += common
    shift_lon += (20.0 * np.sin(x * _PI) + 40.0 * np.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    shift_lon += (150.0 * np.sin(x / 12.0 * _PI) + 300.0 * np.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * _PI
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (shift_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * _PI)
    dlon = (shift_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * _PI)
    return dlon, dlat


def _wgs84_to_gcj02(lon: Array, lat: Array) -> tuple[Array, Array]:
    dlon, dlat = _gcj_offset(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _gcj02_to_bd09(lon: Array, lat: Array) -> tuple[Array, Array]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_closed_form(lon: Array, lat: Array) -> tuple[Array, Array]:
    """The customary closed-form inverse of BD-09: accurate to about 1e-6°, used as a first guess."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Transform, lon: Array, lat: Array, guess_lon: Array, guess_lat: Array
) -> tuple[Array, Array]:
    """Solve forward(p) = (lon, lat) by fixed-point iteration p ← p − (forward(p) − target).

    Both transforms are the identity plus a slowly varying offset (derivative ~1e-2 or less), so
    each round divides the error by about a hundred. A point stops moving once its own residual is
    below the tolerance, so its result does not depend on the other points in the batch.
    """
    out_lon = guess_lon.copy()
    out_lat = guess_lat.copy()
    active = np.arange(lon.size)
    for _ in range(MAX_ITERATIONS):
        if active.size == 0:
            break
        fwd_lon, fwd_lat = forward(out_lon[active], out_lat[active])
        residual_lon = fwd_lon - lon[active]
        residual_lat = fwd_lat - lat[active]
        out_lon[active] -= residual_lon
        out_lat[active] -= residual_lat
        moving = (np.abs(residual_lon) > _TOLERANCE) | (np.abs(residual_lat) > _TOLERANCE)
        active = active[moving]
    return out_lon, out_lat


def _gcj02_to_wgs84(lon: Array, lat: Array) -> tuple[Array, Array]:
    return _invert(_wgs84_to_gcj02, lon, lat, lon, lat)


def _bd09_to_gcj02(lon: Array, lat: Array) -> tuple[Array, Array]:
    guess_lon, guess_lat = _bd09_to_gcj02_closed_form(lon, lat)
    return _invert(_gcj02_to_bd09, lon, lat, guess_lon, guess_lat)


def _bd09_to_wgs84(lon: Array, lat: Array) -> tuple[Array, Array]:
    return _gcj02_to_wgs84(*_bd09_to_gcj02(lon, lat))


def _wgs84_to_bd09(lon: Array, lat: Array) -> tuple[Array, Array]:
    return _gcj02_to_bd09(*_wgs84_to_gcj02(lon, lat))


def _identity(lon: Array, lat: Array) -> tuple[Array, Array]:
    return lon.copy(), lat.copy()


_TO_WGS84: Final[dict[CRS, Transform]] = {
    CRS.WGS84: _identity,
    CRS.GCJ02: _gcj02_to_wgs84,
    CRS.BD09: _bd09_to_wgs84,
}
_FROM_WGS84: Final[dict[CRS, Transform]] = {
    CRS.WGS84: _identity,
    CRS.GCJ02: _wgs84_to_gcj02,
    CRS.BD09: _wgs84_to_bd09,
}


# --- public API ------------------------------------------------------------------------------------


def to_wgs84(lon: float, lat: float, crs: CRS | str) -> tuple[float, float]:
    """The WGS-84 `(lon, lat)` of a point given in `crs` (see `parse_crs`)."""
    return _scalar(_TO_WGS84[parse_crs(crs)], lon, lat)


def to_wgs84_many(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: CRS | str) -> tuple[Array, Array]:
    """Vectorised `to_wgs84`: arrays of the same shape in, new float64 arrays of that shape out."""
    return _vectorised(_TO_WGS84[parse_crs(crs)])(lon, lat)


def from_wgs84(lon: float, lat: float, crs: CRS | str) -> tuple[float, float]:
    """The `(lon, lat)` in `crs` of a WGS-84 point, e.g. to draw it on an Amap (GCJ-02) base map."""
    return _scalar(_FROM_WGS84[parse_crs(crs)], lon, lat)


def from_wgs84_many(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: CRS | str) -> tuple[Array, Array]:
    """Vectorised `from_wgs84`."""
    return _vectorised(_FROM_WGS84[parse_crs(crs)])(lon, lat)


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (closed form); unchanged outside `CHINA_BOX`."""
    return _scalar(_wgs84_to_gcj02, lon, lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by iteration; see the module docstring for the precision guaranteed."""
    return _scalar(_gcj02_to_wgs84, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (closed form, applied everywhere)."""
    return _scalar(_gcj02_to_bd09, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 → GCJ-02: the customary closed form refined by iteration to the exact inverse."""
    return _scalar(_bd09_to_gcj02, lon, lat)


def wgs84_to_gcj02_many(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Vectorised `wgs84_to_gcj02`."""
    return _vectorised(_wgs84_to_gcj02)(lon, lat)


def gcj02_to_wgs84_many(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Vectorised `gcj02_to_wgs84`."""
    return _vectorised(_gcj02_to_wgs84)(lon, lat)


def gcj02_to_bd09_many(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Vectorised `gcj02_to_bd09`."""
    return _vectorised(_gcj02_to_bd09)(lon, lat)


def bd09_to_gcj02_many(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Vectorised `bd09_to_gcj02`."""
    return _vectorised(_bd09_to_gcj02)(lon, lat)
