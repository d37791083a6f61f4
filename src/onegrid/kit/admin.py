"""Back office for working-day calendars: administrators edit a year's days in place.

Auditing: ``kit`` imports no other app, so these admins do not write audit records. The layer above
(``access`` or ``web``) should re-register ``WorkCalendar`` and ``CalendarDay`` with its audited base
class (``admin.site.unregister`` then ``register``), keeping the options defined here.

A calendar's page shows the days of one year at a time (``?year=2026``, and ``&kind=holiday`` to narrow
further): the national calendar has some 800 rows, more than one form should carry. The list of
calendar days filters every day by calendar, year and kind.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from onegrid.kit.calendar import DayKind
from onegrid.kit.models import CalendarDay, WorkCalendar

KINDS = frozenset(k.value for k in DayKind)
DAY_LIST = "admin:kit_calendarday_changelist"
# Notice links are https unless written otherwise (Django 6's default, asked for now to be explicit).
URLS_ASSUME_HTTPS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


def _chosen_year(request: HttpRequest) -> int:
    """The year asked for in the query string, else the current year. There is no "every year": the
    national calendar's ~800 rows would pass Django's limit of form fields per request when saved."""
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() else timezone.localdate().year


class CalendarDayInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CalendarDay
    extra = 1
    fields = ("date", "kind", "name", "name_en", "source_url")
    ordering = ("date",)
    formfield_overrides = URLS_ASSUME_HTTPS

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarDay]:
        days = super().get_queryset(request)
        year = _chosen_year(request)
        days = days.filter(date__year=year)
        kind = request.GET.get("kind", "")
        if kind in KINDS:
            days = days.filter(kind=kind)
        # one inline instance is made per request, so naming it after the request is safe
        self.verbose_name_plural = _("days of %(year)s") % {"year": year}
        return days


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "code",
        "name",
        "time_zone",
        "published_from",
        "published_through",
        "version",
        "updated_at",
    )
    search_fields = ("code", "name", "name_en")
    readonly_fields = ("years", "version", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "source")}),
        (
            _("Rules"),
            {"fields": ("time_zone", "working_periods", "weekend", "published_from", "published_through")},
        ),
        (_("Days"), {"fields": ("years", "version", "updated_at")}),
    )
    inlines = (CalendarDayInline,)

    @admin.display(description=_("days by year and kind"))
    def years(self, obj: WorkCalendar) -> SafeString:
        """Links that choose the year (and kind) of the days listed below, with their counts."""
        if obj.pk is None:
            return format_html("{}", "—")
        counts = (
            obj.days.annotate(year=ExtractYear("date"))
            .values("year", "kind")
            .annotate(n=Count("id"))
            .order_by("-year", "kind")
        )
        by_year: dict[int, list[tuple[str, int]]] = {}
        for row in counts:
            by_year.setdefault(row["year"], []).append((row["kind"], row["n"]))
        lines = [
            format_html(
                '<a href="?year={}">{}</a>: {}',
                year,
                year,
                format_html_join(
                    " · ", '<a href="?year={}&amp;kind={}">{}</a> {}', ((year, k, k, n) for k, n in kinds)
                ),
            )
            for year, kinds in by_year.items()
        ]
        lines.append(
            format_html(
                '<a href="{}?calendar__id__exact={}">{}</a>', reverse(DAY_LIST), obj.pk, _("every day")
            )
        )
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(date__year=int(value)) if value and value.isdigit() else queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("date", "weekday", "kind", "name", "name_en", "calendar")
    list_filter = ("calendar", YearFilter, "kind")
    search_fields = ("name", "name_en")
    date_hierarchy = "date"
    ordering = ("calendar", "date")
    list_select_related = ("calendar",)
    formfield_overrides = URLS_ASSUME_HTTPS

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return obj.date.strftime("%a")
