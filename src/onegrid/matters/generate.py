"""Synthetic matters for demos, tests and benchmarks: ``onegrid matters generate --count N``.

Contract of :func:`generate`:

* writes ``count`` matters on the area net already loaded (its grids, or its deepest level), received
  over the ``days`` days ending ``end`` with a weekday and hour-of-day shape; channels in realistic
  shares (12345 hotline ~45 %), categories from the seeded taxonomy (skewed), statuses by age (most
  older matters closed, recent ones spread over the open stages, a few rejected, suspended or resolved
  at intake), responsible organisations from the routing rules (falling back to the township's or
  county's command centre; command centres are created where a county or township has none),
  on-time flags, close times, ratings for ~30 % and follow-up calls for ~40 % of closed matters;
* open matters carry their stage's deadline; marks older than an hour count as already swept, so a
  sweep finds the ones falling due now;
* the statistics rollup is filled for them in the same transaction, exactly as the services would;
* the same ``seed`` on the same net, period and existing rows gives the same matters;
* generated history is bulk-loaded without timeline events or per-row audit records: one audit record
  ("matters.generate") describes the load. Nothing here is presented as real: numbers start with "G".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from onegrid.access.models import Organisation
from onegrid.areas.models import Area
from onegrid.audit import services as audit
from onegrid.kit.errors import Conflict
from onegrid.matters import rollup, routing
from onegrid.matters.lifecycle import STAGE_OF, Status
from onegrid.matters.models import Category, Channel, FollowUpCall, Matter, Rating, RoutingRule, Tally

CHANNEL_SHARES = {
    Channel.HOTLINE_12345: 0.45,
    Channel.GRID_PATROL: 0.17,
    Channel.RESIDENT_APP: 0.12,
    Channel.WECHAT: 0.10,
    Channel.LINKAGE_110: 0.05,
    Channel.DEPARTMENT: 0.03,
    Channel.SENSOR: 0.03,
    Channel.VIDEO_ALARM: 0.02,
    Channel.EMAIL_SMS: 0.02,
    Channel.OPEN311: 0.01,
}
HOURS = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 12, 8, 10, 14, 15, 13, 10, 7, 6, 5, 4, 2, 1], dtype=float
)
WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.6, 0.55])  # Monday first
STAGE_HOURS = {
    "register": 2.0,
    "dispatch": 4.0,
    "accept": 24.0,
    "resolve": 168.0,
    "verify": 48.0,
    "close": 48.0,
}
CENTRE_KINDS = ("command_centre", "township_office")  # a township office (乡镇综治中心) is its centre
SEQUENCE = [Status.RECEIVED, Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS]
FIELDS = [
    "id",
    "number",
    "channel",
    "category",
    "title",
    "description",
    "status",
    "priority",
    "tags",
    "area",
    "area_path",
    "address",
    "reporter_name",
    "reporter_phone",
    "reporter_phone_index",
    "reporter_email",
    "reporter_email_index",
    "extra",
    "anonymous",
    "idempotency_key",
    "owner",
    "owner_level",
    "escalation_level",
    "resolved_at_intake",
    "suspended_from",
    "stage",
    "stage_started_at",
    "due_at",
    "warn_at",
    "due_provisional",
    "warned_stage",
    "overdue_stage",
    "received_at",
    "registered_at",
    "dispatched_at",
    "accepted_at",
    "resolved_at",
    "verified_at",
    "closed_at",
    "accept_on_time",
    "resolve_on_time",
    "updated_at",
]


@dataclass(frozen=True, slots=True)
class Generated:
    matters: int
    ratings: int
    calls: int
    tally_rows: int
    organisations_created: int


def _leaves() -> tuple[list[int], list[str]]:
    deepest = Area.objects.filter(level__lte=6).aggregate(m=Max("level"))["m"]
    if deepest is None:
        raise ValueError("there is no area net: load one first (onegrid areas generate)")
    rows = list(Area.objects.filter(level=deepest).order_by("path").values_list("pk", "path"))
    return [r[0] for r in rows], [r[1] for r in rows]


def _ensure_centres(paths: list[str]) -> int:
    """A command centre for every county and township above the leaves that has none."""
    wanted = {rollup.ancestors(p)[d] for p in paths for d in (3, 4) if len(rollup.ancestors(p)) > d}
    have = set(Organisation.objects.filter(kind__in=CENTRE_KINDS).values_list("area_path", flat=True))
    missing = sorted(wanted - have)
    areas = {a.path: a for a in Area.objects.filter(path__in=missing).only("pk", "path", "code", "name")}
    now = timezone.now()
    made = [
        Organisation(
            code=f"gen-cc-{areas[p].code}",
            name=f"{areas[p].name}综治中心",
            kind="command_centre",
            area=areas[p],
            area_path=p,
            created_at=now,
            updated_at=now,
        )
        for p in missing
        if p in areas
    ]
    Organisation.objects.bulk_create(made, batch_size=1000)
    return len(made)


def _owners(paths: list[str], categories: list[Category]) -> tuple[Any, Any, Any, Any]:
    """Per (leaf, category): the routed organisation and its level (routing rules, else the township's
    command centre); per leaf: the county's command centre and its level (for escalated matters)."""
    rules = list(RoutingRule.objects.filter(is_active=True).select_related("organisation"))
    centres = dict(Organisation.objects.filter(kind__in=CENTRE_KINDS).values_list("area_path", "pk"))
    levels = {pk: path.count("/") - 1 for path, pk in centres.items()}
    for org in Organisation.objects.filter(pk__in={r.organisation_id for r in rules}):
        levels[org.pk] = org.area_path.count("/") - 1
    owner = np.zeros((len(paths), len(categories)), dtype=np.int64)
    county = np.zeros(len(paths), dtype=np.int64)
    cache: dict[tuple[str, int], int] = {}
    for i, path in enumerate(paths):
        chain = rollup.ancestors(path)
        township = chain[4] if len(chain) > 4 else chain[-1]
        county[i] = centres.get(chain[3] if len(chain) > 3 else chain[-1], 0)
        for j, cat in enumerate(categories):
            key = (township, cat.pk)
            if key not in cache:
                try:
                    rule = routing.best(rules, routing.Case(cat.pk, cat.parent_id, township, "", ""))
                except Conflict:  # a tie in the rules: fall back to the centres like an operator would
                    rule = None
                cache[key] = rule.organisation_id if rule else centres.get(township, int(county[i]))
            owner[i, j] = cache[key]

    def level_of(pks: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        uniq, inv = np.unique(pks, return_inverse=True)
        return np.array([levels.get(int(pk), 0) for pk in uniq.tolist()], dtype=np.int64)[inv].reshape(
            pks.shape
        )

    return owner, level_of(owner), county, level_of(county)


def generate(
    *,
    count: int,
    seed: int = 1,
    days: int = 365,
    end: dt.date | None = None,
    chunk: int = 200_000,
    progress: Callable[[int], None] | None = None,
    defer_indexes: bool | None = None,
) -> Generated:
    """Write ``count`` matters (see the module docstring); returns what was written. ``defer_indexes``
    (default: for a million matters or more) drops the matters table's secondary indexes for the load
    and builds them again afterwards, in the same transaction: sorted builds beat millions of random
    index inserts."""
    if count < 0 or days < 1:
        raise ValueError("count must be ≥ 0 and days ≥ 1")
    rng = np.random.default_rng(seed)
    tz = rollup.zone()
    now = timezone.now()
    last_day = end or timezone.localdate()
    first_day = last_day - dt.timedelta(days=days - 1)
    area_ids, paths = _leaves()
    made_orgs = _ensure_centres(paths)
    categories = list(Category.objects.filter(parent__isnull=False, is_active=True).order_by("pk"))
    if not categories:
        raise ValueError("there are no categories")
    cat_weights = 1.0 / np.arange(1, len(categories) + 1) ** 0.8
    cat_weights = rng.permutation(cat_weights / cat_weights.sum())
    owner_table, owner_level_table, county_org, county_level = _owners(paths, categories)
    area_weights = rng.lognormal(0.0, 0.6, len(paths))
    area_weights /= area_weights.sum()
    channels = list(CHANNEL_SHARES)
    channel_p = np.array([CHANNEL_SHARES[c] for c in channels])
    channel_p /= channel_p.sum()
    channel_index = np.array([rollup.CHANNELS.index(c.value) for c in channels])
    day_list = [first_day + dt.timedelta(days=i) for i in range(days)]
    day_w = np.array([WEEKDAY[d.weekday()] for d in day_list])
    per_day = rng.multinomial(count, day_w / day_w.sum())
    hour_p = HOURS / HOURS.sum()
    start_id = (Matter.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    prefix = f"G{seed % 1000:03d}"
    counts = {"matters": 0, "ratings": 0, "calls": 0, "tally": 0}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # index pages of tens of millions of rows stay in memory
            cursor.execute("PRAGMA cache_size = -1048576")
    deferred: list[str] = []
    # Foreign keys are dropped and added back only when the load is a transaction of its own: adding
    # them needs no pending trigger events on the tables they reference, which an enclosing
    # transaction may hold.
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        if defer_indexes if defer_indexes is not None else count >= 1_000_000:
            deferred = _drop_indexes(foreign_keys=own_transaction)
        texts = {
            "channel": Texts(rollup.CHANNELS),
            "status": Texts(rollup.STATUSES),
            "title": Texts([c.name for c in categories]),
            "priority": Texts([str(c.default_priority) for c in categories]),
            "path": Texts(paths),
        }
        since = min(first_day.replace(day=1), rollup.monday(first_day))
        stage = _Stage(direct=not Tally.objects.filter(day__gte=since).exists())
        i0 = 0
        while i0 < days:
            # consecutive days holding about ``chunk`` matters
            i1, n = i0, 0
            while i1 < days and (n == 0 or n + per_day[i1] <= chunk):
                n += int(per_day[i1])
                i1 += 1
            if n:
                made = _chunk(
                    rng,
                    n=n,
                    first_id=start_id + counts["matters"],
                    prefix=prefix,
                    day_counts=per_day[i0:i1],
                    days=day_list[i0:i1],
                    tz=tz,
                    now=now,
                    hour_p=hour_p,
                    area_ids=area_ids,
                    paths=paths,
                    area_p=area_weights,
                    categories=categories,
                    cat_p=cat_weights,
                    channel_p=channel_p,
                    channel_index=channel_index,
                    owners=(owner_table, owner_level_table, county_org, county_level),
                    texts=texts,
                    stage=stage,
                )
                for k, v in made.items():
                    counts[k] += v
                if progress:
                    progress(n)
            i0 = i1
        counts["tally"] = stage.merge()
        _restore_indexes(deferred)
        if connection.vendor == "postgresql" and counts["matters"]:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM matters_matter))",
                    [Matter._meta.db_table],
                )
        audit.record(
            None,
            "matters.generate",
            object_type="matters.matter",
            object_id=f"{start_id}..{start_id + counts['matters'] - 1}",
            object_repr=f"{counts['matters']} generated matters",
            area_path=rollup.ancestors(paths[0])[1] if paths else "",
            after={"count": counts["matters"], "seed": seed, "days": days, "until": str(last_day)},
            note="synthetic matters bulk-loaded without per-row audit records",
        )
    with connection.cursor() as cursor:  # fresh planner statistics: the sweep's partial indexes need them
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 2000")
        for model in (Matter, Tally):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return Generated(counts["matters"], counts["ratings"], counts["calls"], counts["tally"], made_orgs)


