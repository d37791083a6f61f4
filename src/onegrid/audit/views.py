"""The auditors' search page: the trail within their ``audit.view`` scope."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from onegrid.audit import selectors
from onegrid.kit import scope


def _day(value: str | None) -> dt.datetime | None:
    day = parse_date(value or "")
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) if day else None


@login_required
def search(request: HttpRequest) -> HttpResponse:
    if not scope.has_permission(request.user, "audit.view"):
        raise PermissionDenied("this page needs the permission audit.view")
    q = request.GET
    until = _day(q.get("until"))
    records = selectors.search(
        request.user,
        action=q.get("action") or None,
        object_type=q.get("object_type") or None,
        object_id=q.get("object_id") or None,
        actor_name=q.get("actor") or None,
        request_id=q.get("request_id") or None,
        since=_day(q.get("since")),
        until=until + dt.timedelta(days=1) if until else None,
    )
    page = Paginator(records, 50, allow_empty_first_page=True).get_page(q.get("page"))
    query = q.copy()
    query.pop("page", None)
    return render(request, "audit/search.html", {"page": page, "filters": q, "query": query.urlencode()})
