"""Working-day calendars from the database, cached per process, and the national data they start from.

``calendar_for("cn")`` is what the deadline code calls. The calendar is built from the
``WorkCalendar`` and ``CalendarDay`` tables once, kept in the process, and rebuilt when its version
changes; the version is checked at most once every ``CHECK_SECONDS``, so an edit in the back office
reaches every process within a second, without a restart.

The national calendar "cn" is seeded from the ``chinesecalendar`` package (MIT), which encodes each
year's notice of the General Office of the State Council (国务院办公厅关于××××年部分节假日安排的通知).
Each November a new notice comes out: upgrade the package, then ``onegrid calendar import-cn --years
YYYY`` and ``onegrid calendar check YYYY``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar
from django.db import transaction

from onegrid.kit.calendar import Calendar, DayKind, WorkingHours
from onegrid.kit.models import CalendarDay, WorkCalendar, bump_version

try:
    import holidays as holidays_package
except ImportError:  # a development dependency: only the cross-check needs it
    holidays_package = None  # type: ignore[assignment]

CN = "cn"
ROUND_THE_CLOCK = "24x7"
CHECK_SECONDS = 1.0

# The notice of each year on www.gov.cn, as named in the chinesecalendar source (scripts/data.py).
# 2004 and 2005 are cited there from unofficial copies, and the 2026 notice (2025-11-04) was not in
# the copy of that source we read: those days carry no link, the calendar's source note covers them.
CN_NOTICES: dict[int, str] = {
    2006: "http://www.gov.cn/jrzg/2005-12/22/content_133837.htm",
    2007: "http://www.gov.cn/fwxx/sh/2006-12/18/content_471877.htm",
    2008: "http://www.gov.cn/zwgk/2007-12/18/content_837184.htm",
    2009: "http://www.gov.cn/zwgk/2008-12/10/content_1174014.htm",
    2010: "http://www.gov.cn/zwgk/2009-12/08/content_1482691.htm",
    2011: "http://www.gov.cn/zwgk/2010-12/10/content_1762643.htm",
    2012: "http://www.gov.cn/zwgk/2011-12/06/content_2012097.htm",
    2013: "http://www.gov.cn/zwgk/2012-12/10/content_2286598.htm",
    2014: "http://www.gov.cn/zwgk/2013-12/11/content_2546204.htm",
    2015: "http://www.gov.cn/zhengce/content/2014-12/16/content_9302.htm",
    2016: "http://www.gov.cn/zhengce/content/2015-12/10/content_10394.htm",
    2017: "http://www.gov.cn/zhengce/content/2016-12/01/content_5141603.htm",
    2018: "http://www.gov.cn/zhengce/content/2017-11/30/content_5243579.htm",
    2019: "http://www.gov.cn/xinwen/2018-12/06/content_5346287.htm",
    2020: "http://www.gov.cn/zhengce/content/2019-11/21/content_5454164.htm",
    2021: "http://www.gov.cn/zhengce/content/2020-11/25/content_5564127.htm",
    2022: "http://www.gov.cn/zhengce/content/2021-10/25/content_5644835.htm",
    2023: "http://www.gov.cn/zhengce/content/2022-12/08/content_5730844.htm",
    2024: "https://www.gov.cn/zhengce/content/202310/content_6911527.htm",
    2025: "https://www.gov.cn/zhengce/content/202411/content_6986382.htm",
}
# Later notices that changed a year's arrangement: (first day, last day, notice).
CN_AMENDMENTS: list[tuple[date, date, str]] = [
    # the 70th anniversary of the victory in the War of Resistance, 3–6 September 2015
    (date(2015, 9, 3), date(2015, 9, 6), "http://www.gov.cn/zhengce/content/2015-05/13/content_9742.htm"),
    # Labour Day 2019 lengthened to four days
    (date(2019, 4, 28), date(2019, 5, 5), "http://www.gov.cn/zhengce/content/2019-03/22/content_5375877.htm"),
    # the Spring Festival 2020 extended to 2 February (COVID-19)
    (date(2020, 1, 31), date(2020, 2, 2), "http://www.gov.cn/zhengce/content/2020-01/27/content_5472352.htm"),
]
CN_SOURCE = (
    "国务院办公厅关于各年部分节假日安排的通知 (the annual notices of the General Office of the State "
    f"Council), as encoded by the chinesecalendar package {chinese_calendar.__version__} (MIT, "
    "https://github.com/LKI/chinese-calendar). Each day links its notice on www.gov.cn where the "
    "package's source names one."
)
ROUND_THE_CLOCK_SOURCE = (
    "Every day is a working day and every hour working time: for stages counted in elapsed time. "
    "A day ends at 24:00, so N days from a start end at midnight after the Nth following day."
)


def cn_defaults() -> dict[str, Any]:
    """Fields of the national calendar "cn", covering the years the installed package covers."""
    years = package_years()
    return {
        "code": CN,
        "name": "全国法定节假日与调休",
        "name_en": "China: official holidays and make-up working days",
        "time_zone": "Asia/Shanghai",
        "working_periods": WorkingHours().as_text(),
        "weekend": [6, 7],
        "published_from": years[0],
        "published_through": years[-1],
        "source": CN_SOURCE,
    }


def round_the_clock_defaults() -> dict[str, Any]:
    """Fields of the calendar "24x7": every day, every hour, never provisional."""
    return {
        "code": ROUND_THE_CLOCK,
        "name": "全天候（7×24 小时）",
        "name_en": "Round the clock (24×7)",
        "time_zone": "Asia/Shanghai",
        "working_periods": WorkingHours.all_day().as_text(),
        "weekend": [],
        "published_from": None,
        "published_through": None,
        "source": ROUND_THE_CLOCK_SOURCE,
    }


# --- the national data ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeedDay:
    """One row of the national calendar as the package gives it."""

    date: date
    kind: DayKind
    name: str
    name_en: str
    source_url: str


def package_years() -> range:
    """The years the installed chinesecalendar package covers (2004–2026 for version 1.11.0)."""
    return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def _notice(day: date, name_en: str) -> str:
    for first, last, url in CN_AMENDMENTS:
        if first <= day <= last:
            return url
    # a New Year break reaches back into December: that day belongs to the next year's notice
    year = (
        day.year + 1
        if day.month == 12 and name_en == chinese_calendar.Holiday.new_years_day.value
        else day.year
    )
    return CN_NOTICES.get(year, "")


def _chinese_name(name_en: str) -> str:
    try:
        return str(chinese_calendar.Holiday(name_en).chinese)
    except ValueError:  # a holiday newer than this code: keep the package's English name
        return name_en


def package_days(years: Iterable[int] | None = None) -> list[SeedDay]:
    """The days of ``years`` (by calendar date; all covered years by default) that differ from the
    weekend rule: holidays (weekend days inside a break included), make-up working days and days off
    in lieu, each with its holiday's name and notice."""
    wanted = set(package_years() if years is None else years)
    found: dict[date, tuple[DayKind, str]] = {}
    for table, kind in (
        (chinese_calendar.holidays, DayKind.HOLIDAY),
        (chinese_calendar.in_lieu_days, DayKind.IN_LIEU_OFF),  # a subset of the holidays
        (chinese_calendar.workdays, DayKind.MAKEUP_WORKDAY),
    ):
        for day, name_en in table.items():
            if day.year in wanted:
                found[day] = (kind, str(name_en))
    return [
        SeedDay(day, kind, _chinese_name(name_en), name_en, _notice(day, name_en))
        for day, (kind, name_en) in sorted(found.items())
    ]


