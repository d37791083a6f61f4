"""Back office for the one net's configuration: categories, routing rules (with the tie check and a
tester), deadline policies; matters themselves are read-only here (they change through their steps)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from onegrid.areas.models import Area
from onegrid.audit.admin import AuditedAdmin
from onegrid.matters import routing
from onegrid.matters.models import Category, DeadlinePolicy, Event, Matter, RoutingRule


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en", "parent", "default_priority", "is_active", "position")
    list_filter = ("parent", "is_active")
    search_fields = ("code", "name", "name_en")


class RoutingRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RoutingRule
        fields = ["category", "area", "priority", "channel", "organisation", "is_active", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rule = RoutingRule(
            pk=self.instance.pk,
            category=data.get("category"),
            priority=data.get("priority") or "",
            channel=data.get("channel") or "",
            is_active=data.get("is_active", True),
        )
        area = data.get("area")
        rule.area_path = area.path if area is not None else ""
        clashes = routing.check(rule) if rule.is_active else []
        if clashes:
            raise forms.ValidationError(
                "This rule would tie with rule(s) %(ids)s for the same matters; make one more specific.",
                params={"ids": ", ".join(str(c.pk) for c in clashes)},
            )
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    form = RoutingRuleForm
    list_display = ("id", "category", "area_path", "priority", "channel", "organisation", "is_active")
    list_filter = ("is_active", "priority", "channel")
    autocomplete_fields = ("area", "organisation")
    actions = ["test_rules"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.area_path = obj.area.path if obj.area_id else ""
        super().save_model(request, obj, form, change)

    @admin.action(
        description="Test: which rule would route a matter of the first selected rule's category at "
        "each grid below its area"
    )
    def test_rules(self, request: HttpRequest, queryset: Any) -> None:
        rule = queryset.first()
        if rule is None:
            return
        grids = Area.objects.filter(level=6, path__startswith=rule.area_path or "/").order_by("path")[:5]
        for grid in grids:
            case = routing.Case(
                rule.category_id,
                rule.category.parent_id if rule.category else None,
                grid.path,
                rule.priority or "normal",
                rule.channel or "hotline_12345",
            )
            try:
                winner = routing.route(case)
                text = (
                    f"{grid.name}: rule {winner.pk} → {winner.organisation}"
                    if winner
                    else f"{grid.name}: none"
                )
                messages.info(request, text)
            except Exception as exc:  # a tie is reported, not raised, in the tester
                messages.error(request, f"{grid.name}: {exc}")


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AuditedAdmin):
    list_display = (
        "stage",
        "category",
        "priority",
        "amount",
        "unit",
        "warn_share",
        "escalate_when_overdue",
        "calendar",
    )
    list_filter = ("stage", "unit", "priority")


class EventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Event
    extra = 0
    can_delete = False
    fields = ("at", "actor_label", "action", "from_status", "to_status", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("number", "title", "category", "status", "priority", "channel", "owner", "due_at")
    list_filter = ("status", "channel", "priority")
    search_fields = ("number", "title")
    show_full_result_count = False
    exclude = (
        "reporter_name",
        "reporter_phone",
        "reporter_phone_index",
        "reporter_email",
        "reporter_email_index",
    )
    inlines = [EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Matter._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
