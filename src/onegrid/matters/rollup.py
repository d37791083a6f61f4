"""The statistics rollup (统计汇总), write side: every matter adds its contribution to the ``Tally`` rows
of its day, its area's ancestors and each dimension, in the transaction that changes it.

Contract:

* a matter contributes ``n`` = 1 and its measures (on-time flags, closed, closed at township level or
  below, close-time bucket, rating, follow-up calls) to one row per (node, dimension) — see ``keys`` —
  unless it is merged into another one (merged matters are counted once, in the primary);
* ``received`` / ``restate`` / ``rated`` / ``called`` are called by intake, steps, merging and
  feedback after their writes, inside their transaction; each issues one INSERT … ON CONFLICT DO UPDATE
  that adds the difference (plus, for ``restate`` when the key moved, one read of the matter's rating
  and calls), so the rollup equals ``rebuild()`` at every commit;
* bulk loads (the generator, ``rebuild``) go through ``tally`` on numpy columns and ``add_rows``.

The rollup is additive: a row whose matters all moved on keeps n = 0 and is ignored by readers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from numpy.typing import NDArray

from onegrid.kit import bulk
from onegrid.kit.prepared import Prepared
from onegrid.matters.lifecycle import Status
from onegrid.matters.models import BUCKETS, HISTOGRAM, MEASURES, Channel, FollowUpCall, Matter, Rating, Tally

TOWNSHIP_DEPTH = 4  # owner level counted as "resolved at township or village level" (and below)
FULL_DEPTH = 3  # every dimension from the whole net down to counties
TOTAL_DEPTH = 4  # totals only for townships (the children of a county)
DIMS = ("", "channel", "category", "status", "org", "level")
# Organisations are many (a province has thousands): their rows are also kept per calendar month
# (``day`` = the month's first day) so a year by organisation reads twelve months and the ragged ends.
MONTHLY = {"org": "org/m"}
# ... and per week (``day`` = the Monday), so the ragged ends of a period read weeks and at most six
# days at each end: a year ending on any day reads about 1/3 of the rows the days alone would need.
WEEKLY = {"org": "org/w"}
CHANNELS: tuple[str, ...] = tuple(Channel.values)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
SATISFIED = ("satisfied", "basic")
# Upper edges (hours) of buckets 0..HISTOGRAM-2; the last bucket is open.
EDGES: tuple[float, ...] = tuple(2 ** (k / 3) for k in range(HISTOGRAM - 1))
COLUMNS = (*MEASURES, *BUCKETS)
KEY = ("day", "depth", "area_path", "parent", "dim", "value")
UNIQUE = ("dim", "area_path", "day", "value", "shard")  # the rollup's unique key (ON CONFLICT target)
# Copies of each row that concurrent writers spread over on PostgreSQL (shards 1..SHARDS); shard 0
# holds bulk loads and what ``fold`` gathers. SQLite has one writer at a time and writes shard 0.
SHARDS = 16
CLAIM = 0x4F47_5348  # the advisory lock space of the shards' claims (pg_try_advisory_xact_lock(CLAIM, s))
# The first shard from ``first`` on whose advisory lock is free (taken by this statement) or already
# this transaction's; the rows are tried in order and the scan stops at the first taken.
CLAIM_ANY = (
    "SELECT s FROM (SELECT (%s + i) %% %s + 1 AS s FROM generate_series(0, %s) AS i) AS shards "
    "WHERE pg_try_advisory_xact_lock(%s, s) LIMIT 1"
)
FOLD = 20_000  # rows gathered per fold statement
BATCH = 400  # rows per bulk statement: 400 × 54 parameters stays under SQLite's 32,766

Vector = dict[str, int]
Key = tuple[dt.date, str, str, str]  # day, node path, dim, value


# The columns of a matter the rollup counts by (its State), read by rebuilds and direct computations.
STATE_FIELDS = (
    "pk",
    "received_at",
    "area_path",
    "channel",
    "category_id",
    "status",
    "owner_id",
    "owner_level",
    "accept_on_time",
    "resolve_on_time",
    "closed_at",
)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_of(moment: dt.datetime) -> dt.date:
    """The statistics day of a moment: its date in the configured time zone."""
    return moment.astimezone(zone()).date()


def bucket(hours: float) -> int:
    """The close-time bucket of a duration in hours (see models.HISTOGRAM)."""
    return bisect.bisect_right(EDGES, max(hours, 0.0))


def bucket_bounds(k: int) -> tuple[float, float]:
    """[low, high) hours of bucket ``k``; the last bucket's high is infinite."""
    low = 0.0 if k == 0 else EDGES[k - 1]
    return low, (EDGES[k] if k < len(EDGES) else math.inf)


