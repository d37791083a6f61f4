"""Intake (受理): every channel's matter comes in once, is located to its grid and numbered."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from onegrid.areas.locator import locator
from onegrid.areas.models import Area
from onegrid.audit import services as audit
from onegrid.kit import scope, validators
from onegrid.kit.errors import Forbidden, Invalid, NotFound
from onegrid.kit.geo import to_wgs84
from onegrid.matters import deadlines, notices, numbering, rollup
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
    anonymous: bool = False
    idempotency_key: str = ""


def _category(code: str) -> Category:
    category = Category.objects.select_related("parent").filter(code=code, is_active=True).first()
    if category is None:
        raise Invalid(f"unknown category {code!r}", field="category")
    if category.children.filter(is_active=True).exists():
        raise Invalid(f"{code!r} is a group; choose one of its categories", field="category")
    return category


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
        code = grid_path.strip("/").rsplit("/", 1)[-1]
        area = Area.objects.defer("geometry", "geometry_wkb").get(code=code)
        if report.crs != "wgs84":
            lon, lat = to_wgs84(report.lon, report.lat, report.crs)
            return area, lon, lat
        return area, report.lon, report.lat
    if report.area_code:
        chosen: Area | None = (
            Area.objects.defer("geometry", "geometry_wkb").filter(code=report.area_code).first()
        )
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


def receive(*, actor: Any, report: Report) -> tuple[Matter, bool]:
    """Take in a matter: returns (matter, created). A repeated idempotency key from the same caller
    returns the matter first created with it. Text is stored as given and escaped on output."""
    if report.channel not in Channel.values:
        raise Invalid(f"channel must be one of {', '.join(Channel.values)}", field="channel")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    key = _text(report.idempotency_key, "idempotency_key", 100)
    if key and user is not None:
        earlier = Matter.objects.filter(created_by=user, idempotency_key=key).first()
        if earlier is not None:
            return earlier, False
    category = _category(report.category)
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
        anonymous=report.anonymous,
        created_by=user,
        idempotency_key=key if user is not None else "",
        status=Status.RECEIVED,
    )
    try:
        with transaction.atomic():
            matter.number = numbering.next_number(area.path, now)
            deadlines.apply(matter, "register", now)
            matter.save()
            rollup.received(matter)
            Event.objects.create(
                matter=matter,
                actor=user,
                actor_label=_label(user),
                action="receive",
                to_status=Status.RECEIVED,
                public_note="We have received your report.",
            )
            audit.record(actor, "matters.receive", matter)
            notices.announce(matter, "received", actor=actor)
    except IntegrityError:
        if key and user is not None:  # a concurrent retry with the same key won the race
            return Matter.objects.get(created_by=user, idempotency_key=key), False
        raise
    return matter, True


def _check_may_report(user: Any, path: str) -> None:
    kinds = ("matters.create", "matters.report")
    if any(scope.covers(user, p, path) for p in kinds):
        return
    if not any(scope.has_permission(user, p) for p in kinds):
        raise Forbidden("reporting matters needs matters.report or matters.create")
    raise NotFound("the location lies outside your jurisdiction")


def _label(user: Any) -> str:
    return str(user.get_username()) if user is not None else "public"
