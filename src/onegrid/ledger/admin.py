from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from onegrid.audit import services as audit
from onegrid.ledger.models import Checkpoint, Witness


@admin.register(Witness)
class WitnessAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Witness institutions: added through the API (which checks the key), retired here."""

    list_display = ("institution", "name", "is_active", "added_at")
    list_filter = ("is_active",)
    fields = ("institution", "name", "is_active")
    readonly_fields = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Witness, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = audit.snapshot(Witness.objects.select_for_update().get(pk=obj.pk))
            super().save_model(request, obj, form, change)
            audit.record(request.user, "ledger.change_witness", obj, before=before)


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("size", "at")
    fields = ("size", "at", "note")
    readonly_fields = ("size", "at", "note")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
