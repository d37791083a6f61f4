"""Queries of the hot paths compiled to SQL once and run again with new parameters.

Building a queryset and compiling it costs a few hundred microseconds of Python, more than the
database takes to answer a lookup by index. ``Prepared`` builds its queryset once per database vendor
with marker arguments, keeps the SQL and where each argument goes among its parameters, and then
runs that SQL with the real arguments on the connection's cursor::

    EARLIER = Prepared(lambda user_id, key: keyed(user_id).filter(idempotency_key=key).values_list("pk")[:1])
    rows = EARLIER.rows(user.pk, "abc")

An argument's kind says how it reaches the SQL: ``int`` and ``str`` as they are given (plain equality
on integer or text columns), ``datetime`` as a datetime column's value (adapted for the database),
``Like`` inside the pattern of ``startswith``/``contains``/``endswith`` (escaped at run time as Django
escapes it). A lookup that transforms its value otherwise (``in`` on a string's letters, dates of a
datetime) is refused when the statement is prepared, since the marker would not be found among the
parameters.

``PreparedModels`` does the same for a queryset of model instances: besides the SQL it keeps what
Django's model iterable works out for every query (the columns of each model, the value converters,
how ``select_related`` objects are built and attached), so ``objects(*args)`` gives the same instances,
with the same deferred fields and related objects, as evaluating the queryset would.

``Shapes`` keeps the statements of a queryset whose form changes with its arguments (how many values a
list holds, which filters are given), one per form: the API's queue (``matters.listing``).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

_MARKER_INT = -7_340_000_000_000
_MARKER_MOMENT = dt.datetime(1111, 1, 1, tzinfo=dt.UTC)


class Like(str):
    """The kind of an argument that reaches the SQL inside a LIKE pattern (``startswith``, ``contains``,
    ``endswith`` and their case-insensitive forms): at run time it is escaped as Django escapes it
    (``\\``, ``%`` and ``_``) and put where the marker stood in the pattern."""


def _markers(kinds: tuple[type, ...]) -> list[Any]:
    """A value per argument that no query holds by itself, of the argument's kind."""
    out: list[Any] = []
    for i, kind in enumerate(kinds):
        if kind is int:
            out.append(_MARKER_INT - i)
        elif kind is dt.datetime:
            out.append(_MARKER_MOMENT + dt.timedelta(microseconds=i + 1))
        else:
            out.append(f"\x00prepared-argument-{i}\x00")
    return out


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where an argument goes among a statement's parameters, and how it is written there."""

    argument: int
    how: str  # "value" as given, "moment" adapted like a datetime column's value, "like" in a pattern
    before: str = ""  # a pattern's text around the argument
    after: str = ""


@dataclass(slots=True)
class Compiled:
    """A queryset's SQL with the place of each argument among its parameters, and the converters of its
    columns (what Django applies to the rows of ``values``/``values_list`` querysets)."""

    sql: str
    constants: list[Any]
    slots: list[_Slot | None]
    converters: list[Any]

    @classmethod
    def of(
        cls, queryset: QuerySet[Any], kinds: tuple[type, ...], markers: list[Any], wrapper: Any
    ) -> Compiled:
        return _compile(queryset, kinds, markers, wrapper)[0]

    def params(self, args: tuple[Any, ...] | list[Any], wrapper: Any) -> list[Any]:
        out = []
        for constant, slot in zip(self.constants, self.slots, strict=True):
            if slot is None:
                out.append(constant)
            elif slot.how == "value":
                out.append(args[slot.argument])
            elif slot.how == "moment":
                out.append(wrapper.ops.adapt_datetimefield_value(args[slot.argument]))
            else:
                out.append(slot.before + wrapper.ops.prep_for_like_query(args[slot.argument]) + slot.after)
        return out

    def convert(self, rows: list[Any], wrapper: Any) -> list[tuple[Any, ...]]:
        """The rows as Django's ``values_list`` gives them (its columns' converters applied)."""
        if not self.converters:
            return [tuple(r) for r in rows]
        out = []
        for raw in rows:
            row = list(raw)
            for pos, (convs, expression) in self.converters:
                value = row[pos]
                for convert in convs:
                    value = convert(value, expression, wrapper)
                row[pos] = value
            out.append(tuple(row))
        return out


def _compile(
    queryset: QuerySet[Any], kinds: tuple[type, ...], markers: list[Any], wrapper: Any
) -> tuple[Compiled, Any]:
    """The queryset built on ``markers`` compiled, with its compiler (which now knows its columns)."""
    compiler = queryset.query.get_compiler(connection=wrapper)
    sql, params = compiler.as_sql()
    moments = {
        i: wrapper.ops.adapt_datetimefield_value(m) for i, m in enumerate(markers) if kinds[i] is dt.datetime
    }
    slots = [_slot(value, kinds, markers, moments) for value in params]
    reached = {s.argument for s in slots if s is not None}
    missing = [i for i in range(len(markers)) if i not in reached]
    if missing:
        raise ValueError(f"argument {missing[0]} does not reach the SQL unchanged: {sql}")
    converters: list[Any] = []
    if compiler.select is not None:
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
    return Compiled(sql, list(params), slots, converters), compiler


