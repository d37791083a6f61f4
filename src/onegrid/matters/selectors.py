"""Every read of matters, through the caller's scope (area grants plus participation)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from onegrid.access.models import Membership
from onegrid.areas.levels import Level
from onegrid.areas.models import Area
from onegrid.kit import scope
from onegrid.kit.errors import NotFound
from onegrid.kit.prepared import Prepared, PreparedModels
from onegrid.kit.scope import ScopedQuerySet
from onegrid.matters.lifecycle import OPEN, Status
from onegrid.matters.models import Attachment, Category, Channel, Event, Matter, Rating

# A category whose keywords hold this marker keeps its reports off every public page (FixMyStreet reads
# the same marker from the Open311 service list, so one setting covers both sides).
PRIVATE_KEYWORD = "private"
# A matter's area comes with it for its name; its boundary (a JSON polygon and its WKB) is never needed
# beside a matter and was most of the cost of reading one.
AREA_OUTLINE = ("area__geometry", "area__geometry_wkb")


def visible(actor: Any) -> ScopedQuerySet[Matter]:
    return Matter.objects.restrict(actor, "matters.view")


def public_open311() -> QuerySet[Matter]:
    """Reports that came in through Open311 from someone who did not ask for anonymity, in a category
    that is not private: what the public may see (in the reduced form the Open311 view gives)."""
    return Matter.objects.filter(channel=Channel.OPEN311, anonymous=False).exclude(
        category__keywords__icontains=PRIVATE_KEYWORD
    )


def submitted_by(user: Any) -> QuerySet[Matter]:
    """The matters ``user`` (an account or an API token's owner) took in themselves."""
    return Matter.objects.filter(created_by=user)


def keyed(user: Any) -> QuerySet[Matter]:
    """The matters ``user`` took in with an idempotency key. The condition repeats the one of the unique
    index ``matter_idempotency_key`` word for word: without it SQLite cannot use that partial index and
    reads every matter the caller ever sent."""
    return submitted_by(user).exclude(idempotency_key="")


_EARLIER = Prepared(
    lambda user_id, key: keyed(user_id).filter(idempotency_key=key).order_by().values_list("pk")[:1],
    (int, str),
)


def earlier(user: Any, key: str) -> Matter | None:
    """The matter ``user`` already sent with idempotency key ``key``, if any."""
    # Asked before nearly every keyed intake and nearly always absent: the key alone is looked up by a
    # statement compiled once, the matter is read only when there is one.
    found = _EARLIER.rows(user.pk, key)
    return Matter.objects.get(pk=found[0][0]) if found else None


# a matter as a page or an answer shows it: its category (and the category's parent), area and owner
READ_WITH = ("category", "category__parent", "area", "owner")
_BY_NUMBER = PreparedModels(
    lambda number: (
        Matter.objects.select_related(*READ_WITH).defer(*AREA_OUTLINE).filter(number=number).order_by()[:1]
    ),
    (str,),
)


def get_for(actor: Any, number: str) -> Matter:
    """The matter with ``number`` if ``actor`` may see it; NotFound (404) otherwise."""
    # Asked on every read and step of a matter. Read by its number with a statement compiled once and
    # let through by the caller's area grants (the first condition of ``visible``) without composing
    # the scope query; only a caller without a grant over it (a reporter, a handler of the responsible
    # or an assisting organisation) has it read again through ``visible``.
    if scope.paths_for(actor, "matters.view"):
        found = _BY_NUMBER.objects(number)
        if not found:
            raise NotFound(f"matter {number} not found")
        matter: Matter = found[0]
        if scope.covers(actor, "matters.view", matter.area_path):
            return matter
        wanted = Q(pk=found[0].pk)
    else:
        wanted = Q(number=number)
    read = visible(actor).select_related(*READ_WITH).defer(*AREA_OUTLINE).filter(wanted).first()
    if read is None:
        raise NotFound(f"matter {number} not found")
    return read


_TIMELINE = PreparedModels(
    lambda matter_id: Event.objects.filter(matter_id=matter_id).select_related("organisation"), (int,)
)
_ATTACHMENTS = PreparedModels(lambda matter_id: Attachment.objects.filter(matter_id=matter_id), (int,))
_SCORE = Prepared(
    lambda matter_id: Rating.objects.filter(matter_id=matter_id).values_list("score")[:1], (int,)
)


def timeline(matter: Matter) -> list[Event]:
    """The matter's events, oldest first, each with its organisation."""
    return _TIMELINE.objects(matter.pk)


def attachments_of(matter: Matter) -> list[Attachment]:
    return _ATTACHMENTS.objects(matter.pk)


def score_of(matter: Matter) -> int | None:
    """The resident's rating of the matter, if they gave one."""
    cached: Any = Matter._meta.get_field("rating")
    if cached.is_cached(matter):
        rating = cached.get_cached_value(matter)
        return int(rating.score) if rating is not None else None
    found = _SCORE.rows(matter.pk)
    return int(found[0][0]) if found else None


def grids_of(actor: Any) -> list[Area]:
    """The grids a grid worker works: those they are named responsible for, else the grids within
    their grants to take in matters."""
    named = list(actor.grids.filter(level__gte=Level.GRID).defer("geometry_wkb").order_by("path"))
    if named:
        return named
    paths = scope.paths_for(actor, "matters.create")
    if not paths:
        return []
    within = Q()
    for path in paths:
        within |= Q(path__startswith=path)
    return list(Area.objects.filter(within, level=Level.GRID).defer("geometry_wkb").order_by("path")[:50])


def tasks_for(actor: Any) -> ScopedQuerySet[Matter]:
    """A grid worker's tasks (任务): in their grids, the open matters their organisation is responsible
    for, and the resolved ones waiting to be verified on site. Most urgent deadline first."""
    grids = grids_of(actor)
    if not grids:
        return visible(actor).none()
    in_grids = Q()
    for grid in grids:
        in_grids |= Q(area_path__startswith=grid.path)
    theirs = Q(status__in=list(OPEN), owner__memberships__user=actor)
    to_verify = Q(status=Status.RESOLVED)
    ids = visible(actor).filter(in_grids & (theirs | to_verify)).values("pk")
    return (
        visible(actor)
        .filter(pk__in=ids)
        .select_related("category", "area", "owner")
        .defer(*AREA_OUTLINE)
        .order_by("due_at", "-received_at")
    )


def search(
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
    paths: tuple[str, ...] | None = None,
    now: dt.datetime | None = None,
) -> ScopedQuerySet[Matter]:
    """The matters in ``actor``'s scope that match the filters, newest first. ``paths`` and ``now``
    replace the actor's subtrees and the clock (``matters.listing`` compiles this with markers); the
    actor is read for its key only."""
    qs = (
        Matter.objects.restrict(actor, "matters.view", paths=paths)
        .select_related("category", "area", "owner")
        .defer(*AREA_OUTLINE)
    )
    if status:
        qs = qs.filter(status__in=status)
    now = timezone.now() if now is None else now
    if overdue is not None:
        late = Q(status__in=list(OPEN), due_at__lt=now)
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if warning:
        qs = qs.filter(status__in=list(OPEN), warn_at__lte=now, due_at__gte=now)
    if category:
        # the category and its children as a list of ids read once, not two joins per matter: the
        # database can then take the matters from the category index instead of reading every one
        chosen = Category.objects.filter(Q(code=category) | Q(parent__code=category)).values("pk")
        qs = qs.filter(category_id__in=chosen)
    if channel:
        qs = qs.filter(channel=channel)
    if area:
        qs = qs.filter(area_path__contains=f"/{area}/")
    if since:
        qs = qs.filter(received_at__gte=since)
    if until:
        qs = qs.filter(received_at__lt=until)
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(title__icontains=q) | Q(address__icontains=q))
    if mine:
        organisations = Membership.objects.filter(user_id=actor.pk).values("organisation_id")
        qs = qs.filter(Q(reporter_id=actor.pk) | Q(owner_id__in=organisations))
    return qs  # every condition is on the matter's own row or a subquery: no row comes twice


def likely_duplicates(matter: Matter, *, metres: float = 200.0, days: int = 7) -> list[Matter]:
    """Open matters of the same category near the same place in the last ``days``."""
    since = matter.received_at - dt.timedelta(days=days)
    qs = Matter.objects.filter(
        category=matter.category, status__in=list(OPEN), received_at__gte=since, merged_into__isnull=True
    ).exclude(pk=matter.pk)
    if matter.lon is not None and matter.lat is not None:
        dlat = metres / 111_320.0
        dlon = dlat / max(0.1, abs(math.cos(math.radians(matter.lat))))
        qs = qs.filter(
            lon__range=(matter.lon - dlon, matter.lon + dlon),
            lat__range=(matter.lat - dlat, matter.lat + dlat),
        )
    else:
        qs = qs.filter(area=matter.area)
    return list(qs.order_by("-received_at")[:10])