def _drop_indexes(*, foreign_keys: bool) -> list[str]:
    """Drop the plain (non-unique, not constraint) indexes of the matters and rollup tables and, on
    PostgreSQL with ``foreign_keys``, the foreign keys of the tables the load writes (checked once when
    they are added back instead of a queued trigger per row); return the statements that restore them."""
    restore: list[str] = []
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in (Matter._meta.db_table, Tally._meta.db_table):
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL"
                    " AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            for name, sql in cursor.fetchall():
                cursor.execute(f"DROP INDEX {q(name)}")
                restore.append(sql)
        if connection.vendor == "postgresql" and foreign_keys:
            for table in (Matter._meta.db_table, Rating._meta.db_table, FollowUpCall._meta.db_table):
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass"
                    " AND contype = 'f' ORDER BY conname",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
                    restore.append(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
    return restore


def _restore_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        if definitions and connection.vendor == "postgresql":
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: check them now, since PostgreSQL
            # refuses CREATE INDEX on a table with pending trigger events
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in definitions:
            cursor.execute(sql)


# How a column of a load is given: integers; integers with 0 for NULL; str made here (object arrays
# of text without tab, newline, carriage return or backslash); (list of str, indexes into it) for
# text from the database; epoch seconds with NaN for NULL; booleans; -1/0/1 for NULL/false/true; one
# value for every row; a matrix of non-negative integers (one column each).
INT, INT0, TEXT, LOOKUP, STAMP, BOOL, FLAG, CONST, COUNTS = range(9)
NULL = "\\N"  # NULL in PostgreSQL's COPY text format
PIECE = 50_000  # rows per COPY write or executemany


@dataclass(frozen=True, slots=True)
class Column:
    kind: int
    data: Any


class Texts:
    """Text values a LOOKUP column indexes: as they are, and as COPY fields (escaped once per load)."""

    def __init__(self, values: Sequence[str]) -> None:
        self.values = np.array(list(values), dtype=object)
        self.copy_text = np.array([_escape(v) for v in values], dtype=object)


def _stamp_text(seconds: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Epoch seconds as the database's datetime text (UTC, microseconds), vectorised; NaN gives ""."""
    missing = np.isnan(seconds)
    micro = np.where(missing, 0, np.round(seconds * 1e6)).astype("datetime64[us]")
    text = np.datetime_as_string(micro, unit="us")
    if connection.vendor == "postgresql":
        text = np.strings.add(text, "+00")
    else:
        text = np.strings.replace(text, "T", " ")
    return np.where(missing, "", text)


def _as_copy_text(col: Column, n: int) -> list[str]:
    """A column as the field texts of PostgreSQL's COPY text format."""
    kind, data = col.kind, col.data
    if kind == CONST:
        one = NULL if data is None else ("t" if data else "f") if isinstance(data, bool) else str(data)
        return [one] * n
    if kind == INT:
        return data.astype(str).tolist()  # type: ignore[no-any-return]
    if kind == INT0:
        return np.where(data != 0, data.astype(str), NULL).tolist()  # type: ignore[no-any-return]
    if kind == STAMP:
        return np.where(np.isnan(data), NULL, _stamp_text(data)).tolist()  # type: ignore[no-any-return]
    if kind == BOOL:
        return np.where(data, "t", "f").tolist()  # type: ignore[no-any-return]
    if kind == FLAG:
        return np.array([NULL, "f", "t"], dtype=object)[data.astype(np.int64) + 1].tolist()  # type: ignore[no-any-return]
    if kind == LOOKUP:
        table, index = data
        return table.copy_text[index].tolist()  # type: ignore[no-any-return]
    if kind == COUNTS:
        return list(map("\t".join, _numerals(int(data.max(initial=0)))[data].tolist()))
    return data.tolist()  # type: ignore[no-any-return]


def _escape(text: str) -> str:
    """``text`` as a field of COPY's text format."""
    for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(char, escaped)
    return text


_NUMERALS: list[np.ndarray[Any, Any]] = [np.array(["0"], dtype=object)]


def _numerals(upto: int) -> np.ndarray[Any, Any]:
    """ "0", "1", … as an object array reaching at least ``upto`` (indexing it formats many counts at
    C speed)."""
    if len(_NUMERALS[0]) <= upto:
        _NUMERALS[0] = np.array([str(i) for i in range(max(upto + 1, 2 * len(_NUMERALS[0])))], dtype=object)
    return _NUMERALS[0]


def _as_values(col: Column, n: int) -> list[Any]:
    """A column as the Python values SQLite's driver binds."""
    kind, data = col.kind, col.data
    if kind == CONST:
        return [data] * n
    if kind in (INT0, STAMP):
        missing = data == 0 if kind == INT0 else np.isnan(data)
        out = data.astype(object) if kind == INT0 else _stamp_text(data).astype(object)
        out[missing] = None
        return out.tolist()  # type: ignore[no-any-return]
    if kind == FLAG:
        return np.array([None, False, True], dtype=object)[data.astype(np.int64) + 1].tolist()  # type: ignore[no-any-return]
    if kind == LOOKUP:
        table, index = data
        return table.values[index].tolist()  # type: ignore[no-any-return]
    return data.tolist()  # type: ignore[no-any-return]


def _write(table: str, names: list[str], columns: list[Column], n: int) -> None:
    """Append ``n`` rows to ``table``: COPY on PostgreSQL, executemany of plain tuples on SQLite, on
    the driver's own cursor (Django's cursor wrapper costs more than the database for bulk rows)."""
    if not n:
        return
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in names)
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {q(table)} ({cols}) FROM STDIN") as copy:
            for i in range(0, n, PIECE):
                j = min(n, i + PIECE)
                fields = [_as_copy_text(_slice(c, i, j), j - i) for c in columns]
                copy.write("\n".join(map("\t".join, zip(*fields, strict=True))) + "\n")
        return
    sql = f"INSERT INTO {q(table)} ({cols}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608
    cursor = raw.cursor()
    try:
        for i in range(0, n, PIECE):
            j = min(n, i + PIECE)
            values: list[list[Any]] = []
            for c in columns:
                if c.kind == COUNTS:
                    values += c.data[i:j].T.tolist()
                else:
                    values.append(_as_values(_slice(c, i, j), j - i))
            cursor.executemany(sql, zip(*values, strict=True))
    finally:
        cursor.close()


def _slice(col: Column, i: int, j: int) -> Column:
    if col.kind == CONST:
        return col
    if col.kind == LOOKUP:
        return Column(LOOKUP, (col.data[0], col.data[1][i:j]))
    return Column(col.kind, col.data[i:j])


def _load(model: type[Any], fields: list[str], columns: list[Column], n: int) -> None:
    meta = model._meta
    _write(meta.db_table, [meta.get_field(f).column for f in fields], columns, n)


class _Stage:
    """The rollup rows of a load. Rows that may meet rows of the same key — from another chunk (a
    month's or a week's rows), or already in the rollup — are staged in a temporary table chunk by chunk
    and added to the rollup in one statement at the end, summed by key. ``direct``: the rollup has no
    row from the load's first month or week on, so the daily rows (each chunk holds whole days) are
    written straight into it."""

    TABLE = "matters_tally_load"

    def __init__(self, *, direct: bool) -> None:
        self.direct = direct
        self.written = 0
        q = connection.ops.quote_name
        self.names = [*rollup.KEY, *rollup.COLUMNS]
        kinds = ["date", "integer", "varchar(255)", "varchar(255)", "varchar(10)", "varchar(64)"]
        kinds += ["integer"] * len(rollup.COLUMNS)
        body = ", ".join(f"{q(c)} {k} NOT NULL" for c, k in zip(self.names, kinds, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {q(self.TABLE)}")
            cursor.execute(f"CREATE TEMPORARY TABLE {q(self.TABLE)} ({body})")
        self.rows = 0

    def add(self, blocks: Any) -> int:
        """Stage the rows of ``blocks`` (``rollup.tally_blocks``); returns how many."""
        before = self.rows
        for blk in blocks:
            k = len(blk.day)
            day = (blk.day.astype("datetime64[D]")).astype(str).astype(object)
            columns = [
                Column(TEXT, day),
                Column(CONST, blk.depth),
                Column(TEXT, blk.node),
                Column(TEXT, blk.parent),
                Column(CONST, blk.dim),
                Column(TEXT, blk.value),
                Column(COUNTS, np.concatenate([blk.sums, blk.hist], axis=1)),
            ]
            if self.direct and blk.dim in rollup.DIMS:
                _write(Tally._meta.db_table, self.names, columns, k)
                self.written += k
            else:
                _write(self.TABLE, self.names, columns, k)
            self.rows += k
        return self.rows - before

    def merge(self) -> int:
        """Add the staged rows to the rollup (summed by key, in the key's order); returns the number of
        rollup rows the load wrote or added to."""
        q = connection.ops.quote_name
        table, stage = q(Tally._meta.db_table), q(self.TABLE)
        key = ", ".join(q(c) for c in ("dim", "area_path", "day", "value"))
        unique = ", ".join(q(c) for c in rollup.UNIQUE)  # the staged rows go to shard 0
        names = ", ".join(q(c) for c in self.names)
        sums = ", ".join(f"SUM({q(c)})" for c in rollup.COLUMNS)
        updates = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in rollup.COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {q('day')}, MIN({q('depth')}), {q('area_path')}, "  # noqa: S608
                f"MIN({q('parent')}), {q('dim')}, {q('value')}, {sums} FROM {stage} WHERE 1 = 1 "
                f"GROUP BY {key} ORDER BY {key} ON CONFLICT ({unique}) DO UPDATE SET {updates}"
            )
            merged = cursor.rowcount
            cursor.execute(f"DROP TABLE {stage}")
        return self.written + int(merged)


def _chunk(
    rng: np.random.Generator,
    *,
    n: int,
    first_id: int,
    prefix: str,
    day_counts: np.ndarray[Any, Any],
    days: list[dt.date],
    tz: Any,
    now: dt.datetime,
    hour_p: np.ndarray[Any, Any],
    area_ids: list[int],
    paths: list[str],
    area_p: np.ndarray[Any, Any],
    categories: list[Category],
    cat_p: np.ndarray[Any, Any],
    channel_p: np.ndarray[Any, Any],
    channel_index: np.ndarray[Any, Any],
    owners: tuple[Any, Any, Any, Any],
    texts: dict[str, Texts],
    stage: _Stage,
) -> dict[str, int]:
    owner_table, owner_level_table, county_org, county_level = owners
    nan = np.full(n, np.nan)
    midnight = np.array([dt.datetime.combine(d, dt.time.min, tz).timestamp() for d in days])
    day_idx = np.repeat(np.arange(len(days)), day_counts)
    seconds = rng.choice(24, n, p=hour_p) * 3600 + rng.integers(0, 3600, n) + rng.random(n).round(3)
    now_s = now.timestamp()
    received = np.minimum(np.sort(midnight[day_idx] + seconds), now_s - 60)
    age_h = (now_s - received) / 3600
    area = rng.choice(len(paths), n, p=area_p)
    cat = rng.choice(len(categories), n, p=cat_p)
    chan = channel_index[rng.choice(len(channel_p), n, p=channel_p)]
    # outcome by age: closed once the drawn close time has passed; the rest spread over the stages
    u = rng.random(n)
    rejected = u < 0.03
    at_intake = ~rejected & (u < 0.10) & (chan == rollup.CHANNELS.index("hotline_12345"))
    close_h = np.exp(rng.normal(np.log(60.0), 1.0, n))  # median 60 h, long tail
    done = ~rejected & ~at_intake & (close_h < age_h)
    open_ = ~(rejected | at_intake | done)
    stage_pick = np.minimum((age_h / close_h * len(SEQUENCE)).astype(np.int64), len(SEQUENCE) - 1)
    suspended = open_ & (rng.random(n) < 0.02) & (stage_pick >= 3)
    resolved_only = done & (age_h - close_h < 24) & (rng.random(n) < 0.5)
    escalated = rng.random(n) < 0.05
    owner = np.where(escalated, county_org[area], owner_table[area, cat])
    level = np.where(escalated, county_level[area], owner_level_table[area, cat])
    has_owner = (done | (open_ & (stage_pick >= 2))) & (owner > 0)
    owner, level = np.where(has_owner, owner, 0), np.where(has_owner, level, 0)
    accept_h = np.minimum(np.exp(rng.normal(np.log(3.0), 0.8, n)), np.minimum(close_h, age_h) * 0.5)

    status = np.where(open_, np.array([rollup.STATUSES.index(s.value) for s in SEQUENCE])[stage_pick], 0)
    status = np.where(suspended, rollup.STATUSES.index(Status.SUSPENDED), status)
    status = np.where(done, rollup.STATUSES.index(Status.CLOSED), status)
    status = np.where(resolved_only, rollup.STATUSES.index(Status.RESOLVED), status)
    status = np.where(at_intake, rollup.STATUSES.index(Status.CLOSED), status)
    status = np.where(rejected, rollup.STATUSES.index(Status.REJECTED), status)

    worked = done | (open_ & (stage_pick >= 1))
    registered = np.where(worked, received + 900, nan)
    dispatched = np.where(done | (open_ & (stage_pick >= 2)), received + 1800, nan)
    signed = done | (open_ & (stage_pick >= 3))
    accepted = np.where(signed, received + accept_h * 3600, nan)
    resolved = np.where(done, received + close_h * 3600 * 0.9, np.where(at_intake, received + 600, nan))
    closed = np.where(
        done & ~resolved_only, received + close_h * 3600, np.where(at_intake, received + 600, nan)
    )
    accept_flag = np.where(signed, (rng.random(n) < 0.94).astype(np.int8), -1).astype(np.int8)
    resolve_flag = np.where(done, (rng.random(n) < 0.88).astype(np.int8), -1).astype(np.int8)

    stage_names = np.array([STAGE_OF[Status(s)] or "" for s in rollup.STATUSES], dtype=object)[status]
    stage_hours = np.array([STAGE_HOURS.get(STAGE_OF[Status(s)] or "", np.nan) for s in rollup.STATUSES])[
        status
    ]
    started = np.fmax.reduce([received, registered, dispatched, accepted, resolved])
    has_stage = stage_names != ""
    started = np.where(has_stage, started, nan)
    due = started + stage_hours * 3600
    warn = due - stage_hours * 3600 * 0.2
    warned = np.where(has_stage & (warn < now_s - 3600), stage_names, "")
    overdue = np.where(has_stage & (due < now_s - 3600), stage_names, "")
    last = np.fmax.reduce([received, registered, dispatched, accepted, resolved, closed])

    ids = np.arange(first_id, first_id + n)
    closed_mask = ~np.isnan(closed) & ~at_intake
    rate = closed_mask & (rng.random(n) < 0.3)
    scores = np.where(rate, rng.choice([5, 4, 3, 2, 1], n, p=[0.62, 0.2, 0.09, 0.05, 0.04]), 0).astype(
        np.int8
    )
    call_u, sat_u = rng.random(n), rng.random(n)
    called = closed_mask & (call_u < 0.4)
    reached = called & (call_u < 0.34)
    solved = reached & (sat_u < 0.9)
    satisfaction = np.where(
        reached, np.where(sat_u < 0.8, "satisfied", np.where(sat_u < 0.92, "basic", "unsatisfied")), ""
    )

    cat_pk = np.array([c.pk for c in categories], dtype=np.int64)[cat]
    area_pk = np.array(area_ids, dtype=np.int64)[area]
    numbers = np.strings.add(prefix, np.strings.zfill(ids.astype(str), 12)).astype(object)
    columns: list[Column] = [
        Column(INT, ids),
        Column(TEXT, numbers),
        Column(LOOKUP, (texts["channel"], chan)),
        Column(INT, cat_pk),
        Column(LOOKUP, (texts["title"], cat)),
        Column(CONST, ""),
        Column(LOOKUP, (texts["status"], status)),
        Column(LOOKUP, (texts["priority"], cat)),
        Column(CONST, "[]"),
        Column(INT, area_pk),
        Column(LOOKUP, (texts["path"], area)),
        *[Column(CONST, "")] * 6,  # address, reporter name, phone (+ index), e-mail (+ index)
        Column(CONST, "{}"),
        Column(CONST, False),
        Column(CONST, ""),
        Column(INT0, owner),
        Column(INT0, level),
        Column(INT, (escalated & has_owner).astype(np.int64)),
        Column(BOOL, at_intake),
        Column(TEXT, np.where(suspended, "accepted", "").astype(object)),
        Column(TEXT, stage_names),
        Column(STAMP, started),
        Column(STAMP, due),
        Column(STAMP, warn),
        Column(CONST, False),
        Column(TEXT, warned.astype(object)),
        Column(TEXT, overdue.astype(object)),
        Column(STAMP, received),
        Column(STAMP, registered),
        Column(STAMP, dispatched),
        Column(STAMP, accepted),
        Column(STAMP, resolved),
        Column(CONST, None),
        Column(STAMP, closed),
        Column(FLAG, accept_flag),
        Column(FLAG, resolve_flag),
        Column(STAMP, last),
    ]
    _load(Matter, FIELDS, columns, n)
    r = int(rate.sum())
    _load(
        Rating,
        ["matter", "score", "comment", "via", "rated_at"],
        [
            Column(INT, ids[rate]),
            Column(INT, scores[rate].astype(np.int64)),
            Column(CONST, ""),
            Column(CONST, "link"),
            Column(STAMP, closed[rate] + 5 * 3600),
        ],
        r,
    )
    k = int(called.sum())
    _load(
        FollowUpCall,
        ["matter", "called_at", "reached", "solved", "satisfaction", "note"],
        [
            Column(INT, ids[called]),
            Column(STAMP, closed[called] + 86400),
            Column(BOOL, reached[called]),
            Column(FLAG, np.where(reached, solved.astype(np.int8), -1).astype(np.int8)[called]),
            Column(TEXT, satisfaction[called].astype(object)),
            Column(CONST, ""),
        ],
        k,
    )
    offset = dt.datetime.fromtimestamp(float(received[0]), tz).utcoffset() if n else None
    shift = offset.total_seconds() if offset is not None else 0.0
    cols = rollup.Columns(
        day=np.floor((received + shift) / 86400).astype(np.int64),
        area=area.astype(np.int64),
        channel=chan.astype(np.int64),
        category=cat_pk,
        status=status.astype(np.int64),
        owner=owner.astype(np.int64),
        level=level.astype(np.int64),
        accept=accept_flag,
        resolve=resolve_flag,
        closed_hours=(closed - received) / 3600,
        rating=scores,
        calls=reached.astype(np.int64),
        calls_solved=solved.astype(np.int64),
        calls_satisfied=(reached & np.isin(satisfaction, rollup.SATISFIED)).astype(np.int64),
    )
    tally_rows = stage.add(rollup.tally_blocks(cols, paths))
    return {"matters": n, "ratings": r, "calls": k, "tally": tally_rows}
