"""Values every page needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from onegrid.kit import scope


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "tile_url": settings.TILE_URL,
        "tile_attribution": settings.TILE_ATTRIBUTION,
        "production": settings.PRODUCTION,
        "can_audit": scope.has_permission(getattr(request, "user", None), "audit.view"),
        "can_centre": scope.has_permission(getattr(request, "user", None), "matters.view"),
    }
