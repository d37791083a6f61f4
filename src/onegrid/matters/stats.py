"""Statistics of the one net (统计) for a period of whole days, per node of the hierarchy or per
organisation, scoped to the caller's ``matters.stats`` grants: counts by source (channel), category,
area, level, status and day; the three rates (三率); the share resolved at township or village level;
the median time to close.

Definitions (documented so that figures can be compared; all are over the matters *received* in the
period, counted once — a merged duplicate counts in its primary):

- response rate (响应率) = matters signed for on time ÷ matters signed for;
- on-time resolution rate (按时办结率) = matters resolved on time ÷ matters resolved;
- resolution rate (解决率) = follow-up calls reporting "solved" ÷ calls that reached the caller,
  falling back to ratings ≥ 3 ÷ ratings where no call was made;
- satisfaction rate (满意率) = (satisfied or basically satisfied calls + ratings 4–5) ÷ (calls that
  reached the caller + ratings);
- resolved at township or village level = closed matters whose responsible organisation is at
  township level or below ÷ closed matters;
- median hours to close: from the close-time histogram (buckets 2^(1/3) ≈ 1.26× wide, see
  ``rollup.EDGES``), interpolated linearly inside the median's bucket, whose bounds are given too —
  the one approximate figure; everything else is exact.

Where the rollup holds the question (nodes down to counties with any dimension, townships as
children) it answers from ``Tally``; below that it reads the matters of the node directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext

from onegrid.access.models import Organisation
from onegrid.areas.levels import Level
from onegrid.areas.models import Area
from onegrid.kit import scope
from onegrid.kit.errors import Invalid, NotFound
from onegrid.matters import rollup
from onegrid.matters.models import BUCKETS, MEASURES, Category, Channel, FollowUpCall, Matter, Rating, Tally

PERMISSION = "matters.stats"
GROUPS = ("children", "organisation", "day", "channel", "category", "status", "level")
DIM_OF = {
    "organisation": "org",
    "channel": "channel",
    "category": "category",
    "status": "status",
    "level": "level",
}
MAX_DAYS = 3660

Vector = dict[str, int]
Memo = dict[str, list[tuple[rollup.State, Vector]]]  # a node's counted matters, read once per answer


@dataclass(frozen=True, slots=True)
class Question:
    """Who asks about which nodes (area paths, disjoint), which days (inclusive), which organisation."""

    nodes: tuple[str, ...]
    since: dt.date
    until: dt.date
    organisation: Organisation | None = None

    @property
    def org_value(self) -> str | None:
        return str(self.organisation.pk) if self.organisation is not None else None


def ask(
    actor: Any,
    *,
    since: dt.date,
    until: dt.date,
    area: str | None = None,
    organisation: str | None = None,
) -> Question:
    """The question in the caller's scope: ``area`` (a code) must lie inside it (else 404); without
    it, the caller's whole scope. ``organisation`` is an organisation code."""
    if until < since:
        raise Invalid("until is before since", field="until")
    if (until - since).days >= MAX_DAYS:
        raise Invalid(f"choose a period of at most {MAX_DAYS} days", field="since")
    granted = scope.paths_for(actor, PERMISSION)
    if area:
        node = Area.objects.filter(code=area).values_list("path", flat=True).first()
        if node is None or not any(node.startswith(p) for p in granted):
            raise NotFound(f"area {area} not found")
        nodes: tuple[str, ...] = (node,)
    else:
        nodes = tuple(granted)
    org = None
    if organisation:
        org = Organisation.objects.filter(code=organisation).first()
        if org is None:
            raise NotFound(f"organisation {organisation} not found")
    return Question(nodes=nodes, since=since, until=until, organisation=org)


