"""The queue over the API (``GET /api/v1/matters/``), run from statements compiled once per shape.

``selectors.search`` says what a listing holds: the caller's scope (area subtrees and participation)
and the filters. Building that queryset and compiling it took more of a request's time than the
database took to answer it (about 3 ms of Python a page and its count), for statements that differ
from one request to the next only in their values. Here ``search`` is built once per *shape* — which
filters are given, how many statuses and subtrees, whether the scope is the whole net — on markers
(``kit.prepared.Shapes``), and each request binds its own values: the caller's subtrees and key, the
filter values, the clock. What the statements select and how they are counted and sliced is the
queryset's, unchanged: the count reads at most ``COUNT_LIMIT`` + 1 rows as ``SerialisedPage`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from onegrid.kit import scope
from onegrid.kit.prepared import Compiled, Like, Shapes
from onegrid.matters import selectors

_SHAPES = Shapes()
PERMISSION = "matters.view"


class Search:
    """``selectors.search`` of one caller and filters as a shape and the values bound to it; ``compiled``
    gives the statement of a projection of it (the rows of a page, the keys to count), built once per
    shape and connection."""

    def __init__(
        self,
        actor: Any,
        *,
        status: list[str] | None = None,
        overdue: bool | None = None,
        warning: bool | None = None,
        category: str | None = None,
        channel: str | None = None,
        area: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        q: str | None = None,
        mine: bool = False,
    ) -> None:
        paths = scope.paths_for(actor, PERMISSION)
        everywhere = scope.ROOT in paths
        # (name, value, kind) of every value the statements take, in the order the builder reads them
        given: list[tuple[str, Any, type]] = []
        if not everywhere or mine:  # the key reaches the SQL through participation or "mine"
            given.append(("user", actor.pk, int))
        if not everywhere:
            given += [("path", path, Like) for path in paths]
        given += [("status", s, str) for s in status or ()]
        if overdue is not None or warning:
            given.append(("now", timezone.now(), dt.datetime))
        for name, value, kind in (
            ("category", category, str),
            ("channel", channel, str),
            ("area", area, Like),
            ("since", since, dt.datetime),
            ("until", until, dt.datetime),
            ("q", q, Like),
        ):
            if value:
                given.append((name, value, kind))
        self.args = tuple(value for _, value, _ in given)
        self.kinds = tuple(kind for _, _, kind in given)
        self.names = tuple(name for name, _, _ in given)
        self.everywhere, self.overdue, self.warning, self.mine = everywhere, overdue, bool(warning), mine
        self.shape = (everywhere, self.names, overdue, bool(warning), mine)

    def _build(self, *markers: Any) -> Any:
        """``selectors.search`` on ``markers`` in place of the values (one marker per value)."""
        by: dict[str, list[Any]] = {}
        for name, marker in zip(self.names, markers, strict=True):
            by.setdefault(name, []).append(marker)
        first = {name: values[0] for name, values in by.items()}
        actor = SimpleNamespace(pk=first.get("user"), is_authenticated=True)
        return selectors.search(
            actor,
            status=by.get("status"),
            overdue=self.overdue,
            warning=self.warning,
            category=first.get("category"),
            channel=first.get("channel"),
            area=first.get("area"),
            since=first.get("since"),
            until=first.get("until"),
            q=first.get("q"),
            mine=self.mine,
            paths=(scope.ROOT,) if self.everywhere else tuple(by.get("path", ())),
            now=first.get("now"),
        )

    def compiled(
        self, projection: Hashable, project: Callable[..., Any], extra: tuple[type, ...] = ()
    ) -> Compiled:
        """The statement of ``project(queryset, *markers of extra)``; ``projection`` names it (with the
        shape, the key it is kept under). Run it with ``run`` and the values of ``extra``."""
        width = len(self.kinds)

        def build(*markers: Any) -> Any:
            return project(self._build(*markers[:width]), *markers[width:])

        return _SHAPES.compiled((projection, *self.shape), (*self.kinds, *extra), build)

    def run(
        self, compiled: Compiled, extra: tuple[Any, ...] = (), sql: str = "", after: tuple[Any, ...] = ()
    ) -> list[tuple[Any, ...]]:
        """The rows of ``compiled`` with this search's values and ``extra``'s; ``sql`` around it with
        ``after`` parameters following (a count, a LIMIT)."""
        return Shapes.run(compiled, (*self.args, *extra), sql, after)


def _keys(qs: Any) -> Any:
    return qs.values("pk").order_by()


class Listing:
    """A page source for ``kit.pagination.LimitOffset``: ``count_upto`` and slices, each one statement.
    ``serialise`` makes an item of a row of ``fields``."""

    def __init__(
        self,
        actor: Any,
        fields: tuple[str, ...],
        serialise: Callable[[tuple[Any, ...]], dict[str, Any]],
        **filters: Any,
    ) -> None:
        self.search = Search(actor, **filters)
        self.fields, self.serialise = fields, serialise

    def count_upto(self, limit: int) -> int:
        """The count when it is at most ``limit``, else ``limit + 1`` (reads at most that many rows)."""
        compiled = self.search.compiled("count", _keys)
        sql = f"SELECT COUNT(*) FROM ({compiled.sql} LIMIT {int(limit) + 1}) counted"  # noqa: S608
        return int(self.search.run(compiled, sql=sql)[0][0])

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        start, stop = int(key.start or 0), int(key.stop)
        fields = self.fields
        compiled = self.search.compiled(("page", fields), lambda qs: qs.values_list(*fields))
        rows = self.search.run(
            compiled, sql=f"{compiled.sql} LIMIT %s OFFSET %s", after=(stop - start, start)
        )
        return [self.serialise(row) for row in rows]
