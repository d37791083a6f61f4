"""A small hand-made net: squares, so every test can reason about which point lies where.

Province 330000 covers lon 120–121, lat 30–31. City 330100 = the province square; county 330122 =
the city square. Township 330122001 (a) is the west half, 330122002 (b) the east half. Each township
has one village (…001) split into two grids (west/east quarters of the township).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onegrid.access.models import Grant, Role, User
from onegrid.areas import services
from onegrid.areas.inputs import AreaInput
from onegrid.areas.levels import Kind, Level
from onegrid.areas.models import Area


def square(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def area_input(
    code: str,
    level: Level,
    parent: str | None,
    box: tuple[float, float, float, float],
    name: str | None = None,
    kind: Kind | None = None,
) -> AreaInput:
    default = {Level.GRID: Kind.GRID, Level.MICRO_GRID: Kind.MICRO_GRID}.get(level, Kind.ADMINISTRATIVE)
    return AreaInput(
        code=code,
        name=name or f"area {code}",
        level=level,
        parent_code=parent,
        geometry=square(*box),
        kind=kind or default,
        population=1000,
        households=400,
    )


NET = [
    ("330000", Level.PROVINCE, None, (120.0, 30.0, 121.0, 31.0), "浙江省"),
    ("330100", Level.CITY, "330000", (120.0, 30.0, 121.0, 31.0), "杭州市"),
    ("330122", Level.COUNTY, "330100", (120.0, 30.0, 121.0, 31.0), "桐庐县"),
    ("330122001", Level.TOWNSHIP, "330122", (120.0, 30.0, 120.5, 31.0), "城南街道"),
    ("330122002", Level.TOWNSHIP, "330122", (120.5, 30.0, 121.0, 31.0), "旧县街道"),
    ("330122001001", Level.VILLAGE, "330122001", (120.0, 30.0, 120.5, 31.0), "青山村"),
    ("330122002001", Level.VILLAGE, "330122002", (120.5, 30.0, 121.0, 31.0), "白云村"),
    ("330122001001001", Level.GRID, "330122001001", (120.0, 30.0, 120.25, 31.0), "青山村第1网格"),
    ("330122001001002", Level.GRID, "330122001001", (120.25, 30.0, 120.5, 31.0), "青山村第2网格"),
    ("330122002001001", Level.GRID, "330122002001", (120.5, 30.0, 120.75, 31.0), "白云村第1网格"),
    ("330122002001002", Level.GRID, "330122002001", (120.75, 30.0, 121.0, 31.0), "白云村第2网格"),
]


@dataclass
class Net:
    province: Area
    county: Area
    township_a: Area
    township_b: Area
    grid_a1: Area
    grid_a2: Area
    grid_b1: Area


def build_net() -> Net:
    inputs = [area_input(code, level, parent, box, name) for code, level, parent, box, name in NET]
    result = services.write_batch(actor=None, inputs=inputs, permission="areas.import")
    assert result.ok, result.errors
    get = Area.objects.get
    return Net(
        province=get(code="330000"),
        county=get(code="330122"),
        township_a=get(code="330122001"),
        township_b=get(code="330122002"),
        grid_a1=get(code="330122001001001"),
        grid_a2=get(code="330122001001002"),
        grid_b1=get(code="330122002001001"),
    )


def make_user(username: str, *, role: str | None = None, area: Area | None = None, **extra: Any) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, **extra)
    if role is not None and area is not None:
        Grant.objects.create(role=Role.objects.get(code=role), area=area, area_path=area.path, user=user)
    return user
