from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onegrid.areas.models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Areas are changed through the area services (invariants, audit); the admin shows them."""

    list_display = ("code", "name", "name_en", "level", "kind", "population")
    list_filter = ("level", "kind")
    search_fields = ("code", "name", "name_en")
    readonly_fields = (
        "code",
        "name",
        "name_en",
        "level",
        "kind",
        "parent",
        "path",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "centroid_lon",
        "centroid_lat",
        "population",
        "households",
        "created_at",
        "updated_at",
    )
    exclude = ("geometry", "geometry_wkb")
    filter_horizontal = ("grid_workers",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
