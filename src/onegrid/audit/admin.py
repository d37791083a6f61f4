from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from onegrid.audit import services as audit
from onegrid.audit.models import AuditRecord


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Back-office changes are audited like every other write (a model with an area keeps its
    denormalised ``area_path`` in step)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        for name in ("area_path",):
            if hasattr(obj, name) and getattr(obj, "area_id", None):
                setattr(obj, name, obj.area.path)
        super().save_model(request, obj, form, change)
        audit.record(
            request.user,
            f"{obj._meta.label_lower}.{'update' if change else 'create'}",
            obj,
            note="back office",
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit.record(
            request.user,
            f"{obj._meta.label_lower}.delete",
            None,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj),
            area_path=getattr(obj, "area_path", ""),
            note="back office",
        )
        super().delete_model(request, obj)


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