# --- import ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportReport:
    years: list[int]
    added: int
    changed: int
    removed: int
    unchanged: int
    published_through: int | None


def import_cn(years: Iterable[int] | None = None, *, dry_run: bool = False) -> ImportReport:
    """Make the days of ``years`` in calendar "cn" exactly the package's (creating "cn" if needed).

    Rows of those years that the package does not have are removed, so local edits to those years are
    overwritten: re-apply them afterwards. The published years grow to include ``years``.
    """
    covered = package_years()
    wanted = sorted(set(covered if years is None else years))
    outside = [y for y in wanted if y not in covered]
    if outside:
        raise ValueError(
            f"chinesecalendar {chinese_calendar.__version__} covers {covered[0]}–{covered[-1]}, "
            f"not {', '.join(map(str, outside))}"
        )
    seed = {row.date: row for row in package_days(wanted)}
    with transaction.atomic():
        calendar, _ = WorkCalendar.objects.select_for_update().get_or_create(code=CN, defaults=cn_defaults())
        existing = {row.date: row for row in calendar.days.filter(date__year__in=wanted)}
        added = [
            CalendarDay(calendar=calendar, **_fields(row)) for day, row in seed.items() if day not in existing
        ]
        changed: list[CalendarDay] = []
        for day, row in existing.items():
            new = seed.get(day)
            if new is not None and _fields(new) != _fields(row):
                for name, value in _fields(new).items():
                    setattr(row, name, value)
                changed.append(row)
        removed = [row.pk for day, row in existing.items() if day not in seed]
        first = min(wanted[0], calendar.published_from or wanted[0])
        last = max(wanted[-1], calendar.published_through or wanted[-1])
        if dry_run:
            transaction.set_rollback(True)
        else:
            CalendarDay.objects.bulk_create(added)
            CalendarDay.objects.bulk_update(changed, ["kind", "name", "name_en", "source_url"])
            CalendarDay.objects.filter(pk__in=removed).delete()
            calendar.published_from, calendar.published_through = first, last
            calendar.save(update_fields=["published_from", "published_through", "updated_at"])
            bump_version(calendar.pk)
    return ImportReport(
        wanted, len(added), len(changed), len(removed), len(seed) - len(added) - len(changed), last
    )


