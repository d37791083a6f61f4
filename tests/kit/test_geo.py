import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onegrid.kit import geo
from onegrid.kit.geo import CRS, CoordinateError

WEST, SOUTH, EAST, NORTH = geo.CHINA_BOX
MARGIN = 0.05  # the module guarantees its precision this far inside the box

lon_in_china = st.floats(WEST + MARGIN, EAST - MARGIN)
lat_in_china = st.floats(SOUTH + MARGIN, NORTH - MARGIN)
points_in_china = st.tuples(lon_in_china, lat_in_china)
points_outside_china = st.tuples(st.floats(-180, 180), st.floats(-90, 90)).filter(
    lambda p: not (WEST <= p[0] <= EAST and SOUTH <= p[1] <= NORTH)
)
point_lists = st.lists(points_in_china | points_outside_china, min_size=1, max_size=40)

TIANANMEN_WGS84 = (116.391275, 39.907383)


def assert_close(actual: tuple[float, float], expected: tuple[float, float], tolerance: float) -> None:
    assert abs(actual[0] - expected[0]) < tolerance, (actual, expected)
    assert abs(actual[1] - expected[1]) < tolerance, (actual, expected)


def as_arrays(points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([p[0] for p in points]), np.array([p[1] for p in points])


# --- known values ---------------------------------------------------------------------------------


def test_wgs84_to_gcj02_matches_the_published_example_to_the_last_bit() -> None:
    # wandergis/coordtransform, test/app.js: wgs84togcj02(116.404, 39.915)
    assert geo.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )


def test_gcj02_to_bd09_matches_the_published_examples() -> None:
    # wandergis/coordtransform, test/app.js: gcj02tobd09(116.404, 39.915)
    assert geo.gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12
    )
    # hujiulong/gcoord, test/unit/crs/GCJ02.spec.js (5 decimals)
    assert_close(geo.gcj02_to_bd09(123, 45), (123.00636499, 45.00636899), 1e-8)


def test_tiananmen_moves_about_550_metres_north_east_in_gcj02() -> None:
    assert_close(geo.wgs84_to_gcj02(*TIANANMEN_WGS84), (116.397519, 39.908786), 1e-5)


def test_gcj02_to_wgs84_agrees_with_a_published_approximate_inverse() -> None:
    # hujiulong/gcoord, test/unit/crs/GCJ02.spec.js; that library's inverse is approximate
    assert_close(geo.gcj02_to_wgs84(123, 45), (122.99395597, 44.99804071), 5e-6)


def test_bd09_to_gcj02_refines_the_customary_closed_form() -> None:
    # wandergis/coordtransform's closed form gives (116.39762729119315, 39.90865673957631),
    # about 4e-7 degrees from the exact inverse of the BD-09 definition
    gcj = geo.bd09_to_gcj02(116.404, 39.915)
    assert_close(gcj, (116.39762729119315, 39.90865673957631), 1e-6)
    assert_close(geo.gcj02_to_bd09(*gcj), (116.404, 39.915), 1e-12)


@given(points_in_china)
def test_the_gcj02_offset_is_under_a_kilometre(point: tuple[float, float]) -> None:
    lon, lat = point
    gcj_lon, gcj_lat = geo.wgs84_to_gcj02(lon, lat)
    east_m = (gcj_lon - lon) * 111_320 * math.cos(math.radians(lat))
    north_m = (gcj_lat - lat) * 110_574
    assert math.hypot(east_m, north_m) < 1000


# --- round trips ----------------------------------------------------------------------------------


@given(points_in_china)
def test_wgs84_to_gcj02_and_back_is_within_1e_9_degrees(point: tuple[float, float]) -> None:
    assert_close(geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(*point)), point, 1e-9)


@given(points_in_china)
def test_gcj02_to_wgs84_and_forward_again_is_within_1e_9_degrees(point: tuple[float, float]) -> None:
    assert_close(geo.wgs84_to_gcj02(*geo.gcj02_to_wgs84(*point)), point, 1e-9)


@given(points_in_china)
def test_gcj02_to_bd09_and_back_is_within_1e_9_degrees(point: tuple[float, float]) -> None:
    assert_close(geo.bd09_to_gcj02(*geo.gcj02_to_bd09(*point)), point, 1e-9)


@given(points_in_china)
def test_bd09_to_gcj02_and_forward_again_is_within_1e_9_degrees(point: tuple[float, float]) -> None:
    assert_close(geo.gcj02_to_bd09(*geo.bd09_to_gcj02(*point)), point, 1e-9)


@given(st.tuples(st.floats(-179, 179), st.floats(-89, 89)))
def test_the_bd09_round_trip_holds_around_the_world(point: tuple[float, float]) -> None:
    assert_close(geo.bd09_to_gcj02(*geo.gcj02_to_bd09(*point)), point, 1e-9)


