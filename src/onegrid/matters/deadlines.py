"""Deadlines of each stage from the deadline policies, counted on the working-day calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from onegrid.kit.calendars import calendar_for
from onegrid.matters import catalogue
from onegrid.matters.models import DeadlinePolicy, Matter


@dataclass(frozen=True, slots=True)
class Clock:
    stage: str
    due_at: dt.datetime
    warn_at: dt.datetime
    provisional: bool
    policy: DeadlinePolicy


def policy_for(matter: Matter, stage: str) -> DeadlinePolicy | None:
    """The most specific policy for (category or its parent, priority) at ``stage``."""
    category_ids = [matter.category_id, matter.category.parent_id]
    candidates = [
        p
        for p in catalogue.current().policies
        if p.stage == stage
        and (p.category_id is None or p.category_id in category_ids)
        and (not p.priority or p.priority == matter.priority)
    ]
    if not candidates:
        return None

    def rank(p: DeadlinePolicy) -> tuple[int, int]:
        exact = 2 if p.category_id == matter.category_id else (1 if p.category_id is not None else 0)
        return (exact, int(bool(p.priority)))

    return max(candidates, key=rank)


def _add(policy: DeadlinePolicy, start: dt.datetime, amount: float) -> tuple[dt.datetime, bool]:
    if policy.unit == DeadlinePolicy.Unit.NATURAL_HOURS:
        return start + dt.timedelta(hours=amount), False
    calendar = calendar_for(policy.calendar)
    if policy.unit == DeadlinePolicy.Unit.WORKING_HOURS:
        due = calendar.add(start, working_hours=amount)
    else:
        due = calendar.add(start, working_days=round(amount))
    return due.at, due.provisional


def clock(matter: Matter, stage: str | None, start: dt.datetime, *, extra_days: int = 0) -> Clock | None:
    """The clock of ``stage`` started at ``start`` (None when no clock runs or no policy exists)."""
    if stage is None:
        return None
    policy = policy_for(matter, stage)
    if policy is None:
        return None
    due_at, provisional = _add(policy, start, policy.amount)
    if extra_days:
        calendar = calendar_for(policy.calendar)
        extended = calendar.add(due_at, working_days=extra_days)
        due_at, provisional = extended.at, provisional or extended.provisional
    # The yellow warning at the policy's share of the allowance, measured in the policy's own unit (for
    # working days: working time, so a weekend in between does not bring the warning forward).
    warn_at = calendar_for(policy.calendar).at_share(start, due_at, policy.warn_share, unit=policy.unit)
    return Clock(stage, due_at, warn_at, provisional, policy)


def apply(matter: Matter, stage: str | None, start: dt.datetime) -> None:
    """Set the matter's running clock for ``stage`` (or stop it)."""
    c = clock(matter, stage, start)
    matter.stage = stage or ""
    matter.stage_started_at = start if stage else None
    matter.due_at = c.due_at if c else None
    matter.warn_at = c.warn_at if c else None
    matter.due_provisional = c.provisional if c else False
