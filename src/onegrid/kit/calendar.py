"""Working time on a calendar of official holidays and make-up working days (pure: no Django).

A ``Calendar`` answers three questions for the deadline engine, on aware datetimes:

- ``add(start, working_days=N)``: the end of working hours on the Nth working day after the day of
  ``start``. The day of ``start`` is never counted, whatever the hour (民法典 art. 201: "开始的当日不计入");
  the period ends when work stops on its last day (art. 203: "有业务时间的，停止业务活动的时间为截止时间").
  So a matter received on a Friday at 16:00 with 1 working day is due on Monday at 17:30, and one
  received at 08:00 on a Monday is due on Tuesday at 17:30. One received on a Saturday is due on
  Monday too (chinesecalendar's ``find_workday`` would first move to Monday and answer Tuesday).
- ``add(start, working_hours=H)``: the earliest instant at which H hours of working time (time inside
  the working periods of working days) have passed since ``start``. A start outside working time
  waits for the next working period.
- ``add(start, natural_hours=H)``: ``start`` plus H hours of elapsed time (emergencies: 2 h).

Days come from a mapping date → ``DayKind``; every other day follows the weekend rule. The result is
``provisional`` when the computation used a day outside the published years, where only the weekend
rule is known: the caller must show the flag, never hide it.

Working periods are wall-clock times in the calendar's time zone. A period must not contain a
daylight-saving change (China has had none since 1991); working time is counted on the wall clock.

Speed: the covered years are precomputed into a flag per day and a running count of working days, so
every question is a few list lookups and a bisection; outside the covered years the weekend rule is
counted in closed form. No loop runs over minutes or (beyond one week) over days.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
SATURDAY_SUNDAY = (6, 7)  # ISO weekday numbers: Monday is 1, Sunday is 7


class DayKind(StrEnum):
    """What a day is. Only ``WORKDAY`` and ``MAKEUP_WORKDAY`` are working days."""

    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a day off of an announced break, weekend days inside the break included
    MAKEUP_WORKDAY = "makeup_workday"  # 调休上班: a weekend day worked to join a break
    IN_LIEU_OFF = "in_lieu_off"  # 调休休息: a weekday off, paid back by a make-up working day

    @property
    def is_working(self) -> bool:
        return self in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


class Unit(StrEnum):
    """The unit a deadline is counted in."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    NATURAL_HOURS = "natural_hours"


@dataclass(frozen=True, slots=True)
class Due:
    """A computed deadline. ``provisional`` means a day past the published years was involved."""

    at: datetime
    provisional: bool


def _parse_clock(text: str) -> int:
    """Microseconds since midnight of ``HH:MM`` (``24:00`` allowed)."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a time of day HH:MM: {text!r}")
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        raise ValueError(f"not a time of day HH:MM: {text!r}")
    return (h * 3600 + m * 60) * US_PER_SECOND


def _clock_text(us: int) -> str:
    minutes = us // (60 * US_PER_SECOND)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * US_PER_SECOND + value.microsecond


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """The working periods of every working day, as wall-clock times in ``tz``.

    ``periods`` are (start, end) pairs in order and apart; an end of ``time(0)`` means midnight at the
    end of the day (24:00). Build from text with ``WorkingHours.parse(["09:00-12:00", "13:30-17:30"])``.
    """

    periods: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13, 30), time(17, 30)))
    tz: tzinfo = SHANGHAI
    spans: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spans: list[tuple[int, int]] = []
        for start, end in self.periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working periods are wall-clock times: give them without a time zone")
            a, b = _time_us(start), _time_us(end) or US_PER_DAY
            if a >= b:
                raise ValueError(f"a working period must end after it starts: {start}-{end}")
            if spans and a < spans[-1][1]:
                raise ValueError("working periods must be in order and must not overlap")
            spans.append((a, b))
        if not spans:
            raise ValueError("a working day needs at least one working period")
        object.__setattr__(self, "spans", tuple(spans))

    @classmethod
    def parse(cls, periods: Iterable[str], tz: tzinfo | str = SHANGHAI) -> WorkingHours:
        """From ``["09:00-12:00", "13:30-17:30"]`` (``24:00`` is the end of the day)."""
        parsed: list[tuple[time, time]] = []
        for text in periods:
            start, dash, end = str(text).partition("-")
            if not dash:
                raise ValueError(f"a working period is written HH:MM-HH:MM: {text!r}")
            a, b = _parse_clock(start), _parse_clock(end)
            if a == US_PER_DAY:
                raise ValueError(f"a working period cannot start at 24:00: {text!r}")
            parsed.append((_us_time(a), _us_time(b % US_PER_DAY)))
        return cls(tuple(parsed), ZoneInfo(tz) if isinstance(tz, str) else tz)

    @classmethod
    def all_day(cls, tz: tzinfo | str = SHANGHAI) -> WorkingHours:
        """One period from 00:00 to 24:00 (the round-the-clock calendar)."""
        return cls.parse(["00:00-24:00"], tz)

    def as_text(self) -> list[str]:
        """The periods as ``["09:00-12:00", ...]``, the inverse of ``parse`` (minute precision)."""
        return [f"{_clock_text(a)}-{_clock_text(b)}" for a, b in self.spans]

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day."""
        return timedelta(microseconds=sum(b - a for a, b in self.spans))


