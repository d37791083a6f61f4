"""The queue's counts read from the statistics rollup equal the counts over the matters themselves:
merged duplicates (which the rollup leaves out), deadlines, and matters seen through participation
outside the grants; and its rows link to their matters as ``reverse`` would."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from tests.factories import Net, make_user
from tests.matters import conftest as matters_conftest
from tests.matters.conftest import Desk
from tests.web.test_centre_views import receive

from onegrid.access import services as access
from onegrid.access.models import Organisation
from onegrid.matters import counting, rollup, steps, supervision
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Matter
from onegrid.web.centre import queue

pytestmark = pytest.mark.django_db
desk = matters_conftest.desk


def direct(actor: Any) -> counting.Counts:
    """The counts as one grouped query over the matters the actor sees (what the rollup replaces)."""
    filters = queue.Filters(category="__none__")  # any filter leaves the rollup aside
    assert queue._rollup_nodes(actor, filters) is None
    ids = queue._search(actor, queue.Filters(), facets=True).order_by().values("pk")
    late, soon = counting.late_and_soon()
    rows = (
        Matter.objects.filter(pk__in=ids)
        .values("status")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=late), warning=Count("pk", filter=soon))
        .order_by()
    )
    out = counting.Counts()
    for row in rows:
        out.by_status[row["status"]] = row["n"]
        out.overdue[row["status"]] = row["overdue"]
        out.warning[row["status"]] = row["warning"]
    return out


def nonzero(values: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in values.items() if v}


def test_the_rollup_counts_equal_the_matters(net: Net, people: dict[str, Any], desk: Desk) -> None:
    county = people["county"]
    made = [receive(county, title=f"事件{i}", lon=120.1 if i % 2 else 120.9) for i in range(8)]
    for matter in made[:4]:
        steps.take(actor=county, matter=matter, step=Step.REGISTER)
    steps.take(actor=county, matter=made[1], step=Step.DISPATCH)
    supervision.merge(actor=county, duplicate=made[2], into=made[0], note="同一事件")
    past = timezone.now() - dt.timedelta(hours=2)
    Matter.objects.filter(pk=made[5].pk).update(due_at=past, warn_at=past - dt.timedelta(hours=1))
    Matter.objects.filter(pk=made[6].pk).update(due_at=timezone.now() + dt.timedelta(hours=2), warn_at=past)
    # A matter of a neighbouring county (the hand-made net has one county, so only its path is moved
    # there), owned by the county operator's centre: the operator sees it by participation, outside
    # their grant.
    centre = Organisation.objects.create(
        code="test-centre-330122",
        name="县指挥中心（测试）",
        kind="command_centre",
        area=net.county,
        area_path=net.county.path,
    )
    access.add_member(actor=None, user=county, organisation=centre)
    elsewhere = receive(county, title="邻区事件", lon=120.1)
    Matter.objects.filter(pk=elsewhere.pk).update(area_path="/330000/330100/330111/330111001/", owner=centre)
    rollup.rebuild()  # as after any move of matters between areas (docs/decisions/0004)
    for name in ("county", "admin"):
        actor = people[name]
        assert queue._rollup_nodes(actor, queue.Filters()) is not None
        ours, theirs = queue.counts(actor, queue.Filters()), direct(actor)
        assert nonzero(ours.by_status) == nonzero(theirs.by_status)
        assert nonzero(ours.overdue) == nonzero(theirs.overdue)
        assert nonzero(ours.warning) == nonzero(theirs.warning)
    assert queue.counts(county, queue.Filters()).total() == 9  # the merged duplicate and the neighbour's
    assert nonzero(queue.counts(county, queue.Filters()).overdue) != {}
    outsider = make_user("outsider", role="county_operator", area=net.county)
    assert queue.counts(outsider, queue.Filters()).total() == 8  # no participation: the county only


def test_a_row_links_to_the_matter_as_reverse_would() -> None:
    for number in ("330122-20261123-000004", "X 1", "a%b", "路灯-1"):
        assert queue._matter_url(number) == reverse("centre:matter", args=[number])