@given(points_in_china, st.sampled_from(list(CRS)))
def test_from_wgs84_and_to_wgs84_are_inverse(point: tuple[float, float], crs: CRS) -> None:
    assert_close(geo.to_wgs84(*geo.from_wgs84(*point, crs), crs), point, 1e-9)


@pytest.mark.parametrize("offset", [0.0, 1e-15, -1e-15, 1e-9, -1e-9, 1e-4])
def test_the_round_trip_holds_at_the_square_root_kink_on_meridian_105(offset: float) -> None:
    point = (105.0 + offset, 30.0)
    assert_close(geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(*point)), point, 1e-9)
    assert_close(geo.wgs84_to_gcj02(*geo.gcj02_to_wgs84(*point)), point, 1e-9)


def test_the_vectorised_round_trip_holds_over_a_large_random_sample() -> None:
    rng = np.random.default_rng(20240601)
    lon = rng.uniform(WEST + MARGIN, EAST - MARGIN, 50_000)
    lat = rng.uniform(SOUTH + MARGIN, NORTH - MARGIN, 50_000)
    back_lon, back_lat = geo.to_wgs84_many(*geo.from_wgs84_many(lon, lat, "bd09"), "bd09")
    assert np.abs(back_lon - lon).max() < 1e-9
    assert np.abs(back_lat - lat).max() < 1e-9


# --- outside mainland China -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "point",
    [(-0.1276, 51.5072), (139.6917, 35.6895), (151.2093, -33.8688), (-180.0, -90.0), (180.0, 90.0)],
    ids=["london", "tokyo", "sydney", "south-west corner", "north-east corner"],
)
def test_gcj02_equals_wgs84_outside_china(point: tuple[float, float]) -> None:
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point
    assert geo.to_wgs84(*point, "gcj02") == point


@given(points_outside_china)
def test_no_point_outside_the_box_moves_between_wgs84_and_gcj02(point: tuple[float, float]) -> None:
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point


def test_bd09_is_applied_outside_china_too() -> None:
    assert geo.gcj02_to_bd09(-0.1276, 51.5072) != (-0.1276, 51.5072)


# --- scalar and vectorised ------------------------------------------------------------------------


@settings(deadline=None)  # up to ~300 scalar conversions per example
@given(point_lists)
def test_scalar_and_vectorised_agree_bit_for_bit(points: list[tuple[float, float]]) -> None:
    lon, lat = as_arrays(points)
    pairs = [
        (geo.wgs84_to_gcj02, geo.wgs84_to_gcj02_many),
        (geo.gcj02_to_wgs84, geo.gcj02_to_wgs84_many),
        (geo.gcj02_to_bd09, geo.gcj02_to_bd09_many),
        (geo.bd09_to_gcj02, geo.bd09_to_gcj02_many),
    ]
    for scalar, vectorised in pairs:
        many_lon, many_lat = vectorised(lon, lat)
        assert [scalar(*p) for p in points] == list(zip(many_lon.tolist(), many_lat.tolist(), strict=True))
    for crs in CRS:
        many_lon, many_lat = geo.to_wgs84_many(lon, lat, crs)
        expected = [geo.to_wgs84(*p, crs) for p in points]
        assert expected == list(zip(many_lon.tolist(), many_lat.tolist(), strict=True))


@given(point_lists)
def test_a_point_converts_the_same_whatever_its_neighbours(points: list[tuple[float, float]]) -> None:
    lon, lat = as_arrays(points)
    whole = geo.gcj02_to_wgs84_many(lon, lat)
    reversed_ = geo.gcj02_to_wgs84_many(lon[::-1], lat[::-1])
    assert np.array_equal(whole[0], reversed_[0][::-1])
    assert np.array_equal(whole[1], reversed_[1][::-1])


def test_vectorised_keeps_the_shape_and_leaves_the_input_alone() -> None:
    lon = np.array([[116.4, 121.47], [-0.13, 113.26]])
    lat = np.array([[39.9, 31.23], [51.51, 23.13]])
    lon_before, lat_before = lon.copy(), lat.copy()
    out_lon, out_lat = geo.to_wgs84_many(lon, lat, CRS.GCJ02)
    assert out_lon.shape == out_lat.shape == (2, 2)
    assert out_lon.dtype == out_lat.dtype == np.float64
    assert np.array_equal(lon, lon_before)
    assert np.array_equal(lat, lat_before)
    assert out_lon[1, 0] == -0.13  # London is outside the box
    unchanged_lon, _ = geo.to_wgs84_many(lon, lat, "wgs84")
    assert unchanged_lon is not lon
    assert np.array_equal(unchanged_lon, lon)


