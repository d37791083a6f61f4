"""Where a user holds a permission through grants: their own and their organisations'."""

from __future__ import annotations

from typing import Any

from onegrid.access import credentials


def granted_paths(user: Any) -> list[tuple[str, str]]:
    """(permission, area path) for every grant of the user's own and of their active organisations
    (held per process until grants change: ``credentials``)."""
    return list(credentials.grants(user))
