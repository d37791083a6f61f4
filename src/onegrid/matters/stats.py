"""Statistics of the one net for a period, scoped to the caller: counts by source, category, area,
level, status and day; the three rates (三率); share resolved at township or village level; median
time to close.

Definitions (configurable later; documented so that figures can be compared):
- response rate (响应率) = dispatched matters signed for on time ÷ dispatched matters signed for;
- resolution rate (解决率) = follow-up calls reporting "solved" ÷ follow-up calls that reached the caller,
  falling back to ratings ≥ 3 ÷ ratings where no call was made;
- satisfaction rate (满意率) = satisfied (+ basically satisfied) calls ÷ calls that reached the caller,
  together with ratings 4–5 ÷ ratings;
- resolved at township or village level = closed matters whose responsible organisation's area is a
  township or below ÷ closed matters.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from onegrid.matters.models import FollowUpCall, Rating
from onegrid.matters.selectors import visible

TOWNSHIP_DEPTH = 4


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summary(actor: Any, *, since: dt.datetime, until: dt.datetime, area: str | None = None) -> dict[str, Any]:
    qs = visible(actor).filter(received_at__gte=since, received_at__lt=until, merged_into__isnull=True)
    if area:
        qs = qs.filter(area_path__contains=f"/{area}/")
    ids = qs.values("pk")

    def by(field: str) -> dict[str, int]:
        return {str(k): n for k, n in qs.order_by().values_list(field).annotate(n=Count("pk", distinct=True))}

    signed = qs.filter(accept_on_time__isnull=False)
    calls = FollowUpCall.objects.filter(matter__in=ids, reached=True)
    ratings = Rating.objects.filter(matter__in=ids)
    closed = qs.filter(closed_at__isnull=False)
    local = closed.filter(owner_level__gte=TOWNSHIP_DEPTH)
    durations = [
        (c - r).total_seconds() / 3600
        for r, c in closed.values_list("received_at", "closed_at")[:200_000]
        if c is not None and r is not None
    ]
    n_calls, n_ratings = calls.count(), ratings.count()
    return {
        "period": {"since": since, "until": until},
        "total": qs.count(),
        "by_channel": by("channel"),
        "by_category": by("category__code"),
        "by_status": by("status"),
        "by_day": {
            str(d): n
            for d, n in qs.annotate(day=TruncDate("received_at"))
            .order_by()
            .values_list("day")
            .annotate(n=Count("pk", distinct=True))
        },
        "response_rate": _ratio(signed.filter(accept_on_time=True).count(), signed.count()),
        "resolution_rate": _ratio(calls.filter(solved=True).count(), n_calls)
        if n_calls
        else _ratio(ratings.filter(score__gte=3).count(), n_ratings),
        "satisfaction_rate": _ratio(
            calls.filter(Q(satisfaction="satisfied") | Q(satisfaction="basic")).count()
            + ratings.filter(score__gte=4).count(),
            n_calls + n_ratings,
        ),
        "on_time_resolution_rate": _ratio(
            qs.filter(resolve_on_time=True).count(), qs.filter(resolve_on_time__isnull=False).count()
        ),
        "resolved_locally_share": _ratio(local.count(), closed.count()),
        "median_hours_to_close": round(statistics.median(durations), 2) if durations else None,
    }
