"""Fast multi-row INSERT for bulk loads (imports of a province's net, audit records of them).

The ORM's bulk_create prepares every field of every object through the field classes, which costs
more than the database itself for hundreds of thousands of rows. Here the caller hands over values
that are already what the database stores: JSON as text, binary as bytes, datetimes aware; only the
per-vendor casts and datetime adaptation are applied. No model ``save()`` or signal runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

CHUNK = 2000


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
