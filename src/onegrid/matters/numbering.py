"""Human-readable matter numbers: county code, local date, daily sequence — ``330122-20261122-000123``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from onegrid.matters.models import NumberSequence

_TABLE = NumberSequence._meta.db_table


def county_code(area_path: str) -> str:
    codes = [c for c in area_path.strip("/").split("/") if c]
    return codes[2] if len(codes) > 2 else codes[-1][:6]


def prefix_of(area_path: str, at: dt.datetime) -> str:
    """The county and local day part of a number: ``330122-20261122``."""
    day = at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y%m%d")
    return f"{county_code(area_path)}-{day}"


def reserve(prefix: str, count: int = 1) -> int:
    """Take the next ``count`` numbers of ``prefix``'s sequence; returns the last of them (the block is
    ``last - count + 1 .. last``). The counter row stays locked until the calling transaction commits,
    so concurrent intakes of the same county and day queue here and never share a number (see
    ``numbers_apart`` for reserving in a short transaction of its own).

    One statement in the usual case (``UPDATE ... RETURNING``, SQLite ≥ 3.35 and PostgreSQL); the first
    numbers of a county's day insert the row (a concurrent first insert is absorbed by ``ON CONFLICT``).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET last = last + %s WHERE prefix = %s RETURNING last",  # noqa: S608
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


def numbers(area_paths: Sequence[str], at: dt.datetime) -> list[str]:
    """A number for each of ``area_paths`` at ``at``, in order: one block reserved per county and day."""
    by_prefix = _by_prefix(area_paths, at)
    out = [""] * len(area_paths)
    for prefix in sorted(by_prefix):  # always the same order, so two batches cannot deadlock
        indices = by_prefix[prefix]
        for i, number in _numbered(prefix, indices, reserve(prefix, len(indices))).items():
            out[i] = number
    return out


def _by_prefix(area_paths: Sequence[str], at: dt.datetime) -> dict[str, list[int]]:
    by_prefix: dict[str, list[int]] = {}
    for i, path in enumerate(area_paths):
        by_prefix.setdefault(prefix_of(path, at), []).append(i)
    return by_prefix


def _numbered(prefix: str, indices: list[int], last: int) -> dict[int, str]:
    """The numbers of the block of ``prefix`` ending at ``last``, by the index they go to."""
    first = last - len(indices) + 1
    return {i: f"{prefix}-{first + offset:06d}" for offset, i in enumerate(indices)}


def numbers_apart(area_paths: Sequence[str], at: dt.datetime) -> list[str] | None:
    """Numbers for ``area_paths`` reserved *before* the intake transaction, in a short transaction of
    their own, where that helps: on PostgreSQL, outside any transaction. ``None`` elsewhere — the caller
    then takes them inside its transaction with ``numbers``.

    Why: a counter row reserved inside the intake transaction stays locked until that transaction
    commits, so concurrent intakes of a county and day would queue through each other's whole write and
    fsync. Reserved apart, the row is held for one statement. The price is a gap: numbers reserved for
    a write that then fails are never used (numbers stay unique and increase within a county's day).
    The short transaction commits without waiting for its WAL flush (``synchronous_commit = off``): the
    intake's own commit flushes the WAL up to its commit record, which lies after the reservation's,
    so a matter that is committed never has a number a crash could hand out again. SQLite serialises
    writers anyway; there the counter stays inside the intake transaction and numbers have no gaps.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    by_prefix = _by_prefix(area_paths, at)
    if not by_prefix:
        return []
    if len(by_prefix) > 1:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            return numbers(area_paths, at)
    # the usual case, one county's day: one statement in autocommit is its own transaction, and the
    # set_config in it (local to that transaction) makes its commit not wait for the flush
    ((prefix, indices),) = by_prefix.items()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET last = last + %s "  # noqa: S608
            "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous "
            "WHERE prefix = %s RETURNING last",
            [len(indices), prefix],
        )
        row = cursor.fetchone()
    if row is None:  # the county's first matter of the day: its row is created the usual way
        return numbers(area_paths, at)
    return list(_numbered(prefix, indices, int(row[0])).values())  # one prefix: indices are 0, 1, 2...


def next_number(area_path: str, at: dt.datetime) -> str:
    """The next number for a matter at ``area_path`` (inside the intake transaction, see ``reserve``)."""
    prefix = prefix_of(area_path, at)
    return f"{prefix}-{reserve(prefix):06d}"
