"""The API's queue from statements compiled per shape answers exactly what ``selectors.search`` answers:
for every kind of caller (whole net, area grants, participation only, an API token narrowed to an area),
every filter and combination of filters, values that LIKE would read as wildcards, and pages at any
offset; and compiles each shape once."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.matters.conftest import Desk
from tests.web.test_centre_views import receive

from onegrid.access import services
from onegrid.kit import pagination, scope
from onegrid.matters import api, listing, selectors, steps
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Assist, Matter

pytestmark = pytest.mark.django_db


def _queue(people: dict[str, Any], desk: Desk) -> list[Matter]:
    """Matters in both townships, by staff and by the resident, at every stage, some late, one merged,
    one assisted by the other department, titles with LIKE's wildcards."""
    county, resident = people["county"], people["resident"]
    made = [
        receive(county, title="路灯不亮 100% 损坏"),
        receive(county, lon=120.7, title="井盖_缺失", channel="resident_app"),
        receive(resident, lon=120.7, channel="resident_app", category="manhole-cover"),
        receive(resident, title="违章搭建", channel="resident_app", category="illegal-construction"),
        receive(county, lon=120.3, title="占道经营", channel="grid_patrol", category="street-vending"),
        receive(county, lon=120.8, title="河道漂浮物", category="garbage"),
    ]
    for matter, upto in zip(made, (0, 1, 2, 3, 4, 2), strict=True):
        for step in (Step.REGISTER, Step.DISPATCH, Step.ACCEPT, Step.RESOLVE)[:upto]:
            handles = step in (Step.ACCEPT, Step.RESOLVE) and matter.owner_id == desk.department.pk
            actor = desk.handler if handles else county
            matter = steps.take(actor=actor, matter=selectors.get_for(actor, matter.number), step=step)
    now = timezone.now()
    Matter.objects.filter(pk=made[1].pk).update(due_at=now - dt.timedelta(hours=1), warn_at=now)
    Matter.objects.filter(pk=made[2].pk).update(
        due_at=now + dt.timedelta(hours=2), warn_at=now - dt.timedelta(hours=1)
    )
    Matter.objects.filter(pk=made[5].pk).update(merged_into=made[0])
    Assist.objects.create(matter=made[1], organisation=desk.department)
    return made


FILTERS: list[dict[str, Any]] = [
    {},
    {"status": ["received"]},
    {"status": ["registered", "dispatched", "accepted"]},
    {"overdue": True},
    {"overdue": False},
    {"warning": True},
    {"category": "city-appearance"},
    {"category": "manhole-cover"},
    {"category": "safety"},
    {"channel": "resident_app"},
    {"area": "330122001"},
    {"area": "330122002"},
    {"q": "100%"},
    {"q": "_"},
    {"q": "330122-"},
    {"mine": True},
    {"since": "past"},
    {"until": "future"},
    {"status": ["received", "registered"], "channel": "hotline_12345", "area": "330122001"},
    {"overdue": False, "category": "garbage", "q": "路灯", "since": "past", "until": "future"},
]


def _resolved(filters: dict[str, Any]) -> dict[str, Any]:
    now = timezone.now()
    moments = {"past": now - dt.timedelta(days=1), "future": now + dt.timedelta(days=1)}
    return {k: moments.get(v, v) if k in ("since", "until") else v for k, v in filters.items()}


def _expected(actor: Any, filters: dict[str, Any], offset: int, limit: int) -> tuple[int, list[Any]]:
    qs = selectors.search(actor, **filters)
    rows = list(qs.values_list(*api.SUMMARY_FIELDS)[offset : offset + limit])
    return qs.count(), [api.summary_row(r) for r in rows]


def test_every_caller_and_filter_answers_as_the_queryset(people: dict[str, Any], desk: Desk) -> None:
    _queue(people, desk)
    _, text = services.create_token(
        actor=None,
        user=people["county"],
        name="乡镇接口",
        permissions=["matters.view"],
        area=desk.township_centre.area,
    )
    token = services.authenticate_token(text)  # the county operator, narrowed to township A
    assert token is not None
    callers = {
        "whole net": people["admin"],
        "county grant": people["county"],
        "township B grant": people["township_b"],
        "participation only": people["resident"],
        "handler": desk.handler,
        "token over township A": token,
    }
    for (who, actor), filters in itertools.product(callers.items(), FILTERS):
        scope.forget(actor)
        wanted = _resolved(filters)
        for offset, limit in ((0, 20), (1, 2), (4, 3)):
            count, items = _expected(actor, wanted, offset, limit)
            got = listing.Listing(actor, api.SUMMARY_FIELDS, api.summary_row, **wanted)
            assert got.count_upto(pagination.COUNT_LIMIT) == count, (who, filters)
            assert got[offset : offset + limit] == items, (who, filters, offset)
    assert selectors.search(people["resident"]).count() >= 2  # the participation callers saw rows


def test_a_shape_is_compiled_once_then_one_statement_a_call(people: dict[str, Any], desk: Desk) -> None:
    _queue(people, desk)
    county = people["county"]
    first = listing.Listing(county, api.SUMMARY_FIELDS, api.summary_row, status=["received"])
    first.count_upto(10)
    first[0:5]
    built: list[int] = []
    original = selectors.search

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return original(*args, **kwargs)

    selectors.search = counting  # type: ignore[assignment]
    try:
        with CaptureQueriesContext(connection) as seen:
            again = listing.Listing(county, api.SUMMARY_FIELDS, api.summary_row, status=["dispatched"])
            assert again.count_upto(10) == selectors.search(county, status=["dispatched"]).count()
        built.pop()  # the check's own queryset
        again[0:5]
    finally:
        selectors.search = original  # type: ignore[assignment]
    assert built == []
    statements = [q["sql"] for q in seen.captured_queries]
    assert sum("COUNT(*)" in s for s in statements) == 2  # the compiled count and the check's


def test_the_api_lists_through_the_compiled_statements(
    people: dict[str, Any], desk: Desk, client_as: Any
) -> None:
    made = _queue(people, desk)
    client = client_as("county")
    page = client.get("/api/v1/matters/?limit=2&offset=1&status=received&status=registered").json()
    count, items = _expected(people["county"], {"status": ["received", "registered"]}, 1, 2)
    assert page["count"] == count
    assert page["count_exact"] is True
    assert [i["number"] for i in page["items"]] == [i["number"] for i in items]
    wild = client.get("/api/v1/matters/", {"q": "100%"}).json()
    assert [i["number"] for i in wild["items"]] == [made[0].number]
