"""Levels and kinds of the area net (pure: no Django models, no I/O)."""

from __future__ import annotations

import enum


class Level(enum.IntEnum):
    """The six administrative levels plus micro-grids below grids."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4  # 乡镇 / 街道
    VILLAGE = 5  # 村 / 社区
    GRID = 6  # 网格 (also 单位网格, a unit grid)
    MICRO_GRID = 7  # 微网格

    @property
    def child(self) -> Level | None:
        return Level(self + 1) if self < Level.MICRO_GRID else None


class Kind(enum.StrEnum):
    """What an area is, beside its level."""

    ADMINISTRATIVE = "administrative"  # province .. township, village or community
    COMMUNITY = "community"  # 社区 (urban) at village level
    GRID = "grid"  # a territorial grid
    UNIT_GRID = "unit_grid"  # 单位网格: an enterprise, school, hospital as its own grid
    MICRO_GRID = "micro_grid"  # 微网格: a building or block


# Code lengths: GB/T 2260 six digits for province/city/county, 9 for township, 12 for village,
# then a 3-digit grid suffix and a 3-digit micro-grid suffix.
CODE_LENGTH: dict[Level, int] = {
    Level.PROVINCE: 6,
    Level.CITY: 6,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
    Level.GRID: 15,
    Level.MICRO_GRID: 18,
}

# How many leading characters of the parent's code a child's code must repeat.
PARENT_PREFIX: dict[Level, int] = {
    Level.CITY: 2,
    Level.COUNTY: 4,
    Level.TOWNSHIP: 6,
    Level.VILLAGE: 9,
    Level.GRID: 12,
    Level.MICRO_GRID: 15,
}
