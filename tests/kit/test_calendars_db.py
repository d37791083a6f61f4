"""Working-day calendars in the database: the seeded national calendar, the per-process cache, the
back office, the import from chinesecalendar and the cross-check against holidays."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import Client

from onegrid.kit import calendars
from onegrid.kit.calendar import SHANGHAI, DayKind, Due
from onegrid.kit.calendars import calendar_for
from onegrid.kit.models import CalendarDay, WorkCalendar

pytestmark = pytest.mark.django_db

NOTICE_2012 = "http://www.gov.cn/zwgk/2011-12/06/content_2012097.htm"
NOTICE_2025 = "https://www.gov.cn/zhengce/content/202411/content_6986382.htm"
COVID_EXTENSION_2020 = "http://www.gov.cn/zhengce/content/2020-01/27/content_5472352.htm"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    calendars.reset()
    yield
    calendars.reset()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The cache's clock, moved by hand: ``clock[0] += 1`` lets a second pass."""
    now = [1000.0]
    monkeypatch.setattr(calendars, "_clock", lambda: now[0])
    return now


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def cn() -> WorkCalendar:
    return WorkCalendar.objects.get(code="cn")


# --- the seeded data ------------------------------------------------------------------------------


def test_the_national_calendar_is_seeded_for_every_year_the_package_covers() -> None:
    calendar = cn()
    assert (calendar.published_from, calendar.published_through) == (2004, 2026)
    years = {d.year for d in calendar.days.dates("date", "year")}
    assert years == set(range(2004, 2027))
    counts = dict(calendar.days.values_list("kind").annotate(n=Count("id")))
    assert counts == {"holiday": 470, "in_lieu_off": 151, "makeup_workday": 150}
    assert calendar.days.filter(kind__in=["workday", "weekend"]).count() == 0  # weekends need no rows


def test_each_seeded_day_names_its_holiday_and_links_its_notice() -> None:
    day = cn().days.get(date=date(2025, 1, 28))
    assert (day.kind, day.name, day.name_en, day.source_url) == (
        "holiday",
        "春节",
        "Spring Festival",
        NOTICE_2025,
    )
    # a December make-up day belongs to the next year's notice; a later decree has its own
    assert cn().days.get(date=date(2011, 12, 31)).source_url == NOTICE_2012
    assert cn().days.get(date=date(2020, 2, 1)).source_url == COVID_EXTENSION_2020
    assert not cn().days.filter(date__year=2026).exclude(source_url="").exists()  # no link known for 2026


@pytest.mark.parametrize(
    ("off", "worked"),
    [
        (date(2026, 1, 2), date(2026, 1, 4)),
        (date(2026, 2, 20), date(2026, 2, 14)),
        (date(2026, 2, 23), date(2026, 2, 28)),
        (date(2026, 5, 5), date(2026, 5, 9)),
        (date(2026, 10, 6), date(2026, 9, 20)),
        (date(2026, 10, 7), date(2026, 10, 10)),
    ],
)
def test_the_seeded_2026_has_the_notices_substitutions(off: date, worked: date) -> None:
    kinds = dict(cn().days.filter(date__in=[off, worked]).values_list("date", "kind"))
    assert kinds == {off: "in_lieu_off", worked: "makeup_workday"}
    assert not calendar_for("cn").is_working_day(off)
    assert calendar_for("cn").is_working_day(worked)


def test_the_seeded_2026_has_248_working_days_and_no_other_substitution() -> None:
    calendar = calendar_for("cn")
    assert calendar.count_working_days(date(2026, 1, 1), date(2026, 12, 31)) == 248
    assert cn().days.filter(date__year=2026, kind="makeup_workday").count() == 6
    assert cn().days.filter(date__year=2026, kind="in_lieu_off").count() == 6


def test_five_working_days_after_28_september_2026_is_saturday_10_october() -> None:
    assert calendar_for().add(at("2026-09-28 09:30"), working_days=5) == Due(at("2026-10-10 17:30"), False)


def test_make_up_days_in_the_previous_calendar_year_are_working_days() -> None:
    calendar = calendar_for()
    for day in (date(2011, 12, 31), date(2018, 12, 29), date(2006, 12, 30), date(2007, 12, 29)):
        assert calendar.day_kind(day) is DayKind.MAKEUP_WORKDAY
        assert day.isoweekday() == 6
    assert calendar.add(at("2011-12-30 15:00"), working_days=2).at == at("2012-01-04 17:30")


