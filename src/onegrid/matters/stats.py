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

import contextlib
import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext
from numpy.typing import NDArray

from onegrid.access.models import Organisation
from onegrid.areas.levels import Level
from onegrid.areas.models import Area
from onegrid.kit import scope
from onegrid.kit.errors import Invalid, NotFound
from onegrid.matters import rollup
from onegrid.matters.models import (
    BUCKETS,
    HISTOGRAM,
    MEASURES,
    Category,
    Channel,
    FollowUpCall,
    Matter,
    Rating,
    Tally,
)

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


_EDGES = [rollup.bucket_bounds(k) for k in range(HISTOGRAM)]
_LOW, _HIGH = np.array([low for low, _ in _EDGES]), np.array([high for _, high in _EDGES])
_BOUNDS: tuple[tuple[float, float | None], ...] = tuple(
    (round(low, 2), None if high == math.inf else round(high, 2)) for low, high in _EDGES
)


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
            low, high = _EDGES[k]
            if high == math.inf:
                return _BOUNDS[k][0], _BOUNDS[k]
            return round(low + (high - low) * (half - seen) / count, 2), _BOUNDS[k]
        seen += count
    return None, None  # pragma: no cover - the loop always reaches half


def _medians(
    hist: NDArray[np.int64],
) -> tuple[list[float | None], list[tuple[float, float | None] | None]]:
    """``median_hours`` of each row of ``hist``."""
    total = hist.sum(axis=1)
    ahead = np.cumsum(hist, axis=1)
    half = total / 2
    k = np.argmax(ahead >= half[:, None], axis=1)  # its count is > 0: the bucket before is below half
    rows = np.arange(len(hist))
    count = hist[rows, k]
    seen = ahead[rows, k] - count
    low, high = _LOW[k], _HIGH[k]
    with np.errstate(invalid="ignore", divide="ignore"):  # empty rows and the open bucket: not used
        at = low + (high - low) * (half - seen) / count
    medians: list[float | None] = []
    bounds: list[tuple[float, float | None] | None] = []
    for n, b, x in zip(total.tolist(), k.tolist(), at.tolist(), strict=True):
        if not n:
            medians.append(None)
            bounds.append(None)
            continue
        medians.append(_BOUNDS[b][0] if _BOUNDS[b][1] is None else round(x, 2))
        bounds.append(_BOUNDS[b])
    return medians, bounds


def _ratios(part: NDArray[np.int64], whole: NDArray[np.int64]) -> list[float | None]:
    """``_ratio`` of each pair: numpy divides the same doubles Python does for integers below 2^53."""
    with np.errstate(invalid="ignore", divide="ignore"):
        quotient = part / whole
    return [round(x, 4) if w else None for x, w in zip(quotient.tolist(), whole.tolist(), strict=True)]


def figures(v: Mapping[str, int]) -> dict[str, Any]:
    """Counts, the three rates, the local share and the median close time from summed measures."""
    m = {k: int(v.get(k) or 0) for k in rollup.COLUMNS}
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


def figures_of(values: NDArray[np.int64]) -> list[dict[str, Any]]:
    """``figures`` of every row of ``values`` (one column per ``rollup.COLUMNS``), computed column by
    column: a province by organisation is thousands of rows, where ``figures`` row by row took 24 µs
    each. The same definitions as ``figures`` (which stays for single answers, where numpy's overhead
    is the larger), with the same floating-point operations in the same order: the tests hold both to
    the definitions on random sums."""
    return _records(_figure_columns(values))


def _figure_columns(values: NDArray[np.int64]) -> dict[str, list[Any]]:
    """The figures of every row of ``values`` as columns (see ``figures_of``)."""
    c = {name: values[:, i] for i, name in enumerate(rollup.COLUMNS)}
    calls, ratings = c["calls"], c["ratings"]
    called = calls > 0
    medians, bounds = _medians(values[:, len(MEASURES) :])
    return {
        "total": c["n"].tolist(),
        "signed_for": c["accepted"].tolist(),
        "signed_for_on_time": c["accepted_on_time"].tolist(),
        "resolved": c["judged"].tolist(),
        "resolved_on_time": c["resolved_on_time"].tolist(),
        "closed": c["closed"].tolist(),
        "closed_locally": c["closed_local"].tolist(),
        "ratings": ratings.tolist(),
        "calls": calls.tolist(),
        "response_rate": _ratios(c["accepted_on_time"], c["accepted"]),
        "on_time_resolution_rate": _ratios(c["resolved_on_time"], c["judged"]),
        # from the follow-up calls where any reached the caller, else from the ratings
        "resolution_rate": _ratios(
            np.where(called, c["calls_solved"], c["ratings_ok"]), np.where(called, calls, ratings)
        ),
        "satisfaction_rate": _ratios(c["calls_satisfied"] + c["ratings_good"], calls + ratings),
        "resolved_locally_share": _ratios(c["closed_local"], c["closed"]),
        "median_hours_to_close": medians,
        "median_bucket_hours": [list(b) if b else None for b in bounds],
    }


