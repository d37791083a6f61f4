"""Human-readable matter numbers: county code, local date, daily sequence — ``330122-20261122-000123``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from onegrid.matters.models import NumberSequence

_TABLE = NumberSequence._meta.db_table


def county_code(area_path: str) -> str:
    codes = [c for c in area_path.strip("/").split("/") if c]
    return codes[2] if len(codes) > 2 else codes[-1][:6]


def prefix_of(area_path: str, at: dt.datetime) -> str:
    """The county and local day part of a number: ``330122-20261122``."""
    day = at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y%m%d")
    return f"{county_code(area_path)}-{day}"


def reserve(prefix: str, count: int = 1, *, asynchronous: bool = False) -> int:
    """Take the next ``count`` numbers of ``prefix``'s sequence; returns the last of them (the block is
    ``last - count + 1 .. last``). The counter row stays locked until the calling transaction commits,
    so concurrent intakes of the same county and day queue here and never share a number (see
    ``numbers_apart`` for reserving in a short transaction of its own).

    One statement in the usual case (``UPDATE ... RETURNING``, SQLite ≥ 3.35 and PostgreSQL); the first
    numbers of a county's day insert the row (a concurrent first insert is absorbed by ``ON CONFLICT``).
    """
    # asynchronous (PostgreSQL, a statement in autocommit): set_config, local to the statement's own
    # transaction, lets its commit return before the WAL flush
    apart = (
        "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous " if asynchronous else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET last = last + %s {apart}WHERE prefix = %s RETURNING last",  # noqa: S608
            [count, prefix],
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {_TABLE} (prefix, last) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (prefix) DO UPDATE SET last = " + _TABLE + ".last + %s RETURNING last",
                [prefix, count, count],
            )
            row = cursor.fetchone()
    return int(row[0])


def numbers(area_paths: Sequence[str], at: dt.datetime, *, asynchronous: bool = False) -> list[str]:
    """A number for each of ``area_paths`` at ``at``, in order: one block reserved per county and day."""
    by_prefix: dict[str, list[int]] = {}
    for i, path in enumerate(area_paths):
        by_prefix.setdefault(prefix_of(path, at), []).append(i)
    out = [""] * len(area_paths)
    for prefix in sorted(by_prefix):  # always the same order, so two batches cannot deadlock
        indices = by_prefix[prefix]
        first = reserve(prefix, len(indices), asynchronous=asynchronous) - len(indices) + 1
        for offset, i in enumerate(indices):
            out[i] = f"{prefix}-{first + offset:06d}"
    return out


def numbers_apart(area_paths: Sequence[str], at: dt.datetime) -> list[str] | None:
    """Numbers for ``area_paths`` reserved *before* the intake transaction, in a short transaction of
    their own, where that helps: on PostgreSQL, outside any transaction. ``None`` elsewhere — the caller
    then takes them inside its transaction with ``numbers``.

    Why: a counter row reserved inside the intake transaction stays locked until that transaction
    commits, so concurrent intakes of a county and day would queue through each other's whole write and
    fsync. Reserved apart, the row is held for one statement: each county's block is one statement in
    autocommit, its own transaction. The price is a gap: numbers reserved for a write that then fails
    are never used (numbers stay unique and increase within a county's day). That transaction commits
    without waiting for its WAL flush (see ``reserve``): the intake's own commit flushes the WAL up to
    its commit record, which lies after the reservation's,
    so a matter that is committed never has a number a crash could hand out again. SQLite serialises
    writers anyway; there the counter stays inside the intake transaction and numbers have no gaps.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    return numbers(area_paths, at, asynchronous=True)


def next_number(area_path: str, at: dt.datetime) -> str:
    """The next number for a matter at ``area_path`` (inside the intake transaction, see ``reserve``)."""
    prefix = prefix_of(area_path, at)
    return f"{prefix}-{reserve(prefix):06d}"