def _slot(value: Any, kinds: tuple[type, ...], markers: list[Any], moments: dict[int, Any]) -> _Slot | None:
    for i, kind in enumerate(kinds):
        if kind is dt.datetime:
            if isinstance(value, type(moments[i])) and value == moments[i]:
                return _Slot(i, "moment")
        elif kind is Like:
            if isinstance(value, str) and markers[i] in value:
                before, after = value.split(markers[i], 1)
                return _Slot(i, "like", before, after)
        elif type(value) is type(markers[i]) and value == markers[i]:
            return _Slot(i, "value")
    return None


class Prepared:
    """A queryset compiled once per database vendor; ``rows(*args)`` runs it with new arguments."""

    def __init__(self, build: Callable[..., QuerySet[Any]], kinds: tuple[type, ...]) -> None:
        """``build`` makes the queryset from its arguments; ``kinds`` says each argument's type
        (``int``, ``str``, ``datetime`` or ``Like``) for the markers."""
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, Compiled] = {}

    def rows(self, *args: Any) -> list[tuple[Any, ...]]:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            markers = _markers(self.kinds)
            compiled = Compiled.of(self.build(*markers), self.kinds, markers, connection)
            self._compiled[connection.vendor] = compiled
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.params(args, connection))
            return list(cursor.fetchall())


class Shapes:
    """Querysets whose form changes with their arguments (how many values a list holds, which filters
    are given): each form, its *shape*, is built with markers and compiled the first time a connection
    meets it, then run again with new arguments. ``build(*markers)`` must give the same SQL for every
    set of arguments of one shape, which the caller's ``shape`` key has to say all of. Kept per
    connection object, since the converters hold the connection's own; at most ``LIMIT`` shapes each."""

    LIMIT = 256

    def __init__(self) -> None:
        self._plans: weakref.WeakKeyDictionary[Any, dict[Hashable, Compiled]] = weakref.WeakKeyDictionary()

    def compiled(
        self, shape: Hashable, kinds: tuple[type, ...], build: Callable[..., QuerySet[Any]]
    ) -> Compiled:
        wrapper = connections[DEFAULT_DB_ALIAS]
        plans = self._plans.get(wrapper)
        if plans is None:
            plans = self._plans[wrapper] = {}
        found = plans.get(shape)
        if found is None:
            if len(plans) >= self.LIMIT:
                plans.clear()
            markers = _markers(kinds)
            found = plans[shape] = Compiled.of(build(*markers), kinds, markers, wrapper)
        return found

    @staticmethod
    def run(
        compiled: Compiled, args: tuple[Any, ...] | list[Any], sql: str = "", extra: tuple[Any, ...] = ()
    ) -> list[tuple[Any, ...]]:
        """The converted rows of ``compiled`` with ``args`` (``sql``: the statement around it, e.g. a
        count or a LIMIT, with ``extra`` parameters after the statement's own)."""
        wrapper = connections[DEFAULT_DB_ALIAS]
        with wrapper.cursor() as cursor:
            cursor.execute(sql or compiled.sql, [*compiled.params(args, wrapper), *extra])
            rows = cursor.fetchall()
        return compiled.convert(rows, wrapper)


class _Plan:
    """What running one compiled model query needs: the statement, where each argument goes, and how a
    row becomes an instance (columns of the model, converters, ``select_related`` populators)."""

    __slots__ = ("compiled", "end", "init_list", "model", "populators", "start")

    def __init__(self, queryset: QuerySet[Any], kinds: tuple[type, ...], markers: list[Any]) -> None:
        wrapper = connections[DEFAULT_DB_ALIAS]
        # also fills the compiler's select and klass_info
        self.compiled, compiler = _compile(queryset, kinds, markers, wrapper)
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
            markers = _markers(self.kinds)
            plan = self._plans[wrapper] = _Plan(self.build(*markers), self.kinds, markers)
        return plan

    def objects(self, *args: Any) -> list[Any]:
        plan = self._plan()
        wrapper = connections[DEFAULT_DB_ALIAS]
        with wrapper.cursor() as cursor:
            cursor.execute(plan.compiled.sql, plan.compiled.params(args, wrapper))
            rows = plan.compiled.convert(cursor.fetchall(), wrapper)
        found = []
        model, start, end, init_list = plan.model, plan.start, plan.end, plan.init_list
        for row in rows:
            obj = model.from_db(DEFAULT_DB_ALIAS, init_list, row[start:end])
            for populator in plan.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found