# ------------------------------------------------------------------------------------- figures


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def median_hours(hist: Sequence[int]) -> tuple[float | None, tuple[float, float | None] | None]:
    """The median close time from a histogram, interpolated in its bucket, and that bucket's bounds."""
    total = sum(hist)
    if not total:
        return None, None
    half, seen = total / 2, 0
    for k, count in enumerate(hist):
        if count and seen + count >= half:
            low, high = rollup.bucket_bounds(k)
            if high == float("inf"):
                return round(low, 2), (round(low, 2), None)
            return round(low + (high - low) * (half - seen) / count, 2), (round(low, 2), round(high, 2))
        seen += count
    return None, None  # pragma: no cover - the loop always reaches half


def figures(v: Mapping[str, int]) -> dict[str, Any]:
    """Counts, the three rates, the local share and the median close time from summed measures."""
    m = {k: int(v.get(k) or 0) for k in (*MEASURES, *BUCKETS)}
    median, bounds = median_hours([m[b] for b in BUCKETS])
    calls, ratings = m["calls"], m["ratings"]
    return {
        "total": m["n"],
        "signed_for": m["accepted"],
        "signed_for_on_time": m["accepted_on_time"],
        "resolved": m["judged"],
        "resolved_on_time": m["resolved_on_time"],
        "closed": m["closed"],
        "closed_locally": m["closed_local"],
        "ratings": ratings,
        "calls": calls,
        "response_rate": _ratio(m["accepted_on_time"], m["accepted"]),
        "on_time_resolution_rate": _ratio(m["resolved_on_time"], m["judged"]),
        "resolution_rate": _ratio(m["calls_solved"], calls) if calls else _ratio(m["ratings_ok"], ratings),
        "satisfaction_rate": _ratio(m["calls_satisfied"] + m["ratings_good"], calls + ratings),
        "resolved_locally_share": _ratio(m["closed_local"], m["closed"]),
        "median_hours_to_close": median,
        "median_bucket_hours": list(bounds) if bounds else None,
    }


# ---------------------------------------------------------------------------------- the engine


def _tally_holds(node: str, dim: str, *, children: bool) -> bool:
    depth = rollup._depth(node) + (1 if children else 0)
    return depth <= rollup.FULL_DEPTH or (depth <= rollup.TOTAL_DEPTH and dim == "")


def sums(
    q: Question,
    group: str | None,
    *,
    dim: str = "",
    columns: Sequence[str] = rollup.COLUMNS,
    memo: Memo | None = None,
) -> dict[Any, Vector]:
    """Summed measures per group key: None (one total), "value" of ``dim``, "day", or "child" (the
    child node of the asked node). Answers from the rollup where it holds the question."""
    if q.organisation is not None:
        if dim:
            raise Invalid(
                "an organisation's figures are not split by another dimension", field="organisation"
            )
        dim = "org"
    children = group == "child"
    out: dict[Any, Vector] = {}
    for node in q.nodes:
        if _tally_holds(node, dim, children=children):
            part = _from_tally(q, node, group, dim, children=children, columns=columns)
        else:
            part = _direct(q, node, group, dim, memo=memo)
        if not out:
            out = part
            continue
        for key, v in part.items():
            into = out.setdefault(key, {})
            for c, n in v.items():
                into[c] = into.get(c, 0) + n
    return {k: v for k, v in out.items() if v.get("n")}


