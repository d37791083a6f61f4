"""The live queue: matters in the caller's scope through ``matters.selectors``, newest first.

Bounded at every step, so it stays fast with a hundred thousand matters in scope:
- rows by keyset on the primary key (``id < before``, ``id > after`` for new arrivals), one page at a
  time, never an OFFSET;
- the counts by status, with the overdue and due-soon ones, from one grouped query over the filters
  other than status and deadline (so the status and deadline chips show what each would give);
- a text search counts at most ``COUNT_CAP`` matches and says so;
- without filters (the status and deadline chips aside) and with grants no deeper than a county, the
  counts by status come from the statistics rollup (``matters.Tally``, kept in step with every change)
  instead of a count over the matters; the open matters are counted from the index that holds them
  by status and area, and matters seen through participation outside the grants are added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape as _text
from typing import Any
from urllib.parse import quote

from django.db.models import Count, QuerySet
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from onegrid.kit.prepared import PreparedModels
from onegrid.matters import counting, listing, selectors
from onegrid.matters.counting import Counts, late_and_soon
from onegrid.matters.lifecycle import OPEN, Status
from onegrid.matters.models import Channel, Matter
from onegrid.web.centre.forms import period
from onegrid.web.centre.labels import STATUS
from onegrid.web.templatetags.centre import named

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
    return selectors.search(actor, **_narrowing(f, facets=facets))


def _narrowing(f: Filters, *, facets: bool) -> dict[str, Any]:
    """``f`` as the filters of ``selectors.search`` (and ``listing.Search``)."""
    return {
        "status": None if facets else (list(f.status) or None),
        "overdue": True if f.due == "overdue" and not facets else None,
        "warning": True if f.due == "warning" and not facets else None,
        "category": f.category or None,
        "channel": f.channel or None,
        "area": f.area or None,
        "since": period(f.since),
        "until": period(f.until, end=True),
        "q": f.q or None,
    }


def _rollup_nodes(actor: Any, f: Filters) -> tuple[str, ...] | None:
    """The nodes whose counts the rollup holds by status, when ``f`` narrows nothing but the status
    and deadline (which the chips ignore anyway); None otherwise."""
    if f.category or f.channel or f.area or f.since or f.until or f.q:
        return None
    return counting.rollup_nodes(actor)


def counts(actor: Any, f: Filters) -> Counts:
    """Counts by status of the matters matching ``f`` but its status and deadline: from the rollup
    when it holds them (see the module docstring), else one grouped query (the filtered ids as a
    subquery, so joins of the scope never count twice)."""
    nodes = _rollup_nodes(actor, f)
    if nodes is not None:
        return counting.from_rollup(actor, nodes)
    ids = _search(actor, f, facets=True).order_by().values("pk")
    if f.q:
        ids = ids.order_by("-pk")[:COUNT_CAP]
    late, soon = late_and_soon()
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


CHANNELS = dict(Channel.choices)
SHORT = "%m-%d %H:%M"  # a row's times, as the page's date filter "m-d H:i" wrote them


@dataclass(frozen=True, slots=True)
class Row:
    """A matter of the queue with what its row shows, worked out here: fifty rows of template filters
    (names, labels, two dates each) were most of the page's cost."""

    matter: Matter
    overdue: bool
    warning: bool
    category: str = ""
    channel: str = ""
    area: str = ""
    status: str = ""
    owner: str = ""
    received_iso: str = ""
    received: str = ""
    due_iso: str = ""
    due: str = ""

    @classmethod
    def of(cls, m: Matter, now: dt.datetime) -> Row:
        open_ = Status(m.status) in OPEN
        late = bool(open_ and m.due_at and m.due_at < now)
        soon = bool(open_ and not late and m.warn_at and m.warn_at <= now)
        received = timezone.localtime(m.received_at) if m.received_at else None
        due = timezone.localtime(m.due_at) if m.due_at else None
        return cls(
            m,
            late,
            soon,
            category=named(m.category),
            channel=str(CHANNELS.get(m.channel, m.channel)),
            area=named(m.area),
            status=str(STATUS.get(m.status, m.status)),
            owner=named(m.owner) if m.owner_id else "",
            received_iso=received.isoformat() if received else "",
            received=received.strftime(SHORT) if received else "",
            due_iso=due.isoformat() if due else "",
            due=due.strftime(SHORT) if due else "",
        )

    def html(self) -> SafeString:
        """The row's ``<tr>``, as ``centre/_row.html`` drew it (fifty includes a page cost more than the
        rest of the page's template)."""
        return self._draw(fresh=False)

    def fresh_html(self) -> SafeString:
        """The row of a matter that arrived while the page was open (marked ``fresh``)."""
        return self._draw(fresh=True)

    def _draw(self, *, fresh: bool) -> SafeString:
        # every value is text: the standard library's escape, as Django's does it without the check
        # for lazy strings on each of the row's dozen calls
        m = self.matter
        number = _text(m.number)
        flag = "overdue" if self.overdue else "warning" if self.warning else ""
        if self.due:
            mark = (
                f' <span class="flag late">{_text(_("overdue"))}</span>'
                if self.overdue
                else f' <span class="flag soon">{_text(_("due soon"))}</span>'
                if self.warning
                else ""
            )
            due = f'<time datetime="{_text(self.due_iso)}">{_text(self.due)}</time>{mark}'
        else:
            due = "—"
        return mark_safe(  # noqa: S308 (every value escaped)
            f'<tr id="m-{number}" data-id="{m.pk}" class="{"fresh " if fresh else ""}{flag}">\n'
            f'  <td><a href="{_text(_matter_url(m.number))}">{number}</a></td>\n'
            f'  <td class="title">{_text(m.title)}</td>\n'
            f"  <td>{_text(self.category)}</td>\n"
            f"  <td>{_text(self.channel)}</td>\n"
            f"  <td>{_text(self.area)}</td>\n"
            f'  <td><span class="status status-{_text(m.status)}">{_text(self.status)}</span></td>\n'
            f"  <td>{_text(self.owner or '—')}</td>\n"
            f'  <td class="time"><time datetime="{_text(self.received_iso)}">{_text(self.received)}</time></td>\n'
            f'  <td class="time">{due}</td>\n'
            "</tr>\n"
        )


