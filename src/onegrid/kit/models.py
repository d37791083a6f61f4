"""Working-day calendars (工作日历): official holidays and make-up working days, editable per year.

A ``WorkCalendar`` holds the rules (time zone, working periods, weekend, published years) and its
``CalendarDay`` rows the days that differ from the weekend rule. ``onegrid.kit.calendars`` turns
them into the pure ``onegrid.kit.calendar.Calendar`` that deadlines are computed on.

Every save or delete of a day bumps its calendar's ``version`` (the signal handlers at the end of
this module), so each process rebuilds its cached calendar within a second. Bulk writes that send no
signals (``QuerySet.update``, ``bulk_create``) must call ``bump_version`` themselves.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onegrid.kit.calendar import SATURDAY_SUNDAY, DayKind, WorkingHours

DAY_KIND_CHOICES = [
    (DayKind.WORKDAY.value, _("working day")),
    (DayKind.WEEKEND.value, _("weekend")),
    (DayKind.HOLIDAY.value, _("holiday")),
    (DayKind.MAKEUP_WORKDAY.value, _("make-up working day (调休上班)")),
    (DayKind.IN_LIEU_OFF.value, _("day off in lieu (调休休息)")),
]


def default_working_periods() -> list[str]:
    return WorkingHours().as_text()


def default_weekend() -> list[int]:
    return list(SATURDAY_SUNDAY)


class WorkCalendar(models.Model):
    """A calendar deadlines are counted on: "cn" (the national one) or "24x7" (every hour counts)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    working_periods = models.JSONField(
        _("working periods"),
        default=default_working_periods,
        help_text=_(
            'Wall-clock periods of a working day, e.g. ["09:00-12:00", "13:30-17:30"]; 24:00 ends a day.'
        ),
    )
    weekend = models.JSONField(
        _("weekend"),
        default=default_weekend,
        blank=True,
        help_text=_(
            "ISO weekday numbers that are off unless a day says otherwise: [6, 7] is Saturday and Sunday."
        ),
    )
    published_from = models.PositiveSmallIntegerField(_("published from (year)"), null=True, blank=True)
    published_through = models.PositiveSmallIntegerField(
        _("published through (year)"),
        null=True,
        blank=True,
        help_text=_(
            "The last year whose arrangement is entered. Deadlines past it are marked provisional. "
            "Empty: the calendar has no announced days (such as 24×7) and is never provisional."
        ),
    )
    source = models.TextField(_("source"), blank=True)
    version = models.PositiveBigIntegerField(_("version"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("working-day calendar")
        verbose_name_plural = _("working-day calendars")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def working_hours(self) -> WorkingHours:
        """The working periods in the calendar's time zone (raises ValueError when they are invalid)."""
        return WorkingHours.parse(self.working_periods, ZoneInfo(self.time_zone))

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = _("Not a known time zone, e.g. Asia/Shanghai.")
        if not isinstance(self.working_periods, list) or not all(
            isinstance(p, str) for p in self.working_periods
        ):
            errors["working_periods"] = _('A list of periods such as ["09:00-12:00", "13:30-17:30"].')
        elif "time_zone" not in errors:
            try:
                self.working_hours()
            except ValueError as error:
                errors["working_periods"] = str(error)
        weekend = self.weekend if isinstance(self.weekend, list) else None
        if weekend is None or not all(isinstance(d, int) and 1 <= d <= 7 for d in weekend):
            errors["weekend"] = _("A list of ISO weekday numbers from 1 (Monday) to 7 (Sunday).")
        elif len(set(weekend)) == 7:
            errors["weekend"] = _("The weekend must leave at least one working day in the week.")
        if self.published_from and self.published_through and self.published_from > self.published_through:
            errors["published_from"] = _("The first published year comes after the last.")
        if errors:
            raise ValidationError(errors)


class CalendarDay(models.Model):
    """A day that differs from the weekend rule: a holiday, a make-up working day, a day off in lieu
    (or an explicit working day or weekend day, for local overrides)."""

    calendar = models.ForeignKey(
        WorkCalendar, on_delete=models.CASCADE, related_name="days", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=DAY_KIND_CHOICES)
    name = models.CharField(_("name"), max_length=100, blank=True)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="kit_calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name or self.get_kind_display()}"


def bump_version(calendar_id: int) -> None:
    """Tell every process that the calendar changed (its cached copy is rebuilt within a second)."""
    WorkCalendar.objects.filter(pk=calendar_id).update(version=F("version") + 1, updated_at=timezone.now())


def _day_changed(sender: type[CalendarDay], instance: CalendarDay, **kwargs: Any) -> None:
    bump_version(instance.calendar_id)


post_save.connect(_day_changed, sender=CalendarDay, dispatch_uid="kit.calendar_day.saved")
post_delete.connect(_day_changed, sender=CalendarDay, dispatch_uid="kit.calendar_day.deleted")


class Revision(models.Model):
    """A named token that changes with every change to a set of configuration rows, so each process
    can tell with one primary-key read that its cached copy of them is stale (``kit.revisions``)."""

    name = models.CharField(max_length=40, primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("configuration revision")
        verbose_name_plural = _("configuration revisions")

    def __str__(self) -> str:
        return f"{self.name} {self.token}"