def _records(columns: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Columns of equal length as one dict per row. Only the rows' dicts are made (no intermediate
    ones): thousands of containers that outlive a call push the collector into full collections."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


# ---------------------------------------------------------------------------------- the engine


@dataclass(frozen=True, slots=True)
class Sums:
    """Summed measures as a table: ``values[i]`` holds the sums of ``columns`` for group ``keys[i]``."""

    keys: list[Any]
    columns: tuple[str, ...]
    values: NDArray[np.int64]

    def as_dict(self) -> dict[Any, Vector]:
        return {
            k: dict(zip(self.columns, row, strict=True))
            for k, row in zip(self.keys, self.values.tolist(), strict=True)
        }


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
    dim, columns = _dim(q, dim), tuple(columns)
    out: dict[Any, Vector] = {}
    for node in q.nodes:
        part = _read(q, node, group, dim, columns, memo)
        found = part.as_dict() if isinstance(part, Sums) else part
        if not out:
            out = found
            continue
        for key, v in found.items():
            into = out.setdefault(key, {})
            for c, n in v.items():
                into[c] = into.get(c, 0) + n
    return {k: v for k, v in out.items() if v.get("n")}


def table(
    q: Question,
    group: str | None,
    *,
    dim: str = "",
    columns: Sequence[str] = rollup.COLUMNS,
    memo: Memo | None = None,
) -> Sums:
    """``sums`` as a table (``columns`` must include "n"), for answers of many rows."""
    dim, columns = _dim(q, dim), tuple(columns)
    parts = []
    for node in q.nodes:
        part = _read(q, node, group, dim, columns, memo)
        if not isinstance(part, Sums):
            values = np.array([[v.get(c, 0) for c in columns] for v in part.values()], dtype=np.int64)
            part = Sums(list(part), columns, values.reshape(len(part), len(columns)))
        parts.append(part)
    if len(parts) == 1:
        keys, values = parts[0].keys, parts[0].values
    else:  # disjoint nodes: their groups add up
        at: dict[Any, int] = {}
        rows = [at.setdefault(k, len(at)) for part in parts for k in part.keys]
        values = np.zeros((len(at), len(columns)), dtype=np.int64)
        if parts:
            np.add.at(values, rows, np.concatenate([part.values for part in parts]))
        keys = list(at)
    counted = values[:, columns.index("n")] != 0  # groups that counted no matter are left out
    return Sums([k for k, keep in zip(keys, counted.tolist(), strict=True) if keep], columns, values[counted])


def _dim(q: Question, dim: str) -> str:
    """The dimension read: an organisation's question reads its rows of the organisation dimension."""
    if q.organisation is None:
        return dim
    if dim:
        raise Invalid("an organisation's figures are not split by another dimension", field="organisation")
    return "org"


