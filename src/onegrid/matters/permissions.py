"""The ``matters.*`` permissions and who else sees a matter beyond area grants."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onegrid.access import catalog
from onegrid.kit import scope
from onegrid.matters.models import Matter

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
    the matters they are working on."""
    if permission != "matters.view":
        return None
    return (
        Q(reporter_id=user.pk)
        | Q(owner__memberships__user_id=user.pk)
        | Q(assists__organisation__memberships__user_id=user.pk)
    )


scope.register_participation(Matter, _participants)
