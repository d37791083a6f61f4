"""``onegrid calendar``: show a year of a working-day calendar, refresh the national one from the
chinesecalendar package, and cross-check it against the holidays package."""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from datetime import date
from typing import Any

import chinese_calendar
from django.core.management.base import BaseCommand, CommandError

from onegrid.kit import calendars
from onegrid.kit.calendar import DayKind
from onegrid.kit.models import WorkCalendar

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def years(text: str) -> list[int]:
    """``2025`` or ``2004-2026`` (both ends included)."""
    first, dash, last = text.partition("-")
    try:
        a = int(first)
        b = int(last) if dash else a
    except ValueError:
        raise ArgumentTypeError(f"years are written YYYY or YYYY-YYYY, not {text!r}") from None
    if not 1900 <= a <= b <= 2999:
        raise ArgumentTypeError(
            f"years are written YYYY or YYYY-YYYY with the first year first, not {text!r}"
        )
    return list(range(a, b + 1))


class Command(BaseCommand):
    help = "Working-day calendars: show a year, refresh the national calendar, cross-check it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="the year's holidays, make-up working days and days off in lieu")
        show.add_argument("year", type=int)
        show.add_argument("--calendar", default=calendars.CN, help="calendar code (default cn)")
        refresh = sub.add_parser(
            "import-cn", help="make the national calendar's days of these years exactly the package's"
        )
        refresh.add_argument("--years", type=years, help="YYYY or YYYY-YYYY (default: every year it covers)")
        refresh.add_argument("--dry-run", action="store_true", help="report the changes, write nothing")
        check = sub.add_parser("check", help="cross-check working days against the holidays package")
        check.add_argument("years", type=years, help="YYYY or YYYY-YYYY")
        check.add_argument("--calendar", default=calendars.CN, help="calendar code (default cn)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "show":
            self._show(options["calendar"], options["year"])
        elif action == "import-cn":
            self._import_cn(options["years"], dry_run=options["dry_run"])
        else:
            self._cross_check(options["calendar"], options["years"])

    def _row(self, code: str) -> WorkCalendar:
        try:
            return WorkCalendar.objects.get(code=code)
        except WorkCalendar.DoesNotExist:
            raise CommandError(f"no working-day calendar {code!r}") from None

    def _show(self, code: str, year: int) -> None:
        row = self._row(code)
        calendar = calendars.build(row)
        self.stdout.write(f"{row.name} ({row.code}) — {year}")
        if not calendar.is_published(date(year, 1, 1)):
            self.stdout.write(
                f"  {year} is outside the published years ({row.published_from}–{row.published_through}): "
                "only the weekend rule is known, deadlines in it are provisional"
            )
        for day in row.days.filter(date__year=year).order_by("date"):
            self.stdout.write(
                f"  {day.date} {WEEKDAYS[day.date.weekday()]}  {day.kind:<15} {day.name} {day.name_en}".rstrip()
            )
        kinds = [calendar.day_kind(d) for d in _days_of(year)]
        self.stdout.write(
            f"  {calendar.count_working_days(date(year, 1, 1), date(year, 12, 31))} working days, "
            f"{kinds.count(DayKind.MAKEUP_WORKDAY)} make-up working days, "
            f"{kinds.count(DayKind.HOLIDAY)} holidays (weekend days in breaks included), "
            f"{kinds.count(DayKind.IN_LIEU_OFF)} days off in lieu"
        )

    def _import_cn(self, wanted: list[int] | None, *, dry_run: bool) -> None:
        try:
            report = calendars.import_cn(wanted, dry_run=dry_run)
        except ValueError as error:
            raise CommandError(str(error)) from None
        span = f"{report.years[0]}–{report.years[-1]}" if len(report.years) > 1 else str(report.years[0])
        verb = "would change" if dry_run else "changed"
        self.stdout.write(
            f"chinesecalendar {chinese_calendar.__version__}, {span}: {verb} the national calendar: "
            f"{report.added} added, {report.changed} changed, {report.removed} removed, "
            f"{report.unchanged} unchanged; published through {report.published_through}"
        )

    def _cross_check(self, code: str, wanted: list[int]) -> None:
        if not calendars.cross_check_available():
            raise CommandError("the holidays package is not installed (a development dependency: uv sync)")
        row = self._row(code)
        calendar = calendars.build(row)
        unpublished = [y for y in wanted if not calendar.is_published(date(y, 1, 1))]
        if unpublished:
            self.stdout.write(
                f"warning: {', '.join(map(str, unpublished))} not published here; holidays only estimates "
                "unannounced years (no make-up days), so differences there mean little"
            )
        compared, differences = calendars.cross_check(calendar, wanted)
        for d in differences:
            ours = "working day" if d.ours else "day off"
            theirs = "working day" if d.theirs else "day off"
            name = f" ({d.their_name})" if d.their_name else ""
            self.stdout.write(
                f"  {d.date} {WEEKDAYS[d.date.weekday()]}: {ours} here, {theirs} in holidays{name}"
            )
        self.stdout.write(f"{row.code}: {_days(compared)} compared with holidays, {len(differences)} differ")
        if differences:
            raise CommandError(f"the holidays package differs on {_days(len(differences))}")


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1).toordinal()
    return [date.fromordinal(o) for o in range(first, date(year + 1, 1, 1).toordinal())]


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"
