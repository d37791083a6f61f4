"""Intake (受理): every channel's matter comes in once, is located to its grid and numbered.

One call of ``receive`` checks the report, locates it, files it under its category, starts the
register clock, asks the routing rules where it would go (recorded on the receive event for the
command centre), and writes the matter, its first timeline event, the audit record and the
notifications in one transaction. The configuration it reads (categories, deadline policies, routing
rules) is held in the process (``catalogue``); the net in the locate index (``areas.locator``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from onegrid.areas.locator import locator
from onegrid.areas.models import Area
from onegrid.audit import registry as audit_registry
from onegrid.audit import services as audit
from onegrid.kit import bulk, scope, validators
from onegrid.kit.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from onegrid.kit.geo import to_wgs84
from onegrid.matters import (
    catalogue,
    deadlines,
    definitions,
    notices,
    numbering,
    rollup,
    routing,
    selectors,
)
from onegrid.matters.lifecycle import Status
from onegrid.matters.models import Category, Channel, Event, Matter, Priority

TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 10_000


@dataclass(slots=True)
class Report:
    """What someone reports. Location is a point (lon/lat in ``crs``) or an area code."""

    channel: str
    category: str
    title: str
    description: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    area_code: str | None = None
    address: str = ""
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    anonymous: bool = False
    idempotency_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # answers to the category's attributes, by code


@dataclass(frozen=True, slots=True)
class Received:
    """What ``receive`` returns: the matter, whether it was created now (False: an earlier matter with
    the same idempotency key), and when created, its first timeline event."""

    matter: Matter
    created: bool
    event: Event | None = None


def _category(known: catalogue.Catalogue, code: str) -> Category:
    category = known.categories.get(code)
    if category is None:
        raise Invalid(f"unknown category {code!r}", field="category")
    if category.pk in known.groups:
        raise Invalid(f"{code!r} is a group; choose one of its categories", field="category")
    return category


def _area(column: str, value: str) -> Area | None:
    """The area (id, code, name, level, path) with ``code`` or ``path`` = ``value``, in one plain read:
    intake needs no geometry, and this runs for every matter."""
    table = Area._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, code, name, level, path FROM {table} WHERE {column} = %s",  # noqa: S608
            [value],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Area(id=row[0], code=row[1], name=row[2], level=row[3], path=row[4])


def _extra(category: Category, given: dict[str, Any]) -> dict[str, definitions.Answer]:
    """The answers checked against the category's attributes: each must be one of its questions, of the
    right type and among the allowed values, and every required question answered."""
    if not given and not category.attributes:
        return {}
    try:
        questions = definitions.parse(category.attributes)
    except definitions.BadDefinition as exc:
        raise Invalid(
            f"the questions of category {category.code!r} are misconfigured; tell the operator",
            field="category",
        ) from exc
    asked = {a.code for a in questions if a.variable}
    submitted: dict[str, list[str]] = {}
    for code, value in given.items():
        if code not in asked:
            raise Invalid(f"category {category.code!r} asks no question {code!r}", field=f"extra.{code}")
        try:
            submitted[code] = definitions.as_submitted(value)
        except ValueError as exc:
            raise Invalid(f"extra.{code} {exc}", field=f"extra.{code}") from exc
    answers, problems = definitions.checked(questions, submitted)
    if problems:
        code, reason = problems[0]
        raise Invalid(f"extra.{code} {reason}", field=f"extra.{code}")
    return answers


def _check_point(report: Report) -> bool:
    """Whether the report gives a point (checked: both coordinates, finite, in range) rather than an
    area code; Invalid when it gives neither."""
    if report.lon is not None or report.lat is not None:
        if report.lon is None or report.lat is None:
            raise Invalid("give both lon and lat", field="lat" if report.lat is None else "lon")
        for name, value, bound in (("lon", report.lon, 180.0), ("lat", report.lat, 90.0)):
            if not math.isfinite(value) or abs(value) > bound:
                raise Invalid(f"{name} {value} is outside [-{bound:g}, {bound:g}]", field=name)
        return True
    if report.area_code:
        return False
    raise Invalid("give a location (lon and lat) or an area code", field="location")


def _placed(
    report: Report, grid_path: str | None, area: Area | None
) -> tuple[Area, float | None, float | None]:
    """The place of a report from what was looked up: the grid its point lies in, or its area code's."""
    if report.lon is None or report.lat is None:
        if area is None:
            raise Invalid(f"unknown area {report.area_code!r}", field="area_code")
        return area, None, None
    if grid_path is None or area is None:  # no grid, or removed since the index was built (rebuilt soon)
        raise Invalid("the location lies in no grid of the net", field="location")
    if report.crs != "wgs84":
        lon, lat = to_wgs84(report.lon, report.lat, report.crs)
        return area, lon, lat
    return area, report.lon, report.lat


