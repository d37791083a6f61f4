from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model
from django.http import HttpRequest

from onegrid.access.models import ApiToken, Grant, Membership, Organisation, Permission, Role, User
from onegrid.audit import services as audit


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Back-office changes are audited like every other write."""

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


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ("organisation",)


@admin.register(User)
class OneGridUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "display_name", "is_active", "is_staff", "last_login")
    fieldsets = (*UserAdmin.fieldsets, ("OneGrid", {"fields": ("display_name",)}))  # type: ignore[misc]
    inlines = (MembershipInline,)


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "area_path", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "name_en")
    autocomplete_fields = ("area", "parent")
    readonly_fields = ("area_path",)


@admin.register(Permission)
class PermissionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "description")
    search_fields = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Role)
class RoleAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en")
    filter_horizontal = ("permissions",)
    search_fields = ("code", "name")


@admin.register(Grant)
class GrantAdmin(AuditedAdmin):
    list_display = ("role", "area_path", "user", "organisation")
    list_filter = ("role",)
    autocomplete_fields = ("area", "user", "organisation")
    readonly_fields = ("area_path",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Tokens are issued by `onegrid token create` or the API (the secret is shown once)."""

    list_display = ("prefix", "name", "user", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "permissions",
        "area",
        "area_path",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    exclude = ("digest",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
