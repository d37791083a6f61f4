"""Where a user holds a permission through grants: their own and their organisations'."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from onegrid.access.models import Grant


def granted_paths(user: Any) -> list[tuple[str, str]]:
    """(permission, area path) for every grant of the user's own and of their active organisations."""
    rows = Grant.objects.filter(
        Q(user_id=user.pk) | Q(organisation__memberships__user_id=user.pk, organisation__is_active=True)
    )
    return list(rows.values_list("role__permissions__name", "area_path").distinct())