def _place(report: Report) -> tuple[Area, float | None, float | None]:
    """The grid containing the point (converted to WGS-84), or the area chosen directly."""
    if _check_point(report):
        grid_path, _micro = locator.locate(cast(float, report.lon), cast(float, report.lat), report.crs)
        return _placed(report, grid_path, _area("path", grid_path) if grid_path else None)
    return _placed(report, None, _area("code", str(report.area_code)))


def _places(reports: Sequence[Report]) -> list[tuple[Area, float | None, float | None] | Invalid]:
    """``_place`` for many reports: the points located together (one pass of the index per coordinate
    system) and the areas read in two queries at most."""
    points: dict[str, list[int]] = {}
    checked: dict[int, Invalid] = {}
    for i, report in enumerate(reports):
        try:
            if _check_point(report):
                points.setdefault(report.crs, []).append(i)
        except Invalid as exc:
            checked[i] = exc
    grid_paths: dict[int, str | None] = {}
    for crs, indices in points.items():
        lon = np.array([reports[i].lon for i in indices], dtype=float)
        lat = np.array([reports[i].lat for i in indices], dtype=float)
        grid_paths.update(zip(indices, locator.locate_many(lon, lat, crs), strict=True))
    by_path = _areas("path", {p for p in grid_paths.values() if p})
    by_code = _areas(
        "code", {str(r.area_code) for i, r in enumerate(reports) if i not in grid_paths and r.area_code}
    )
    out: list[tuple[Area, float | None, float | None] | Invalid] = []
    for i, report in enumerate(reports):
        if i in checked:
            out.append(checked[i])
            continue
        if i in grid_paths:
            grid_path = grid_paths[i]
            area = by_path.get(grid_path) if grid_path else None
        else:
            grid_path, area = None, by_code.get(str(report.area_code))
        try:
            out.append(_placed(report, grid_path, area))
        except Invalid as exc:
            out.append(exc)
    return out


def _areas(column: str, values: set[str]) -> dict[str, Area]:
    """The areas whose ``code`` or ``path`` is among ``values``, by that value, in one plain read."""
    if not values:
        return {}
    table = Area._meta.db_table
    found: dict[str, Area] = {}
    ordered = sorted(values)
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT id, code, name, level, path FROM {table} WHERE {column} IN ({marks})",  # noqa: S608
                chunk,
            )
            for row in cursor.fetchall():
                area = Area(id=row[0], code=row[1], name=row[2], level=row[3], path=row[4])
                found[area.code if column == "code" else area.path] = area
    return found


def _text(value: str, field_name: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"{field_name} is required", field=field_name)
    if len(value) > limit:
        raise Invalid(f"{field_name} is longer than {limit} characters", field=field_name)
    if "\x00" in value:
        raise Invalid(f"{field_name} contains a NUL character", field=field_name)
    return value


def _suggested_owner(matter: Matter) -> str | None:
    """The code of the organisation the routing rules would send ``matter`` to (None: no rule, or two
    rules tie, which dispatch reports)."""
    case = routing.Case(
        matter.category_id, matter.category.parent_id, matter.area_path, matter.priority, matter.channel
    )
    try:
        rule = routing.route(case)
    except Conflict:
        return None
    return rule.organisation.code if rule is not None else None


def receive(*, actor: Any, report: Report) -> tuple[Matter, bool]:
    """Take in a matter: returns (matter, created). See ``take_in``."""
    received = take_in(actor=actor, report=report)
    return received.matter, received.created