def test_deadlines_across_the_spring_festival() -> None:
    calendar = calendar_for()
    # 2025: 28 Jan – 4 Feb off, Sunday 26 Jan and Saturday 8 Feb worked
    assert calendar.add(at("2025-01-24 16:00"), working_days=1).at == at("2025-01-26 17:30")
    assert calendar.add(at("2025-01-24 16:00"), working_days=3).at == at("2025-02-05 17:30")
    assert calendar.add(at("2025-01-27 17:00"), working_hours=1).at == at("2025-02-05 09:30")
    # 2026: 15–23 Feb off, Saturdays 14 and 28 Feb worked
    assert calendar.add(at("2026-02-13 10:00"), working_days=2).at == at("2026-02-24 17:30")


def test_a_deadline_past_the_published_years_is_provisional() -> None:
    due = calendar_for().add(at("2026-12-28 10:00"), working_days=5)
    assert due == Due(at("2027-01-04 17:30"), provisional=True)  # 1 January 2027 counted: not announced
    assert calendar_for().add(at("2026-12-28 10:00"), working_days=3).provisional is False


def test_the_round_the_clock_calendar_counts_every_hour() -> None:
    always = calendar_for("24x7")
    assert always.add(at("2026-02-16 10:00"), working_days=1) == Due(at("2026-02-18 00:00"), False)
    assert always.add(at("2026-02-16 10:00"), working_hours=2).at == at("2026-02-16 12:00")
    assert always.add(at("2099-12-31 10:00"), working_days=1).provisional is False


def test_an_unknown_calendar_is_an_error() -> None:
    with pytest.raises(WorkCalendar.DoesNotExist):
        calendar_for("mars")


# --- the cache -----------------------------------------------------------------------------------------


def test_editing_a_day_changes_the_deadline_without_a_restart(clock: list[float]) -> None:
    start = at("2026-03-06 16:00")  # a Friday
    assert calendar_for().add(start, working_days=1).at == at("2026-03-09 17:30")
    day = CalendarDay.objects.create(calendar=cn(), date=date(2026, 3, 9), kind="holiday", name="地方节日")
    assert calendar_for().add(start, working_days=1).at == at("2026-03-09 17:30")  # cached for a second
    clock[0] += 1
    assert calendar_for().add(start, working_days=1).at == at("2026-03-10 17:30")
    day.kind = DayKind.WORKDAY
    day.save()
    clock[0] += 1
    assert calendar_for().add(start, working_days=1).at == at("2026-03-09 17:30")
    day.delete()
    clock[0] += 1
    assert calendar_for().is_working_day(date(2026, 3, 9))


def test_changing_the_calendars_rules_changes_the_deadline(clock: list[float]) -> None:
    calendar = cn()
    calendar.working_periods = ["08:30-12:00", "14:00-18:00"]
    calendar.published_through = 2025
    calendar.save()
    clock[0] += 1
    due = calendar_for().add(at("2026-03-06 16:00"), working_days=1)
    assert due == Due(at("2026-03-09 18:00"), provisional=True)


def test_a_cached_calendar_costs_no_query_within_the_second(
    clock: list[float], django_assert_num_queries: Any
) -> None:
    first = calendar_for()
    with django_assert_num_queries(0):
        assert calendar_for() is first
    clock[0] += 1
    with django_assert_num_queries(1):  # the version check; nothing changed, nothing rebuilt
        assert calendar_for() is first


# --- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Mars/Olympus"),
        ("working_periods", ["12:00-09:00"]),
        ("working_periods", "09:00-12:00"),
        ("weekend", [1, 2, 3, 4, 5, 6, 7]),
        ("weekend", [0]),
    ],
)
def test_bad_rules_are_refused_with_the_field_named(field: str, value: Any) -> None:
    calendar = cn()
    setattr(calendar, field, value)
    with pytest.raises(ValidationError) as refused:
        calendar.full_clean()
    assert field in refused.value.message_dict


# --- the back office ------------------------------------------------------------------------------------


def change_form(calendar: WorkCalendar, days: list[CalendarDay]) -> dict[str, Any]:
    """The POST body of the calendar's change page listing ``days``."""
    data: dict[str, Any] = {
        "code": calendar.code,
        "name": calendar.name,
        "name_en": calendar.name_en,
        "source": calendar.source,
        "time_zone": calendar.time_zone,
        "working_periods": json.dumps(calendar.working_periods),
        "weekend": json.dumps(calendar.weekend),
        "published_from": calendar.published_from or "",
        "published_through": calendar.published_through or "",
        "days-TOTAL_FORMS": len(days),
        "days-INITIAL_FORMS": len(days),
        "days-MIN_NUM_FORMS": 0,
        "days-MAX_NUM_FORMS": 1000,
    }
    for i, day in enumerate(days):
        data |= {
            f"days-{i}-id": day.pk,
            f"days-{i}-calendar": calendar.pk,
            f"days-{i}-date": day.date.isoformat(),
            f"days-{i}-kind": day.kind,
            f"days-{i}-name": day.name,
            f"days-{i}-name_en": day.name_en,
            f"days-{i}-source_url": day.source_url,
        }
    return data


