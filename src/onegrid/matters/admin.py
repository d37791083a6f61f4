"""Back office for the one net's configuration: categories (with their Open311 attributes checked),
routing rules (with the tie check and the tester at ``routingrule/test/``), deadline policies; matters
themselves are read-only here (they change through their steps)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from onegrid.access.models import Organisation
from onegrid.areas.models import Area
from onegrid.audit.admin import AuditedAdmin
from onegrid.kit.errors import Invalid
from onegrid.matters import definitions, routing, ruletest
from onegrid.matters.models import Category, Channel, DeadlinePolicy, Event, Matter, Priority, RoutingRule


class CategoryForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "name_en",
            "parent",
            "description",
            "default_priority",
            "keywords",
            "attributes",
            "is_active",
            "position",
        ]

    def clean_attributes(self) -> Any:
        """The Open311 questions must have the service definition's shape; every problem is listed."""
        raw = self.cleaned_data.get("attributes")
        try:
            definitions.parse(raw)
        except definitions.BadDefinition as exc:
            raise forms.ValidationError([forms.ValidationError(p) for p in exc.problems]) from exc
        return raw

    def clean_parent(self) -> Any:
        parent = self.cleaned_data.get("parent")
        if parent is not None and parent.parent_id is not None:
            raise forms.ValidationError(_("Categories have two levels: choose a top-level group as parent."))
        if parent is not None and self.instance.pk and parent.pk == self.instance.pk:
            raise forms.ValidationError(_("A category cannot be its own parent."))
        return parent


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    form = CategoryForm
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


def _area(code: str, field_name: str) -> Area | None:
    if not code:
        return None
    area = Area.objects.defer("geometry", "geometry_wkb").filter(code=code.strip()).first()
    if area is None:
        raise forms.ValidationError({field_name: _("No area has the code %(code)s.") % {"code": code}})
    return area


class RuleTestForm(forms.Form):
    """A sample matter, and optionally a draft rule to try in place of (or beside) the saved ones."""

    category = forms.ModelChoiceField(
        Category.objects.filter(is_active=True, children__isnull=True), label=_("category")
    )
    lon = forms.FloatField(label=_("longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("latitude"), required=False, min_value=-90, max_value=90)
    crs = forms.ChoiceField(
        label=_("coordinate system"),
        choices=[("wgs84", "WGS-84"), ("gcj02", "GCJ-02"), ("bd09", "BD-09")],
        initial="wgs84",
    )
    area = forms.CharField(label=_("or area code"), required=False, max_length=32)
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices, initial=Priority.NORMAL)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices, initial=Channel.HOTLINE_12345)

    draft_rule = forms.ModelChoiceField(
        RoutingRule.objects.all(), label=_("draft replaces rule"), required=False
    )
    draft_category = forms.ModelChoiceField(
        Category.objects.filter(is_active=True), label=_("draft: category"), required=False
    )
    draft_area = forms.CharField(label=_("draft: area code"), required=False, max_length=32)
    draft_priority = forms.ChoiceField(
        label=_("draft: priority"), choices=[("", "*"), *Priority.choices], required=False
    )
    draft_channel = forms.ChoiceField(
        label=_("draft: channel"), choices=[("", "*"), *Channel.choices], required=False
    )
    draft_organisation = forms.ModelChoiceField(
        Organisation.objects.filter(is_active=True),
        label=_("draft: responsible organisation"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["area_obj"] = _area(data.get("area") or "", "area")
        if data["area_obj"] is None and (data.get("lon") is None or data.get("lat") is None):
            raise forms.ValidationError(_("Give a point (longitude and latitude) or an area code."))
        data["draft_area_obj"] = _area(data.get("draft_area") or "", "draft_area")
        drafting = any(
            data.get(k) for k in ("draft_rule", "draft_category", "draft_area", "draft_organisation")
        )
        if drafting and data.get("draft_organisation") is None:
            self.add_error("draft_organisation", _("A draft rule needs the organisation it routes to."))
        return data

    def sample(self) -> ruletest.Sample:
        d = self.cleaned_data
        return ruletest.Sample(
            category=d["category"],
            lon=d.get("lon"),
            lat=d.get("lat"),
            crs=d["crs"],
            area=d["area_obj"],
            priority=d["priority"],
            channel=d["channel"],
        )

    def draft(self) -> RoutingRule | None:
        d = self.cleaned_data
        if d.get("draft_organisation") is None:
            return None
        replaced = d.get("draft_rule")
        return RoutingRule(
            pk=replaced.pk if replaced else None,
            category=d.get("draft_category"),
            area=d["draft_area_obj"],
            priority=d.get("draft_priority") or "",
            channel=d.get("draft_channel") or "",
            organisation=d["draft_organisation"],
            is_active=True,
            note=str(_("draft")),
        )

    @classmethod
    def initial_from(cls, rule: RoutingRule | None) -> dict[str, Any]:
        if rule is None:
            return {}
        return {
            "category": rule.category if rule.category and not rule.category.children.exists() else None,
            "area": rule.area.code if rule.area else "",
            "priority": rule.priority or Priority.NORMAL,
            "channel": rule.channel or Channel.HOTLINE_12345,
            "draft_rule": rule,
            "draft_category": rule.category,
            "draft_area": rule.area.code if rule.area else "",
            "draft_priority": rule.priority,
            "draft_channel": rule.channel,
            "draft_organisation": rule.organisation,
        }


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    form = RoutingRuleForm
    list_display = ("id", "category", "area_path", "priority", "channel", "organisation", "is_active")
    list_filter = ("is_active", "priority", "channel")
    autocomplete_fields = ("area", "organisation")
    change_list_template = "admin/matters/routingrule/change_list.html"
    change_form_template = "admin/matters/routingrule/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        tester = path("test/", self.admin_site.admin_view(self.tester_view), name="matters_routingrule_test")
        return [tester, *super().get_urls()]

    def tester_view(self, request: HttpRequest) -> HttpResponse:
        """Try the rules on a sample matter, with or without a draft rule; nothing is saved."""
        if not self.has_view_permission(request):
            raise PermissionError
        rule = RoutingRule.objects.filter(pk=request.GET.get("rule") or 0).first()
        form = RuleTestForm(request.POST or None, initial=RuleTestForm.initial_from(rule))
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                result = ruletest.trial(form.sample(), form.draft())
            except Invalid as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Test the routing rules"),
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/matters/routingrule/tester.html", context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.area_path = obj.area.path if obj.area_id else ""
        super().save_model(request, obj, form, change)


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