def _caller(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _key(report: Report) -> str:
    if report.channel not in Channel.values:
        raise Invalid(f"channel must be one of {', '.join(Channel.values)}", field="channel")
    return _text(report.idempotency_key, "idempotency_key", 100)


def _draft(report: Report, known: catalogue.Catalogue, user: Any, key: str) -> Matter:
    """The matter as reported, every value checked, not yet placed, numbered or written."""
    category = _category(known, report.category)
    title = _text(report.title, "title", TITLE_LIMIT, required=True)
    description = _text(report.description, "description", DESCRIPTION_LIMIT)
    address = _text(report.address, "address", 300)
    if report.priority is not None and report.priority not in Priority.values:
        raise Invalid(f"priority must be one of {', '.join(Priority.values)}", field="priority")
    tags = [_text(t, "tags", 40) for t in report.tags][:20]
    phone = ""
    if report.reporter_phone:
        try:
            phone = validators.mobile(report.reporter_phone, field="reporter_phone")
        except validators.IdentifierError as exc:
            raise Invalid(exc.reason, field="reporter_phone") from exc
    email = ""
    if report.reporter_email:
        try:
            email = validators.email(report.reporter_email, field="reporter_email")
        except validators.IdentifierError as exc:
            raise Invalid(exc.reason, field="reporter_email") from exc
    extra = _extra(category, report.extra)
    return Matter(
        channel=report.channel,
        category=category,
        title=title,
        description=description,
        priority=report.priority or category.default_priority,
        tags=tags,
        address=address,
        reporter=user if report.channel == Channel.RESIDENT_APP else None,
        reporter_name="" if report.anonymous else _text(report.reporter_name, "reporter_name", 100),
        reporter_phone="" if report.anonymous else phone,
        reporter_email="" if report.anonymous else email,
        extra=extra,
        anonymous=report.anonymous,
        created_by=user,
        idempotency_key=key if user is not None else "",
        status=Status.RECEIVED,
    )


def _put(matter: Matter, place: tuple[Area, float | None, float | None]) -> None:
    area, matter.lon, matter.lat = place
    matter.area, matter.area_path = area, area.path


def take_in(*, actor: Any, report: Report) -> Received:
    """Take in a matter. A repeated idempotency key from the same caller returns the matter first
    created with it. Text is stored as given and escaped on output; nothing is written unless every
    check passes, and everything (matter, event, audit record, notifications) commits together."""
    user = _caller(actor)
    key = _key(report)
    if key and user is not None:
        earlier = selectors.earlier(user, key)
        if earlier is not None:
            return Received(earlier, False)
    known = catalogue.current()
    matter = _draft(report, known, user, key)
    _put(matter, _place(report))
    if user is not None:
        _check_may_report(user, matter.area_path)
    try:
        (event,) = _write(actor, user, known, [matter])
    except IntegrityError:
        if key and user is not None:  # a concurrent retry with the same key won the race
            return Received(selectors.keyed(user).get(idempotency_key=key), False)
        raise
    return Received(matter, True, event)


BATCH_LIMIT = 500


def take_in_many(*, actor: Any, reports: Sequence[Report]) -> list[Received]:
    """Take in up to ``BATCH_LIMIT`` matters at once (an integrator's batch), each exactly as ``take_in``
    would, all in one transaction: if any report is invalid, nothing is written and ``Invalid`` lists
    every bad one (``details``: index, field, code, detail). A report whose idempotency key the caller
    used before (in an earlier call or earlier in this batch) returns that matter instead of a new one.
    The answers are in the order of ``reports``."""
    if not reports:
        raise Invalid("send at least one matter", field="items")
    if len(reports) > BATCH_LIMIT:
        raise Invalid(f"send at most {BATCH_LIMIT} matters at once, not {len(reports)}", field="items")
    try:
        return _take_in_many(actor, reports)
    except IntegrityError:
        # A concurrent request took one of the idempotency keys first: this time it is found and
        # answered as a repeat (a second failure is a real error).
        return _take_in_many(actor, reports)


def _take_in_many(actor: Any, reports: Sequence[Report]) -> list[Received]:
    user = _caller(actor)
    problems: list[dict[str, Any]] = []
    bad: set[int] = set()

    def refused(index: int, exc: DomainError) -> None:
        bad.add(index)
        problems.append({"index": index, "field": exc.field, "code": exc.code, "detail": exc.message})

    keys: list[str] = []
    for i, report in enumerate(reports):
        try:
            keys.append(_key(report))
        except Invalid as exc:
            refused(i, exc)
            keys.append("")
    earlier: dict[str, Matter] = {}
    if user is not None and any(keys):
        wanted = sorted({k for k in keys if k})
        for start in range(0, len(wanted), 500):
            found = (
                selectors.keyed(user)
                .filter(idempotency_key__in=wanted[start : start + 500])
                .select_related("category")
            )
            earlier.update((m.idempotency_key, m) for m in found)
    known = catalogue.current()
    fresh: dict[int, Matter] = {}  # index → the new matter it creates
    first_with: dict[str, int] = {}  # idempotency key → index of the report that creates its matter
    repeats: dict[int, int] = {}  # index → index of the earlier report in this batch with its key
    for i, report in enumerate(reports):
        key = keys[i] if user is not None else ""
        if i in bad or key in earlier:
            continue
        if key and key in first_with:
            repeats[i] = first_with[key]
            continue
        try:
            fresh[i] = _draft(report, known, user, keys[i])
        except Invalid as exc:
            refused(i, exc)
            continue
        if key:
            first_with[key] = i
    places = _places([reports[i] for i in fresh])
    for (i, matter), place in zip(list(fresh.items()), places, strict=True):
        try:
            if isinstance(place, Invalid):
                raise place
            _put(matter, place)
            if user is not None:
                _check_may_report(user, matter.area_path)
        except (Invalid, NotFound) as exc:
            refused(i, exc)
            del fresh[i]
    if problems:
        problems.sort(key=lambda p: p["index"])
        first = problems[0]
        raise Invalid(
            f"{len(problems)} of {len(reports)} matters are invalid (first: item {first['index']}: "
            f"{first['detail']}); nothing was taken in",
            field=f"items.{first['index']}.{first['field'] or ''}".rstrip("."),
            details=problems,
        )
    indices = list(fresh)
    events = _write(actor, user, known, [fresh[i] for i in indices]) if indices else []
    made = dict(zip(indices, events, strict=True))
    out: list[Received] = []
    for i in range(len(reports)):
        if i in fresh:
            out.append(Received(fresh[i], True, made[i]))
        elif i in repeats:
            out.append(Received(fresh[repeats[i]], False))
        else:
            out.append(Received(earlier[keys[i]], False))
    return out


def _write(actor: Any, user: Any, known: catalogue.Catalogue, matters: list[Matter]) -> list[Event]:
    """Number, clock, route and write checked matters with their first events, audit records and
    notifications, in one transaction and in bulk (the single intake is a batch of one)."""
    now = timezone.now()
    label = _label(user)
    with catalogue.pinned(known):
        # what needs no database is worked out before the transaction: SQLite's write lock is held from
        # the first statement to commit (on PostgreSQL the numbers are reserved apart, see numbering)
        for matter in matters:
            deadlines.apply(matter, "register", now)
        events = [
            Event(
                matter=matter,
                actor=user,
                actor_label=label,
                action="receive",
                to_status=Status.RECEIVED,
                public_note="We have received your report.",
                data={"suggested_owner": owner} if (owner := _suggested_owner(matter)) else {},
            )
            for matter in matters
        ]
    paths = [m.area_path for m in matters]
    taken = numbering.numbers_apart(paths, now)
    with transaction.atomic(), catalogue.pinned(known):
        for matter, number in zip(matters, taken or numbering.numbers(paths, now), strict=True):
            matter.number = number
        bulk.create(matters)
        bulk.create(events)
        audit.record_many(
            actor,
            "matters.receive",
            (
                (
                    Matter._meta.label_lower,
                    str(m.pk),
                    str(m)[:200],
                    audit_registry.area_path_of(m),
                    None,
                    audit_registry.snapshot(m),
                )
                for m in matters
            ),
        )
        notices.announce_many(matters, "received", actor=actor)
        _after_intake(matters)
    return events


def _after_intake(matters: list[Matter]) -> None:
    """Called once per intake (single or batch) inside its transaction, after every row of ``matters``
    is written: the one place for work that must follow every matter taken in (statistics rollups)."""
    rollup.received_many(matters)


def _check_may_report(user: Any, path: str) -> None:
    kinds = ("matters.create", "matters.report")
    if any(scope.covers(user, p, path) for p in kinds):
        return
    if not any(scope.has_permission(user, p) for p in kinds):
        raise Forbidden("reporting matters needs matters.report or matters.create")
    raise NotFound("the location lies outside your jurisdiction")


def _label(user: Any) -> str:
    return str(user.get_username()) if user is not None else "public"
