from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from onegrid.access.models import ApiToken, Grant, Membership, Organisation, Permission, Role, User
from onegrid.audit.admin import AuditedAdmin


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
