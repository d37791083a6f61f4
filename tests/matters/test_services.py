"""Routing, deadlines, supervision, extensions, merging, feedback, the deadline sweep and statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from tests.factories import Net, make_user
from tests.matters.conftest import Desk

from onegrid.kit.errors import Conflict, Invalid
from onegrid.matters import deadlines, feedback, intake, routing, stats, steps, supervision, sweeps
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Category, DeadlinePolicy, Event, Matter, RoutingRule
from onegrid.matters.selectors import likely_duplicates

pytestmark = pytest.mark.django_db
JSON = "application/json"
ClientAs = Callable[[str | None], Client]


def new_matter(people: dict[str, Any], **extra: Any) -> Matter:
    fields = {
        "channel": "hotline_12345",
        "category": "garbage",
        "title": "垃圾",
        "lon": 120.1,
        "lat": 30.5,
    } | extra
    matter, _ = intake.receive(actor=people["county"], report=intake.Report(**fields))
    return matter


def dispatched(people: dict[str, Any], **extra: Any) -> Matter:
    matter = new_matter(people, **extra)
    steps.take(actor=people["county"], matter=matter, step=Step.REGISTER)
    steps.take(actor=people["county"], matter=matter, step=Step.DISPATCH)
    return Matter.objects.get(pk=matter.pk)


def test_the_most_specific_routing_rule_wins(desk: Desk, people: dict[str, Any], net: Net) -> None:
    RoutingRule.objects.create(
        category=Category.objects.get(code="garbage"),
        organisation=desk.township_centre,
        area=net.township_a,
        area_path=net.township_a.path,
    )
    assert dispatched(people).owner == desk.township_centre
    assert dispatched(people, lon=120.9).owner == desk.department


def test_equally_specific_rules_are_reported_when_saved_and_refused_when_routing(
    desk: Desk, net: Net, people: dict[str, Any]
) -> None:
    twin = RoutingRule(
        category=Category.objects.get(code="city-appearance"),
        organisation=desk.county_centre,
        area=net.county,
        area_path=net.county.path,
    )
    assert routing.check(twin)
    twin.save()
    matter = new_matter(people)
    steps.take(actor=people["county"], matter=matter, step=Step.REGISTER)
    with pytest.raises(Conflict):
        steps.take(actor=people["county"], matter=matter, step=Step.DISPATCH)


def test_overriding_the_routing_needs_a_reason(desk: Desk, people: dict[str, Any]) -> None:
    matter = new_matter(people)
    steps.take(actor=people["county"], matter=matter, step=Step.REGISTER)
    with pytest.raises(Invalid) as caught:
        steps.take(
            actor=people["county"],
            matter=matter,
            step=Step.DISPATCH,
            data=steps.StepInput(organisation=desk.county_centre),
        )
    assert caught.value.field == "override_reason"
    steps.take(
        actor=people["county"],
        matter=matter,
        step=Step.DISPATCH,
        data=steps.StepInput(organisation=desk.county_centre, override_reason="the centre handles it"),
    )
    assert Matter.objects.get(pk=matter.pk).owner == desk.county_centre


def test_urgent_matters_run_on_the_24_hour_clock(desk: Desk, people: dict[str, Any]) -> None:
    before = timezone.now()
    matter = new_matter(people, priority="urgent")
    assert matter.stage == "register"
    assert before + dt.timedelta(minutes=14) <= matter.due_at <= timezone.now() + dt.timedelta(minutes=15)


def test_escalation_goes_to_the_parent_command_centre(desk: Desk, people: dict[str, Any], net: Net) -> None:
    RoutingRule.objects.create(
        category=Category.objects.get(code="garbage"),
        organisation=desk.township_centre,
        area=net.township_a,
        area_path=net.township_a.path,
    )
    matter = dispatched(people)
    steps.take(actor=people["county"], matter=matter, step=Step.ESCALATE, data=steps.StepInput(note="跨部门"))
    matter.refresh_from_db()
    assert (matter.owner, matter.status, matter.escalation_level) == (desk.county_centre, "registered", 1)


def test_a_second_dispatch_of_the_same_matter_is_a_conflict(desk: Desk, people: dict[str, Any]) -> None:
    matter = dispatched(people)
    stale = Matter.objects.get(pk=matter.pk)
    stale.status = "registered"  # what a second operator's page still shows
    with pytest.raises(Conflict):
        steps.take(actor=people["county"], matter=stale, step=Step.DISPATCH)
    assert Event.objects.filter(matter=matter, action="dispatch").count() == 1


def test_supervision_order_and_reply(desk: Desk, people: dict[str, Any], net: Net) -> None:
    leader = make_user("leader", role="leader", area=net.county)
    matter = dispatched(people)
    order = supervision.supervise(
        actor=leader, matter=matter, instruction="三日内办结", working_days=3, listed=True
    )
    supervision.reply(actor=desk.handler, order=order, text="已安排")
    with pytest.raises(Conflict):
        supervision.reply(actor=desk.handler, order=order, text="again")
    assert list(Event.objects.filter(matter=matter).values_list("action", flat=True))[-2:] == [
        "supervise",
        "supervision_reply",
    ]


def test_an_extension_moves_the_deadline(desk: Desk, people: dict[str, Any]) -> None:
    matter = dispatched(people)
    steps.take(actor=desk.handler, matter=matter, step=Step.ACCEPT)
    matter.refresh_from_db()
    due = matter.due_at
    request = supervision.request_extension(
        actor=desk.handler, matter=matter, working_days=3, reason="需协调"
    )
    supervision.decide_extension(actor=people["county"], request=request, grant=True)
    matter.refresh_from_db()
    assert matter.due_at > due
    with pytest.raises(Conflict):
        supervision.decide_extension(actor=people["county"], request=request, grant=False)


def test_merged_matters_share_one_outcome(desk: Desk, people: dict[str, Any]) -> None:
    first = dispatched(people)
    second = new_matter(people)
    assert [m.number for m in intake_duplicates(second)] == [first.number]
    supervision.merge(actor=people["county"], duplicate=second, into=first)
    for step in (Step.ACCEPT, Step.RESOLVE):
        steps.take(actor=desk.handler, matter=first, step=step)
    assert Matter.objects.get(pk=second.pk).status == "resolved"


def intake_duplicates(matter: Matter) -> list[Matter]:
    return likely_duplicates(matter)


def test_a_rating_link_works_once_and_a_low_rating_reopens(desk: Desk, people: dict[str, Any]) -> None:
    matter = dispatched(people)
    for step in (Step.ACCEPT, Step.RESOLVE):
        steps.take(actor=desk.handler, matter=matter, step=step)
    steps.take(actor=people["county"], matter=matter, step=Step.CLOSE)
    token = feedback.issue_token(matter)
    response = Client().post(
        f"/api/v1/matters/ratings/{token}", {"score": 1, "comment": "没解决"}, content_type=JSON
    )
    assert response.status_code == 201, response.content
    assert Matter.objects.get(pk=matter.pk).status == "dispatched"
    again = Client().post(f"/api/v1/matters/ratings/{token}", {"score": 5}, content_type=JSON)
    assert again.status_code == 409
    bad = Client().post(f"/api/v1/matters/ratings/{token}x", {"score": 9}, content_type=JSON)
    assert bad.status_code == 422


def test_the_sweep_warns_and_marks_overdue_exactly_once(desk: Desk, people: dict[str, Any]) -> None:
    matter = dispatched(people)
    past = timezone.now() - dt.timedelta(minutes=1)
    Matter.objects.filter(pk=matter.pk).update(warn_at=past, due_at=past)
    assert sweeps.sweep() == 2
    assert sweeps.sweep() == 0  # a second worker finds nothing left to say
    actions = list(Event.objects.filter(matter=matter).values_list("action", flat=True))
    assert actions.count("deadline_warning") == actions.count("overdue") == 1


def test_a_sweep_costs_the_same_few_queries_for_one_mark_or_many(
    desk: Desk, people: dict[str, Any], django_assert_max_num_queries: Callable[..., Any]
) -> None:
    from onegrid.notify.models import Notification

    past = timezone.now() - dt.timedelta(minutes=1)
    first = dispatched(people)
    Matter.objects.filter(pk=first.pk).update(warn_at=past, due_at=past)
    with django_assert_max_num_queries(24) as one:
        assert sweeps.sweep() == 2
    many = [dispatched(people, title=f"垃圾 {i}") for i in range(12)]
    Matter.objects.filter(pk__in=[m.pk for m in many]).update(warn_at=past, due_at=past)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert sweeps.sweep() == 24
    members = set(desk.department.memberships.values_list("user_id", flat=True))
    overdue = Notification.objects.filter(message__event="matters.overdue", user_id__in=members)
    assert overdue.count() == 13 * len(members) > 0  # every owner member hears of each overdue matter


def test_policy_escalates_overdue_matters(desk: Desk, people: dict[str, Any]) -> None:
    DeadlinePolicy.objects.filter(stage="accept", priority="").update(escalate_when_overdue=True)
    matter = dispatched(people)
    Matter.objects.filter(pk=matter.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    sweeps.sweep()
    assert Matter.objects.get(pk=matter.pk).escalation_level == 1


def test_statistics_count_the_three_rates(desk: Desk, people: dict[str, Any]) -> None:
    matter = dispatched(people)
    for step in (Step.ACCEPT, Step.RESOLVE):
        steps.take(actor=desk.handler, matter=matter, step=step)
    steps.take(actor=people["county"], matter=matter, step=Step.CLOSE)
    feedback.follow_up(
        actor=people["county"], matter=matter, reached=True, solved=True, satisfaction="satisfied"
    )
    new_matter(people)
    today = timezone.localdate()
    out = stats.summary(stats.ask(people["county"], since=today, until=today))
    assert out["total"] == 2
    assert (out["response_rate"], out["resolution_rate"], out["satisfaction_rate"]) == (1.0, 1.0, 1.0)
    assert out["by_status"] == {"closed": 1, "received": 1}
    assert out["resolved_locally_share"] == 0.0  # the county department handled it


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, 201),
        ("../../etc/passwd.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, 201),
        ("evil.jpg", b"<?php echo 1; ?>", 422),
        ("empty.png", b"", 422),
    ],
)
def test_attachments_are_checked_by_content(
    client_as: ClientAs,
    desk: Desk,
    people: dict[str, Any],
    name: str,
    data: bytes,
    status: int,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    matter = new_matter(people)
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    response = client_as("county").post(f"/api/v1/matters/{matter.number}/attachments", {"file": upload})
    assert response.status_code == status, response.content
    if status == 201:
        stored = matter.attachments.get()
        assert "/" not in stored.original_name
        assert ".." not in stored.file.name
        download = client_as("county").get(f"/api/v1/matters/{matter.number}/attachments/{stored.pk}")
        assert b"".join(download.streaming_content) == data


def test_the_back_office_refuses_a_routing_rule_that_would_tie(
    client_as: ClientAs, desk: Desk, net: Net, people: dict[str, Any]
) -> None:
    admin = people["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    form = {
        "category": Category.objects.get(code="city-appearance").pk,
        "area": net.county.pk,
        "priority": "",
        "channel": "",
        "organisation": desk.county_centre.pk,
        "is_active": "on",
        "note": "",
    }
    response = client.post("/admin/matters/routingrule/add/", form)
    assert response.status_code == 200
    assert "would tie" in response.content.decode()
    assert RoutingRule.objects.count() == 2


def test_working_day_deadlines_skip_the_national_holiday(desk: Desk, people: dict[str, Any]) -> None:
    matter = dispatched(people)
    start = dt.datetime(2026, 9, 30, 10, 0, tzinfo=dt.UTC)  # the day before the National Day break
    clock = deadlines.clock(matter, "resolve", start)
    assert clock is not None
    local = clock.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    # 7 working days from 30 Sep 2026: 9-30 ends day 0; 10-1..10-7 are off; 10-8, 9, 10 (make-up Saturday),
    # 12, 13, 14, 15 are working days 1..7
    assert local.date() == dt.date(2026, 10, 15)
    assert clock.warn_at < clock.due_at
