"""/api/v1/matters/stats: the summary, breakdowns (drill-down by child node, by organisation, day,
channel, category, status, level) and their export as CSV or Excel, scoped to the caller."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Literal

import xlsxwriter
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import Router, Schema

from onegrid.access.auth import require
from onegrid.kit.errors import Invalid
from onegrid.matters import stats
from onegrid.matters.schemas import Problem

router = Router()
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 422: Problem}
By = Literal["children", "organisation", "day", "channel", "category", "status", "level"]
DEFAULT_DAYS = 30


class Figures(Schema):
    total: int
    signed_for: int
    signed_for_on_time: int
    resolved: int
    resolved_on_time: int
    closed: int
    closed_locally: int
    ratings: int
    calls: int
    response_rate: float | None
    on_time_resolution_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    resolved_locally_share: float | None
    median_hours_to_close: float | None
    median_bucket_hours: list[float | None] | None


class Period(Schema):
    since: dt.date
    until: dt.date


class SummaryOut(Figures):
    period: Period
    areas: list[str]
    organisation: str | None
    by_channel: dict[str, int] | None = None
    by_category: dict[str, int] | None = None
    by_status: dict[str, int] | None = None
    by_level: dict[str, int] | None = None
    by_day: dict[str, int]


class Row(Figures):
    key: str
    label: str


class BreakdownOut(Schema):
    by: str
    period: Period
    areas: list[str]
    organisation: str | None
    rows: list[Row]


def _day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        day = parse_date(value)
        moment = parse_datetime(value) if day is None else None
    except ValueError:  # well formed but not a real date (2026-13-01)
        day = moment = None
    if day is None:
        if moment is None:
            raise Invalid(f"{name} must be a date (YYYY-MM-DD)", field=name)
        day = timezone.localtime(moment if timezone.is_aware(moment) else timezone.make_aware(moment)).date()
    return day


def _question(
    request: HttpRequest, since: str | None, until: str | None, area: str | None, organisation: str | None
) -> stats.Question:
    actor = require(request, stats.PERMISSION)
    last = _day(until, "until") or timezone.localdate()
    first = _day(since, "since") or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    return stats.ask(actor, since=first, until=last, area=area, organisation=organisation)


@router.get("/summary", response={200: SummaryOut, **ERRORS}, summary="Counts, the three rates and more")
def summary(
    request: HttpRequest,
    since: str | None = None,
    until: str | None = None,
    area: str | None = None,
    organisation: str | None = None,
) -> Any:
    """Figures for the days ``since``..``until`` (inclusive, default the last 30 days) of the area
    ``area`` (a code; default: the caller's whole scope), or of one responsible organisation."""
    return stats.summary(_question(request, since, until, area, organisation))


@router.get(
    "/by/{by}", response={200: BreakdownOut, **ERRORS}, summary="Figures per child area, organisation, day…"
)
def breakdown(
    request: HttpRequest,
    by: By,
    since: str | None = None,
    until: str | None = None,
    area: str | None = None,
    organisation: str | None = None,
) -> Any:
    """One row of figures per child area of ``area`` (drill-down), per organisation, day, channel,
    category, status or level of the responsible organisation."""
    q = _question(request, since, until, area, organisation)
    return _breakdown(q, by)


def _breakdown(q: stats.Question, by: str) -> dict[str, Any]:
    return {
        "by": by,
        "period": {"since": q.since, "until": q.until},
        "areas": list(q.nodes),
        "organisation": q.organisation.code if q.organisation else None,
        "rows": stats.breakdown(q, by),
    }


def columns() -> list[tuple[str, str]]:
    """(field, heading) of an export, headings in the request's language."""
    return [
        ("key", _("Key")),
        ("label", _("Name")),
        ("total", pgettext("statistics column", "Matters")),
        ("signed_for", _("Signed for")),
        ("signed_for_on_time", _("Signed for on time")),
        ("response_rate", _("Response rate")),
        ("resolved", _("Resolved")),
        ("resolved_on_time", _("Resolved on time")),
        ("on_time_resolution_rate", _("On-time resolution rate")),
        ("resolution_rate", _("Resolution rate")),
        ("satisfaction_rate", _("Satisfaction rate")),
        ("closed", _("Closed")),
        ("closed_locally", _("Closed at township or village level")),
        ("resolved_locally_share", _("Share resolved at township or village level")),
        ("ratings", _("Ratings")),
        ("calls", _("Follow-up calls reached")),
        ("median_hours_to_close", _("Median hours to close")),
    ]


@router.get(
    "/by/{by}/export",
    response={200: None, **ERRORS},
    summary="A breakdown as CSV or Excel",
    openapi_extra={
        "responses": {
            "200": {
                "description": "the breakdown as a file",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            }
        }
    },
)
def export(
    request: HttpRequest,
    by: By,
    format: Literal["csv", "xlsx"] = "csv",
    since: str | None = None,
    until: str | None = None,
    area: str | None = None,
    organisation: str | None = None,
) -> HttpResponse:
    """The rows of ``/by/{by}`` as a file; headings follow the request's language (zh-Hans or en)."""
    q = _question(request, since, until, area, organisation)
    rows = stats.breakdown(q, by)
    cols = columns()
    scope = "-".join(p.strip("/").rsplit("/", 1)[-1] or "all" for p in q.nodes) or "none"
    name = f"stats-{by}-{scope}-{q.since:%Y%m%d}-{q.until:%Y%m%d}.{format}"
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([heading for _f, heading in cols])
        for row in rows:
            writer.writerow(["" if row[f] is None else row[f] for f, _h in cols])
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )  # BOM: Excel opens UTF-8
    else:
        response = HttpResponse(
            _xlsx(cols, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


def _xlsx(cols: list[tuple[str, str]], rows: list[dict[str, Any]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet(_("Statistics"))
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.00%"})
    for j, (_f, heading) in enumerate(cols):
        sheet.write_string(0, j, heading, bold)
    for i, row in enumerate(rows, start=1):
        for j, (f, _h) in enumerate(cols):
            value = row[f]
            if value is None:
                continue
            if f.endswith(("rate", "share")):
                sheet.write_number(i, j, value, percent)
            elif isinstance(value, int | float):
                sheet.write_number(i, j, value)
            else:
                sheet.write_string(i, j, str(value))
    book.close()
    return out.getvalue()
