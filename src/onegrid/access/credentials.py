"""API tokens and grants as each process holds them between requests.

Every API request looks up its token and the caller's grants; both change seldom. They are kept per
process under the revision "access.credentials" (``kit.revisions``), filled as they are first used,
and dropped as a whole when anything they are made of changes: a token, a user (other than the time of
their last sign-in), a grant, a role or its permissions, a membership, an organisation, a permission,
or an area's path. A revoked token or a withdrawn grant is refused from the next request on, in every
process. The cached rows are never handed out: callers get copies.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save

from onegrid.access.models import ApiToken, Grant, Membership, Organisation, Permission, Role, User
from onegrid.kit.revisions import Held

NAME = "access.credentials"


@dataclass
class Credentials:
    tokens: dict[str, ApiToken | None] = field(default_factory=dict)  # by prefix, with their users
    grants: dict[int, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # by user id


held = Held(NAME, Credentials, (ApiToken, Grant, Role, Membership, Organisation, Permission), paths=True)


def _user_changed(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in changes nothing the credentials hold
    held.bump()


post_save.connect(_user_changed, sender=User, dispatch_uid=f"{NAME}.user.saved", weak=False)
post_delete.connect(lambda **_: held.bump(), sender=User, dispatch_uid=f"{NAME}.user.deleted", weak=False)
m2m_changed.connect(
    lambda action, **_: held.bump() if action.startswith("post_") else None,
    sender=Role.permissions.through,
    dispatch_uid=f"{NAME}.role.permissions",
    weak=False,
)


def token(prefix: str) -> tuple[ApiToken | None, Credentials]:
    """The token with ``prefix`` (a copy, its user a copy too) or None, and the credentials it came from."""
    held_now = held.current()
    if prefix not in held_now.tokens:
        held_now.tokens[prefix] = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    row = held_now.tokens[prefix]
    if row is None:
        return None, held_now
    mine = copy.copy(row)
    mine.user = copy.copy(row.user)
    return mine, held_now


def used(prefix: str, credentials: Credentials, at: Any) -> None:
    """Remember in the held row when the token was last used (the database has been told)."""
    row = credentials.tokens.get(prefix)
    if row is not None:
        row.last_used_at = at


def grants(user: Any) -> tuple[tuple[str, str], ...]:
    """(permission, area path) for every grant of the user's own and of their active organisations."""
    credentials: Credentials = user.__dict__.get("_onegrid_credentials") or held.current()
    found = credentials.grants.get(user.pk)
    if found is None:
        rows = Grant.objects.filter(
            Q(user_id=user.pk) | Q(organisation__memberships__user_id=user.pk, organisation__is_active=True)
        )
        found = tuple(rows.values_list("role__permissions__name", "area_path").distinct())
        credentials.grants[user.pk] = found
    return found
