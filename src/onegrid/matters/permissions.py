"""The ``matters.*`` permissions and who else sees a matter beyond area grants."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from onegrid.access import catalog
from onegrid.access.models import Membership
from onegrid.kit import scope
from onegrid.matters.models import Assist, Matter

catalog.register(
    "matters",
    {
        "view": _("See matters"),
        "report": _("Report a matter (residents)"),
        "create": _("Take in matters from any channel"),
        "register": _("Register, reject or answer matters at intake"),
        "dispatch": _("Dispatch and transfer matters"),
        "handle": _("Sign for, handle, return and resolve matters of one's organisation"),
        "verify": _("Verify resolved matters"),
        "close": _("Close matters"),
        "reopen": _("Reopen matters"),
        "escalate": _("Escalate matters to the parent level"),
        "extend": _("Grant or refuse deadline extensions"),
        "supervise": _("Issue supervision orders"),
        "merge": _("Merge duplicate matters"),
        "follow_up": _("Record follow-up calls"),
        "stats": _("See statistics"),
        "configure": _("Configure categories, routing rules and deadline policies"),
    },
)


def taking_part(user_id: Any) -> QuerySet[Any]:
    """The keys of the matters a user takes part in: their reports, the matters their organisations
    are responsible for and those they were asked to assist with. One list of keys, each part read
    from its own index: an OR of the three conditions on the matter makes the planners read every
    matter (SQLite, and PostgreSQL with the subqueries as hashed filters)."""
    organisations = Membership.objects.filter(user_id=user_id).values("organisation_id")
    reported = Matter.objects.filter(reporter_id=user_id).order_by().values("pk")
    owned = Matter.objects.filter(owner_id__in=organisations).order_by().values("pk")
    assisted = Assist.objects.filter(organisation_id__in=organisations).order_by().values("matter_id")
    return reported.union(owned, assisted, all=True)


def _participants(user: Any, permission: str) -> Q | None:
    """The reporter sees their own matters; members of the responsible or assisting organisation see
    the matters they are working on. A list of keys, not joins: a matter is never repeated in a
    result, so listings need no DISTINCT (which made SQLite sort every row in scope)."""
    if permission != "matters.view":
        return None
    return Q(pk__in=taking_part(user.pk))


scope.register_participation(Matter, _participants)
