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

On PostgreSQL a statement of many rows passes each column as one array and reads the rows back with
``UNNEST`` (``unnest``, ``execute_arrays``): the statement's text has one placeholder per column
whatever the number of rows, and the arrays go to the server in binary. Django's cursor binds on the
client: for a batch of 500 matters it split a statement of ~20,000 placeholders and quoted every value
in Python (~60 ms a statement); arrays quoted as text still cost ~8 ms a column, in binary ~0.3 ms.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    statements = _statements(model, tuple(fields))
    adapt = connection.ops.adapt_datetimefield_value
    count = 0
    batch: list[list[Any]] = []

    def write(cursor: Any) -> None:
        if statements.arrays and len(batch) > 1:
            execute_arrays(statements.arrays, [list(c) for c in zip(*batch, strict=True)])
        elif len(batch) == 1:
            cursor.execute(statements.one, batch[0])
        else:
            cursor.executemany(statements.one, batch)

    with connection.cursor() as cursor:
        for row in rows:
            values = list(row)
            for i in statements.datetimes:
                if isinstance(values[i], dt.datetime):
                    values[i] = adapt(values[i])
            batch.append(values)
            if len(batch) >= CHUNK:
                write(cursor)
                count += len(batch)
                batch = []
        if batch:
            write(cursor)
            count += len(batch)
    return count


@dataclass(frozen=True, slots=True)
class _Insert:
    one: str  # the statement of one row
    arrays: str  # PostgreSQL: the statement of any number of rows, one array per column ("" elsewhere)
    datetimes: tuple[int, ...]  # positions of the moments


_inserts: dict[tuple[str, type[models.Model], tuple[str, ...]], _Insert] = {}


def _statements(model: type[models.Model], fields: tuple[str, ...]) -> _Insert:
    """``insert``'s statements for these fields of ``model`` on this database, worked out once."""
    key = (connection.vendor, model, fields)
    found = _inserts.get(key)
    if found is not None:
        return found
    concrete = [model._meta.get_field(name) for name in fields]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in concrete)  # type: ignore[union-attr]
    postgresql = connection.vendor == "postgresql"
    placeholders = ", ".join(
        "CAST(%s AS jsonb)" if postgresql and isinstance(f, models.JSONField) else "%s" for f in concrete
    )
    head = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
    found = _inserts[key] = _Insert(
        one=f"{head}VALUES ({placeholders})",
        arrays=f"{head}{unnest(concrete, json_as_text=True)}" if postgresql else "",
        datetimes=tuple(i for i, f in enumerate(concrete) if isinstance(f, models.DateTimeField)),
    )
    return found


def unnest(fields: Sequence[Any], *, json_as_text: bool = False) -> str:
    """``SELECT … FROM UNNEST(…)`` reading rows from one array parameter per field (PostgreSQL), in
    the order of the arrays. Element types carry no length (``varchar``, not ``varchar(64)``): the
    column's own check refuses a value too long instead of the cast cutting it. ``json_as_text``:
    JSON fields come as text and are cast in the select (the values ``insert`` is handed)."""
    types, picks = [], []
    for i, f in enumerate(fields):
        json = isinstance(f, models.JSONField)
        types.append(f"(%b)::{'text' if json and json_as_text else f.db_type(connection).split('(')[0]}[]")
        picks.append(f"CAST(u{i} AS jsonb)" if json and json_as_text else f"u{i}")
    names = ", ".join(f"u{i}" for i in range(len(fields)))
    return f"SELECT {', '.join(picks)} FROM UNNEST({', '.join(types)}) AS u({names})"  # noqa: S608


def execute_arrays(sql: str, columns: list[list[Any]], *, returning: bool = False) -> list[tuple[Any, ...]]:
    """Run a statement built on ``unnest`` with one list per column, on a cursor of the same connection
    (and transaction) that binds on the server, in binary; database errors are Django's as usual.
    Returns the rows of its RETURNING clause when ``returning``."""
    import psycopg

    connection.ensure_connection()
    started = time.perf_counter()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        try:
            cursor.execute(sql, columns)
        except psycopg.DataError as exc:
            if exc.sqlstate is not None:  # the server's: raise it (as Django's DataError)
                raise
            # refused before sending: a column mixes Python types (an int in a float column...)
            cursor.execute(sql, [_uniform(c) for c in columns])
        rows = cursor.fetchall() if returning else []
    if connection.queries_logged:  # counted like the statements of Django's cursors
        connection.queries_log.append({"sql": sql, "time": f"{time.perf_counter() - started:.3f}"})
    return rows


def _uniform(column: list[Any]) -> list[Any]:
    """A column's values as one Python type, for a binary array: numbers as floats if any is one,
    booleans among numbers as numbers, anything else mixed as text (the cast converts it back)."""
    kinds = {type(v) for v in column if v is not None}
    if len(kinds) <= 1:
        return column
    if kinds <= {bool, int}:
        return [None if v is None else int(v) for v in column]
    if kinds <= {bool, int, float}:
        return [None if v is None else float(v) for v in column]
    return [None if v is None else str(v) for v in column]


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
        # PostgreSQL: more rows than the kept statements pass as one array per column, any number
        self.arrays = ""
        if connection.vendor == "postgresql":
            self.arrays = (
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
                f"{unnest([f for f, _ in self.fields])}{self.tail}"
            )
            self.chunk = CHUNK

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
            if plan.arrays and len(part) > KEPT_STATEMENT_ROWS:
                width = len(plan.fields)
                keys = execute_arrays(plan.arrays, [params[i::width] for i in range(width)], returning=True)
            else:
                cursor.execute(plan.statement(len(part)), params)
                keys = cursor.fetchall()
            for obj, (key,) in zip(part, keys, strict=True):
                setattr(obj, pk.attname, key)
                obj._state.adding = False
                obj._state.db = connection.alias
