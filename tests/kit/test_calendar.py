"""Working time on the holiday calendar (onegrid.kit.calendar), without a database.

The 2026 arrangement below is typed from the State Council's notice of 2025-11-04 (国办发明电, "关于
2026年部分节假日安排的通知"), independently of the chinesecalendar package that seeds the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onegrid.kit.calendar import SHANGHAI, Calendar, DayKind, Due, Unit, WorkingHours

OFF, WORK, IN_LIEU = DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY, DayKind.IN_LIEU_OFF


def arrangement(year: int, breaks: list[tuple[str, str, str]], worked: list[str], in_lieu: list[str]) -> dict:
    """Days of a notice: each break (first, last, name) is off, ``worked`` are make-up working days and
    ``in_lieu`` the weekdays off paid back by them. Dates are "MM-DD" in ``year``."""

    def day(text: str) -> date:
        return date.fromisoformat(f"{year}-{text}")

    days: dict[date, DayKind] = {}
    for first, last, _name in breaks:
        d = day(first)
        while d <= day(last):
            days[d] = OFF
            d += timedelta(days=1)
    days.update({day(t): WORK for t in worked})
    days.update({day(t): IN_LIEU for t in in_lieu})
    return days


CN_2026 = arrangement(
    2026,
    breaks=[
        ("01-01", "01-03", "元旦"),
        ("02-15", "02-23", "春节"),
        ("04-04", "04-06", "清明节"),
        ("05-01", "05-05", "劳动节"),
        ("06-19", "06-21", "端午节"),
        ("09-25", "09-27", "中秋节"),
        ("10-01", "10-07", "国庆节"),
    ],
    worked=["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"],
    in_lieu=["01-02", "02-20", "02-23", "05-05", "10-06", "10-07"],
)
CN = Calendar(CN_2026, published_from=2026, published_through=2026)

# 2012's New Year break was paid back on Saturday 2011-12-31 (国办 notice of 2011-12-06).
NEW_YEAR_2012 = Calendar(
    {date(2011, 12, 31): WORK, date(2012, 1, 1): OFF, date(2012, 1, 2): OFF, date(2012, 1, 3): IN_LIEU},
    published_from=2011,
    published_through=2012,
)


def at(text: str) -> datetime:
    """A Beijing wall-clock time, e.g. "2026-02-13 16:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def package_calendar() -> Calendar:
    days: dict[date, DayKind] = dict.fromkeys(chinese_calendar.holidays, OFF)
    days.update(dict.fromkeys(chinese_calendar.in_lieu_days, IN_LIEU))
    days.update(dict.fromkeys(chinese_calendar.workdays, WORK))
    return Calendar(days, published_from=2004, published_through=2026)


PACKAGE = package_calendar()


# --- the 2026 arrangement -------------------------------------------------------------------------------


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
def test_each_2026_weekday_off_is_paid_back_by_a_worked_weekend_day(off: date, worked: date) -> None:
    assert (off.isoweekday() <= 5, worked.isoweekday() >= 6) == (True, True)
    assert (CN.is_working_day(off), CN.day_kind(off)) == (False, DayKind.IN_LIEU_OFF)
    assert (CN.is_working_day(worked), CN.day_kind(worked)) == (True, DayKind.MAKEUP_WORKDAY)


def test_2026_has_248_working_days() -> None:
    assert CN.count_working_days(date(2026, 1, 1), date(2026, 12, 31)) == 248
    assert PACKAGE.count_working_days(date(2026, 1, 1), date(2026, 12, 31)) == 248


def test_five_working_days_after_28_september_2026_is_the_make_up_saturday_10_october() -> None:
    assert CN.working_day_after(date(2026, 9, 28), 5) == date(2026, 10, 10)
    assert CN.add(at("2026-09-28 10:00"), working_days=5) == Due(at("2026-10-10 17:30"), provisional=False)


def test_ordinary_weekends_and_plain_weekdays_follow_the_weekend_rule() -> None:
    assert (CN.day_kind(date(2026, 3, 7)), CN.is_working_day(date(2026, 3, 7))) == (DayKind.WEEKEND, False)
    assert (CN.day_kind(date(2026, 3, 9)), CN.is_working_day(date(2026, 3, 9))) == (DayKind.WORKDAY, True)


# --- working days -----------------------------------------------------------------------------------------


