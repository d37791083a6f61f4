"""Every write to the area net. Each call is one transaction with its audit records; the locate
index of every process notices the change through the net's revision counter."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat, Replace, Substr
from django.utils import timezone

from onegrid.areas import geometry
from onegrid.areas.checks import Prepared, Progress, check_batch, code_problem
from onegrid.areas.inputs import AreaInput, FeatureError
from onegrid.areas.levels import Kind, Level
from onegrid.areas.models import Area, AreaNetRevision
from onegrid.audit import registry as audit_registry
from onegrid.audit import services as audit
from onegrid.kit import bulk, revisions, scope
from onegrid.kit.errors import Conflict, Invalid, NotFound

# The boundary is recorded as a digest of its WKB (the same shape as the GeoJSON column).
audit_registry.register(Area, exclude=("geometry",), digest=("geometry_wkb",))

BATCH = 1000


@dataclass(slots=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[FeatureError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def bump_revision() -> None:
    """Mark the net changed; call inside the writing transaction."""
    if not AreaNetRevision.objects.filter(id=1).update(number=F("number") + 1):
        AreaNetRevision.objects.create(id=1, number=1)


def _apply(area: Area, item: Prepared) -> None:
    data, b = item.data, item.boundary
    area.name, area.name_en, area.level, area.kind = data.name, data.name_en, int(data.level), data.kind.value
    area.population, area.households = data.population, data.households
    area.geometry, area.geometry_wkb = json.loads(b.geojson), b.wkb
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = b.bbox
    area.centroid_lon, area.centroid_lat = b.centroid
    area.path = item.path


_INSERT_FIELDS = (
    "code",
    "name",
    "name_en",
    "level",
    "kind",
    "parent",
    "path",
    "geometry",
    "geometry_wkb",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "centroid_lon",
    "centroid_lat",
    "population",
    "households",
    "created_at",
    "updated_at",
)
_UPDATE_FIELDS = [
    "name",
    "name_en",
    "kind",
    "population",
    "households",
    "geometry",
    "geometry_wkb",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "centroid_lon",
    "centroid_lat",
    "updated_at",
]


def _row(item: Prepared, parent_id: int | None, now: dt.datetime) -> tuple[Any, ...]:
    data, b = item.data, item.boundary
    return (
        data.code,
        data.name,
        data.name_en,
        int(data.level),
        data.kind.value,
        parent_id,
        item.path,
        b.geojson,
        b.wkb,
        *b.bbox,
        *b.centroid,
        data.population,
        data.households,
        now,
        now,
    )


def _created(item: Prepared, pk: int, parent_id: int | None, now: dt.datetime) -> dict[str, Any]:
    """The audit snapshot of a newly inserted area, equal to ``audit_registry.snapshot`` of its row."""
    values = dict(zip(_INSERT_FIELDS, _row(item, parent_id, now), strict=True))
    values.update(
        id=pk,
        geometry_wkb=audit_registry.digest(item.boundary.wkb),
        created_at=now.isoformat(),
        updated_at=now.isoformat(),
    )
    values.pop("geometry")
    return values


def _insert(actor: Any, items: list[Prepared], ids: dict[str, int], now: dt.datetime) -> None:
    """Insert new areas of one level with their audit records, and learn their ids."""
    rows = [_row(i, ids.get(i.data.parent_code or ""), now) for i in items]
    bulk.insert(Area, _INSERT_FIELDS, rows)
    level = int(items[0].data.level)
    ids.update(Area.objects.filter(level=level, created_at=now).values_list("code", "id"))
    audit.record_many(
        actor,
        "areas.create",
        (
            (
                "areas.area",
                str(ids[i.data.code]),
                f"{i.data.name} ({i.data.code})",
                i.path,
                None,
                _created(i, ids[i.data.code], ids.get(i.data.parent_code or ""), now),
            )
            for i in items
        ),
    )


def _update(actor: Any, items: list[Prepared], ids: dict[str, int], now: dt.datetime) -> None:
    changed: list[Area] = []
    befores: dict[int, dict[str, Any]] = {}
    for item in items:
        area = item.existing
        assert area is not None
        befores[area.pk] = audit_registry.snapshot(area)
        _apply(area, item)
        area.updated_at = now
        changed.append(area)
    Area.objects.bulk_update(changed, _UPDATE_FIELDS, batch_size=BATCH)
    for area in changed:
        audit.record(actor, "areas.update", area, before=befores[area.pk])


def write_batch(
    *, actor: Any, inputs: Sequence[AreaInput], permission: str, progress: Progress | None = None
) -> ImportResult:
    """Check the whole batch; if anything is wrong return every error and write nothing, otherwise
    create the new areas and update the existing ones in one transaction, parents first."""
    prepared, errors = check_batch(inputs, actor=actor, permission=permission, progress=progress)
    if errors:
        return ImportResult(errors=errors)
    try:
        return _write(actor=actor, prepared=prepared, permission=permission, progress=progress)
    except IntegrityError as exc:  # another writer took a code or path between the check and the write
        raise Conflict("the net changed while this was being written; try again") from exc


def _write(
    *, actor: Any, prepared: list[Prepared], permission: str, progress: Progress | None
) -> ImportResult:
    result = ImportResult()
    now = timezone.now()
    with transaction.atomic():
        ids: dict[str, int] = {}
        by_level: dict[int, list[Prepared]] = {}
        for item in prepared:
            by_level.setdefault(int(item.data.level), []).append(item)
        done = 0
        for level in sorted(by_level):
            items = by_level[level]
            missing = sorted({i.data.parent_code for i in items if i.data.parent_code} - ids.keys())
            for start in range(0, len(missing), 900):
                chunk = missing[start : start + 900]
                ids.update(Area.objects.filter(code__in=chunk).values_list("code", "id"))
            new = [i for i in items if i.existing is None]
            changed = [i for i in items if i.existing is not None]
            if new:
                _insert(actor, new, ids, now)
            if changed:
                _update(actor, changed, ids, now)
            result.created += len(new)
            result.updated += len(changed)
            done += len(items)
            if progress:
                progress("write", done, len(prepared))
        _verify(actor, permission, [i.path for i in prepared])
        bump_revision()
    return result


def _verify(actor: Any, permission: str, paths: Sequence[str]) -> None:
    """Write-then-verify: everything just written must be visible through the writer's scope."""
    if actor is None:
        return
    roots = scope.minimal(paths)
    for start in range(0, len(roots), 200):
        chunk = roots[start : start + 200]
        visible = Area.objects.restrict(actor, permission).filter(path__in=chunk).count()
        if visible != len(chunk):
            raise NotFound("an area written lies outside your jurisdiction")
    scope.forget(actor)


