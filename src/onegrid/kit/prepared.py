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

``PreparedModels`` does the same for a queryset of model instances: besides the SQL it keeps what
Django's model iterable works out for every query (the columns of each model, the value converters,
how ``select_related`` objects are built and attached), so ``objects(*args)`` gives the same instances,
with the same deferred fields and related objects, as evaluating the queryset would.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

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


class _Plan:
    """What running one compiled model query needs: the statement, where each argument goes, and how a
    row becomes an instance (columns of the model, converters, ``select_related`` populators)."""

    __slots__ = (
        "constants",
        "converters",
        "end",
        "init_list",
        "model",
        "populators",
        "slots",
        "sql",
        "start",
    )

    def __init__(self, queryset: QuerySet[Any], markers: list[Any]) -> None:
        wrapper = connections[DEFAULT_DB_ALIAS]
        compiler = queryset.query.get_compiler(connection=wrapper)
        sql, params = compiler.as_sql()  # also fills compiler.select and compiler.klass_info
        self.sql = sql
        self.constants = list(params)
        self.slots = [markers.index(v) if v in markers else None for v in params]
        missing = [i for i in range(len(markers)) if i not in self.slots]
        if missing:
            raise ValueError(f"argument {missing[0]} does not reach the SQL unchanged: {sql}")
        known = getattr(queryset, "_known_related_objects", None)
        if compiler.annotation_col_map or known or getattr(queryset, "_prefetch_related_lookups", None):
            raise ValueError("annotations, known related objects and prefetching are not prepared")
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None, "a queryset of model instances"
        self.model: type[Model] = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.populators: list[Any] = get_related_populators(klass_info, select, DEFAULT_DB_ALIAS)  # type: ignore[call-arg]
        self.converters = list(compiler.get_converters([s[0] for s in select[: compiler.col_count]]).items())


class PreparedModels:
    """A queryset of model instances compiled once per database connection; ``objects(*args)`` runs it
    with new arguments and returns the instances. Querysets with annotations, ``prefetch_related`` or
    known related objects are refused when they are prepared. The plan is kept per connection object
    (one per server thread), so the value converters it holds are those of the connection running it."""

    def __init__(self, build: Callable[..., QuerySet[Any]], kinds: tuple[type, ...]) -> None:
        self.build = build
        self.kinds = kinds
        self._plans: weakref.WeakKeyDictionary[Any, _Plan] = weakref.WeakKeyDictionary()

    def _plan(self) -> _Plan:
        wrapper = connections[DEFAULT_DB_ALIAS]
        plan = self._plans.get(wrapper)
        if plan is None:
            markers: list[Any] = [
                _MARKER_INT - i if kind is int else f"\x00prepared-argument-{i}\x00"
                for i, kind in enumerate(self.kinds)
            ]
            plan = self._plans[wrapper] = _Plan(self.build(*markers), markers)
        return plan

    def objects(self, *args: Any) -> list[Any]:
        plan = self._plan()
        params = [plan.constants[i] if slot is None else args[slot] for i, slot in enumerate(plan.slots)]
        wrapper = connections[DEFAULT_DB_ALIAS]
        with wrapper.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        found = []
        model, start, end, init_list = plan.model, plan.start, plan.end, plan.init_list
        for raw in rows:
            row = list(raw)
            for pos, (convs, expression) in plan.converters:
                value = row[pos]
                for convert in convs:
                    value = convert(value, expression, wrapper)
                row[pos] = value
            obj = model.from_db(DEFAULT_DB_ALIAS, init_list, row[start:end])
            for populator in plan.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found