def test_one_working_day_from_friday_afternoon_ends_with_the_next_working_day() -> None:
    assert CN.add(at("2026-03-06 16:00"), working_days=1).at == at("2026-03-09 17:30")


def test_the_day_of_the_start_is_never_counted_even_before_opening_time() -> None:
    assert CN.add(at("2026-03-09 08:00"), working_days=1).at == at("2026-03-10 17:30")
    assert CN.add(at("2026-03-07 11:00"), working_days=1).at == at("2026-03-09 17:30")  # from a Saturday


def test_working_days_across_the_spring_festival_skip_the_nine_day_break() -> None:
    # Friday 13 Feb; Saturday 14 Feb is worked; 15–23 Feb are off.
    assert CN.add(at("2026-02-13 10:00"), working_days=1).at == at("2026-02-14 17:30")
    assert CN.add(at("2026-02-13 10:00"), working_days=2).at == at("2026-02-24 17:30")
    assert CN.add(at("2026-02-13 10:00"), working_days=3).at == at("2026-02-25 17:30")
    assert CN.add(at("2026-02-16 09:00"), working_days=1).at == at(
        "2026-02-24 17:30"
    )  # received in the break


def test_a_make_up_day_can_fall_in_the_previous_calendar_year() -> None:
    assert NEW_YEAR_2012.is_working_day(date(2011, 12, 31))
    assert NEW_YEAR_2012.add(at("2011-12-30 15:00"), working_days=1).at == at("2011-12-31 17:30")
    assert NEW_YEAR_2012.add(at("2011-12-30 15:00"), working_days=2).at == at("2012-01-04 17:30")
    assert NEW_YEAR_2012.count_working_days(date(2011, 12, 26), date(2012, 1, 6)) == 9


# --- working hours and natural hours ----------------------------------------------------------------------


def test_working_hours_count_only_time_inside_working_periods() -> None:
    # 16:00–17:30 on Friday, then 09:00–10:30 on Monday.
    assert CN.add(at("2026-03-06 16:00"), working_hours=3).at == at("2026-03-09 10:30")
    # the lunch break does not count
    assert CN.add(at("2026-03-09 11:00"), working_hours=2).at == at("2026-03-09 14:30")
    assert CN.add(at("2026-03-09 12:40"), working_hours=1).at == at("2026-03-09 14:30")
    # before opening, the clock starts at 09:00
    assert CN.add(at("2026-03-09 06:00"), working_hours=7).at == at("2026-03-09 17:30")


def test_a_deadline_reached_at_the_end_of_a_period_is_that_instant_not_the_next_opening() -> None:
    assert CN.add(at("2026-03-09 09:00"), working_hours=3).at == at("2026-03-09 12:00")
    assert CN.add(at("2026-03-09 09:00"), working_hours=7).at == at("2026-03-09 17:30")


def test_working_hours_across_the_spring_festival() -> None:
    assert CN.add(at("2026-02-14 17:00"), working_hours=1).at == at("2026-02-24 09:30")
    assert CN.working_time_between(at("2026-02-14 17:00"), at("2026-02-24 09:30")) == timedelta(hours=1)


def test_natural_hours_are_plain_elapsed_time_through_nights_and_holidays() -> None:
    assert CN.add(at("2026-02-16 23:00"), natural_hours=2) == Due(at("2026-02-17 01:00"), provisional=False)
    assert CN.add(at("2026-12-31 23:00"), natural_hours=2).provisional is False  # no calendar involved


def test_amounts_combine_in_the_order_days_then_hours_then_natural_hours() -> None:
    due = CN.add(at("2026-03-06 16:00"), working_days=1, working_hours=1, natural_hours=0.5)
    assert due.at == at("2026-03-10 10:30")  # Monday 17:30 → Tuesday 10:00 → +30 min


def test_zero_time_returns_the_start() -> None:
    assert CN.add(at("2026-03-07 03:00")) == Due(at("2026-03-07 03:00"), provisional=False)


def test_any_time_zone_goes_in_and_the_same_instant_comes_out() -> None:
    start_utc = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # 16:00 in Beijing
    due = CN.add(start_utc, working_hours=3)
    assert due.at == at("2026-03-09 10:30")
    assert due.at.utcoffset() == timedelta(hours=8)
    new_york = start_utc.astimezone(ZoneInfo("America/New_York"))
    assert CN.add(new_york, working_days=1).at == at("2026-03-09 17:30")


