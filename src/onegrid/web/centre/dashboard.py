"""What the dashboards (数据看板) and the big screen (大屏) show: one dictionary of figures for an area
and a period, built from ``matters.stats`` (the rollup, scoped to the caller's ``matters.stats``
grants) — never a statistic of its own. The page renders it as tables, the charts draw from the same
dictionary (embedded, or fetched as JSON by the big screen).

Figures are those of the matters *received* in the period (the cohort view of ``matters.stats``); the
one live figure is ``overdue``: of those matters, the ones still open whose deadline has passed now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onegrid.access.models import Organisation
from onegrid.areas import selectors as area_selectors
from onegrid.areas.models import Area
from onegrid.kit import scope
from onegrid.matters import counting, stats
from onegrid.matters.lifecycle import OPEN
from onegrid.matters.models import Category, Channel, Matter
from onegrid.web.centre.forms import localised, period
from onegrid.web.centre.labels import STATUS

DEFAULT_DAYS = 30
RANKED = 5  # how many areas each ranking lists at the top and at the bottom
RATES = ("response_rate", "on_time_resolution_rate", "resolution_rate", "satisfaction_rate")
EXPORTS = ("children", "organisation", "channel", "category", "day")


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days, both ends included; ``days`` is 7, 30 or 365 for the quick choices, else 0."""

    since: dt.date
    until: dt.date
    days: int

    @classmethod
    def last(cls, days: int, today: dt.date | None = None) -> Period:
        until = today or timezone.localdate()
        return cls(until - dt.timedelta(days=days - 1), until, days)

    def query(self) -> dict[str, str]:
        if self.days:
            return {"days": str(self.days)}
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


def rate_names() -> dict[str, str]:
    return {
        "response_rate": _("Response rate"),
        "on_time_resolution_rate": _("On-time resolution rate"),
        "resolution_rate": _("Resolution rate"),
        "satisfaction_rate": _("Satisfaction rate"),
    }


def overdue(q: stats.Question) -> int:
    """Matters received in the period under the question's nodes, open and past their deadline now.
    (Merged duplicates are closed, so they never count.)"""
    return (
        Matter.objects.filter(
            counting.in_nodes(q.nodes),
            status__in=list(OPEN),
            due_at__lt=timezone.now(),
            received_at__gte=period(q.since),
            received_at__lt=period(q.until, end=True),
        )
        .order_by()
        .count()
    )


def link(code: str | None, p: Period) -> str:
    """The dashboard of the area ``code`` (None: the whole scope) for the period ``p``."""
    url = reverse("centre:dashboard-area", args=[code]) if code else reverse("centre:dashboard")
    return f"{url}?{urlencode(p.query())}"


def _crumbs(actor: Any, area: Area | None, p: Period) -> list[dict[str, Any]]:
    """From the caller's whole scope down to ``area``, through the ancestors inside the scope."""
    crumbs = [{"label": _("Whole jurisdiction"), "url": link(None, p)}]
    if area is None:
        return crumbs
    granted = scope.paths_for(actor, stats.PERMISSION)
    for a in [*area_selectors.ancestors(area), area]:
        if any(a.path.startswith(g) for g in granted):
            crumbs.append({"label": localised(a.name, a.name_en), "url": link(a.code, p)})
    crumbs[-1]["url"] = ""  # where we are
    return crumbs


def _rate_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "total": row["total"],
        "closed": row["closed"],
        "resolved_locally_share": row["resolved_locally_share"],
        "median_hours_to_close": row["median_hours_to_close"],
        **{r: row[r] for r in RATES},
    }


def _children(q: stats.Question, p: Period, memo: stats.Memo) -> list[dict[str, Any]]:
    rows = stats.breakdown(q, "children", memo=memo)
    areas = {
        a.path: a
        for a in Area.objects.filter(path__in=[r["key"] for r in rows]).only(
            "code", "name", "name_en", "level", "path"
        )
    }
    out = []
    for row in rows:
        area = areas.get(row["key"])
        if area is None:  # a node removed since its matters were counted
            continue
        out.append(
            {
                "code": area.code,
                "label": localised(area.name, area.name_en),
                "url": link(area.code, p),
                **_rate_row(row),
            }
        )
    return sorted(out, key=lambda r: (-r["total"], r["code"]))


