"""The live queue: matters in the caller's scope through ``matters.selectors``, newest first.

Bounded at every step, so it stays fast with a hundred thousand matters in scope:
- rows by keyset on the primary key (``id < before``, ``id > after`` for new arrivals), one page at a
  time, never an OFFSET;
- the counts by status, with the overdue and due-soon ones, from one grouped query over the filters
  other than status and deadline (so the status and deadline chips show what each would give);
- a text search counts at most ``COUNT_CAP`` matches and says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from onegrid.matters import selectors
from onegrid.matters.lifecycle import OPEN, Status
from onegrid.matters.models import Matter
from onegrid.web.centre.forms import period

PAGE_SIZE = 50
COUNT_CAP = 5000
ROW_FIELDS = (
    "number",
    "title",
    "status",
    "priority",
    "channel",
    "received_at",
    "due_at",
    "warn_at",
    "area_path",
    "category__name",
    "category__name_en",
    "area__name",
    "area__name_en",
    "area__code",
    "owner__name",
    "owner__name_en",
)


@dataclass(frozen=True, slots=True)
class Filters:
    status: tuple[str, ...] = ()
    due: str = ""
    category: str = ""
    channel: str = ""
    area: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    q: str = ""

    @classmethod
    def of(cls, data: dict[str, Any]) -> Filters:
        return cls(
            status=tuple(data.get("status") or ()),
            due=data.get("due") or "",
            category=data.get("category") or "",
            channel=data.get("channel") or "",
            area=data.get("area") or "",
            since=data.get("since"),
            until=data.get("until"),
            q=(data.get("q") or "").strip(),
        )


def _search(actor: Any, f: Filters, *, facets: bool) -> QuerySet[Matter]:
    """Matters matching ``f``; with ``facets`` the status and deadline filters are left out."""
    return selectors.search(
        actor,
        status=None if facets else (list(f.status) or None),
        overdue=True if f.due == "overdue" and not facets else None,
        warning=True if f.due == "warning" and not facets else None,
        category=f.category or None,
        channel=f.channel or None,
        area=f.area or None,
        since=period(f.since),
        until=period(f.until, end=True),
        q=f.q or None,
    )


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


def counts(actor: Any, f: Filters) -> Counts:
    """One grouped query (the filtered ids as a subquery, so joins of the scope never count twice)."""
    ids = _search(actor, f, facets=True).order_by().values("pk")
    if f.q:
        ids = ids.order_by("-pk")[:COUNT_CAP]
    now = timezone.now()
    late = Q(status__in=list(OPEN), due_at__lt=now)
    soon = Q(status__in=list(OPEN), warn_at__lte=now, due_at__gte=now)
    rows = (
        Matter.objects.filter(pk__in=ids)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=late), warning=Count("pk", filter=soon))
    )
    out = Counts()
    for row in rows:
        out.by_status[row["status"]] = row["n"]
        out.overdue[row["status"]] = row["overdue"]
        out.warning[row["status"]] = row["warning"]
    out.capped = bool(f.q) and sum(out.by_status.values()) >= COUNT_CAP
    return out


@dataclass(frozen=True, slots=True)
class Row:
    matter: Matter
    overdue: bool
    warning: bool


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    before: int | None  # the cursor of the next (older) page, None at the end

    @property
    def newest(self) -> int:
        return max((r.matter.pk for r in self.rows), default=0)


def _rows(ids: list[int]) -> list[Row]:
    now = timezone.now()
    matters = (
        Matter.objects.filter(pk__in=ids)
        .select_related("category", "area", "owner")
        .only(*ROW_FIELDS)
        .order_by("-pk")
    )
    rows = []
    for m in matters:
        open_ = Status(m.status) in OPEN
        late = bool(open_ and m.due_at and m.due_at < now)
        soon = bool(open_ and not late and m.warn_at and m.warn_at <= now)
        rows.append(Row(m, late, soon))
    return rows


def page(actor: Any, f: Filters, *, before: int | None = None) -> Page:
    """One page of the queue, newest first, older than ``before`` when given."""
    qs = _search(actor, f, facets=False)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    ids = list(qs.order_by("-pk").values_list("pk", flat=True)[: PAGE_SIZE + 1])
    more = len(ids) > PAGE_SIZE
    ids = ids[:PAGE_SIZE]
    return Page(_rows(ids), ids[-1] if more and ids else None)


def newer(actor: Any, f: Filters, *, after: int) -> list[Row]:
    """Matters that arrived since ``after`` (the newest id shown), newest first, at most a page."""
    qs = _search(actor, f, facets=False).filter(pk__gt=after)
    ids = list(qs.order_by("-pk").values_list("pk", flat=True)[:PAGE_SIZE])
    return _rows(ids)