def ancestors(path: str) -> list[str]:
    """ "/a/b/c/" → ["/", "/a/", "/a/b/", "/a/b/c/"]: the node at each depth, the whole net first."""
    codes = [c for c in path.strip("/").split("/") if c]
    return ["/"] + ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def _depth(node: str) -> int:
    return node.count("/") - 1 if node != "/" else 0


def parent_of(node: str) -> str:
    if node == "/":
        return ""
    return node[: node.rstrip("/").rfind("/") + 1]


@dataclass(frozen=True, slots=True)
class State:
    """What of a matter the rollup depends on."""

    day: dt.date
    area_path: str
    channel: str
    category: int
    status: str
    owner: int | None
    owner_level: int | None
    accept_on_time: bool | None
    resolve_on_time: bool | None
    closed_hours: float | None
    merged: bool

    @classmethod
    def of(cls, m: Matter) -> State:
        return cls(
            day=day_of(m.received_at),
            area_path=m.area_path,
            channel=m.channel,
            category=m.category_id,
            status=str(m.status),
            owner=m.owner_id,
            owner_level=m.owner_level,
            accept_on_time=m.accept_on_time,
            resolve_on_time=m.resolve_on_time,
            closed_hours=(m.closed_at - m.received_at).total_seconds() / 3600 if m.closed_at else None,
            merged=m.merged_into_id is not None,
        )

    @classmethod
    def of_snapshot(cls, s: Mapping[str, Any]) -> State:
        """From an audit snapshot (``audit.registry.snapshot``) taken before a change."""
        received = dt.datetime.fromisoformat(s["received_at"])
        closed = dt.datetime.fromisoformat(s["closed_at"]) if s.get("closed_at") else None
        return cls(
            day=day_of(received),
            area_path=s["area_path"],
            channel=s["channel"],
            category=int(s["category"]),
            status=str(s["status"]),
            owner=s.get("owner"),
            owner_level=s.get("owner_level"),
            accept_on_time=s.get("accept_on_time"),
            resolve_on_time=s.get("resolve_on_time"),
            closed_hours=(closed - received).total_seconds() / 3600 if closed else None,
            merged=s.get("merged_into") is not None,
        )


def dim_value(s: State, dim: str) -> str:
    """The value a matter has in dimension ``dim`` ("" for the totals)."""
    if dim == "channel":
        return s.channel
    if dim == "category":
        return str(s.category)
    if dim == "status":
        return s.status
    if dim == "org":
        return str(s.owner) if s.owner else ""
    if dim == "level":
        return str(s.owner_level) if s.owner_level else ""
    return ""


def keys(s: State) -> list[Key]:
    """(day, node, dim, value) of every row the matter counts in."""
    out = []
    month = s.day.replace(day=1)
    week = monday(s.day)
    for depth, node in enumerate(ancestors(s.area_path)[: TOTAL_DEPTH + 1]):
        for dim in DIMS if depth <= FULL_DEPTH else ("",):
            value = dim_value(s, dim)
            out.append((s.day, node, dim, value))
            if dim in MONTHLY:
                out.append((month, node, MONTHLY[dim], value))
            if dim in WEEKLY:
                out.append((week, node, WEEKLY[dim], value))
    return out