def test_naive_datetimes_and_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        CN.add(datetime(2026, 3, 6, 16, 0), working_days=1)
    with pytest.raises(ValueError, match="working_days"):
        CN.add(at("2026-03-06 16:00"), working_days=-1)
    with pytest.raises(ValueError, match="working_hours"):
        CN.add(at("2026-03-06 16:00"), working_hours=float("nan"))
    with pytest.raises(ValueError, match="natural_hours"):
        CN.add(at("2026-03-06 16:00"), natural_hours=-1)


def test_add_amount_takes_a_policy_amount_and_unit() -> None:
    start = at("2026-03-06 16:00")
    assert CN.add_amount(start, 1, Unit.WORKING_DAYS) == CN.add(start, working_days=1)
    assert CN.add_amount(start, 2.5, "working_hours") == CN.add(start, working_hours=2.5)
    assert CN.add_amount(start, 2, "natural_hours") == CN.add(start, natural_hours=2)
    with pytest.raises(ValueError, match="whole"):
        CN.add_amount(start, 1.5, Unit.WORKING_DAYS)


# --- published years ------------------------------------------------------------------------------------


def test_a_deadline_past_the_published_years_is_provisional_and_follows_the_weekend_rule() -> None:
    due = CN.add(at("2026-12-30 10:00"), working_days=3)
    # 31 Dec, then Friday 1 Jan 2027 counted as a working day: the 2027 notice is not known yet.
    assert due == Due(at("2027-01-04 17:30"), provisional=True)
    assert CN.add(at("2026-12-30 10:00"), working_days=1).provisional is False
    assert CN.add(at("2026-12-31 17:00"), working_hours=1).provisional is True
    assert CN.is_published(date(2026, 12, 31))
    assert not CN.is_published(date(2027, 1, 1))


def test_a_start_before_the_published_years_is_provisional_too() -> None:
    assert CN.add(at("2025-12-31 10:00"), working_days=1).provisional is True


def test_a_calendar_without_announced_days_is_never_provisional() -> None:
    assert Calendar(published_through=None).add(at("2099-12-31 10:00"), working_days=400).provisional is False


# --- the round-the-clock calendar ------------------------------------------------------------------------


def test_round_the_clock_days_end_at_midnight_and_hours_are_elapsed_hours() -> None:
    always = Calendar.round_the_clock()
    assert always.add(at("2026-02-16 10:00"), working_days=1).at == at("2026-02-18 00:00")
    assert always.add(at("2026-02-16 10:00"), working_hours=30).at == at("2026-02-17 16:00")
    assert always.working_time_between(at("2026-02-16 10:00"), at("2026-02-19 10:00")) == timedelta(days=3)


# --- warnings -------------------------------------------------------------------------------------------


def test_share_elapsed_measures_working_time_for_working_units() -> None:
    start = at("2026-03-09 09:00")
    due = CN.add(start, working_hours=10).at  # Tuesday 12:00
    assert CN.share_elapsed(start, due, at("2026-03-09 17:30"), unit=Unit.WORKING_HOURS) == pytest.approx(0.7)
    # the night adds nothing
    assert CN.share_elapsed(start, due, at("2026-03-10 08:59"), unit="working_hours") == pytest.approx(0.7)
    assert CN.share_elapsed(start, due, at("2026-03-10 11:00"), unit=Unit.WORKING_DAYS) == pytest.approx(0.9)
    assert CN.share_elapsed(start, due, due + timedelta(hours=6), unit="working_hours") > 1
    assert CN.share_elapsed(start, due, start - timedelta(hours=1), unit="working_hours") == 0


def test_share_elapsed_measures_elapsed_time_for_natural_hours() -> None:
    start = at("2026-03-07 22:00")
    due = CN.add(start, natural_hours=2).at
    assert CN.share_elapsed(start, due, at("2026-03-07 23:36"), unit=Unit.NATURAL_HOURS) == pytest.approx(0.8)


def test_share_elapsed_of_a_zero_allowance_is_zero_then_one() -> None:
    start = at("2026-03-07 22:00")
    assert CN.share_elapsed(start, start, start - timedelta(seconds=1), unit="natural_hours") == 0
    assert CN.share_elapsed(start, start, start, unit="natural_hours") == 1