def _read(
    q: Question, node: str, group: str | None, dim: str, columns: tuple[str, ...], memo: Memo | None
) -> Sums | dict[Any, Vector]:
    """One node's sums: a table from the rollup where it holds the question, else the matters' sums."""
    children = group == "child"
    if _tally_holds(node, dim, children=children):
        return _from_tally(q, node, group, dim, children=children, columns=columns)
    return _direct(q, node, group, dim, memo=memo)


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
    q: Question, node: str, group: str | None, dim: str, *, children: bool, columns: tuple[str, ...]
) -> Sums:
    """One grouped statement over the rows of every span of the period (months, weeks, days). It is
    written out here: the ORM's compilation of ~50 sums and a few spans took longer than reading a
    county's rows, and the rows go from the cursor straight into a numpy table."""
    name = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    field = {"value": "value", "day": "day", "child": "area_path"}.get(group or "")
    spans = _spans(q, dim, group)
    where = [f"{name('parent' if children else 'area_path')} = %s"]
    params: list[Any] = [node]
    between = f"({name('dim')} = %s AND {name('day')} >= %s AND {name('day')} <= %s)"
    where.append("(" + " OR ".join([between] * len(spans)) + ")")
    for span, first, last in spans:
        params += [span, adapt(first), adapt(last)]
    if q.org_value is not None:
        where.append(f"{name('value')} = %s")
        params.append(q.org_value)
    measures = ", ".join(f"COALESCE(SUM({name(c)}), 0)" for c in columns)  # no rows: NULL sums
    key, by = (f"{name(field)}, ", f" GROUP BY {name(field)}") if field else ("", "")
    sql = f"SELECT {key}{measures} FROM {name(Tally._meta.db_table)} WHERE {' AND '.join(where)}{by}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if field is None:
        return Sums([None], columns, np.array(found, dtype=np.int64).reshape(1, len(columns)))
    if not found:
        return Sums([], columns, np.zeros((0, len(columns)), dtype=np.int64))
    keys, *sums = zip(*found, strict=True)  # by column: a few tuples instead of one per row
    if field == "day" and isinstance(keys[0], str):  # SQLite returns dates as text
        keys = tuple(dt.date.fromisoformat(k) for k in keys)
    return Sums(list(keys), columns, np.array(sums, dtype=np.int64).T)


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

PARALLEL = "max_parallel_workers_per_gather"


@contextlib.contextmanager
def _serial_plans(q: Question) -> Iterator[None]:
    """Statements without parallel workers on PostgreSQL, for the reads of one answer about nodes down
    to counties. Their rollup statements read a few thousand rows at most, but the planner takes a
    node's share of the rows and a dimension's share as independent, expects tens of thousands and plans
    two workers, whose start costs more than the read (a province's summary of a year: ~55 ms with
    workers, ~15 ms without, at 25 M matters). The setting lasts for the answer's own transaction;
    inside a caller's transaction (a test, a job) the caller's settings are left alone. Answers about
    smaller nodes read few rows, well estimated, and skip the two round trips."""
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or all(rollup._depth(node) > rollup.FULL_DEPTH for node in q.nodes)
    ):
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '0', true)", [PARALLEL])
        yield


def summary(q: Question, *, memo: Memo | None = None) -> dict[str, Any]:
    """The figures of the question, with counts by channel, category, status, level and day. ``memo``
    (a dict kept by the caller) lets several answers to one question read matters below the rollup once."""
    memo = {} if memo is None else memo
    with _serial_plans(q):
        return _summary(q, memo)


def _summary(q: Question, memo: Memo) -> dict[str, Any]:
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
    with _serial_plans(q):
        return _breakdown(q, by, memo)


def _breakdown(q: Question, by: str, memo: Memo | None) -> list[dict[str, Any]]:
    if by == "children":
        rows = table(q, "child", memo=memo)
    elif by == "day":
        rows = table(q, "day", memo=memo)
    else:
        if q.organisation is not None:
            raise Invalid(
                "an organisation's figures are not split by another dimension", field="organisation"
            )
        rows = table(q, "value", dim=DIM_OF[by], memo=memo)
    names = [str(k) for k in rows.keys]
    order = sorted(range(len(names)), key=names.__getitem__)
    keys = [names[i] for i in order]
    labels = _labels(by, keys)
    head = {"key": keys, "label": [labels.get(k, k) for k in keys]}
    return _records(head | _figure_columns(rows.values[order]))


def _labels(by: str, keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    if by == "children":
        return {
            path: f"{name} ({code})"
            for path, name, code in Area.objects.filter(path__in=keys).values_list("path", "name", "code")
        }
    if by == "organisation":
        return _organisation_names([int(k) for k in keys if k]) | {"": gettext("no responsible organisation")}
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


def _organisation_names(ids: list[int]) -> dict[str, str]:
    """Names by id (as text) in one statement. A province has thousands of organisations: the ids are
    written into the statement as integer literals (they are ints, nothing else can get in), which the
    driver and the ORM would otherwise take as thousands of parameters one by one."""
    if not ids:
        return {}
    name, meta = connection.ops.quote_name, Organisation._meta
    pk, listed = name(meta.pk.attname), ", ".join(str(int(i)) for i in ids)
    sql = f"SELECT {pk}, {name('name')} FROM {name(meta.db_table)} WHERE {pk} IN ({listed})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {str(pk): label for pk, label in cursor.fetchall()}