def test_the_back_office_lists_one_year_of_days_at_a_time(admin_client: Client) -> None:
    page = admin_client.get(f"/admin/kit/workcalendar/{cn().pk}/change/?year=2026&kind=makeup_workday")
    assert page.status_code == 200
    formset = page.context["inline_admin_formsets"][0].formset
    assert [form.instance.date for form in formset.initial_forms] == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert 'href="?year=2025&amp;kind=holiday"' in page.content.decode()  # the other years and kinds
    every_day = f'href="/admin/kit/calendarday/?calendar__id__exact={cn().pk}"'
    assert every_day in page.content.decode()
    listing = admin_client.get(
        f"/admin/kit/calendarday/?calendar__id__exact={cn().pk}&year=2026&kind__exact=in_lieu_off"
    )
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 6


def test_deleting_a_make_up_day_in_the_back_office_moves_the_deadline(
    admin_client: Client, clock: list[float]
) -> None:
    start = at("2026-02-13 10:00")
    assert calendar_for().add(start, working_days=1).at == at("2026-02-14 17:30")
    calendar = cn()
    days = list(calendar.days.filter(date__year=2026, kind="makeup_workday").order_by("date"))
    body = change_form(calendar, days)
    index = [d.date for d in days].index(date(2026, 2, 14))
    body[f"days-{index}-DELETE"] = "on"
    saved = admin_client.post(
        f"/admin/kit/workcalendar/{calendar.pk}/change/?year=2026&kind=makeup_workday", body
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    clock[0] += 1
    assert calendar_for().add(start, working_days=1).at == at("2026-02-24 17:30")


# --- import and cross-check ----------------------------------------------------------------------------


def test_import_restores_a_years_days_exactly_as_the_package_has_them(clock: list[float]) -> None:
    calendar = cn()
    calendar.days.filter(date=date(2026, 10, 10)).delete()
    calendar.days.filter(date=date(2026, 10, 1)).update(kind="workday")
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 3, 9), kind="holiday", name="x")
    version = cn().version
    dry = calendars.import_cn([2026], dry_run=True)
    assert (dry.added, dry.changed, dry.removed) == (1, 1, 1)
    assert cn().version == version  # nothing written
    report = calendars.import_cn([2026])
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 37)
    assert cn().version > version
    clock[0] += 1
    assert calendar_for().working_day_after(date(2026, 9, 28), 5) == date(2026, 10, 10)


def test_import_refuses_years_the_package_does_not_cover() -> None:
    with pytest.raises(ValueError, match="2004–2026"):
        calendars.import_cn([2027])


def test_the_national_calendar_agrees_with_holidays_except_on_31_december_2005() -> None:
    """The 2006 notice (quoted in chinesecalendar's own source) has Saturday 2005-12-31 worked for the
    New Year break; the package's data misses it and holidays has it. Any other difference is news."""
    compared, differences = calendars.cross_check(calendar_for(), range(2004, 2027))
    assert compared == 8401
    assert [(d.date, d.ours, d.theirs) for d in differences] == [(date(2005, 12, 31), False, True)]


def test_the_command_shows_a_year(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("calendar", "show", "2026")
    out = capsys.readouterr().out
    assert "2026-10-10 Sat  makeup_workday  国庆节 National Day" in out
    assert "248 working days, 6 make-up working days" in out


def test_the_command_says_when_a_year_is_not_published(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("calendar", "show", "2027")
    assert "2027 is outside the published years (2004–2026)" in capsys.readouterr().out


def test_the_command_cross_checks_and_fails_on_a_difference(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("calendar", "check", "2025-2026")
    assert "730 days compared with holidays, 0 differ" in capsys.readouterr().out
    with pytest.raises(CommandError, match="differs on 1 day"):
        call_command("calendar", "check", "2005")
    assert "2005-12-31 Sat: day off here, working day in holidays" in capsys.readouterr().out


def test_the_command_imports_the_national_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("calendar", "import-cn", "--years", "2025-2026")
    assert "0 added, 0 changed, 0 removed, 72 unchanged; published through 2026" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not 2027"):
        call_command("calendar", "import-cn", "--years", "2026-2027")