def _us_time(us: int) -> time:
    seconds, micro = divmod(us, US_PER_SECOND)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)


def _timedelta_us(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * US_PER_SECOND + value.microseconds


class Calendar:
    """Working days and working time over a mapping of special days and a weekend rule.

    ``days`` maps a date to its kind (any date absent follows the weekend rule: ``weekend`` lists ISO
    weekday numbers, Saturday 6 and Sunday 7 by default). ``published_through`` is the last year whose
    arrangement is known (None: the calendar has no announced days, such as 24×7, and is never
    provisional); ``published_from`` is the first (None: no lower bound). Immutable and thread-safe.
    """

    def __init__(
        self,
        days: Mapping[date, DayKind] | None = None,
        *,
        published_through: int | None,
        published_from: int | None = None,
        names: Mapping[date, str] | None = None,
        weekend: Iterable[int] = SATURDAY_SUNDAY,
        hours: WorkingHours | None = None,
    ) -> None:
        days = {d: DayKind(k) for d, k in (days or {}).items()}
        self.hours = hours or WorkingHours()
        self.tz = self.hours.tz
        self.weekend = frozenset(weekend)
        if not self.weekend <= set(range(1, 8)):
            raise ValueError("weekend days are ISO weekday numbers 1 (Monday) to 7 (Sunday)")
        self.published_through = published_through
        self.published_from = published_from
        self._names = dict(names or {})
        self._days = days

        # The weekend rule, by Python weekday (Monday 0), and its count over the first r days of a week
        # starting on each weekday: counting rule days is then arithmetic.
        self._rule = tuple((wd + 1) not in self.weekend for wd in range(7))
        self._per_week = sum(self._rule)
        if not self._per_week:
            raise ValueError("the weekend rule leaves no working day in the week")
        self._week_prefix = tuple(
            tuple(sum(self._rule[(first + i) % 7] for i in range(r)) for r in range(8)) for first in range(7)
        )

        # The covered span: whole years of the mapping. ``_prefix[i]`` counts the working days of
        # [start, start + i) and ``_flags[i]`` says whether day start + i works.
        if days:
            first, last = min(days).year, max(days).year
            self._start, self._end = date(first, 1, 1).toordinal(), date(last + 1, 1, 1).toordinal()
        else:
            self._start = self._end = date(2000, 1, 1).toordinal()
        flags = bytearray(self._end - self._start)
        prefix = [0] * (len(flags) + 1)
        running = 0
        for i in range(len(flags)):
            day = date.fromordinal(self._start + i)
            kind = days.get(day)
            working = kind.is_working if kind is not None else self._rule[day.weekday()]
            flags[i] = working
            running += working
            prefix[i + 1] = running
        self._flags = bytes(flags)
        self._prefix = prefix

        self._spans = self.hours.spans
        self._day_us = sum(b - a for a, b in self._spans)
        self._last_end = self._spans[-1][1]
        self._published_lo = None if published_from is None else date(published_from, 1, 1).toordinal()
        self._published_hi = (
            None if published_through is None else date(published_through + 1, 1, 1).toordinal()
        )

    @classmethod
    def round_the_clock(cls, tz: tzinfo | str = SHANGHAI) -> Calendar:
        """Every day is a working day and every hour is working time (24×7)."""
        return cls(published_through=None, weekend=(), hours=WorkingHours.all_day(tz))

    def __repr__(self) -> str:
        return (
            f"Calendar({len(self._days)} special days, published {self.published_from}–"
            f"{self.published_through}, weekend {sorted(self.weekend)}, hours {self.hours.as_text()}, {self.tz})"
        )

    # --- days ---------------------------------------------------------------------------------------

    def day_kind(self, day: date) -> DayKind:
        kind = self._days.get(day)
        if kind is not None:
            return kind
        return DayKind.WEEKEND if day.isoweekday() in self.weekend else DayKind.WORKDAY

    def holiday_name(self, day: date) -> str:
        """The name given with the day (e.g. 春节 for a day of the Spring Festival break), or ''."""
        return self._names.get(day, "")

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day. A make-up working day (调休上班) is one, whatever its weekday."""
        return self._working(day.toordinal())

    def is_published(self, day: date) -> bool:
        """Whether ``day`` lies in the published years (outside them only the weekend rule is known)."""
        return self._published(day.toordinal(), day.toordinal())

    def working_day_after(self, day: date, n: int = 1) -> date:
        """The ``n``-th working day strictly after ``day`` (n ≥ 1)."""
        if n < 1:
            raise ValueError("n counts working days after the day: it is at least 1")
        return date.fromordinal(self._nth_after(day.toordinal(), n))

    def count_working_days(self, first: date, last: date) -> int:
        """Working days from ``first`` to ``last``, both included (0 when ``last`` is before ``first``)."""
        return max(0, self._count(last.toordinal() + 1) - self._count(first.toordinal()))

    # --- time ---------------------------------------------------------------------------------------

    def add(
        self,
        start: datetime,
        *,
        working_days: int = 0,
        working_hours: float = 0.0,
        natural_hours: float = 0.0,
    ) -> Due:
        """The deadline ``start`` plus the given time, applied in the order days, hours, natural hours.

        - ``working_days=N`` (N ≥ 1): the end of the last working period of the Nth working day after
          the day of ``start`` (the day of ``start`` is not counted);
        - ``working_hours=H``: the earliest instant at which H hours of working time have passed;
        - ``natural_hours=H``: H hours of elapsed time (the calendar plays no part).

        Zero of everything returns ``start`` (in the calendar's time zone). Amounts must not be
        negative. ``start`` must be aware; the result is aware, in the calendar's time zone.
        """
        if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 0:
            raise ValueError("working_days is a whole number, at least 0")
        for name, value in (("working_hours", working_hours), ("natural_hours", natural_hours)):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} is a finite number, at least 0")
        at = self._local(start)
        provisional = False
        if working_days:
            first = at.toordinal()
            day = self._nth_after(first, working_days)
            at = self._instant(day, self._last_end)
            provisional |= not self._published(first, day)
        hours_us = _timedelta_us(timedelta(hours=working_hours))
        if hours_us:
            first = at.toordinal()
            day, us = self._reach(self._worked(at) + hours_us)
            at = self._instant(day, us)
            provisional |= not self._published(first, day)
        if natural_hours:
            at = (at.astimezone(UTC) + timedelta(hours=natural_hours)).astimezone(self.tz)
        return Due(at, provisional)

    def add_amount(self, start: datetime, amount: float, unit: Unit | str) -> Due:
        """``add`` with the amount and unit of a deadline policy (working days must be whole)."""
        unit = Unit(unit)
        if unit is Unit.WORKING_DAYS:
            if amount != int(amount):
                raise ValueError("working days are whole days")
            return self.add(start, working_days=int(amount))
        if unit is Unit.WORKING_HOURS:
            return self.add(start, working_hours=amount)
        return self.add(start, natural_hours=amount)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside [a, b): the time in working periods of working days.

        Negative when ``b`` is before ``a`` (``between(a, b) == -between(b, a)``), and additive:
        ``between(a, b) + between(b, c) == between(a, c)``.
        """
        return timedelta(microseconds=self._worked(self._local(b)) - self._worked(self._local(a)))

    def share_elapsed(self, start: datetime, due: datetime, now: datetime, *, unit: Unit | str) -> float:
        """The share of the time from ``start`` to ``due`` that has passed at ``now``: 0 at the start,
        1 at the deadline, above 1 once overdue, never below 0. Working units measure working time;
        natural hours measure elapsed time. A zero-length allowance gives 0 before ``due`` and 1 after.
        """
        if Unit(unit) is Unit.NATURAL_HOURS:
            total = (due - start).total_seconds()
            done = (now - start).total_seconds()
        else:
            total = self.working_time_between(start, due).total_seconds()
            done = self.working_time_between(start, now).total_seconds()
        if total <= 0:
            return 1.0 if now >= due else 0.0
        return max(0.0, done / total)

    def at_share(self, start: datetime, due: datetime, share: float, *, unit: Unit | str) -> datetime:
        """The instant at which ``share`` of the time from ``start`` to ``due`` has passed, measured as
        ``share_elapsed`` measures it (its inverse): the yellow warning is ``at_share(start, due, 0.8)``.
        Never before ``start``; ``due`` itself for a share of 1.
        """
        if not math.isfinite(share) or share < 0:
            raise ValueError("share is a finite number, at least 0")
        if share == 0:
            return self._local(start)
        if Unit(unit) is Unit.NATURAL_HOURS:
            return self._local(start + (due - start) * share)
        begin = self._worked(self._local(start))
        total = self._worked(self._local(due)) - begin
        if total <= 0 or share == 1:
            return self._local(due)
        day, us = self._reach(begin + round(total * share))
        return max(self._instant(day, us), self._local(start))

    # --- internals: days as ordinals ------------------------------------------------------------------

    def _working(self, o: int) -> bool:
        if self._start <= o < self._end:
            return bool(self._flags[o - self._start])
        return self._rule[(o - 1) % 7]

    def _rule_count(self, a: int, b: int) -> int:
        """Weekend-rule working days in [a, b), a ≤ b."""
        weeks, rest = divmod(b - a, 7)
        return weeks * self._per_week + self._week_prefix[(a - 1) % 7][rest]

    def _count(self, x: int) -> int:
        """Working days in [span start, x): negative before the span. Never decreases with x."""
        if x <= self._start:
            return -self._rule_count(x, self._start)
        if x <= self._end:
            return self._prefix[x - self._start]
        return self._prefix[-1] + self._rule_count(self._end, x)

    def _rule_nth_from(self, s: int, m: int) -> int:
        """The m-th (m ≥ 1) weekend-rule working day on or after ordinal s."""
        weeks, rest = divmod(m - 1, self._per_week)
        o, need = s + 7 * weeks, rest + 1
        while True:
            if self._rule[(o - 1) % 7]:
                need -= 1
                if not need:
                    return o
            o += 1

    def _rule_nth_before(self, s: int, m: int) -> int:
        """The m-th (m ≥ 1) weekend-rule working day strictly before ordinal s."""
        weeks, rest = divmod(m - 1, self._per_week)
        o, need = s - 7 * weeks - 1, rest + 1
        while True:
            if self._rule[(o - 1) % 7]:
                need -= 1
                if not need:
                    return o
            o -= 1

    def _first_reaching(self, t: int) -> int:
        """The smallest ordinal x with ``_count(x) >= t``; day x - 1 is then a working day."""
        total = self._prefix[-1]
        if t > total:
            return self._rule_nth_from(self._end, t - total) + 1
        if t > 0:
            return self._start + bisect.bisect_left(self._prefix, t)
        return self._rule_nth_before(self._start, 1 - t) + 1

    def _nth_after(self, o: int, n: int) -> int:
        return self._first_reaching(self._count(o + 1) + n) - 1

    def _published(self, first: int, last: int) -> bool:
        if self._published_lo is not None and first < self._published_lo:
            return False
        return self._published_hi is None or last < self._published_hi

    # --- internals: instants as wall-clock microseconds --------------------------------------------------

    def _local(self, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("give an aware datetime (UTC or any time zone), not a naive one")
        return value.astimezone(self.tz)

    def _instant(self, o: int, us: int) -> datetime:
        return datetime.combine(date.fromordinal(o), time(), tzinfo=self.tz) + timedelta(microseconds=us)

    def _within_day(self, us: int) -> int:
        """Working microseconds of a working day before wall-clock microsecond ``us``."""
        done = 0
        for a, b in self._spans:
            if us <= a:
                break
            done += min(us, b) - a
        return done

    def _worked(self, local: datetime) -> int:
        """Working microseconds from the span start to ``local`` (a wall-clock datetime in tz)."""
        o = local.toordinal()
        worked = self._count(o) * self._day_us
        if self._working(o):
            worked += self._within_day(_time_us(local.time()))
        return worked

    def _reach(self, target: int) -> tuple[int, int]:
        """The earliest (day, microsecond of day) at which ``_worked`` reaches ``target``."""
        days, rest = divmod(target, self._day_us)
        if not rest:
            return self._first_reaching(days) - 1, self._last_end
        day = self._first_reaching(days + 1) - 1
        for a, b in self._spans:
            if rest <= b - a:
                return day, a + rest
            rest -= b - a
        raise AssertionError("unreachable: rest is less than a working day")
