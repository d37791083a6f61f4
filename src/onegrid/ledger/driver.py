"""The ledger's hot statements, run on the database driver's own cursor.

A durable batch runs about ten statements and a proof one. Django's cursor wrapper costs as much as a
small statement itself: every call goes through the thread-local connection proxy and the debug
and wrapper machinery, and on SQLite through a regular-expression rewrite of the placeholders. On
PostgreSQL it also binds on the client, which writes every byte of a 16 KiB tile into the statement
as hex text (~0.3 ms a tile). So these statements go straight to the driver:

- statement text is written with ``%s`` once, and kept per vendor with the driver's placeholders
  (``?`` for sqlite3);
- on PostgreSQL the cursor binds on the server and both parameters and results travel in binary
  (psycopg also prepares a statement it has seen a few times);
- database errors are Django's (``wrap_database_errors``), as through its cursor;
- when Django logs queries (DEBUG, tests counting statements) each one is logged as its cursor would
  log it; when execute wrappers are installed the statements go through Django's cursor instead, so
  the wrappers see them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["Statements", "database"]

_TEXT: dict[tuple[str, str], str] = {}  # (vendor, statement with %s) -> the driver's statement


def database() -> BaseDatabaseWrapper:
    """The default database's connection wrapper, looked up once (each attribute of
    ``django.db.connection`` is a thread-local lookup, ~2 µs)."""
    return connections[DEFAULT_DB_ALIAS]


class Statements:
    """A cursor for a few statements in a row: ``with Statements(db) as run: run.execute(...)``."""

    __slots__ = ("_cursor", "_direct", "_logged", "_vendor", "db")

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db
        self._vendor = db.vendor
        self._direct = not db.execute_wrappers
        self._logged = db.queries_logged
        self._cursor: Any = None

    def __enter__(self) -> Statements:
        db = self.db
        if not self._direct:
            self._cursor = db.cursor()
            return self
        if db.connection is None:
            db.ensure_connection()
        if self._vendor == "postgresql":
            import psycopg  # the driver of this database; absent where only SQLite is used

            self._cursor = psycopg.Cursor(db.connection)
            self._cursor.format = psycopg.pq.Format.BINARY  # results in binary too
        else:
            self._cursor = db.connection.cursor()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._cursor.close()

    def _text(self, sql: str) -> str:
        if not self._direct or self._vendor != "sqlite":
            return sql
        key = (self._vendor, sql)
        text = _TEXT.get(key)
        if text is None:
            text = _TEXT[key] = sql.replace("%s", "?")
        return text

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Statements:
        if not self._direct:
            self._cursor.execute(sql, params)
            return self
        started = time.perf_counter()
        with self.db.wrap_database_errors:
            self._cursor.execute(self._text(sql), params)
        if self._logged:
            self._log(sql, started)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Statements:
        if not self._direct:
            self._cursor.executemany(sql, rows)
            return self
        started = time.perf_counter()
        with self.db.wrap_database_errors:
            self._cursor.executemany(self._text(sql), rows)
        if self._logged:
            self._log(sql, started, many=len(rows))
        return self

    def _log(self, sql: str, started: float, *, many: int = 0) -> None:
        shown = f"{many} times: {sql}" if many else sql
        self.db.queries_log.append({"sql": shown, "time": f"{time.perf_counter() - started:.3f}"})

    def fetchone(self) -> Any:
        with self.db.wrap_database_errors:
            return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        with self.db.wrap_database_errors:
            return list(self._cursor.fetchall())

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)