def _fields(row: SeedDay | CalendarDay) -> dict[str, Any]:
    return {
        "date": row.date,
        "kind": str(row.kind),
        "name": row.name,
        "name_en": row.name_en,
        "source_url": row.source_url,
    }


# --- the calendar in each process --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cached:
    key: tuple[int, int, datetime]
    calendar: Calendar
    checked: float


_lock = threading.Lock()
_cache: dict[str, _Cached] = {}
_clock = time.monotonic


def calendar_for(code: str = CN) -> Calendar:
    """The calendar ``code`` ("cn", "24x7", or any other row of WorkCalendar), as of at most
    ``CHECK_SECONDS`` ago. Raises ``WorkCalendar.DoesNotExist`` for an unknown code."""
    cached = _cache.get(code)
    if cached is not None and _clock() - cached.checked < CHECK_SECONDS:
        return cached.calendar
    with _lock:
        row = WorkCalendar.objects.filter(code=code).first()
        if row is None:
            raise WorkCalendar.DoesNotExist(f"no working-day calendar {code!r}")
        key = (row.pk, row.version, row.updated_at)
        cached = _cache.get(code)
        calendar = cached.calendar if cached is not None and cached.key == key else build(row)
        _cache[code] = _Cached(key, calendar, _clock())
        return calendar


def build(row: WorkCalendar) -> Calendar:
    """The pure calendar of a WorkCalendar row and its days (two queries)."""
    days: dict[date, DayKind] = {}
    names: dict[date, str] = {}
    for day, kind, name in row.days.values_list("date", "kind", "name"):
        days[day] = DayKind(kind)
        if name:
            names[day] = name
    return Calendar(
        days,
        names=names,
        published_from=row.published_from,
        published_through=row.published_through,
        weekend=row.weekend,
        hours=row.working_hours(),
    )


def reset() -> None:
    """Forget every cached calendar (tests; the next call rebuilds)."""
    with _lock:
        _cache.clear()


# --- the cross-check ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    date: date
    ours: bool  # a working day here
    theirs: bool  # a working day in the holidays package
    their_name: str


def cross_check_available() -> bool:
    return holidays_package is not None


def cross_check(calendar: Calendar, years: Iterable[int]) -> tuple[int, list[Difference]]:
    """Compare working days with the ``holidays`` package (vacanza, MIT) day by day: how many days were
    compared, and where the two disagree. Past its own published years ``holidays`` only estimates
    (no make-up days), so differences there mean little. Needs the package (a dev dependency)."""
    if holidays_package is None:
        raise RuntimeError("the holidays package is not installed (it is a development dependency)")
    wanted = sorted(set(years))
    china = holidays_package.country_holidays("CN", years=wanted)
    differences, compared = [], 0
    for year in wanted:
        day = date(year, 1, 1)
        while day.year == year:
            ours, theirs = calendar.is_working_day(day), china.is_working_day(day)
            if ours != theirs:
                differences.append(Difference(day, ours, theirs, str(china.get(day, ""))))
            compared += 1
            day += timedelta(days=1)
    return compared, differences
