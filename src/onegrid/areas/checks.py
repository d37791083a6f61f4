"""The invariants of the net, checked on a whole batch before anything is written.

A batch is a list of AreaInput (from an API call, a GeoJSON import or the generator). Every problem is
reported with the feature's index and the reason; nothing is written if there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from onegrid.areas import geometry
from onegrid.areas.inputs import AreaInput, FeatureError
from onegrid.areas.levels import CODE_LENGTH, PARENT_PREFIX, Kind, Level
from onegrid.areas.models import Area
from onegrid.kit import scope

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class Prepared:
    """A checked input with what will be stored. ``existing`` is set when the code is already in the net."""

    index: int
    data: AreaInput
    boundary: geometry.Boundary
    path: str = ""
    existing: Area | None = None


def code_problem(code: str, level: Level, parent_code: str | None) -> str | None:
    """Why ``code`` cannot be the code of an area of ``level`` under ``parent_code``, or None."""
    length = CODE_LENGTH[level]
    if not code.isascii() or not code.isdigit():
        return "code must be digits only"
    if len(code) != length:
        return f"a {level.name.lower()} code has {length} digits, not {len(code)}"
    if level == Level.PROVINCE and not code.endswith("0000"):
        return "a province code ends in 0000"
    if level == Level.CITY and (not code.endswith("00") or code.endswith("0000")):
        return "a city code ends in 00 but not 0000"
    if level == Level.COUNTY and code.endswith("00"):
        return "a county code does not end in 00"
    if level in PARENT_PREFIX and parent_code is not None:
        parent_level = Level(level - 1)
        if len(parent_code) != CODE_LENGTH[parent_level]:
            return f"parent {parent_code} is not a {parent_level.name.lower()} code"
        n = PARENT_PREFIX[level]
        if code[:n] != parent_code[:n]:
            return f"code must start with {parent_code[:n]}, the first {n} digits of its parent's code"
    return None


def _kind_problem(data: AreaInput) -> str | None:
    allowed = {
        Level.GRID: {Kind.GRID, Kind.UNIT_GRID},
        Level.MICRO_GRID: {Kind.MICRO_GRID},
        Level.VILLAGE: {Kind.ADMINISTRATIVE, Kind.COMMUNITY},
    }.get(data.level, {Kind.ADMINISTRATIVE})
    if data.kind not in allowed:
        return f"a {data.level.name.lower()} cannot be of kind {data.kind.value}"
    return None


def _chunks(items: Sequence[str], size: int = 900) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _existing(codes: Sequence[str]) -> dict[str, Area]:
    found: dict[str, Area] = {}
    for chunk in _chunks(codes):
        for area in Area.objects.filter(code__in=chunk).defer("geometry"):
            found[area.code] = area
    return found


def check_batch(
    inputs: Sequence[AreaInput],
    *,
    actor: Any,
    permission: str,
    progress: Progress | None = None,
) -> tuple[list[Prepared], list[FeatureError]]:
    """Check every input against the invariants and the actor's scope; return what can be written
    (in parent-before-child order) and every error. ``actor=None`` is the console operator."""
    errors: list[FeatureError] = []

    def fail(i: int, field: str, reason: str) -> None:
        errors.append(FeatureError(i, inputs[i].code, field, reason))

    prepared: dict[str, Prepared] = {}
    seen: dict[str, int] = {}
    pending: list[tuple[int, AreaInput, BaseGeometry]] = []
    total = len(inputs)
    for i, data in enumerate(inputs):
        if progress and i % 5000 == 0:
            progress("check", i, total)
        if data.code in seen:
            fail(i, "code", f"code {data.code} appears more than once (first at index {seen[data.code]})")
            continue
        seen[data.code] = i
        problem = code_problem(data.code, data.level, data.parent_code)
        if problem:
            fail(i, "parent_code" if problem.startswith("parent") else "code", problem)
            continue
        problem = _kind_problem(data)
        if problem:
            fail(i, "kind", problem)
            continue
        if data.level == Level.PROVINCE and data.parent_code is not None:
            fail(i, "parent_code", "a province has no parent")
            continue
        if data.level != Level.PROVINCE and data.parent_code is None:
            fail(i, "parent_code", f"a {data.level.name.lower()} needs a parent")
            continue
        try:
            shape = data.geometry if isinstance(data.geometry, BaseGeometry) else geometry.read(data.geometry)
        except geometry.GeometryError as exc:
            fail(i, "geometry", str(exc))
            continue
        pending.append((i, data, shape))
    checked = geometry.boundaries([shape for _, _, shape in pending])
    for (i, data, _), boundary in zip(pending, checked, strict=True):
        if isinstance(boundary, geometry.GeometryError):
            fail(i, "geometry", str(boundary))
            continue
        prepared[data.code] = Prepared(i, data, boundary)
    if progress:
        progress("check", total, total)

    codes = list(prepared)
    parent_codes = sorted({p.data.parent_code for p in prepared.values() if p.data.parent_code} - set(codes))
    existing = _existing(codes)
    db_parents = _existing(parent_codes)

    ordered = sorted(prepared.values(), key=lambda p: (p.data.level, p.index))
    accepted: dict[str, Prepared] = {}
    for item in ordered:
        data = item.data
        item.existing = existing.get(data.code)
        parent_path = "/"
        if data.parent_code is not None:
            parent = accepted.get(data.parent_code)
            db_parent = db_parents.get(data.parent_code) or existing.get(data.parent_code)
            if parent is not None:
                parent_level, parent_path = parent.data.level, parent.path
            elif db_parent is not None and data.parent_code not in prepared:
                parent_level, parent_path = Level(db_parent.level), db_parent.path
            else:
                reason = (
                    f"parent {data.parent_code} was rejected"
                    if data.parent_code in prepared or data.parent_code in codes
                    else f"parent {data.parent_code} is neither in the net nor in this batch"
                )
                fail(item.index, "parent_code", reason)
                continue
            if data.level != parent_level + 1:
                fail(
                    item.index,
                    "level",
                    f"a {data.level.name.lower()} cannot be a child of a "
                    f"{parent_level.name.lower()}: children are exactly one level below their parent",
                )
                continue
        if item.existing is not None:
            if item.existing.level != data.level:
                fail(
                    item.index, "level", f"{data.code} is already a {Level(item.existing.level).name.lower()}"
                )
                continue
            old_parent = item.existing.path.rstrip("/").rsplit("/", 2)[-2] if data.parent_code else None
            if data.parent_code is not None and old_parent != data.parent_code:
                fail(item.index, "parent_code", f"{data.code} is under {old_parent}; move it instead")
                continue
        item.path = f"{parent_path}{data.code}/"
        if actor is not None and not scope.covers(actor, permission, item.path):
            fail(item.index, "code", f"{data.code} lies outside your jurisdiction for {permission}")
            continue
        accepted[data.code] = item

    errors.extend(_sibling_overlaps(list(accepted.values()), progress))
    bad = {e.index for e in errors}
    good = [p for p in sorted(accepted.values(), key=lambda p: (p.data.level, p.index)) if p.index not in bad]
    errors.sort(key=lambda e: e.index)
    return good, errors


def _sibling_overlaps(items: list[Prepared], progress: Progress | None) -> list[FeatureError]:
    """Siblings (same parent) must not overlap beyond the tolerance — among the batch, and against
    siblings already in the net that the batch does not replace."""
    if not items:
        return []
    if progress:
        progress("overlaps", 0, len(items))
    batch_codes = {p.data.code for p in items}
    shapes: list[BaseGeometry] = [p.boundary.shape for p in items]
    parents: list[str] = [p.data.parent_code or "" for p in items]
    owners: list[int] = [p.index for p in items]
    touched = sorted({p.data.parent_code for p in items if p.data.parent_code})
    for chunk in _chunks(touched):
        rows = (
            Area.objects.filter(parent__code__in=chunk)
            .exclude(code__in=[c for c in batch_codes if c])
            .values_list("parent__code", "geometry_wkb")
        )
        for parent_code, wkb in rows:
            shapes.append(shapely.from_wkb(bytes(wkb)))
            parents.append(parent_code)
            owners.append(-1)
    geoms = np.array(shapes, dtype=object)
    parent_arr = np.array(parents, dtype=object)
    # Siblings share a parent and so a level: search within each level, not across the whole tree
    # where every grid lies within its village, township and county.
    lengths = np.array([len(p) for p in parents])
    found_left, found_right = [], []
    for length in np.unique(lengths):
        members = np.flatnonzero(lengths == length)
        a, b = shapely.STRtree(geoms[members]).query(geoms[members])  # bounding boxes only: cheap
        found_left.append(members[a])
        found_right.append(members[b])
    left, right = np.concatenate(found_left), np.concatenate(found_right)
    keep = (left < right) & (parent_arr[left] == parent_arr[right])
    left, right = left[keep], right[keep]
    # Interiors that meet (DE-9IM 2********): partial overlaps and one sibling inside another.
    # Siblings that only share an edge fail this test and never reach the costlier intersection.
    meet = shapely.relate_pattern(geoms[left], geoms[right], "2********")
    left, right = left[meet], right[meet]
    errors: list[FeatureError] = []
    if len(left):
        shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
        smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
        share = np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)
        flagged: set[int] = set()
        code_at = {p.index: p.data.code for p in items}
        for a, b, s in zip(left, right, share, strict=True):
            if s <= geometry.OVERLAP_TOLERANCE:
                continue
            mine, other = (owners[b], owners[a]) if owners[b] >= 0 else (owners[a], owners[b])
            if mine < 0 or mine in flagged:
                continue
            flagged.add(mine)
            what = f"sibling {code_at[other]}" if other >= 0 else "a sibling already in the net"
            errors.append(
                FeatureError(mine, code_at[mine], "geometry", f"overlaps {what} by {s:.2%} of its area")
            )
    if progress:
        progress("overlaps", len(items), len(items))
    return errors
