"""The ``matters.*`` permissions and who else sees a matter beyond area grants."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
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


def _participants(user: Any, permission: str) -> Q | None:
    """The reporter sees their own matters; members of the responsible or assisting organisation see
    the matters they are working on. Subqueries, not joins: a matter is never repeated in a result,
    so listings need no DISTINCT (which made SQLite sort every row in scope)."""
    if permission != "matters.view":
        return None
    organisations = Membership.objects.filter(user_id=user.pk).values("organisation_id")
    assisted = Assist.objects.filter(organisation_id__in=organisations).values("matter_id")
    return Q(reporter_id=user.pk) | Q(owner_id__in=organisations) | Q(pk__in=assisted)


scope.register_participation(Matter, _participants)