def monday(day: dt.date) -> dt.date:
    """The first day of ``day``'s week (weeks run Monday to Sunday, as in GB/T 7408 and ISO 8601)."""
    return day - dt.timedelta(days=day.weekday())


def own_measures(s: State) -> Vector:
    """The measures that come from the matter's own columns."""
    v: Vector = {"n": 1}
    if s.accept_on_time is not None:
        v["accepted"] = 1
        v["accepted_on_time"] = int(s.accept_on_time)
    if s.resolve_on_time is not None:
        v["judged"] = 1
        v["resolved_on_time"] = int(s.resolve_on_time)
    if s.closed_hours is not None:
        v["closed"] = 1
        if s.owner_level is not None and s.owner_level >= TOWNSHIP_DEPTH:
            v["closed_local"] = 1
        v[BUCKETS[bucket(s.closed_hours)]] = 1
    return v


def rating_measures(score: int) -> Vector:
    return {"ratings": 1, "ratings_ok": int(score >= 3), "ratings_good": int(score >= 4)}


def call_measures(reached: bool, solved: bool | None, satisfaction: str) -> Vector:
    if not reached:
        return {}
    return {"calls": 1, "calls_solved": int(bool(solved)), "calls_satisfied": int(satisfaction in SATISFIED)}


_SCORE = Prepared(
    lambda matter_id: Rating.objects.filter(matter_id=matter_id).values_list("score")[:1], (int,)
)
_CALLS = Prepared(
    lambda matter_id: (
        FollowUpCall.objects.filter(matter_id=matter_id, reached=True)
        .values("matter_id")
        .annotate(
            calls=Count("pk"),
            calls_solved=Count("pk", filter=Q(solved=True)),
            calls_satisfied=Count("pk", filter=Q(satisfaction__in=SATISFIED)),
        )
        .values_list("calls", "calls_solved", "calls_satisfied")
    ),
    (int,),
)


def feedback_of(matter_id: int) -> Vector:
    """The rating and follow-up call measures of one matter (two indexed reads, compiled once)."""
    v: Vector = {}
    score = _SCORE.rows(matter_id)
    if score:
        v.update(rating_measures(score[0][0]))
    for row in _CALLS.rows(matter_id):
        v.update({k: n for k, n in zip(("calls", "calls_solved", "calls_satisfied"), row, strict=True) if n})
    return v


def _plus(a: Vector, b: Vector, sign: int = 1) -> Vector:
    out = dict(a)
    for k, n in b.items():
        out[k] = out.get(k, 0) + sign * n
    return out


def _deltas(s: State, v: Vector, sign: int, into: dict[Key, Vector]) -> None:
    if s.merged:
        return
    for key in keys(s):
        into[key] = _plus(into.get(key, {}), v, sign)


def _apply(deltas: Mapping[Key, Vector]) -> None:
    """Add ``deltas`` to their rows in one statement (rows are created as needed), in key order so
    that two writers of the same shard lock the rows they share in the same order."""
    columns = sorted({c for v in deltas.values() for c, n in v.items() if n}, key=COLUMNS.index)
    rows = [
        (day, _depth(node), node, parent_of(node), dim, value, *(v.get(c, 0) for c in columns))
        for (day, node, dim, value), v in sorted(deltas.items())
        if any(v.get(c, 0) for c in columns)
    ]
    if rows:
        add_rows(columns, rows, many=len(rows) > BATCH, shard=shard())


