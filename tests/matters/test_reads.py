"""Reading matters the quick ways: by number (area grant or participation), a step's answer from the row
it wrote, and listings whose count stops at a limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.matters.conftest import Desk
from tests.web.test_centre_views import client_for, receive

from onegrid.access.models import Membership
from onegrid.kit import pagination, scope
from onegrid.kit.errors import NotFound
from onegrid.matters import api, selectors, steps
from onegrid.matters.lifecycle import Step

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]


def test_found_by_number_through_an_area_grant_or_participation_only(
    people: dict[str, Any], desk: Desk
) -> None:
    matter = receive(people["resident"], channel="resident_app")  # in township A, by the resident
    assert selectors.get_for(people["county"], matter.number).pk == matter.pk  # county grant
    assert selectors.get_for(people["township"], matter.number).pk == matter.pk  # township A grant
    assert selectors.get_for(people["resident"], matter.number).pk == matter.pk  # the reporter, no grant
    outsider = people["township_b"]  # grants over township B only
    with pytest.raises(NotFound):
        selectors.get_for(outsider, matter.number)
    Membership.objects.create(user=outsider, organisation=desk.department)
    scope.forget(outsider)
    steps.take(actor=people["county"], matter=matter, step=Step.REGISTER)
    with pytest.raises(NotFound):  # a member of the department, which is not responsible yet
        selectors.get_for(outsider, matter.number)
    steps.take(actor=people["county"], matter=matter, step=Step.DISPATCH)
    assert selectors.get_for(outsider, matter.number).owner == desk.department  # now it is
    with pytest.raises(NotFound):
        selectors.get_for(people["county"], "330122-20000101-999999")


@pytest.mark.parametrize("step", [Step.REGISTER, Step.DISPATCH, Step.ACCEPT, Step.RESOLVE])
def test_a_step_answers_what_a_fresh_read_shows(people: dict[str, Any], desk: Desk, step: Step) -> None:
    matter = receive(people["county"])
    order = [Step.REGISTER, Step.DISPATCH, Step.ACCEPT, Step.RESOLVE]
    for earlier in order[: order.index(step)]:
        actor = desk.handler if earlier in (Step.ACCEPT, Step.RESOLVE) else people["county"]
        steps.take(actor=actor, matter=matter, step=earlier)
    actor = desk.handler if step in (Step.ACCEPT, Step.RESOLVE) else people["county"]
    loaded = selectors.get_for(actor, matter.number)
    answered = steps.take(actor=actor, matter=loaded, step=step)
    fresh = selectors.get_for(actor, matter.number)
    assert api.detail(actor, answered) == api.detail(actor, fresh)
    assert (answered.status, answered.owner_id) == (fresh.status, fresh.owner_id)


def test_the_count_of_a_listing_stops_at_the_limit(
    people: dict[str, Any], client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(4):
        receive(people["county"])
    client = client_as("county")
    whole = client.get("/api/v1/matters/?limit=2").json()
    assert (whole["count"], whole["count_exact"], len(whole["items"])) == (4, True, 2)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    capped = client.get("/api/v1/matters/?limit=2").json()
    assert (capped["count"], capped["count_exact"], len(capped["items"])) == (3, False, 2)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 4)
    exact = client.get("/api/v1/matters/?limit=10").json()
    assert (exact["count"], exact["count_exact"], len(exact["items"])) == (4, True, 4)
    assert client_for(people["county"]).get("/api/v1/matters/?limit=1").status_code == 200
