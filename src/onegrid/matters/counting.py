"""Counts of a caller's matters by status, with how many are late and due soon, from the statistics
rollup rather than over the matters (``web.centre.queue``'s chips and the API's list counts).

Without filters other than status and deadline, and with grants no deeper than a county (``nodes``),
the counts by status come from the rollup rows of the granted nodes (``matters.Tally``, kept in step
with every change), which leave out merged duplicates: those are added from the matters, a few rows
by the merge index. The open matters are counted late and due soon from the index that holds them by
status and area, and the matters seen through participation outside the grants are added. Three
statements whatever the data, compiled once per number of nodes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.utils import timezone

from onegrid.kit import scope
from onegrid.kit.prepared import Shapes
from onegrid.matters import rollup
from onegrid.matters.lifecycle import OPEN, Status
from onegrid.matters.models import Matter, Tally
from onegrid.matters.permissions import taking_part

PERMISSION = "matters.view"


def rollup_nodes(actor: Any) -> tuple[str, ...] | None:
    """The subtrees of ``actor``'s scope when the rollup holds their counts by status (none deeper
    than a county); None otherwise."""
    nodes = scope.paths_for(actor, PERMISSION)
    if not nodes or any(rollup._depth(n) > rollup.FULL_DEPTH for n in nodes):
        return None
    return nodes


@dataclass(slots=True)
class Counts:
    """How many matters each status has under the other filters, and how many of them are late."""

    by_status: dict[str, int] = field(default_factory=dict)
    overdue: dict[str, int] = field(default_factory=dict)
    warning: dict[str, int] = field(default_factory=dict)
    capped: bool = False

    def total(self, statuses: tuple[str, ...] = (), due: str = "") -> int:
        source = self.overdue if due == "overdue" else self.warning if due == "warning" else self.by_status
        return sum(n for s, n in source.items() if not statuses or s in statuses)

    def open(self) -> int:
        return sum(n for s, n in self.by_status.items() if Status(s) in OPEN)


def late_and_soon(now: dt.datetime | None = None) -> tuple[Q, Q]:
    """Open and past the deadline; open and past the warning mark but not yet the deadline."""
    now = timezone.now() if now is None else now
    late = Q(status__in=list(OPEN), due_at__lt=now)
    soon = Q(status__in=list(OPEN), warn_at__lte=now, due_at__gte=now)
    return late, soon


def in_nodes(nodes: tuple[str, ...], ends: tuple[str, ...] | None = None) -> Q:
    """Matters under any of ``nodes``, as ranges on the path (what the indexes serve): from the node's
    path to its end, the path with its last "/" raised to "0" (``ends`` given: compiled statements
    pass markers for both)."""
    if scope.ROOT in nodes:
        return Q()
    ends = tuple(_end(node) for node in nodes) if ends is None else ends
    where = Q(pk__in=[])
    for node, end in zip(nodes, ends, strict=True):
        where |= Q(area_path__gte=node, area_path__lt=end)
    return where


def _end(node: str) -> str:
    return node[:-1] + "0"


def from_rollup(actor: Any, nodes: tuple[str, ...]) -> Counts:
    """Counts of the actor's queue without filters: by status from the rollup rows of the granted
    nodes (which leave out merged duplicates: added from the matters, a few rows by the merge index),
    the overdue and due-soon ones from the index of open matters by status and area, plus the matters
    the actor sees through participation outside the grants (their reports, their organisations'
    matters and assistance requests). Three statements whatever the data, each compiled once per
    number of nodes (``_ROLLUP_COUNTS``); the few extra rows are counted here rather than grouped in
    SQL (a GROUP BY status lures the planners onto the status index over every matter)."""
    out = Counts()
    now = timezone.now()
    everywhere = scope.ROOT in nodes
    width = len(nodes)
    bounds = () if everywhere else (*nodes, *(_end(node) for node in nodes))

    def add(status: str, n: int = 1, due: Any = None, warn: Any = None) -> None:
        out.by_status[status] = out.by_status.get(status, 0) + n
        if n == 1 and Status(status) in OPEN and due is not None:
            late, soon = due < now, warn is not None and warn <= now <= due
            out.overdue[status] = out.overdue.get(status, 0) + int(late)
            out.warning[status] = out.warning.get(status, 0) + int(soon)

    tallied = _ROLLUP_COUNTS.compiled(("tally", width), (str,) * width, _tallied)
    for value, n in Shapes.run(tallied, nodes):
        if n:
            add(value, int(n))
    kinds = (str,) * len(bounds)
    open_ = _ROLLUP_COUNTS.compiled(("open", everywhere, width), (*kinds, dt.datetime), _open_by_status)
    for status, late_n, soon_n in Shapes.run(open_, (*bounds, now)):
        out.overdue[status] = out.overdue.get(status, 0) + late_n
        out.warning[status] = out.warning.get(status, 0) + soon_n
    others_kinds, others_args = ((), ()) if everywhere else ((*kinds, int), (*bounds, actor.pk))
    others = _ROLLUP_COUNTS.compiled(("others", everywhere, width), others_kinds, _others)
    for part, status, path, due, warn in Shapes.run(others, others_args):
        if part == 2:
            add(status, 1, due, warn)
        elif any(path.startswith(node) for node in nodes):
            add(status)  # a merged duplicate: the rollup leaves it out; its deadlines were counted above
    return out


_ROLLUP_COUNTS = Shapes()


def _tallied(*nodes: str) -> QuerySet[Any]:
    return (
        Tally.objects.filter(dim="status", area_path__in=nodes)
        .values("value")
        .annotate(n=Sum("n"))
        .order_by()
    )


def _open_by_status(*bounds_and_now: Any) -> QuerySet[Any]:
    """Open matters under the nodes (their paths, then their ends) by status, with how many are late
    and due soon at the moment given last."""
    *bounds, now = bounds_and_now
    late, soon = late_and_soon(now)
    return (
        Matter.objects.filter(_inside(bounds), status__in=list(OPEN))
        .order_by()
        .values("status")
        .annotate(overdue=Count("pk", filter=late), warning=Count("pk", filter=soon))
    )


def _inside(bounds: list[Any] | tuple[Any, ...]) -> Q:
    """``in_nodes`` of the nodes' paths followed by their ends (none: the whole net)."""
    half = len(bounds) // 2
    return in_nodes(tuple(bounds[:half]), tuple(bounds[half:])) if bounds else Q()


def _others(*bounds_and_user: Any) -> QuerySet[Any]:
    """In one statement, each part planned on its own index: merged duplicates (by the merge index;
    "> 0" rather than "IS NOT NULL", which SQLite answers with a scan of every matter) and, outside
    the nodes (their paths, then their ends; the user's key last), the user's reports and their
    organisations' and assisted matters. The whole net holds every matter: nothing is outside it."""
    fields = ("part", "status", "area_path", "due_at", "warn_at")
    rows = Matter.objects.filter(merged_into_id__gt=0).annotate(part=Value(1)).values_list(*fields)
    if not bounds_and_user:
        return rows.order_by()
    *bounds, user = bounds_and_user
    outside = (
        Matter.objects.filter(pk__in=taking_part(user))
        .exclude(_inside(bounds))
        .annotate(part=Value(2))
        .values_list(*fields)
    )
    return rows.order_by().union(outside.order_by(), all=True)