def shard() -> int:
    """The copy of the rollup rows this transaction writes: 0 on SQLite (one writer at a time); on
    PostgreSQL one of 1..SHARDS that no other open transaction writes.

    Every matter of a day adds to the rows of the whole net, its province, city and county, so writers
    on one copy wait for each other's commit. A transaction claims its shard with a transaction-level
    advisory lock, trying first the shard its connection wrote last, then the others in turn; only when
    every shard is claimed does it wait for its own. A transaction keeps what it claimed to its end and
    finds it again first, so its statements write one shard, and a copy's rows are locked only by the
    transaction holding the shard (and for one statement by ``fold``, which skips what writers hold):
    writers never wait for each other's rows. Call inside the transaction that writes."""
    if connection.vendor != "postgresql":
        return 0
    if connection.connection is None:
        connection.ensure_connection()
    first = getattr(connection, "rollup_shard", 0) or connection.connection.info.backend_pid % SHARDS + 1
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_ANY, [first - 1, SHARDS, SHARDS - 1, CLAIM])
        row = cursor.fetchone()
        if row is None:  # every shard is being written: wait for this connection's own
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CLAIM, first])
        claimed = int(row[0]) if row is not None else first
    connection.rollup_shard = claimed  # type: ignore[attr-defined]
    return claimed


def add_rows(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, many: bool = False, shard: int = 0
) -> int:
    """INSERT rows of (KEY..., ``columns``...) into ``shard``, adding the measures to rows that exist.
    ``many``: one executemany of single-row statements (bulk loads) instead of one multi-row statement."""
    table = connection.ops.quote_name(Tally._meta.db_table)
    q = connection.ops.quote_name
    names = ", ".join(q(c) for c in (*KEY, "shard", *columns))
    width = len(KEY) + 1 + len(columns)
    updates = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in columns)
    conflict = f"ON CONFLICT ({', '.join(q(c) for c in UNIQUE)}) DO UPDATE SET {updates}"
    adapt = connection.ops.adapt_datefield_value
    key = len(KEY)
    prepared = [[adapt(r[0]), *r[1:key], shard, *r[key:]] for r in rows]
    if not prepared:
        return 0
    if connection.vendor == "postgresql" and len(prepared) > 1:  # one array per column, any number of rows
        fields = [Tally._meta.get_field(c) for c in (*KEY, "shard", *columns)]
        sql = f"INSERT INTO {table} ({names}) {bulk.unnest(fields)} {conflict}"
        for i in range(0, len(prepared), bulk.CHUNK):
            bulk.execute_arrays(sql, [list(c) for c in zip(*prepared[i : i + bulk.CHUNK], strict=True)])
        return len(prepared)
    one = "(" + ", ".join(["%s"] * width) + ")"
    with connection.cursor() as cursor:
        if many:  # multi-row statements of BATCH rows: one round trip each instead of one per row
            for i in range(0, len(prepared), BATCH):
                part = prepared[i : i + BATCH]
                sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(part))} {conflict}"  # noqa: S608
                cursor.execute(sql, [x for r in part for x in r])
        else:
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(prepared))} {conflict}"  # noqa: S608
            cursor.execute(sql, [x for r in prepared for x in r])
    return len(prepared)


