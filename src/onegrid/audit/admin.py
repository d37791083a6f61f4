from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onegrid.audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only search of the trail for auditors."""

    list_display = ("at", "actor_label", "action", "object_type", "object_id", "object_repr", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "object_repr", "actor_label", "request_id", "area_path")
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