def test_the_warning_instant_is_where_the_share_is_reached() -> None:
    start = at("2026-03-09 09:00")
    due = CN.add(start, working_hours=10).at  # Tuesday 12:00
    assert CN.at_share(start, due, 0.7, unit=Unit.WORKING_HOURS) == at("2026-03-09 17:30")
    assert CN.at_share(start, due, 0.8, unit="working_days") == at("2026-03-10 10:00")
    assert CN.at_share(start, due, 1, unit="working_hours") == due
    assert CN.at_share(start, due, 0, unit="working_hours") == start
    night = at("2026-03-07 22:00")
    assert CN.at_share(night, night + timedelta(hours=2), 0.8, unit="natural_hours") == at("2026-03-07 23:36")


# --- working hours -----------------------------------------------------------------------------------


def test_working_hours_are_read_from_text_and_written_back() -> None:
    hours = WorkingHours.parse(["08:30-12:00", "14:00-18:00"], "Asia/Urumqi")
    assert hours.periods == ((time(8, 30), time(12)), (time(14), time(18)))
    assert hours.as_text() == ["08:30-12:00", "14:00-18:00"]
    assert hours.day_length == timedelta(hours=7.5)
    assert WorkingHours().as_text() == ["09:00-12:00", "13:30-17:30"]
    assert WorkingHours.all_day().as_text() == ["00:00-24:00"]


@pytest.mark.parametrize(
    "periods",
    [
        [],
        ["09:00"],
        ["12:00-09:00"],
        ["09:00-12:00", "11:00-13:00"],
        ["13:00-14:00", "09:00-12:00"],
        ["9-12"],
    ],
)
def test_bad_working_hours_are_refused(periods: list[str]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        WorkingHours.parse(periods)


def test_a_weekend_rule_must_leave_a_working_day() -> None:
    with pytest.raises(ValueError, match="no working day"):
        Calendar(published_through=None, weekend=range(1, 8))


# --- properties -------------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2001, 1, 1),
    max_value=datetime(2029, 12, 31),
    timezones=st.sampled_from([SHANGHAI, UTC]),
)
minutes = st.integers(min_value=0, max_value=60 * 24 * 200)


@given(instants, instants, minutes)
def test_adding_working_hours_is_monotonic_in_the_start(a: datetime, b: datetime, m: int) -> None:
    a, b = min(a, b), max(a, b)
    assert PACKAGE.add(a, working_hours=m / 60).at <= PACKAGE.add(b, working_hours=m / 60).at


@given(instants, instants, st.integers(min_value=0, max_value=400))
def test_adding_working_days_is_monotonic_in_the_start(a: datetime, b: datetime, n: int) -> None:
    a, b = min(a, b), max(a, b)
    assert PACKAGE.add(a, working_days=n).at <= PACKAGE.add(b, working_days=n).at


@given(instants, minutes, minutes)
def test_more_time_never_gives_an_earlier_deadline(start: datetime, m1: int, m2: int) -> None:
    m1, m2 = min(m1, m2), max(m1, m2)
    assert (
        start <= PACKAGE.add(start, working_hours=m1 / 60).at <= PACKAGE.add(start, working_hours=m2 / 60).at
    )


@given(instants, minutes)
def test_the_working_time_to_the_deadline_is_exactly_the_allowance(start: datetime, m: int) -> None:
    due = PACKAGE.add(start, working_hours=m / 60)
    assert PACKAGE.working_time_between(start, due.at) == timedelta(minutes=m)


@given(instants, minutes, minutes)
def test_adding_hours_twice_is_adding_their_sum(start: datetime, m1: int, m2: int) -> None:
    assume(m1 > 0)
    first = PACKAGE.add(start, working_hours=m1 / 60).at
    assert PACKAGE.add(first, working_hours=m2 / 60).at == PACKAGE.add(start, working_hours=(m1 + m2) / 60).at


@given(instants, st.integers(min_value=1, max_value=400))
def test_n_working_days_end_with_the_last_period_of_the_nth_working_day(start: datetime, n: int) -> None:
    due = PACKAGE.add(start, working_days=n).at
    local_start = start.astimezone(SHANGHAI).date()
    assert due.time() == time(17, 30)
    assert due.tzinfo is SHANGHAI
    assert PACKAGE.is_working_day(due.date())
    assert PACKAGE.count_working_days(local_start + timedelta(days=1), due.date()) == n


