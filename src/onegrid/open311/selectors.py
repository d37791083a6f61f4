"""What Open311 reads, and who may read how much of it.

Readers: the public (no ``api_key``) and the holder of an ``api_key`` (an API token; its owner's grants,
narrowed by the token, decide).

- **The public** sees the requests that came in *through Open311* (``channel=open311``), whose reporter
  did not ask for anonymity and whose category is not marked ``private`` in its keywords (the marker
  FixMyStreet reads from the service list to keep a category's reports off its public pages, so one
  setting covers both sides). Hotline calls, grid patrols, sensor alarms and the rest are the
  administration's working records, not public reports, so they never appear without a key. And the
  public gets the spec's fields with nothing that can identify anyone: no description (free text names
  people), the area instead of the street address, coordinates rounded to about 100 m, no media, and
  ``status_notes`` in the standard wording of the last step rather than what staff wrote.
- **A key holder** additionally sees, in full, the matters its owner may view (``matters.view`` over the
  area, the usual scope) and the ones it submitted itself (so FixMyStreet can follow what it sent with a
  key that only holds ``matters.report``).

Names, phone numbers and e-mail addresses never appear in any Open311 output: the spec has no field
for them.

Which matters each reader may see comes from ``matters.selectors`` (``public_open311``,
``submitted_by``, ``visible``); this module shapes what Open311 shows of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Max, OuterRef, QuerySet, Subquery

from onegrid.access.models import User
from onegrid.areas.models import Area
from onegrid.audit.models import AuditRecord
from onegrid.matters import selectors as matter_selectors
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Attachment, Category, Event, Matter, RoutingRule

# The timeline events that change (or explain) a request's status; the first is the request itself.
STATUS_ACTIONS = ("receive", *(s.value for s in Step), "merge")
UPDATE_ACTIONS = STATUS_ACTIONS[1:]
SUBMIT_ACTION = "open311"


def services() -> QuerySet[Category]:
    """Active categories a matter can be filed under (intake refuses groups with active children)."""
    return (
        Category.objects.filter(is_active=True)
        .exclude(children__is_active=True)
        .select_related("parent")
        .order_by("parent__position", "parent__code", "position", "code")
    )


def service(code: str) -> Category | None:
    return services().filter(code=code).first()


def known_service_codes(codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` name a category at all (active or not: old requests keep theirs)."""
    return set(Category.objects.filter(code__in=list(codes)).values_list("code", flat=True))


def changeset() -> dt.datetime | None:
    """When the service list or a definition last changed in the back office (audited there)."""
    value: dt.datetime | None = AuditRecord.objects.filter(object_type="matters.category").aggregate(
        at=Max("at")
    )["at"]
    return value


def readable(user: User | None) -> QuerySet[Matter]:
    """The requests ``user`` (None: the public) may see at all; see the module docstring."""
    public = matter_selectors.public_open311()
    if user is None:
        return public
    return (matter_selectors.visible(user) | public | matter_selectors.submitted_by(user)).distinct()


def with_status_notes(qs: QuerySet[Matter]) -> QuerySet[Matter]:
    """Adds ``o311_action`` and ``o311_note``: the latest status event's action and public note."""
    latest = Event.objects.filter(matter=OuterRef("pk"), action__in=STATUS_ACTIONS).order_by("-at", "-id")
    return qs.select_related("category", "owner").annotate(
        o311_action=Subquery(latest.values("action")[:1]),
        o311_note=Subquery(latest.values("public_note")[:1]),
    )


def fully_readable(user: User | None, ids: Iterable[int]) -> set[int]:
    """Which of the matters ``ids`` ``user`` may read in full (in their view scope, or sent by them)."""
    ids = list(ids)
    if user is None or not ids:
        return set()
    qs = matter_selectors.visible(user) | matter_selectors.submitted_by(user)
    return set(qs.filter(pk__in=ids).values_list("pk", flat=True))


def area_names(paths: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The (name, English name) of every area on ``paths`` (area names are public), by code."""
    codes = {code for path in paths for code in path.strip("/").split("/") if code}
    rows = Area.objects.filter(code__in=codes).values_list("code", "name", "name_en")
    return {code: (name, name_en) for code, name, name_en in rows}


def routing_rules() -> list[RoutingRule]:
    """The active routing rules, read once per response (``routing.best`` picks among them)."""
    return list(RoutingRule.objects.filter(is_active=True).select_related("organisation"))


def media(ids: Iterable[int]) -> dict[int, str | int]:
    """Per matter, the first ``media_url`` its Open311 client sent, else the id of its first image."""
    ids = list(ids)
    found: dict[int, str | int] = {}
    if not ids:
        return found
    for matter_id, data in Event.objects.filter(matter_id__in=ids, action=SUBMIT_ACTION).values_list(
        "matter_id", "data"
    ):
        urls = (data or {}).get("media_url") or []
        if urls and matter_id not in found:
            found[matter_id] = str(urls[0])
    images = (
        Attachment.objects.filter(matter_id__in=[i for i in ids if i not in found])
        .filter(content_type__startswith="image/")
        .order_by("id")
        .values_list("matter_id", "id")
    )
    for matter_id, attachment_id in images:
        found.setdefault(matter_id, attachment_id)
    return found


def updates(matters: QuerySet[Matter], since: dt.datetime, until: dt.datetime, limit: int) -> list[Event]:
    """Status events of ``matters`` between ``since`` and ``until``, oldest first."""
    return list(
        Event.objects.filter(
            matter__in=matters.order_by().values("pk"),
            action__in=UPDATE_ACTIONS,
            at__gte=since,
            at__lte=until,
        )
        .select_related("matter")
        .order_by("at", "id")[:limit]
    )