def _raise_first(errors: list[FeatureError]) -> None:
    first = errors[0]
    raise Invalid(first.reason, field=first.field, details=[e.as_dict() for e in errors])


def create(*, actor: Any, data: AreaInput) -> Area:
    """Create one area (the caller checked ``areas.add`` somewhere; scope is checked here)."""
    result = write_batch(actor=actor, inputs=[data], permission="areas.add")
    if result.errors:
        _raise_first(result.errors)
    return Area.objects.get(code=data.code)


def update(*, actor: Any, area: Area, changes: dict[str, Any]) -> Area:
    """Change an area's names, kind, counts or boundary (not its code or parent: see ``move``)."""
    allowed = {"name", "name_en", "kind", "population", "households", "geometry"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    parent_code = area.parent.code if area.parent is not None else None
    data = AreaInput(
        code=area.code,
        name=changes.get("name", area.name),
        name_en=changes.get("name_en", area.name_en),
        level=Level(area.level),
        kind=Kind(changes.get("kind", area.kind)),
        parent_code=parent_code,
        geometry=changes.get("geometry", area.geometry),
        population=changes.get("population", area.population),
        households=changes.get("households", area.households),
    )
    result = write_batch(actor=actor, inputs=[data], permission="areas.change")
    if result.errors:
        _raise_first(result.errors)
    return Area.objects.get(pk=area.pk)


def move(*, actor: Any, area: Area, parent: Area, new_code: str | None = None) -> Area:
    """Put ``area`` (and its subtree) under ``parent``. Where the code standard ties a code to its
    parent's, ``new_code`` re-codes the subtree (its codes' leading digits are replaced). Paths of
    the subtree, and of every scoped row that points into it, are rewritten in one transaction."""
    if parent.level != area.level - 1:
        raise Invalid(
            f"a {Level(area.level).name.lower()} must be under a {Level(area.level - 1).name.lower()}",
            field="parent",
        )
    if parent.path.startswith(area.path):
        raise Invalid("an area cannot be moved under itself or its own descendant", field="parent")
    code = new_code or area.code
    problem = code_problem(code, Level(area.level), parent.code)
    if problem:
        hint = "" if new_code else "; give new_code to re-code the subtree"
        raise Invalid(problem + hint, field="new_code" if new_code else "parent")
    if code != area.code and Area.objects.filter(code=code).exists():
        raise Conflict(f"code {code} is already used", field="new_code")
    for permission, path in (("areas.move", area.path), ("areas.move", parent.path)):
        if not scope.covers(actor, permission, path) and actor is not None:
            raise NotFound("area not found")
    old_path, new_path = area.path, f"{parent.path}{code}/"
    with transaction.atomic():
        before = audit_registry.snapshot(area)
        locked = Area.objects.select_for_update().get(pk=area.pk)
        if locked.path != old_path:
            raise Conflict("the area was changed meanwhile; try again")
        if code != area.code:
            for row in Area.objects.filter(path__startswith=old_path).only("pk", "code"):
                Area.objects.filter(pk=row.pk).update(code=code + row.code[len(area.code) :])
        Area.objects.filter(pk=area.pk).update(parent=parent, updated_at=timezone.now())
        rewrite_paths(old_path, new_path, old_code=area.code, new_code=code)
        moved = Area.objects.get(pk=area.pk)
        audit.record(actor, "areas.move", moved, before=before, note=f"{old_path} → {new_path}")
        _verify(actor, "areas.move", [new_path])
        bump_revision()
    return moved


def rewrite_paths(old: str, new: str, *, old_code: str, new_code: str) -> None:
    """Rewrite every materialised path under ``old`` to lie under ``new``, re-coding the segments below
    when the moved area's code changed (descendants' codes start with it, ancestors' cannot contain
    it): the areas themselves and every scoped model's path column (registered by ScopedManager)."""
    for model, column in scope.scoped_models():
        if not getattr(model, "rewrite_paths_on_move", True):
            continue
        tail: Any = Substr(F(column), len(old) + 1)
        if new_code != old_code:
            tail = Replace(tail, Value(old_code), Value(new_code))
        model._default_manager.filter(**{f"{column}__startswith": old}).update(
            **{column: Concat(Value(new), tail, output_field=CharField())}
        )
    revisions.areas_moved()


def delete(*, actor: Any, area: Area) -> None:
    """Delete an area with no children; anything still pointing at it makes this a 409."""
    if area.children.exists():
        raise Conflict("the area has children; delete or move them first")
    with transaction.atomic():
        before = audit_registry.snapshot(area)
        try:
            with transaction.atomic():
                Area.objects.filter(pk=area.pk).delete()
        except Exception as exc:  # ProtectedError / IntegrityError from references
            raise Conflict(f"the area is still referenced: {exc.__class__.__name__}") from exc
        audit.record(
            actor,
            "areas.delete",
            None,
            before=before,
            object_type="areas.area",
            object_id=str(area.pk),
            object_repr=str(area),
            area_path=area.path,
        )
        bump_revision()


__all__ = ["ImportResult", "bump_revision", "create", "delete", "geometry", "move", "update", "write_batch"]
