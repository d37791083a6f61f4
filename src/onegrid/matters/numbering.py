"""Human-readable matter numbers: county code, local date, daily sequence — ``330122-20261122-000123``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F

from onegrid.matters.models import NumberSequence


def county_code(area_path: str) -> str:
    codes = [c for c in area_path.strip("/").split("/") if c]
    return codes[2] if len(codes) > 2 else codes[-1][:6]


def next_number(area_path: str, at: dt.datetime) -> str:
    """Call inside the intake transaction: the counter row is locked until commit."""
    day = at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y%m%d")
    prefix = f"{county_code(area_path)}-{day}"
    updated = NumberSequence.objects.filter(prefix=prefix).update(last=F("last") + 1)
    if not updated:
        NumberSequence.objects.get_or_create(prefix=prefix, defaults={"last": 0})
        NumberSequence.objects.filter(prefix=prefix).update(last=F("last") + 1)
    last = NumberSequence.objects.get(prefix=prefix).last
    return f"{prefix}-{last:06d}"
