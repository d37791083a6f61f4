# TEMPORARY local stand-in until the calendar branch is merged (never committed)
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Due:
    at: dt.datetime
    provisional: bool


class _Cal:
    def add(
        self,
        start: dt.datetime,
        *,
        working_days: int = 0,
        working_hours: float = 0.0,
        natural_hours: float = 0.0,
    ) -> Due:
        at = start
        if working_hours:
            at = at + dt.timedelta(hours=working_hours * 3)
        d = 0
        while d < working_days:
            at += dt.timedelta(days=1)
            if at.weekday() < 5:
                d += 1
        return Due(at + dt.timedelta(hours=natural_hours), False)


def calendar_for(code: str = "cn") -> _Cal:
    return _Cal()
