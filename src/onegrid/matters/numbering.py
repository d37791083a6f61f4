"""Human-readable matter numbers: county code, local date, daily sequence — ``330122-20261122-000123``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from onegrid.matters.models import NumberSequence

_TABLE = NumberSequence._meta.db_table


def county_code(area_path: str) -> str:
    codes = [c for c in area_path.strip("/").split("/") if c]
    return codes[2] if len(codes) > 2 else codes[-1][:6]


def next_number(area_path: str, at: dt.datetime) -> str:
    """Call inside the intake transaction: the counter row is locked until commit.

    One statement in the usual case (``UPDATE ... RETURNING``, SQLite ≥ 3.35 and PostgreSQL); the first
    number of a county's day inserts the row (a concurrent first insert is absorbed by ``ON CONFLICT``).
    """
    day = at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y%m%d")
    prefix = f"{county_code(area_path)}-{day}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET last = last + 1 WHERE prefix = %s RETURNING last",  # noqa: S608
            [prefix],
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {_TABLE} (prefix, last) VALUES (%s, 1) "  # noqa: S608
                "ON CONFLICT (prefix) DO UPDATE SET last = " + _TABLE + ".last + 1 RETURNING last",
                [prefix],
            )
            row = cursor.fetchone()
    return f"{prefix}-{int(row[0]):06d}"