_MARKER = "0000-matter-0000"


def _matter_url(number: str) -> str:
    """``reverse("centre:matter", args=[number])`` without resolving the pattern for each of a page's
    fifty rows: the address around a marker, worked out once per script prefix."""
    around = _MATTER_URLS.get(get_script_prefix())
    if around is None:
        around = _MATTER_URLS[get_script_prefix()] = tuple(
            reverse("centre:matter", args=[_MARKER]).split(_MARKER)
        )
    return quote(number, safe="!$&'()*+,;=/~:@").join(around)


_MATTER_URLS: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    before: int | None  # the cursor of the next (older) page, None at the end

    @property
    def newest(self) -> int:
        return max((r.matter.pk for r in self.rows), default=0)


# A page's matters by their keys, always PAGE_SIZE of them (the missing ones as 0, which no matter has):
# one statement compiled once for every page.
_ROWS = PreparedModels(
    lambda *ids: (
        Matter.objects.filter(pk__in=ids)
        .select_related("category", "area", "owner")
        .only(*ROW_FIELDS)
        .order_by("-pk")
    ),
    (int,) * PAGE_SIZE,
)


def _rows(ids: list[int]) -> list[Row]:
    now = timezone.now()
    return [Row.of(m, now) for m in _ROWS.objects(*ids, *[0] * (PAGE_SIZE - len(ids)))]


def _listed(actor: Any, f: Filters) -> listing.Search:
    """The queue's rows (``_search`` without facets) as a search compiled per shape."""
    return listing.Search(actor, **_narrowing(f, facets=False))


def _newest(qs: QuerySet[Matter]) -> Any:
    return qs.order_by("-pk").values_list("pk")


def _older(qs: QuerySet[Matter], before: int) -> Any:
    return qs.filter(pk__lt=before).order_by("-pk").values_list("pk")


def _newer(qs: QuerySet[Matter], after: int) -> Any:
    return qs.filter(pk__gt=after).order_by("-pk").values_list("pk")


def _ids(search: listing.Search, name: str, project: Any, bound: tuple[int, ...], limit: int) -> list[int]:
    """The keys of ``project`` of ``search`` past ``bound`` (none: from the newest), newest first."""
    compiled = search.compiled(name, project, (int,) * len(bound))
    return [row[0] for row in search.run(compiled, bound, f"{compiled.sql} LIMIT %s", (limit,))]


def page(actor: Any, f: Filters, *, before: int | None = None) -> Page:
    """One page of the queue, newest first, older than ``before`` when given."""
    search = _listed(actor, f)
    if before is None:
        ids = _ids(search, "newest", _newest, (), PAGE_SIZE + 1)
    else:
        ids = _ids(search, "older", _older, (before,), PAGE_SIZE + 1)
    more = len(ids) > PAGE_SIZE
    ids = ids[:PAGE_SIZE]
    return Page(_rows(ids), ids[-1] if more and ids else None)


def newer(actor: Any, f: Filters, *, after: int) -> list[Row]:
    """Matters that arrived since ``after`` (the newest id shown), newest first, at most a page."""
    return _rows(_ids(_listed(actor, f), "newer", _newer, (after,), PAGE_SIZE))