@given(instants, st.integers(min_value=1, max_value=60 * 24 * 30), st.floats(min_value=0, max_value=2))
def test_the_warning_instant_inverts_the_share(start: datetime, m: int, share: float) -> None:
    due = PACKAGE.add(start, working_hours=m / 60).at
    warn = PACKAGE.at_share(start, due, share, unit=Unit.WORKING_HOURS)
    assert start <= warn
    assert PACKAGE.share_elapsed(start, due, warn, unit=Unit.WORKING_HOURS) == pytest.approx(share, abs=1e-6)
    assert warn <= due if share <= 1 else warn >= due


@given(instants, instants, instants)
def test_working_time_is_additive_and_antisymmetric(a: datetime, b: datetime, c: datetime) -> None:
    ab, bc = PACKAGE.working_time_between(a, b), PACKAGE.working_time_between(b, c)
    assert ab + bc == PACKAGE.working_time_between(a, c)
    assert PACKAGE.working_time_between(b, a) == -ab


@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 8, 31)), st.integers(1, 60))
def test_working_days_agree_with_the_packages_own_arithmetic(day: date, n: int) -> None:
    # find_workday first moves a day off to the next working day and counts from there; we count from
    # the day itself (民法典 art. 201), so from a day off ours is the package's n - 1.
    expected = chinese_calendar.find_workday(n if chinese_calendar.is_workday(day) else n - 1, day)
    assert PACKAGE.working_day_after(day, n) == expected


# A slow, obviously right oracle: walk the days one by one.


def oracle_between(calendar: Calendar, a: datetime, b: datetime) -> timedelta:
    a, b = a.astimezone(calendar.tz), b.astimezone(calendar.tz)
    total, day = timedelta(), a.date()
    while day <= b.date():
        if calendar.is_working_day(day):
            for start, end in calendar.hours.periods:
                lo = datetime.combine(day, start, tzinfo=calendar.tz)
                hi = datetime.combine(
                    day + timedelta(days=1) if end == time(0) else day, end, tzinfo=calendar.tz
                )
                total += max(timedelta(), min(hi, b) - max(lo, a))
        day += timedelta(days=1)
    return total


def oracle_working_day_after(calendar: Calendar, day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        n -= calendar.is_working_day(day)
    return day


special_days = st.dictionaries(
    st.dates(min_value=date(2010, 1, 1), max_value=date(2012, 12, 31)),
    st.sampled_from(list(DayKind)),
    max_size=60,
)
weekends = st.sets(st.integers(1, 7), max_size=6)
period_sets = st.sampled_from(
    [["09:00-12:00", "13:30-17:30"], ["00:00-24:00"], ["08:00-08:01"], ["00:00-06:00", "22:00-24:00"]]
)
nearby = st.datetimes(
    min_value=datetime(2009, 6, 1), max_value=datetime(2013, 6, 30), timezones=st.just(SHANGHAI)
)


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    return Calendar(
        draw(special_days),
        published_through=2012,
        weekend=draw(weekends),
        hours=WorkingHours.parse(draw(period_sets)),
    )


@given(calendars(), nearby, nearby)
def test_working_time_matches_a_day_by_day_walk(calendar: Calendar, a: datetime, b: datetime) -> None:
    a, b = min(a, b), max(a, b)
    assert calendar.working_time_between(a, b) == oracle_between(calendar, a, b)


@given(calendars(), nearby, st.integers(1, 40))
def test_working_days_match_a_day_by_day_walk(calendar: Calendar, start: datetime, n: int) -> None:
    assert calendar.working_day_after(start.date(), n) == oracle_working_day_after(calendar, start.date(), n)


@given(calendars(), nearby, st.integers(min_value=0, max_value=3000))
def test_hours_on_any_calendar_land_exactly_on_the_allowance(
    calendar: Calendar, start: datetime, m: int
) -> None:
    due = calendar.add(start, working_hours=m / 60).at
    assert oracle_between(calendar, start, due) == timedelta(minutes=m)
    if m:  # and not a moment later than needed
        assert oracle_between(calendar, start, due - timedelta(microseconds=1)) < timedelta(minutes=m)
