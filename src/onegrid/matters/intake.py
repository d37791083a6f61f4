"""Intake (受理): every channel's matter comes in once, is located to its grid and numbered.

One call of ``receive`` checks the report, locates it, files it under its category, starts the
register clock, asks the routing rules where it would go (recorded on the receive event for the
command centre), and writes the matter, its first timeline event, the audit record and the
notifications in one transaction. The configuration it reads (categories, deadline policies, routing
rules) is held in the process (``catalogue``); the net in the locate index (``areas.locator``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from onegrid.areas.locator import locator
from onegrid.areas.models import Area
from onegrid.audit import services as audit
from onegrid.kit import scope, validators
from onegrid.kit.errors import Conflict, Forbidden, Invalid, NotFound
from onegrid.kit.geo import to_wgs84
from onegrid.matters import catalogue, deadlines, definitions, notices, numbering, rollup, routing
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


def _place(report: Report) -> tuple[Area, float | None, float | None]:
    """The grid containing the point (converted to WGS-84), or the area chosen directly."""
    if report.lon is not None or report.lat is not None:
        if report.lon is None or report.lat is None:
            raise Invalid("give both lon and lat", field="lat" if report.lat is None else "lon")
        for name, value, bound in (("lon", report.lon, 180.0), ("lat", report.lat, 90.0)):
            if not math.isfinite(value) or abs(value) > bound:
                raise Invalid(f"{name} {value} is outside [-{bound:g}, {bound:g}]", field=name)
        grid_path, _micro = locator.locate(report.lon, report.lat, report.crs)
        if grid_path is None:
            raise Invalid("the location lies in no grid of the net", field="location")
        area = _area("path", grid_path)
        if area is None:  # removed since the index was built; it is rebuilt within a second
            raise Invalid("the location lies in no grid of the net", field="location")
        if report.crs != "wgs84":
            lon, lat = to_wgs84(report.lon, report.lat, report.crs)
            return area, lon, lat
        return area, report.lon, report.lat
    if report.area_code:
        chosen = _area("code", report.area_code)
        if chosen is None:
            raise Invalid(f"unknown area {report.area_code!r}", field="area_code")
        return chosen, None, None
    raise Invalid("give a location (lon and lat) or an area code", field="location")


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


def take_in(*, actor: Any, report: Report) -> Received:
    """Take in a matter. A repeated idempotency key from the same caller returns the matter first
    created with it. Text is stored as given and escaped on output; nothing is written unless every
    check passes, and everything (matter, event, audit record, notifications) commits together."""
    if report.channel not in Channel.values:
        raise Invalid(f"channel must be one of {', '.join(Channel.values)}", field="channel")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    key = _text(report.idempotency_key, "idempotency_key", 100)
    if key and user is not None:
        earlier = Matter.objects.filter(created_by=user, idempotency_key=key).first()
        if earlier is not None:
            return Received(earlier, False)
    known = catalogue.current()
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
    area, lon, lat = _place(report)
    if user is not None:
        _check_may_report(user, area.path)
    now = timezone.now()
    matter = Matter(
        channel=report.channel,
        category=category,
        title=title,
        description=description,
        priority=report.priority or category.default_priority,
        tags=tags,
        area=area,
        area_path=area.path,
        lon=lon,
        lat=lat,
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
    try:
        with transaction.atomic():
            matter.number = numbering.next_number(area.path, now)
            deadlines.apply(matter, "register", now)
            suggested = _suggested_owner(matter)
            matter.save()
            rollup.received(matter)
            event = Event.objects.create(
                matter=matter,
                actor=user,
                actor_label=_label(user),
                action="receive",
                to_status=Status.RECEIVED,
                public_note="We have received your report.",
                data={"suggested_owner": suggested} if suggested else {},
            )
            audit.record(actor, "matters.receive", matter)
            notices.announce(matter, "received", actor=actor)
    except IntegrityError:
        if key and user is not None:  # a concurrent retry with the same key won the race
            return Received(Matter.objects.get(created_by=user, idempotency_key=key), False)
        raise
    return Received(matter, True, event)


def _check_may_report(user: Any, path: str) -> None:
    kinds = ("matters.create", "matters.report")
    if any(scope.covers(user, p, path) for p in kinds):
        return
    if not any(scope.has_permission(user, p) for p in kinds):
        raise Forbidden("reporting matters needs matters.report or matters.create")
    raise NotFound("the location lies outside your jurisdiction")


def _label(user: Any) -> str:
    return str(user.get_username()) if user is not None else "public"
