"""The generated Zhejiang net: real codes on top, a consistent synthetic partition below."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from onegrid.areas.generate import AreaDraft, data_metadata, generate, to_feature
from onegrid.areas.levels import CODE_LENGTH, PARENT_PREFIX, Kind, Level

TONGLU_TOWNSHIPS = 14  # 桐庐县 in the MCA table of 2025-12-31


@pytest.fixture(scope="module")
def county() -> list[AreaDraft]:
    return list(generate("county", micro=True))


def by_level(drafts: Sequence[AreaDraft]) -> Counter[Level]:
    return Counter(d.level for d in drafts)


def families(drafts: Sequence[AreaDraft], below: Level) -> dict[str, list[AreaDraft]]:
    """Children by parent code, for parents at ``below`` or deeper (whose children are all there)."""
    levels = {d.code: d.level for d in drafts}
    children: dict[str, list[AreaDraft]] = defaultdict(list)
    for d in drafts:
        if d.parent_code is not None and levels[d.parent_code] >= below:
            children[d.parent_code].append(d)
    return children


def test_county_scale_is_tonglu_with_its_ancestors_and_a_few_hundred_grids(county: list[AreaDraft]) -> None:
    counts = by_level(county)
    assert (counts[Level.PROVINCE], counts[Level.CITY], counts[Level.COUNTY]) == (1, 1, 1)
    assert counts[Level.TOWNSHIP] == TONGLU_TOWNSHIPS
    assert 100 <= counts[Level.VILLAGE] <= 300
    assert 200 <= counts[Level.GRID] <= 600
    assert 3 * counts[Level.GRID] <= counts[Level.MICRO_GRID] <= 6 * counts[Level.GRID]


def test_real_names_and_codes_come_from_the_mca_table(county: list[AreaDraft]) -> None:
    named = {d.code: d for d in county}
    assert (named["330000"].name, named["330100"].name, named["330122"].name) == (
        "浙江省",
        "杭州市",
        "桐庐县",
    )
    assert named["330122"].name_en == "Tonglu County"
    townships = {d.name for d in county if d.level == Level.TOWNSHIP}
    assert {"桐君街道", "富春江镇", "分水镇", "莪山畲族乡"} <= townships
    assert named["330122001"].name_en == "Tongjun Subdistrict"
    assert data_metadata()["data_as_of"] == "2025-12-31"


def test_codes_are_unique_sized_by_level_and_repeat_their_parents_prefix(county: list[AreaDraft]) -> None:
    assert len({d.code for d in county}) == len(county)
    for d in county:
        assert d.code.isdigit()
        assert len(d.code) == CODE_LENGTH[d.level]
        if d.parent_code is not None:
            n = PARENT_PREFIX[d.level]
            assert d.code[:n] == d.parent_code[:n]


def test_every_parent_comes_before_its_children(county: list[AreaDraft]) -> None:
    seen: dict[str, Level] = {}
    for d in county:
        if d.level == Level.PROVINCE:
            assert d.parent_code is None
        else:
            assert d.parent_code is not None
            assert seen[d.parent_code] == d.level - 1
        seen[d.code] = d.level


def test_kinds_fit_levels_and_some_villages_have_a_unit_grid(county: list[AreaDraft]) -> None:
    kinds = {level: {d.kind for d in county if d.level == level} for level in Level}
    assert kinds[Level.TOWNSHIP] == {Kind.ADMINISTRATIVE}
    assert kinds[Level.VILLAGE] == {Kind.ADMINISTRATIVE, Kind.COMMUNITY}
    assert kinds[Level.GRID] == {Kind.GRID, Kind.UNIT_GRID}
    assert kinds[Level.MICRO_GRID] == {Kind.MICRO_GRID}
    villages = [d for d in county if d.level == Level.VILLAGE]
    assert all(d.name.endswith("社区" if d.kind == Kind.COMMUNITY else "村") for d in villages)
    assert all(d.name_en.endswith("Community" if d.kind == Kind.COMMUNITY else "Village") for d in villages)


def test_village_names_are_unique_within_their_township(county: list[AreaDraft]) -> None:
    names = Counter((d.parent_code, d.name) for d in county if d.level == Level.VILLAGE)
    assert max(names.values()) == 1


def test_every_geometry_is_a_valid_non_empty_polygon(county: list[AreaDraft]) -> None:
    geometries = np.array([d.geometry for d in county], dtype=object)
    assert shapely.is_valid(geometries).all()
    assert not shapely.is_empty(geometries).any()
    assert {g.geom_type for g in geometries} <= {"Polygon", "MultiPolygon"}
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries)
    assert xmin >= 118.0
    assert ymin >= 27.0
    assert xmax <= 123.0
    assert ymax <= 31.3


def test_children_partition_their_parent(county: list[AreaDraft]) -> None:
    geometry = {d.code: d.geometry for d in county}
    children = families(county, below=Level.COUNTY)
    assert len(children) == sum(1 for d in county if Level.COUNTY <= d.level < Level.MICRO_GRID)
    for parent, kids in children.items():
        union = shapely.union_all([k.geometry for k in kids])
        missing_or_extra = shapely.symmetric_difference(union, geometry[parent]).area
        assert missing_or_extra < 1e-6 * geometry[parent].area, parent


def test_siblings_do_not_overlap(county: list[AreaDraft]) -> None:
    for kids in families(county, below=Level.COUNTY).values():
        geometries = np.array([k.geometry for k in kids], dtype=object)
        i, j = shapely.STRtree(geometries).query(geometries, predicate="intersects")
        pairs = i < j
        overlap = shapely.area(shapely.intersection(geometries[i[pairs]], geometries[j[pairs]]))
        smaller = np.minimum(shapely.area(geometries[i[pairs]]), shapely.area(geometries[j[pairs]]))
        assert (overlap < 1e-9 * smaller).all()


def test_the_county_lies_in_its_city_and_the_city_in_the_province(county: list[AreaDraft]) -> None:
    geometry = {d.code: d.geometry for d in county}
    for child, parent in (("330122", "330100"), ("330100", "330000")):
        outside = shapely.difference(geometry[child], geometry[parent]).area
        assert outside < 1e-9 * geometry[child].area


def test_population_adds_up_and_households_are_about_a_third(county: list[AreaDraft]) -> None:
    for parent, kids in families(county, below=Level.VILLAGE).items():
        d = next(x for x in county if x.code == parent)
        assert d.population == sum(k.population or 0 for k in kids)
        assert d.households == sum(k.households or 0 for k in kids)
    villages = [d for d in county if d.level == Level.VILLAGE]
    assert all(300 <= (d.population or 0) <= 10_000 for d in villages)
    assert all(2.2 <= (d.population or 0) / (d.households or 1) <= 3.0 for d in villages)
    grids = [d for d in county if d.kind == Kind.GRID]
    assert all(300 <= (d.population or 0) <= 1_500 for d in grids)


def test_ancestors_carry_the_population_of_the_whole_province(county: list[AreaDraft]) -> None:
    province = county[0]
    assert province.code == "330000"
    assert 55_000_000 <= (province.population or 0) <= 80_000_000


def test_the_same_seed_gives_the_same_net() -> None:
    assert list(generate("county")) == list(generate("county"))


def test_another_seed_moves_the_synthetic_parts_but_keeps_the_real_codes() -> None:
    ours = {d.code: d for d in generate("county")}
    theirs = {d.code: d for d in generate("county", seed=7)}
    real = {c for c, d in ours.items() if d.level <= Level.TOWNSHIP}
    assert real == {c for c, d in theirs.items() if d.level <= Level.TOWNSHIP}
    assert all(ours[c].name == theirs[c].name for c in real)
    assert not ours["330122"].geometry.equals(theirs["330122"].geometry)
    assert ours["330000"].geometry.equals(
        theirs["330000"].geometry
    )  # the outline is drawn, not drawn at random


def test_a_county_comes_out_the_same_at_city_scale() -> None:
    alone = [d for d in generate("county", county="330127") if d.level >= Level.COUNTY]
    within_city = {d.code: d for d in generate("city", city="330100")}
    assert all(within_city[d.code] == d for d in alone)


def test_longgang_runs_its_communities_directly_so_nothing_is_generated_below_it() -> None:
    drafts = list(generate("county", county="330383", micro=True))
    assert [(d.code, d.name) for d in drafts] == [
        ("330000", "浙江省"),
        ("330300", "温州市"),
        ("330383", "龙港市"),
    ]
    assert drafts[-1].population is None


def test_unknown_scale_or_code_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate("country")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="county"):
        generate("county", county="330100")
    with pytest.raises(ValueError, match="city"):
        generate("city", city="320100")


def test_features_follow_rfc_7946_with_seven_decimals(county: list[AreaDraft]) -> None:
    features = [to_feature(d) for d in county]
    grid = next(f for f, d in zip(features, county, strict=True) if d.level == Level.GRID)
    assert grid["type"] == "Feature"
    assert set(grid["properties"]) == {
        "code",
        "name",
        "name_en",
        "level",
        "kind",
        "parent_code",
        "population",
        "households",
    }
    assert grid["properties"]["level"] == "grid"
    for feature in features:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid
        assert not geometry.is_empty
        exteriors = shapely.get_exterior_ring(shapely.get_parts(geometry))
        assert shapely.is_ccw(exteriors).all()
        xy = shapely.get_coordinates(geometry)
        assert np.array_equal(xy, np.round(xy, 7))
    province = shape(features[0]["geometry"])
    assert math.isclose(province.area, county[0].geometry.area, rel_tol=1e-6)


@pytest.mark.slow
def test_province_scale_has_every_real_division_and_about_100k_grids() -> None:
    drafts = list(generate("province"))
    counts = by_level(drafts)
    assert [counts[level] for level in (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP)] == [
        1,
        11,
        90,
        1365,
    ]
    assert 20_000 <= counts[Level.VILLAGE] <= 26_000
    assert 90_000 <= counts[Level.GRID] <= 110_000
    assert len({d.code for d in drafts}) == len(drafts)
    geometries = np.array([d.geometry for d in drafts], dtype=object)
    assert shapely.is_valid(geometries).all()
    cities = shapely.union_all([d.geometry for d in drafts if d.level == Level.CITY])
    assert shapely.symmetric_difference(cities, drafts[0].geometry).area < 1e-9 * drafts[0].geometry.area