def fold(limit: int = FOLD) -> int:
    """Gather the copies writers left in shards 1..SHARDS into shard 0 (``onegrid worker``, every
    minute), at most ``limit`` of them per call; returns the shard-0 rows written or added to.

    One statement: the copies leave their shard and add to shard 0 together, so readers see the same
    sums before and after. Copies a writer holds are skipped (``SKIP LOCKED``) and gathered next time:
    the fold never waits for a writer, and writers never write shard 0, so neither can deadlock the
    other; a writer waits for a copy the fold holds for one statement at most."""
    if connection.vendor != "postgresql":
        return 0
    q = connection.ops.quote_name
    table, pk = q(Tally._meta.db_table), q(str(Tally._meta.pk.column))
    key = ", ".join(q(c) for c in ("dim", "area_path", "day", "value"))
    names = ", ".join(q(c) for c in (*KEY, "shard", *COLUMNS))
    sums = ", ".join(f"SUM({q(c)})" for c in COLUMNS)
    updates = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (DELETE FROM {table} WHERE {pk} IN ("  # noqa: S608
            f"SELECT {pk} FROM {table} WHERE {q('shard')} > 0 LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING *) "
            f"INSERT INTO {table} ({names}) SELECT {q('day')}, MIN({q('depth')}), {q('area_path')}, "
            f"MIN({q('parent')}), {q('dim')}, {q('value')}, 0, {sums} FROM moved "
            f"GROUP BY {key} ORDER BY {key} "
            f"ON CONFLICT ({', '.join(q(c) for c in UNIQUE)}) DO UPDATE SET {updates}",
            [limit],
        )
        return int(cursor.rowcount)


# ------------------------------------------------------------------------------------------ hooks


def received(matter: Matter) -> None:
    """Count a matter just taken in (call after it is saved, in the same transaction)."""
    s = State.of(matter)
    deltas: dict[Key, Vector] = {}
    _deltas(s, own_measures(s), 1, deltas)
    _apply(deltas)


def received_many(matters: Sequence[Matter]) -> None:
    """Count matters just taken in together (a batch): their rows summed first, then one statement per
    ``BATCH`` rows."""
    deltas: dict[Key, Vector] = {}
    for matter in matters:
        s = State.of(matter)
        _deltas(s, own_measures(s), 1, deltas)
    _apply(deltas)


def restate(matter: Matter, before: Mapping[str, Any]) -> None:
    """Move a matter's contribution from its state in ``before`` (its audit snapshot taken before the
    change) to its saved state now."""
    old, new = State.of_snapshot(before), State.of(matter)
    if old == new:
        return
    feedback = feedback_of(matter.pk) if (keys(old) != keys(new) or old.merged != new.merged) else {}
    deltas: dict[Key, Vector] = {}
    _deltas(old, _plus(own_measures(old), feedback), -1, deltas)
    _deltas(new, _plus(own_measures(new), feedback), 1, deltas)
    _apply(deltas)


def rated(matter: Matter, score: int) -> None:
    """Count a rating just recorded for ``matter``."""
    deltas: dict[Key, Vector] = {}
    _deltas(State.of(matter), rating_measures(score), 1, deltas)
    _apply(deltas)


def called(matter: Matter, call: FollowUpCall) -> None:
    """Count a follow-up call just recorded for ``matter``."""
    deltas: dict[Key, Vector] = {}
    _deltas(State.of(matter), call_measures(call.reached, call.solved, call.satisfaction), 1, deltas)
    _apply(deltas)


# ------------------------------------------------------------------------------------- bulk path


@dataclass(slots=True)
class Columns:
    """Matters as numpy columns (one entry per matter, merged ones already left out)."""

    day: NDArray[np.int64]  # days since 1970-01-01 in the configured time zone
    area: NDArray[np.int64]  # index into the list of area paths handed to ``tally``
    channel: NDArray[np.int64]  # index into CHANNELS
    category: NDArray[np.int64]
    status: NDArray[np.int64]  # index into STATUSES
    owner: NDArray[np.int64]  # 0: none
    level: NDArray[np.int64]  # 0: none
    accept: NDArray[np.int8]  # -1 unknown, 0 late, 1 on time
    resolve: NDArray[np.int8]
    closed_hours: NDArray[np.float64]  # NaN: not closed
    rating: NDArray[np.int8]  # 0: none
    calls: NDArray[np.int64]
    calls_solved: NDArray[np.int64]
    calls_satisfied: NDArray[np.int64]


def _measure_matrix(c: Columns) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    closed = ~np.isnan(c.closed_hours)
    m = np.stack(
        [
            np.ones(len(c.day), dtype=np.int64),
            c.accept >= 0,
            c.accept == 1,
            c.resolve >= 0,
            c.resolve == 1,
            closed,
            closed & (c.level >= TOWNSHIP_DEPTH),
            c.rating > 0,
            c.rating >= 3,
            c.rating >= 4,
            c.calls,
            c.calls_solved,
            c.calls_satisfied,
        ],
        axis=1,
    ).astype(np.int64)
    hours = np.where(closed, c.closed_hours, 0.0)
    buckets = np.where(closed, np.searchsorted(np.array(EDGES), np.maximum(hours, 0.0), side="right"), -1)
    return m, buckets.astype(np.int64)


def _label(dim: str, v: int) -> str:
    if dim == "channel":
        return CHANNELS[v]
    if dim == "status":
        return STATUSES[v]
    if dim == "category":
        return str(v)
    if dim in ("org", "level"):
        return str(v) if v else ""
    return ""


def _labels(dim: str, v: NDArray[np.int64]) -> NDArray[Any]:
    """``_label`` of every entry of ``v`` (an object array of str)."""
    if dim == "channel":
        return np.array(CHANNELS, dtype=object)[v]
    if dim == "status":
        return np.array(STATUSES, dtype=object)[v]
    if dim == "category":
        return v.astype(str).astype(object)
    if dim in ("org", "level"):
        return np.where(v != 0, v.astype(str), "").astype(object)
    return np.full(len(v), "", dtype=object)


@dataclass(frozen=True, slots=True)
class Block:
    """Rollup rows of one (depth, dimension) as columns, each key once: ``day`` in days since
    1970-01-01, ``node`` and ``parent`` paths and ``value`` labels as object arrays of str, ``sums`` the
    MEASURES and ``hist`` the BUCKETS (one row per key)."""

    day: NDArray[np.int64]
    depth: int
    node: NDArray[Any]
    parent: NDArray[Any]
    dim: str
    value: NDArray[Any]
    sums: NDArray[np.int64]
    hist: NDArray[np.int64]


def tally_blocks(c: Columns, paths: Sequence[str]) -> Iterator[Block]:
    """The rollup rows of the matters in ``c`` (see ``tally``), a block of columns per (depth, dim)."""
    nodes: dict[str, int] = {}
    anc = np.full((len(paths), TOTAL_DEPTH + 1), -1, dtype=np.int64)
    for i, path in enumerate(paths):
        for depth, node in enumerate(ancestors(path)[: TOTAL_DEPTH + 1]):
            anc[i, depth] = nodes.setdefault(node, len(nodes))
    names = np.array(list(nodes), dtype=object)
    parents = np.array([parent_of(n) for n in nodes], dtype=object)
    m, b = _measure_matrix(c)
    months = (c.day.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    weeks = c.day - (c.day + 3) % 7  # day 0 (1970-01-01) was a Thursday
    values = {
        "": np.zeros(len(c.day), dtype=np.int64),
        "channel": c.channel,
        "category": c.category,
        "status": c.status,
        "org": c.owner,
        "level": c.level,
    }
    for depth in range(TOTAL_DEPTH + 1):
        node = anc[c.area, depth]
        keep = node >= 0
        if not keep.any():
            continue
        grains = [(d, d, c.day) for d in (DIMS if depth <= FULL_DEPTH else ("",))]
        grains += [(d, m, months) for d, m in MONTHLY.items() if depth <= FULL_DEPTH]
        grains += [(d, w, weeks) for d, w in WEEKLY.items() if depth <= FULL_DEPTH]
        mk, bk = m[keep], b[keep]
        closed = bk >= 0
        for source, dim, days in grains:
            key = (days[keep] << 42) | (node[keep] << 22) | values[source][keep]
            uniq, inv = np.unique(key, return_inverse=True)
            sums = np.stack(
                [np.bincount(inv, weights=mk[:, k], minlength=len(uniq)) for k in range(mk.shape[1])], axis=1
            ).astype(np.int64)
            hist = (
                np.bincount(inv[closed] * HISTOGRAM + bk[closed], minlength=len(uniq) * HISTOGRAM)
                .reshape(len(uniq), HISTOGRAM)
                .astype(np.int64)
            )
            at = (uniq >> 22) & ((1 << 20) - 1)
            yield Block(
                day=uniq >> 42,
                depth=depth,
                node=names[at],
                parent=parents[at],
                dim=dim,
                value=_labels(source, uniq & ((1 << 22) - 1)),
                sums=sums,
                hist=hist,
            )


def tally(c: Columns, paths: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """Rollup rows (KEY..., COLUMNS...) of the matters in ``c``, each key once."""
    epoch = dt.date(1970, 1, 1)
    for blk in tally_blocks(c, paths):
        measures = np.concatenate([blk.sums, blk.hist], axis=1).tolist()
        for day, node, parent, value, row in zip(
            blk.day.tolist(),
            blk.node.tolist(),
            blk.parent.tolist(),
            blk.value.tolist(),
            measures,
            strict=True,
        ):
            yield (epoch + dt.timedelta(days=day), blk.depth, node, parent, blk.dim, value, *row)


def rebuild(*, chunk: int = 200_000) -> int:
    """Recompute the whole rollup from the matters (repair, or after a bulk load without it).
    Runs in one transaction; returns the number of matters counted."""
    tz = zone()
    paths: dict[str, int] = {}
    counted = 0
    with transaction.atomic():
        Tally.objects.all().delete()
        last = 0
        while True:
            rows = list(
                Matter.objects.filter(pk__gt=last, merged_into__isnull=True)
                .order_by("pk")
                .values_list(*STATE_FIELDS)[:chunk]
            )
            if not rows:
                break
            first, last = rows[0][0], rows[-1][0]
            scores = dict(
                Rating.objects.filter(matter_id__gte=first, matter_id__lte=last).values_list(
                    "matter_id", "score"
                )
            )
            calls = {
                r["matter_id"]: r
                for r in FollowUpCall.objects.filter(matter_id__gte=first, matter_id__lte=last, reached=True)
                .values("matter_id")
                .annotate(
                    n=Count("pk"),
                    solved=Count("pk", filter=Q(solved=True)),
                    satisfied=Count("pk", filter=Q(satisfaction__in=SATISFIED)),
                )
            }
            epoch = dt.date(1970, 1, 1)
            ch, st = {v: i for i, v in enumerate(CHANNELS)}, {v: i for i, v in enumerate(STATUSES)}
            none = {"n": 0, "solved": 0, "satisfied": 0}

            def tri(flag: bool | None) -> int:
                return -1 if flag is None else int(flag)

            cols = Columns(
                day=np.array([(r[1].astimezone(tz).date() - epoch).days for r in rows], dtype=np.int64),
                area=np.array([paths.setdefault(r[2], len(paths)) for r in rows], dtype=np.int64),
                channel=np.array([ch[r[3]] for r in rows], dtype=np.int64),
                category=np.array([r[4] for r in rows], dtype=np.int64),
                status=np.array([st[r[5]] for r in rows], dtype=np.int64),
                owner=np.array([r[6] or 0 for r in rows], dtype=np.int64),
                level=np.array([r[7] or 0 for r in rows], dtype=np.int64),
                accept=np.array([tri(r[8]) for r in rows], dtype=np.int8),
                resolve=np.array([tri(r[9]) for r in rows], dtype=np.int8),
                closed_hours=np.array(
                    [(r[10] - r[1]).total_seconds() / 3600 if r[10] else np.nan for r in rows],
                    dtype=np.float64,
                ),
                rating=np.array([scores.get(r[0], 0) for r in rows], dtype=np.int8),
                calls=np.array([calls.get(r[0], none)["n"] for r in rows], dtype=np.int64),
                calls_solved=np.array([calls.get(r[0], none)["solved"] for r in rows], dtype=np.int64),
                calls_satisfied=np.array([calls.get(r[0], none)["satisfied"] for r in rows], dtype=np.int64),
            )
            add_rows(COLUMNS, tally(cols, list(paths)), many=True)
            counted += len(rows)
    return counted
