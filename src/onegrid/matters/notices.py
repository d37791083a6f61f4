"""What the one net tells people: events registered with notify and published inside each change's
transaction (delivered after commit by the worker; a failed delivery never loses the matter)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from onegrid.access.models import Membership, User
from onegrid.kit.prepared import PreparedModels
from onegrid.matters import ratinglinks
from onegrid.matters.models import Matter, Rating
from onegrid.notify import catalog, services

INBOX, SMS, EMAIL = "inbox", "sms", "email"

catalog.register_events(
    "matters",
    {
        "received": _("A matter was taken in"),
        "dispatched": catalog.Spec(_("A matter was sent to your organisation"), (INBOX, SMS)),
        "transferred": catalog.Spec(_("A matter was transferred to your organisation"), (INBOX, SMS)),
        "escalated": catalog.Spec(_("A matter was escalated to your level"), (INBOX, SMS)),
        "reopened": catalog.Spec(_("A matter was reopened"), (INBOX, SMS)),
        "returned": _("A matter was returned as misrouted"),
        "accepted": _("Your report was taken on"),
        "resolved": _("Your report was resolved"),
        "closed": _("Your report was closed"),
        "rejected": _("Your report could not be taken up"),
        "warning": _("A matter's deadline is near"),
        "overdue": catalog.Spec(_("A matter is overdue"), (INBOX, SMS)),
        "supervised": catalog.Spec(_("A supervision order was issued"), (INBOX, SMS)),
        "rated": _("A matter was rated"),
    },
)

# Which lifecycle step announces which event, and to whom: the responsible organisation or the reporter.
STEP_EVENTS: dict[str, tuple[str, str]] = {
    "dispatch": ("dispatched", "owner"),
    "transfer": ("transferred", "owner"),
    "escalate": ("escalated", "owner"),
    "reopen": ("reopened", "owner"),
    "return": ("returned", "none"),
    "accept": ("accepted", "reporter"),
    "resolve": ("resolved", "reporter"),
    "close": ("closed", "reporter"),
    "reject": ("rejected", "reporter"),
    "resolve_at_intake": ("closed", "reporter"),
}


_OWNERS = PreparedModels(
    lambda organisation_id: User.objects.filter(
        memberships__organisation_id=organisation_id, is_active=True
    ).distinct(),
    (int,),
)


def owners(matter: Matter) -> list[User]:
    """The active members of the matter's responsible organisation (asked on every step)."""
    if matter.owner_id is None:
        return []
    return _OWNERS.objects(matter.owner_id)


def members(organisations: set[int]) -> dict[int, list[User]]:
    """The active members of each of ``organisations``, read at once."""
    found: dict[int, list[User]] = {}
    rows = (
        Membership.objects.filter(organisation_id__in=organisations, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    for membership in rows:
        found.setdefault(membership.organisation_id, []).append(membership.user)
    return found


def reporter(matter: Matter) -> list[User]:
    return [matter.reporter] if matter.reporter is not None and matter.reporter.is_active else []


def invite_to_rate(matter: Matter) -> list[services.Direct]:
    """A reporter without an account who left a mobile number or an e-mail address gets a one-time
    rating link when the matter is closed (one link per closing, sent to each address they left; a
    reopened and closed again matter gets a new one). Anonymous reports and matters already rated get
    nothing."""
    if matter.reporter_id is not None or matter.anonymous:
        return []
    addresses = [(SMS, matter.reporter_phone), (EMAIL, matter.reporter_email)]
    addresses = [(channel, address) for channel, address in addresses if address]
    if not addresses or Rating.objects.filter(matter=matter).exists():
        return []
    text = ratinglinks.invitation(matter, ratinglinks.issue(matter))
    return [services.Direct(channel, address, text) for channel, address in addresses]


def publication(
    matter: Matter,
    event: str,
    *,
    to: str = "none",
    actor: Any = None,
    note: str = "",
    recipients: list[User] | None = None,
) -> services.Publication:
    """What ``announce`` publishes for ``matter`` (to ``recipients`` when they are already known)."""
    if recipients is None:
        recipients = owners(matter) if to == "owner" else reporter(matter) if to == "reporter" else []
    direct = invite_to_rate(matter) if event == "closed" and to == "reporter" else []
    return services.Publication(
        event=f"matters.{event}",
        title=f"{matter.number} {matter.title}"[:200],
        body=note or matter.title,
        area_path=matter.area_path,
        category=matter.category.code if matter.category_id else None,
        link=f"/matters/{matter.number}/",
        payload={
            "number": matter.number,
            "status": matter.status,
            "category": matter.category.code,
            "owner": matter.owner.code if matter.owner else None,
            "due_at": matter.due_at.isoformat() if matter.due_at else None,
        },
        recipients=tuple(recipients),
        actor=actor,
        direct=tuple(direct),
    )


def announce(matter: Matter, event: str, *, to: str = "none", actor: Any = None, note: str = "") -> None:
    """Publish ``matters.<event>`` for ``matter``; call inside the transaction of the change."""
    services.publish_many([publication(matter, event, to=to, actor=actor, note=note)])


def announce_to_owners(notes: list[tuple[Matter, str]], event: str) -> None:
    """``announce`` of ``event`` to each matter's responsible organisation with its note, the members
    of every organisation read once (the deadline sweep)."""
    found = members({m.owner_id for m, _note in notes if m.owner_id is not None})
    services.publish_many(
        [
            publication(m, event, note=note, recipients=found.get(m.owner_id, []) if m.owner_id else [])
            for m, note in notes
        ]
    )


def announce_many(matters: list[Matter], event: str, *, actor: Any = None) -> None:
    """``announce`` for each of ``matters`` (to nobody in particular), written together (batch intake)."""
    services.publish_many([publication(m, event, actor=actor) for m in matters])