def _spans(q: Question, dim: str, group: str | None) -> list[tuple[str, dt.date, dt.date]]:
    """(dim, first day, last day) ranges covering the period: whole calendar months from the monthly
    rows where the dimension has them (and the answer is not per day), the ragged ends from weekly
    rows (whole weeks, keyed by their Monday) and days."""
    monthly = rollup.MONTHLY.get(dim)
    first = q.since if q.since.day == 1 else (q.since.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    end = (q.until + dt.timedelta(days=1)).replace(day=1)  # first day of the month after the last whole one
    if monthly is None or group == "day":
        return [(dim, q.since, q.until)]
    if first >= end:
        return _weeks(dim, q.since, q.until)
    spans = [(monthly, first, end - dt.timedelta(days=1))]
    if q.since < first:
        spans += _weeks(dim, q.since, first - dt.timedelta(days=1))
    if end <= q.until:
        spans += _weeks(dim, end, q.until)
    return spans


def _weeks(dim: str, since: dt.date, until: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Whole weeks of ``since``..``until`` from the weekly rows, the days before and after from days."""
    weekly = rollup.WEEKLY.get(dim)
    start = since + dt.timedelta(days=-since.weekday() % 7)  # the first Monday on or after since
    stop = until - dt.timedelta(days=(until.weekday() + 1) % 7)  # the last Sunday on or before until
    if weekly is None or start > stop:
        return [(dim, since, until)]
    spans = [(weekly, start, stop)]
    if since < start:
        spans.append((dim, since, start - dt.timedelta(days=1)))
    if stop < until:
        spans.append((dim, stop + dt.timedelta(days=1), until))
    return spans


def _from_tally(
    q: Question, node: str, group: str | None, dim: str, *, children: bool, columns: Sequence[str]
) -> dict[Any, Vector]:
    """One grouped query over the rows of every span of the period (months, weeks, days), read from the
    driver's cursor as they come (a province by organisation is thousands of rows of ~50 sums)."""
    field = {"value": "value", "day": "day", "child": "area_path"}.get(group or "")
    spans = Q()
    for name, first, last in _spans(q, dim, group):
        spans |= Q(dim=name, day__gte=first, day__lte=last)
    qs = Tally.objects.filter(spans)
    qs = qs.filter(parent=node) if children else qs.filter(area_path=node)
    if q.org_value is not None:
        qs = qs.filter(value=q.org_value)
    measures = {c: Sum(c) for c in columns}
    if field is None:  # one total: sums of no rows are NULL
        return {None: {c: n or 0 for c, n in qs.aggregate(**measures).items()}}
    sql, params = qs.order_by().values(field).annotate(**measures).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return {
        (dt.date.fromisoformat(row[0]) if field == "day" and isinstance(row[0], str) else row[0]): dict(
            zip(columns, row[1:], strict=True)
        )
        for row in found
    }


def _direct(
    q: Question,
    node: str,
    group: str | None,
    dim: str,
    *,
    memo: Memo | None = None,
) -> dict[Any, Vector]:
    """The same sums computed from the matters of ``node`` (for nodes below the rollup); ``memo`` keeps
    the matters read for one answer, so its several groupings read them once."""
    if memo is not None and node in memo:
        rows = memo[node]
    else:
        rows = _node_matters(q, node)
        if memo is not None:
            memo[node] = rows
    depth = rollup._depth(node)
    out: dict[Any, Vector] = {}
    for s, v in rows:
        if group == "child":
            chain = rollup.ancestors(s.area_path)
            if len(chain) <= depth + 1:
                continue
            key: Any = chain[depth + 1]
        elif group == "day":
            key = s.day
        elif group == "value":
            key = rollup.dim_value(s, dim)
        else:
            key = None
        into = out.setdefault(key, {})
        for c, n in v.items():
            into[c] = into.get(c, 0) + n
    return out


def _node_matters(q: Question, node: str) -> list[tuple[rollup.State, Vector]]:
    """Each counted matter of ``node`` in the period with its measures."""
    # The node's matters by a range on the path (not LIKE, which SQLite cannot take to an index); the
    # days are compared on the local date, which no index serves, so the planners read the path index
    # (a node below a county holds few matters) rather than a province-wide day range.
    qs = (
        Matter.objects.filter(  # merged duplicates are skipped below: "IS NULL" lures SQLite to its FK index
            area_path__gte=node,
            area_path__lt=node[:-1] + "0",  # "0" follows "/": every path below node sorts before it
        )
        .annotate(local_day=TruncDate("received_at", tzinfo=rollup.zone()))
        .filter(local_day__gte=q.since, local_day__lte=q.until)
        .order_by()
    )
    if q.organisation is not None:
        qs = qs.filter(owner=q.organisation)
    matters = list(qs.only(*rollup.STATE_FIELDS, "merged_into_id"))
    ids = [m.pk for m in matters if m.merged_into_id is None]
    scores: dict[int, int] = {}
    calls: dict[int, Vector] = {}
    for i in range(0, len(ids), 5000):
        part = ids[i : i + 5000]
        scores.update(Rating.objects.filter(matter_id__in=part).values_list("matter_id", "score"))
        for row in (
            FollowUpCall.objects.filter(matter_id__in=part, reached=True)
            .values("matter_id")
            .annotate(
                calls=Count("pk"),
                calls_solved=Count("pk", filter=Q(solved=True)),
                calls_satisfied=Count("pk", filter=Q(satisfaction__in=rollup.SATISFIED)),
            )
        ):
            calls[row["matter_id"]] = {k: row[k] for k in ("calls", "calls_solved", "calls_satisfied")}
    rows: list[tuple[rollup.State, Vector]] = []
    for m in matters:
        s = rollup.State.of(m)
        if s.merged:
            continue
        v = rollup.own_measures(s)
        if m.pk in scores:
            v = rollup._plus(v, rollup.rating_measures(scores[m.pk]))
        if m.pk in calls:
            v = rollup._plus(v, calls[m.pk])
        rows.append((s, v))
    return rows


# ------------------------------------------------------------------------------------- answers


def summary(q: Question, *, memo: Memo | None = None) -> dict[str, Any]:
    """The figures of the question, with counts by channel, category, status, level and day. ``memo``
    (a dict kept by the caller) lets several answers to one question read matters below the rollup once."""
    memo = {} if memo is None else memo
    total = sums(q, None, memo=memo).get(None, {})
    out: dict[str, Any] = {"period": {"since": q.since, "until": q.until}, "areas": list(q.nodes)}
    out["organisation"] = q.organisation.code if q.organisation else None
    out.update(figures(total))
    if q.organisation is None:
        codes = dict(Category.objects.values_list("pk", "code"))
        for name in ("channel", "category", "status", "level"):
            counts = sums(q, "value", dim=name, columns=("n",), memo=memo)
            label = (lambda v: codes.get(int(v), v)) if name == "category" else str
            out[f"by_{name}"] = {label(k): v["n"] for k, v in sorted(counts.items())}
    out["by_day"] = {str(k): v["n"] for k, v in sorted(sums(q, "day", columns=("n",), memo=memo).items())}
    return out


def breakdown(q: Question, by: str, *, memo: Memo | None = None) -> list[dict[str, Any]]:
    """One row of figures per child node, organisation, day, channel, category, status or level."""
    if by not in GROUPS:
        raise Invalid(f"by must be one of {', '.join(GROUPS)}", field="by")
    if by == "children":
        rows = sums(q, "child", memo=memo)
    elif by == "day":
        rows = sums(q, "day", memo=memo)
    else:
        if q.organisation is not None:
            raise Invalid(
                "an organisation's figures are not split by another dimension", field="organisation"
            )
        rows = sums(q, "value", dim=DIM_OF[by], memo=memo)
    labels = _labels(by, [str(k) for k in rows])
    return [
        {"key": str(k), "label": labels.get(str(k), str(k))} | figures(v)
        for k, v in sorted(rows.items(), key=lambda kv: str(kv[0]))
    ]


def _labels(by: str, keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    if by == "children":
        return {
            path: f"{name} ({code})"
            for path, name, code in Area.objects.filter(path__in=keys).values_list("path", "name", "code")
        }
    if by == "organisation":
        ids = [int(k) for k in keys if k]
        names = {
            str(pk): name for pk, name in Organisation.objects.filter(pk__in=ids).values_list("pk", "name")
        }
        return names | {"": gettext("no responsible organisation")}
    if by == "category":
        return {
            str(pk): f"{name} ({code})"
            for pk, code, name in Category.objects.values_list("pk", "code", "name")
        }
    if by == "channel":
        return {value: str(label) for value, label in Channel.choices}
    if by == "level":
        return {str(int(level)): level.name.lower().replace("_", " ") for level in Level} | {"": "—"}
    return {}
