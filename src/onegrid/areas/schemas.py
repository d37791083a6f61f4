"""API shapes of the area net."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from onegrid.areas.levels import Kind, Level
from onegrid.areas.models import Area
from onegrid.kit.incoming import Incoming

LevelName = Literal["province", "city", "county", "township", "village", "grid", "micro_grid"]
CrsName = Literal["wgs84", "gcj02", "bd09"]


def parent_code(path: str) -> str | None:
    codes = path.strip("/").split("/")
    return codes[-2] if len(codes) > 1 else None


def level_name(level: int) -> str:
    return Level(level).name.lower()


class AreaOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    parent_code: str | None
    path: str
    bbox: tuple[float, float, float, float]
    centroid: tuple[float, float]
    population: int | None
    households: int | None

    @staticmethod
    def of(area: Area) -> dict[str, Any]:
        return {
            "code": area.code,
            "name": area.name,
            "name_en": area.name_en,
            "level": level_name(area.level),
            "kind": area.kind,
            "parent_code": parent_code(area.path),
            "path": area.path,
            "bbox": area.bbox,
            "centroid": (area.centroid_lon, area.centroid_lat),
            "population": area.population,
            "households": area.households,
        }


class AreaDetail(AreaOut):
    geometry: dict[str, Any]
    ancestors: list[AreaOut]
    children: int


class AreaIn(Incoming):
    code: str = Field(min_length=6, max_length=18)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field("", max_length=160)
    level: LevelName
    kind: Kind | None = None
    parent_code: str | None = None
    geometry: dict[str, Any]
    population: int | None = Field(None, ge=0)
    households: int | None = Field(None, ge=0)


class AreaPatch(Incoming):
    name: str | None = Field(None, min_length=1, max_length=100)
    name_en: str | None = Field(None, max_length=160)
    kind: Kind | None = None
    geometry: dict[str, Any] | None = None
    population: int | None = Field(None, ge=0)
    households: int | None = Field(None, ge=0)


class MoveIn(Incoming):
    parent_code: str
    new_code: str | None = None


class LocatedArea(Schema):
    code: str
    name: str
    level: str


class LocateOut(Schema):
    lon: float
    lat: float
    crs: CrsName
    grid: AreaOut
    micro_grid: AreaOut | None
    ancestors: list[LocatedArea]


class LocateBatchIn(Incoming):
    lon: list[float] = Field(min_length=1, max_length=100_000)
    lat: list[float] = Field(min_length=1, max_length=100_000)
    crs: CrsName = "wgs84"


class LocateBatchOut(Schema):
    count: int
    located: int
    grids: list[str | None]
    areas: dict[str, LocatedArea]


class ImportErrorOut(Schema):
    index: int
    code: str | None
    field: str
    reason: str


class ImportOut(Schema):
    created: int
    updated: int


class ImportRejected(Schema):
    code: str
    detail: str
    errors: list[ImportErrorOut]


class Problem(Schema):
    code: str
    detail: str
    field: str | None = None
