"""Queries of the hot paths compiled to SQL once and run again with new parameters.

Building a queryset and compiling it costs a few hundred microseconds of Python, more than the
database takes to answer a lookup by index. ``Prepared`` builds its queryset once per database vendor
with marker arguments, keeps the SQL and where each argument goes among its parameters, and then
runs that SQL with the real arguments on the connection's cursor::

    EARLIER = Prepared(lambda user_id, key: keyed(user_id).filter(idempotency_key=key).values_list("pk")[:1])
    rows = EARLIER.rows(user.pk, "abc")

Arguments must reach the SQL as they are given (plain equality on integer or text columns): a lookup
that transforms its value (``contains``, ``in``, dates) is refused when the statement is prepared,
since the marker would not be found among the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

_MARKER_INT = -7_340_000_000_000


class Prepared:
    """A queryset compiled once per database vendor; ``rows(*args)`` runs it with new arguments."""

    def __init__(self, build: Callable[..., QuerySet[Any]], kinds: tuple[type, ...]) -> None:
        """``build`` makes the queryset from its arguments; ``kinds`` says each argument's type
        (``int`` or ``str``) for the markers."""
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, tuple[str, list[Any], list[int | None]]] = {}

    def _compile(self) -> tuple[str, list[Any], list[int | None]]:
        markers: list[Any] = [
            _MARKER_INT - i if kind is int else f"\x00prepared-argument-{i}\x00"
            for i, kind in enumerate(self.kinds)
        ]
        sql, params = self.build(*markers).query.sql_with_params()
        slots: list[int | None] = []
        for value in params:
            slots.append(markers.index(value) if value in markers else None)
        missing = [i for i in range(len(markers)) if i not in slots]
        if missing:
            raise ValueError(f"argument {missing[0]} does not reach the SQL unchanged: {sql}")
        return sql, list(params), slots

    def rows(self, *args: Any) -> list[tuple[Any, ...]]:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile()
        sql, constants, slots = compiled
        params = [constants[i] if slot is None else args[slot] for i, slot in enumerate(slots)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