def _organisations(q: stats.Question, memo: stats.Memo) -> list[dict[str, Any]]:
    rows = stats.breakdown(q, "organisation", memo=memo)
    ids = [int(r["key"]) for r in rows if r["key"]]
    names = {
        str(o.pk): localised(o.name, o.name_en)
        for o in Organisation.objects.filter(pk__in=ids).only("name", "name_en")
    }
    out = [{"label": names.get(r["key"]) or _("no responsible organisation"), **_rate_row(r)} for r in rows]
    return sorted(out, key=lambda r: (-r["total"], r["label"]))


def _rankings(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Top and bottom children by the on-time resolution rate and by the satisfaction rate (areas
    without the figure are left out; the bottom list never repeats the top one)."""
    names = rate_names()
    out = []
    for rate in ("on_time_resolution_rate", "satisfaction_rate"):
        rated = sorted(
            (c for c in children if c[rate] is not None), key=lambda c: (-c[rate], -c["total"], c["code"])
        )
        top = rated[:RANKED]
        bottom = list(reversed(rated[max(RANKED, len(rated) - RANKED) :]))
        out.append({"rate": rate, "label": names[rate], "top": top, "bottom": bottom})
    return out


def _exports(area: Area | None, p: Period) -> list[dict[str, str]]:
    names = {
        "children": _("By area"),
        "organisation": _("By organisation"),
        "channel": _("By source"),
        "category": _("By category"),
        "day": _("By day"),
    }
    query = {"since": p.since.isoformat(), "until": p.until.isoformat()}
    if area is not None:
        query["area"] = area.code
    out = []
    for by in EXPORTS:
        base = f"/api/v1/matters/stats/by/{by}/export"
        out.append(
            {
                "label": names[by],
                "csv": f"{base}?{urlencode({**query, 'format': 'csv'})}",
                "xlsx": f"{base}?{urlencode({**query, 'format': 'xlsx'})}",
            }
        )
    return out


def _days(summary: dict[str, Any], p: Period) -> list[dict[str, Any]]:
    counts = summary.get("by_day") or {}
    out, day = [], p.since
    while day <= p.until:
        out.append({"day": day.isoformat(), "n": counts.get(day.isoformat(), 0)})
        day += dt.timedelta(days=1)
    return out


def board(actor: Any, *, area: str | None, p: Period) -> dict[str, Any]:
    """Everything the dashboard shows for ``area`` (a code inside the caller's statistics scope, else
    NotFound; None: the whole scope) over ``p``. JSON-serialisable."""
    q = stats.ask(actor, since=p.since, until=p.until, area=area)
    node = (
        Area.objects.filter(code=area).only("code", "name", "name_en", "level", "path", "parent_id").first()
        if area
        else None
    )
    memo: stats.Memo = {}  # below the rollup, the node's matters are read once for every answer
    summary = stats.summary(q, memo=memo)
    names = dict(Channel.choices)
    channels = [
        {"key": k, "label": str(names.get(k, k)), "n": n}
        for k, n in sorted((summary.get("by_channel") or {}).items(), key=lambda kv: -kv[1])
    ]
    by_category = summary.get("by_category") or {}
    categories_named = {
        c.code: localised(c.name, c.name_en)
        for c in Category.objects.filter(code__in=list(by_category)).only("code", "name", "name_en")
    }
    categories = [
        {"key": k, "label": categories_named.get(k, k), "n": n}
        for k, n in sorted(by_category.items(), key=lambda kv: -kv[1])
    ]
    by_status = summary.get("by_status") or {}
    children = _children(q, p, memo)
    figures = {k: summary[k] for k in stats.figures({})}
    return {
        "area": (
            {"code": node.code, "label": localised(node.name, node.name_en), "level": int(node.level)}
            if node
            else None
        ),
        "period": {"since": p.since.isoformat(), "until": p.until.isoformat(), "days": p.days},
        "figures": figures
        | {
            "open": sum(n for s, n in by_status.items() if s in OPEN),
            "overdue": overdue(q),
        },
        "statuses": [
            {"key": s, "label": str(STATUS.get(s, s)), "n": n} for s, n in by_status.items() if s in STATUS
        ],
        "channels": channels,
        "categories": categories,
        "days": _days(summary, p),
        "children": children,
        "organisations": _organisations(q, memo),
        "rankings": _rankings(children),
        "crumbs": _crumbs(actor, node, p),
        "exports": _exports(node, p),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
    }