def test_vectorised_accepts_lists_strided_views_and_empty_arrays() -> None:
    assert geo.wgs84_to_gcj02_many([116.4], [39.9])[0][0] == geo.wgs84_to_gcj02(116.4, 39.9)[0]
    grid = np.linspace(100.0, 120.0, 10)
    strided = geo.gcj02_to_wgs84_many(grid[::3], grid[::3] - 70)
    contiguous = geo.gcj02_to_wgs84_many(grid[::3].copy(), grid[::3] - 70)
    assert np.array_equal(strided[0], contiguous[0])
    empty_lon, empty_lat = geo.bd09_to_gcj02_many(np.array([]), np.array([]))
    assert empty_lon.shape == empty_lat.shape == (0,)


def test_vectorised_refuses_arrays_of_different_shapes() -> None:
    with pytest.raises(CoordinateError) as error:
        geo.wgs84_to_gcj02_many(np.zeros(3), np.zeros(2))
    assert error.value.field == "lat"


@pytest.mark.parametrize(
    ("lon", "lat", "field", "reason"),
    [
        ([116.0, np.nan], [39.0, 39.0], "lon", "NaN or infinite (first at index 1)"),
        ([116.0, 116.0], [39.0, np.inf], "lat", "NaN or infinite (first at index 1)"),
        ([116.0, 181.0], [39.0, 39.0], "lon", "outside -180..180 degrees (first at index 1: 181.0)"),
        ([116.0, 116.0], [-91.0, 39.0], "lat", "outside -90..90 degrees (first at index 0: -91.0)"),
        (["east"], [39.0], "lon", "must be an array of numbers"),
    ],
)
def test_vectorised_names_the_bad_field_and_the_first_bad_index(
    lon: list[object], lat: list[float], field: str, reason: str
) -> None:
    with pytest.raises(CoordinateError, match=re.escape(reason)) as error:
        geo.to_wgs84_many(lon, lat, "gcj02")  # type: ignore[arg-type]
    assert error.value.field == field


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (math.nan, 39.9, "lon: is not a number (NaN)"),
        (116.4, math.nan, "lat: is not a number (NaN)"),
        (math.inf, 39.9, "lon: is infinite"),
        (116.4, -math.inf, "lat: is infinite"),
        (180.5, 39.9, "lon: must be between -180 and 180 degrees, not 180.5"),
        (116.4, -90.01, "lat: must be between -90 and 90 degrees, not -90.01"),
        ("116.4", 39.9, "lon: must be a number, not str"),
        (116.4, True, "lat: must be a number, not bool"),
    ],
)
def test_validate_lon_lat_names_the_field_and_the_reason(lon: float, lat: float, message: str) -> None:
    with pytest.raises(CoordinateError) as error:
        geo.validate_lon_lat(lon, lat)
    assert str(error.value) == message
    assert error.value.field == message.split(":")[0]
    assert error.value.reason == message.split(": ", 1)[1]
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("point", [(-180, -90), (180, 90), (0, 0), (np.float32(116.5), np.int64(40))])
def test_validate_lon_lat_accepts_the_limits_and_numpy_numbers(point: tuple[float, float]) -> None:
    lon, lat = geo.validate_lon_lat(*point)
    assert (lon, lat) == (float(point[0]), float(point[1]))
    assert type(lon) is type(lat) is float


def test_the_scalar_conversions_validate_their_input() -> None:
    with pytest.raises(CoordinateError, match=r"^lat: "):
        geo.to_wgs84(116.4, 95.0, "gcj02")
    with pytest.raises(CoordinateError, match=r"^lon: is not a number"):
        geo.bd09_to_gcj02(math.nan, 39.9)


# --- coordinate systems ---------------------------------------------------------------------------


def test_the_accepted_crs_names() -> None:
    assert geo.ACCEPTED_CRS == ("wgs84", "gcj02", "bd09")
    assert [geo.parse_crs(name) for name in geo.ACCEPTED_CRS] == [CRS.WGS84, CRS.GCJ02, CRS.BD09]


def test_parse_crs_ignores_case_and_spaces() -> None:
    assert geo.parse_crs(" GCJ02 ") is CRS.GCJ02
    assert geo.parse_crs(CRS.BD09) is CRS.BD09


@pytest.mark.parametrize("name", ["epsg:4326", "", "gcj-02", "mars"])
def test_an_unknown_crs_is_refused_with_the_accepted_list(name: str) -> None:
    with pytest.raises(CoordinateError, match="accepted: wgs84, gcj02, bd09") as error:
        geo.to_wgs84(116.4, 39.9, name)
    assert error.value.field == "crs"
    with pytest.raises(CoordinateError):
        geo.to_wgs84_many([116.4], [39.9], name)


def test_to_wgs84_from_wgs84_is_the_identity() -> None:
    assert geo.to_wgs84(*TIANANMEN_WGS84, CRS.WGS84) == TIANANMEN_WGS84
