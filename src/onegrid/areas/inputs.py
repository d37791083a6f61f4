"""What a new or imported area looks like before it is checked, and reading it from GeoJSON (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from onegrid.areas.levels import Kind, Level

LEVEL_NAMES: dict[str, Level] = {level.name.lower(): level for level in Level}
LEVEL_NAMES["micro-grid"] = Level.MICRO_GRID
LEVEL_NAMES["microgrid"] = Level.MICRO_GRID


@dataclass(slots=True)
class AreaInput:
    """One area to create or update. ``geometry`` is GeoJSON (dict) or an already-built shape."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    geometry: dict[str, Any] | BaseGeometry
    name_en: str = ""
    kind: Kind = Kind.ADMINISTRATIVE
    population: int | None = None
    households: int | None = None


@dataclass(frozen=True, slots=True)
class FeatureError:
    """A problem with the feature at ``index`` (0-based position in the input)."""

    index: int
    code: str | None
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "field": self.field, "reason": self.reason}


def level_of(value: Any) -> Level:
    if isinstance(value, bool):
        raise ValueError("level must be a level name or number")
    if isinstance(value, int) and value in Level._value2member_map_:
        return Level(value)
    if isinstance(value, str) and value.strip().lower() in LEVEL_NAMES:
        return LEVEL_NAMES[value.strip().lower()]
    names = ", ".join(level.name.lower() for level in Level)
    raise ValueError(f"level {value!r} is not one of {names}")


def default_kind(level: Level) -> Kind:
    return {Level.GRID: Kind.GRID, Level.MICRO_GRID: Kind.MICRO_GRID}.get(level, Kind.ADMINISTRATIVE)


def _optional_count(props: dict[str, Any], key: str) -> int | None:
    value = props.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a whole number ≥ 0")
    return value


def _text(props: dict[str, Any], key: str, *, required: bool, limit: int) -> str:
    value = props.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"{key} is required")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text")
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"{key} is longer than {limit} characters")
    return value


def read_feature(feature: Any) -> AreaInput:
    """Turn one GeoJSON Feature into an AreaInput; ValueError says which property is wrong and why.
    The geometry is only checked for presence here; ``geometry.parse`` checks it fully."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise ValueError("properties must be an object")
    if feature.get("geometry") is None:
        raise ValueError("geometry is required")
    code = props.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not code.strip():
        raise ValueError("code is required")
    level = level_of(props.get("level"))
    kind_value = props.get("kind") or default_kind(level).value
    try:
        kind = Kind(kind_value)
    except ValueError:
        raise ValueError(f"kind {kind_value!r} is not one of {', '.join(k.value for k in Kind)}") from None
    parent = props.get("parent_code")
    if isinstance(parent, int) and not isinstance(parent, bool):
        parent = str(parent)
    if parent is not None and not isinstance(parent, str):
        raise ValueError("parent_code must be text")
    return AreaInput(
        code=code.strip(),
        name=_text(props, "name", required=True, limit=100),
        name_en=_text(props, "name_en", required=False, limit=160),
        level=level,
        kind=kind,
        parent_code=(parent or "").strip() or None,
        geometry=feature["geometry"],
        population=_optional_count(props, "population"),
        households=_optional_count(props, "households"),
    )


def read_collection(data: Any) -> Iterator[tuple[int, AreaInput | FeatureError]]:
    """Each feature of a FeatureCollection, read or with the reason it could not be."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError("the document must be a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ValueError("features must be an array")
    for index, feature in enumerate(features):
        try:
            yield index, read_feature(feature)
        except ValueError as exc:
            code = None
            if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
                raw = feature["properties"].get("code")
                code = str(raw) if raw is not None else None
            field = str(exc).split(" ", 1)[0] if str(exc).split(" ", 1)[0] in _FIELDS else "feature"
            yield index, FeatureError(index, code, field, str(exc))


_FIELDS = {
    "code",
    "name",
    "name_en",
    "level",
    "kind",
    "parent_code",
    "geometry",
    "population",
    "households",
    "properties",
}
