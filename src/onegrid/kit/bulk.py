"""Fast multi-row INSERTs for the hot write paths.

The ORM's bulk_create prepares every field of every object through the field classes and compiles
its statement anew each time, which costs more than the database itself for hundreds of rows.

- ``insert``: bulk loads (imports of a province's net, audit records of them). The caller hands over
  values that are already what the database stores: JSON as text, binary as bytes, datetimes aware;
  only the per-vendor casts and datetime adaptation are applied.
- ``create``: model instances built in memory (intake's matters and their events), inserted with one
  multi-row ``INSERT … RETURNING`` per chunk; the new primary keys are set on the instances, as
  ``bulk_create`` does. Fields of plain types are passed as they are; every other field (encrypted
  text, blind indexes, JSON, datetimes) goes through its own ``pre_save`` and ``get_db_prep_save``.

No model ``save()`` or signal runs in either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

CHUNK = 2000
KEPT_STATEMENT_ROWS = 16
# Field classes whose Python values the database drivers take as they are (exact classes: a subclass
# such as an encrypted text field has its own preparation).
PLAIN = frozenset(
    {
        models.CharField,
        models.TextField,
        models.BooleanField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.FloatField,
        models.ForeignKey,
        models.OneToOneField,
    }
)
PLAIN_VALUES = (str, int, float, type(None))


def insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT ``rows`` (tuples in the order of ``fields``) into ``model``'s table; returns the count."""
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in concrete)  # type: ignore[union-attr]
    placeholders = ", ".join(
        "CAST(%s AS jsonb)" if connection.vendor == "postgresql" and isinstance(f, models.JSONField) else "%s"
        for f in concrete
    )
    sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    datetimes = [i for i, f in enumerate(concrete) if isinstance(f, models.DateTimeField)]
    count = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            values = list(row)
            for i in datetimes:
                if isinstance(values[i], dt.datetime):
                    values[i] = connection.ops.adapt_datetimefield_value(values[i])
            batch.append(values)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


PLAIN_KIND, MOMENT_KIND, OTHER_KIND = 0, 1, 2


def _kind(f: models.Field[Any, Any]) -> int:
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return OTHER_KIND
    return PLAIN_KIND if type(f) in PLAIN else MOMENT_KIND if type(f) is models.DateTimeField else OTHER_KIND


class _Plan:
    """How ``create`` writes one model on one database: the fields (all concrete ones but an automatic
    primary key), each with how its value is prepared (as it is, as a moment, or by the field itself),
    and the statement's parts. Worked out once per model and database vendor: building them cost more
    than the INSERT of a single row."""

    def __init__(self, model: type[models.Model]) -> None:
        pk = model._meta.pk
        self.fields = [
            (f, _kind(f))
            for f in model._meta.concrete_fields
            if not (f is pk and isinstance(f, models.AutoField))
        ]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f, _ in self.fields)
        self.one = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
        self.tail = f" RETURNING {quote(str(pk.column))}"
        self.chunk = max(1, min(1000, _max_params() // len(self.fields)))
        self.statements: dict[int, str] = {}

    def statement(self, rows: int) -> str:
        """The statement for ``rows`` rows; kept for the small counts of the single requests (a large
        batch builds its own once, cheap beside its rows)."""
        sql = self.statements.get(rows)
        if sql is None:
            sql = self.head + ", ".join([self.one] * rows) + self.tail
            if rows <= KEPT_STATEMENT_ROWS:
                self.statements[rows] = sql
        return sql


_plans: dict[tuple[str, type[models.Model]], _Plan] = {}


def _plan(model: type[models.Model]) -> _Plan:
    key = (connection.vendor, model)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan(model)
    return plan


def _max_params() -> int:
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return int(connection.features.max_query_params or 65535)


def create(objs: Sequence[models.Model]) -> None:
    """INSERT the unsaved instances ``objs`` (all of one model, automatic primary key) and set their
    primary keys, in their order."""
    if not objs:
        return
    model = type(objs[0])
    plan = _plan(model)
    pk = model._meta.pk
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(objs), plan.chunk):
            part = objs[start : start + plan.chunk]
            params: list[Any] = []
            for obj in part:
                for f, kind in plan.fields:
                    value = getattr(obj, f.attname)
                    if kind == PLAIN_KIND and isinstance(value, PLAIN_VALUES):
                        if value is None and f.is_relation and f.is_cached(obj):  # type: ignore[attr-defined]
                            related = f.get_cached_value(obj)  # type: ignore[attr-defined]
                            value = None if related is None else related.pk
                            setattr(obj, f.attname, value)
                    elif kind == MOMENT_KIND and (
                        value is None or (isinstance(value, dt.datetime) and value.tzinfo)
                    ):
                        value = None if value is None else adapt(value)
                    else:
                        value = f.get_db_prep_save(f.pre_save(obj, True), connection)
                    params.append(value)
            cursor.execute(plan.statement(len(part)), params)
            for obj, (key,) in zip(part, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, key)
                obj._state.adding = False
                obj._state.db = connection.alias
