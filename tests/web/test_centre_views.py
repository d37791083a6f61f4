"""The command centre's pages through Django's test client: scope, what is offered, what is refused,
what a refusal leaves behind (nothing), and the query budgets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.factories import Net
from tests.matters import conftest as matters_conftest
from tests.matters.conftest import Desk

from onegrid.audit.models import AuditRecord
from onegrid.matters import intake, steps, supervision
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Event, Matter, SupervisionOrder
from onegrid.notify.models import Notification

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]
desk = matters_conftest.desk  # the county desk of the matters tests: centres, a department, handlers


def receive(actor: Any, *, lon: float = 120.1, lat: float = 30.5, **extra: Any) -> Matter:
    report = intake.Report(
        **{
            "channel": "hotline_12345",
            "category": "garbage",
            "title": "小区门口垃圾无人清运",
            "lon": lon,
            "lat": lat,
            "reporter_name": "张三丰",
            "reporter_phone": "13812345678",
        }
        | extra
    )
    matter, _ = intake.receive(actor=actor, report=report)
    return matter


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def numbers_in(html: str, matters: list[Matter]) -> list[str]:
    return [m.number for m in matters if m.number in html]


@pytest.fixture
def two_townships(people: dict[str, Any], desk: Desk) -> tuple[Matter, Matter]:
    """One matter in township a (west), one in township b (east)."""
    west = receive(people["county"], title="城南路灯不亮", lon=120.1)
    east = receive(people["county"], title="旧县井盖缺失", lon=120.9)
    return west, east


# ---- access and scope -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client_as: ClientAs, net: Net) -> None:
    response = client_as(None).get("/centre/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_resident_without_matters_view_is_refused(client_as: ClientAs, net: Net) -> None:
    assert client_as("resident").get("/centre/").status_code == 403
    assert client_as("resident").get("/centre/map/grids.geojson").status_code == 403


def test_a_township_operator_sees_only_their_townships_matters(
    client_as: ClientAs, two_townships: tuple[Matter, Matter]
) -> None:
    west, east = two_townships
    township = client_as("township")
    html = township.get("/centre/").content.decode()
    assert numbers_in(html, [west, east]) == [west.number]
    assert "城南路灯不亮" in html
    assert "旧县井盖缺失" not in html
    assert township.get(f"/centre/matters/{east.number}/").status_code == 404
    assert township.get(f"/centre/matters/{west.number}/").status_code == 200
    # Acting on it or revealing its reporter is just as absent.
    before = Event.objects.filter(matter=east).count()
    response = township.post(f"/centre/matters/{east.number}/do/register/", {})
    assert response.status_code == 404
    assert township.post(f"/centre/matters/{east.number}/reveal/reporter_phone/").status_code == 404
    east.refresh_from_db()
    assert east.status == "received"
    assert Event.objects.filter(matter=east).count() == before
    # The poller and the map keep to the same scope.
    new = township.get("/centre/queue/new?after=0").content.decode()
    assert numbers_in(new, [west, east]) == [west.number]
    grids = township.get("/centre/map/grids.geojson").json()
    codes = {f["properties"]["code"]: f["properties"]["open"] for f in grids["features"]}
    assert set(codes) == {"330122001001001", "330122001001002"}
    assert codes["330122001001001"] == 1
    clusters = township.get("/centre/map/clusters.json?bbox=119,29,122,32&zoom=8").json()["clusters"]
    assert [c.get("number") for c in clusters] == [west.number]


def test_the_county_sees_both_and_the_counts_add_up(
    client_as: ClientAs, people: dict[str, Any], two_townships: tuple[Matter, Matter]
) -> None:
    west, east = two_townships
    steps.take(actor=people["county"], matter=west, step=Step.REGISTER)
    html = client_as("county").get("/centre/").content.decode()
    assert numbers_in(html, [west, east]) == [west.number, east.number]
    assert 'data-status="received"' in html
    assert 'data-status="registered"' in html
    registered = client_as("county").get("/centre/?status=registered").content.decode()
    assert numbers_in(registered, [west, east]) == [west.number]


# ---- filters ------------------------------------------------------------------------------------------


def test_filters_narrow_the_queue(client_as: ClientAs, people: dict[str, Any], two_townships: Any) -> None:
    west, east = two_townships
    county = client_as("county")
    by_area = county.get("/centre/?area=330122002").content.decode()
    assert numbers_in(by_area, [west, east]) == [east.number]
    by_text = county.get("/centre/?q=井盖").content.decode()
    assert numbers_in(by_text, [west, east]) == [east.number]
    by_channel = county.get("/centre/?channel=wechat").content.decode()
    assert numbers_in(by_channel, [west, east]) == []
    assert "没有符合筛选条件的事件。" in by_channel


def test_bad_filters_are_named_and_nothing_is_listed(client_as: ClientAs, two_townships: Any) -> None:
    county = client_as("county")
    response = county.get("/centre/?since=yesterday")
    assert response.status_code == 400
    assert response.context["form"].errors["since"]
    response = county.get("/centre/?q=" + "x" * 101)
    assert response.status_code == 400
    assert "q" in response.context["form"].errors
    response = county.get("/centre/?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 400
    assert "until" in response.context["form"].errors
    assert county.get("/centre/?before=abc").status_code == 400
    assert county.get("/centre/queue/new?after=abc").status_code == 400
    bad_box = county.get("/centre/map/clusters.json?bbox=1,2,3&zoom=5")
    assert bad_box.status_code == 422
    assert bad_box.json()["field"] == "bbox"


def test_the_poller_returns_only_matters_newer_than_the_newest_shown(
    client_as: ClientAs, people: dict[str, Any], two_townships: tuple[Matter, Matter]
) -> None:
    west, east = two_townships
    county = client_as("county")
    newest = max(west.pk, east.pk)
    assert numbers_in(county.get(f"/centre/queue/new?after={newest}").content.decode(), [west, east]) == []
    later = receive(people["county"], title="新来的事件")
    fragment = county.get(f"/centre/queue/new?after={newest}").content.decode()
    assert later.number in fragment
    assert west.number not in fragment
    assert f"after={later.pk}" in fragment  # the next poll starts after it


def test_older_pages_follow_a_keyset_cursor(client_as: ClientAs, people: dict[str, Any], desk: Desk) -> None:
    made = [receive(people["county"], title=f"事件{i}") for i in range(53)]
    first = client_as("county").get("/centre/")
    page = first.context["page"]
    assert [r.matter.pk for r in page.rows] == [m.pk for m in reversed(made)][:50]
    assert page.before == made[3].pk
    second = client_as("county").get(f"/centre/?before={page.before}").context["page"]
    assert [r.matter.pk for r in second.rows] == [made[2].pk, made[1].pk, made[0].pk]
    assert second.before is None


# ---- the matter page -----------------------------------------------------------------------------------


def offered(response: Any) -> list[str]:
    return [p["action"] for p in response.context["panels"]]


def test_only_the_actions_the_user_may_take_are_offered(
    client_as: ClientAs, people: dict[str, Any], desk: Desk, two_townships: Any
) -> None:
    west, _ = two_townships
    county = client_as("county").get(f"/centre/matters/{west.number}/")
    assert offered(county) == ["register", "reject", "resolve_at_intake", "escalate", "merge"]
    handler = client_for(desk.handler).get(f"/centre/matters/{west.number}/")
    assert handler.status_code == 200
    assert offered(handler) == []
    assert "您目前对该事件无可执行的操作。" in handler.content.decode()


def test_a_step_not_permitted_is_refused_and_changes_nothing(
    people: dict[str, Any], desk: Desk, two_townships: Any
) -> None:
    west, _ = two_townships
    handler = client_for(desk.handler)
    events = Event.objects.filter(matter=west).count()
    audits = AuditRecord.objects.count()
    response = handler.post(f"/centre/matters/{west.number}/do/register/", {"register-note": "x"})
    assert response.status_code == 403
    response = handler.post(f"/centre/matters/{west.number}/do/supervise/", {"supervise-instruction": "快"})
    assert response.status_code == 403
    west.refresh_from_db()
    assert west.status == "received"
    assert Event.objects.filter(matter=west).count() == events
    assert AuditRecord.objects.count() == audits


def test_an_illegal_step_shows_the_domains_message_and_changes_nothing(
    client_as: ClientAs, two_townships: Any
) -> None:
    west, _ = two_townships
    county = client_as("county")
    events = Event.objects.filter(matter=west).count()
    response = county.post(f"/centre/matters/{west.number}/do/verify/", {"verify-note": ""})
    assert response.status_code == 409
    html = response.content.decode()
    assert "cannot verify a matter that is received" in html
    assert response.context["failed"] == "verify"
    west.refresh_from_db()
    assert west.status == "received"
    assert Event.objects.filter(matter=west).count() == events


def test_a_missing_reason_is_shown_on_its_field(client_as: ClientAs, two_townships: Any) -> None:
    west, _ = two_townships
    response = client_as("county").post(f"/centre/matters/{west.number}/do/reject/", {"reject-note": "  "})
    assert response.status_code == 422
    panel = next(p for p in response.context["panels"] if p["action"] == "reject")
    assert panel["form"].errors["note"] == ["say why (reject)"]
    assert 'aria-invalid="true"' in response.content.decode()
    west.refresh_from_db()
    assert west.status == "received"


def test_from_register_to_resolved_through_the_forms(
    client_as: ClientAs, people: dict[str, Any], desk: Desk, two_townships: Any
) -> None:
    west, _ = two_townships
    county = client_as("county")
    url = f"/centre/matters/{west.number}/do"
    response = county.post(f"{url}/register/", {"register-note": "已核实"})
    assert response.status_code == 303
    assert response["Location"] == f"/centre/matters/{west.number}/"
    # Choosing another organisation than the rules say needs a reason.
    refused = county.post(f"{url}/dispatch/", {"dispatch-organisation": desk.county_centre.code})
    assert refused.status_code == 422
    panel = next(p for p in refused.context["panels"] if p["action"] == "dispatch")
    assert "override_reason" in panel["form"].errors
    assert county.post(f"{url}/dispatch/", {"dispatch-organisation": desk.department.code}).status_code == 303
    west.refresh_from_db()
    assert (west.status, west.owner_id) == ("dispatched", desk.department.pk)

    handler = client_for(desk.handler)
    page = handler.get(f"/centre/matters/{west.number}/")
    assert offered(page) == ["accept", "return"]
    assert handler.post(f"{url}/accept/", {}).status_code == 303
    assert handler.post(f"{url}/resolve/", {"resolve-note": "已清运"}).status_code == 303
    west.refresh_from_db()
    assert west.status == "resolved"
    page = handler.get(f"/centre/matters/{west.number}/")
    assert [e.action for e in page.context["events"]] == [
        "receive",
        "register",
        "dispatch",
        "accept",
        "resolve",
    ]
    assert "已清运" in page.content.decode()
    # Another department's handler sees it (their grant covers the county) but may do nothing with it.
    assert offered(client_for(desk.other_handler).get(f"/centre/matters/{west.number}/")) == []


def test_text_is_escaped_and_personal_data_masked(
    client_as: ClientAs, people: dict[str, Any], desk: Desk
) -> None:
    matter = receive(people["county"], title="<script>alert(1)</script>", description="<b>粗</b>")
    html = client_as("county").get(f"/centre/matters/{matter.number}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>粗</b>" not in html
    assert "张**" in html
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "张三丰" not in html
    queue = client_as("county").get("/centre/").content.decode()
    assert "<script>alert(1)</script>" not in queue


def test_revealing_the_phone_needs_the_permission_and_is_audited(
    client_as: ClientAs, people: dict[str, Any], desk: Desk
) -> None:
    matter = receive(people["county"])
    url = f"/centre/matters/{matter.number}/reveal/reporter_phone/"
    assert (
        "reveal/reporter_phone"
        not in client_as("county").get(f"/centre/matters/{matter.number}/").content.decode()
    )
    assert client_as("county").post(url).status_code == 403
    admin = client_as("admin")
    assert "reveal/reporter_phone" in admin.get(f"/centre/matters/{matter.number}/").content.decode()
    response = admin.post(url)
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    assert AuditRecord.objects.filter(action="access.reveal_pii").count() == 1
    assert admin.post(f"/centre/matters/{matter.number}/reveal/password/").status_code == 404


def test_supervision_order_is_issued_listed_in_the_inbox_and_answered(
    client_as: ClientAs, people: dict[str, Any], desk: Desk, net: Net
) -> None:
    from tests.factories import make_user

    leader = make_user("leader", role="leader", area=net.county)
    matter = receive(people["county"])
    steps.take(actor=people["county"], matter=matter, step=Step.REGISTER)
    steps.take(actor=people["county"], matter=matter, step=Step.DISPATCH)
    page = client_for(leader).get(f"/centre/matters/{matter.number}/")
    assert offered(page) == ["supervise"]
    bad = client_for(leader).post(
        f"/centre/matters/{matter.number}/do/supervise/",
        {"supervise-instruction": "尽快处理", "supervise-working_days": "99"},
    )
    assert bad.status_code == 422
    assert SupervisionOrder.objects.count() == 0
    done = client_for(leader).post(
        f"/centre/matters/{matter.number}/do/supervise/",
        {"supervise-instruction": "尽快处理", "supervise-working_days": "2", "supervise-listed": "on"},
    )
    assert done.status_code == 303
    handler = client_for(desk.handler)
    inbox = handler.get("/centre/inbox/")
    html = inbox.content.decode()
    assert "尽快处理" in html
    assert [o.matter_id for o in inbox.context["orders"]] == [matter.pk]
    assert Notification.objects.filter(user=desk.handler).exists()
    assert f"/centre/inbox/{Notification.objects.filter(user=desk.handler).first().pk}/read/" in html
    assert "reply" in offered(handler.get(f"/centre/matters/{matter.number}/"))
    answered = handler.post(f"/centre/matters/{matter.number}/do/reply/", {"reply-reply": "已安排人员"})
    assert answered.status_code == 303
    assert SupervisionOrder.objects.get().reply == "已安排人员"
    assert handler.get("/centre/inbox/").context["orders"] == []
    # A second answer is no longer offered, and posting one anyway is refused with the reason.
    again = handler.post(f"/centre/matters/{matter.number}/do/reply/", {"reply-reply": "再答"})
    assert again.status_code == 409
    assert SupervisionOrder.objects.get().reply == "已安排人员"


def test_reading_a_notification_opens_the_matter_in_the_centre(people: dict[str, Any], desk: Desk) -> None:
    matter = receive(people["county"])
    steps.take(actor=people["county"], matter=matter, step=Step.REGISTER)
    steps.take(actor=people["county"], matter=matter, step=Step.DISPATCH)
    handler = client_for(desk.handler)
    note = Notification.objects.get(user=desk.handler)
    assert handler.get("/centre/").context["unread"] == 1
    opened = handler.post(f"/centre/inbox/{note.pk}/read/", {"open": "1"})
    assert opened.status_code == 303
    assert opened["Location"] == f"/centre/matters/{matter.number}/"
    note.refresh_from_db()
    assert note.read_at is not None
    other = Notification.objects.create(user=people["county"], message=note.message)
    assert handler.post(f"/centre/inbox/{other.pk}/read/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_merge_and_extension_forms_go_through_the_domain(
    client_as: ClientAs, people: dict[str, Any], desk: Desk
) -> None:
    first = receive(people["county"], title="垃圾一")
    second = receive(people["county"], title="垃圾二")
    county = client_as("county")
    unknown = county.post(f"/centre/matters/{second.number}/do/merge/", {"merge-into": "330122-NOPE"})
    assert unknown.status_code == 422
    assert second.__class__.objects.get(pk=second.pk).merged_into_id is None
    merged = county.post(f"/centre/matters/{second.number}/do/merge/", {"merge-into": first.number})
    assert merged.status_code == 303
    assert Matter.objects.get(pk=second.pk).merged_into_id == first.pk

    steps.take(actor=people["county"], matter=first, step=Step.REGISTER)
    steps.take(actor=people["county"], matter=first, step=Step.DISPATCH)
    steps.take(actor=desk.handler, matter=first, step=Step.ACCEPT)
    handler = client_for(desk.handler)
    assert "extension" in offered(handler.get(f"/centre/matters/{first.number}/"))
    asked = handler.post(
        f"/centre/matters/{first.number}/do/extension/",
        {"extension-working_days": "2", "extension-reason": "需要协调"},
    )
    assert asked.status_code == 303
    page = county.get(f"/centre/matters/{first.number}/")
    assert "decide-extension" in offered(page)
    decided = county.post(
        f"/centre/matters/{first.number}/do/decide-extension/", {"decide-extension-grant": "yes"}
    )
    assert decided.status_code == 303
    assert first.extensions.get().state == "granted"
    assert supervision is not None


# ---- query budgets ---------------------------------------------------------------------------------------


def test_the_queue_keeps_to_its_query_budget(
    client_as: ClientAs, people: dict[str, Any], desk: Desk, django_assert_max_num_queries: Any
) -> None:
    for i in range(60):
        receive(people["county"], title=f"事件{i}", lon=120.1 if i % 2 else 120.9)
    for name in ("county", "township"):
        client = client_as(name)
        with django_assert_max_num_queries(15):
            assert client.get("/centre/?status=received&q=事件").status_code == 200
        with django_assert_max_num_queries(15):
            assert client.get("/centre/").status_code == 200
        with django_assert_max_num_queries(10):
            assert client.get("/centre/queue/new?after=0").status_code == 200
    handler = client_for(desk.handler)
    with django_assert_max_num_queries(15):
        assert handler.get("/centre/").status_code == 200


def test_the_matter_page_keeps_to_its_query_budget(
    client_as: ClientAs, people: dict[str, Any], desk: Desk, django_assert_max_num_queries: Any
) -> None:
    matter = receive(people["county"])
    for step in (Step.REGISTER, Step.DISPATCH):
        steps.take(actor=people["county"], matter=matter, step=step)
    steps.take(actor=desk.handler, matter=matter, step=Step.ACCEPT)
    supervision.supervise(actor=people["admin"], matter=matter, instruction="快", working_days=2)
    # 16: a handler who sees the matter through their organisation (not an area grant) has it found by
    # number first, then read through their scope (selectors.get_for)
    for client in (client_as("county"), client_for(desk.handler), client_as("admin")):
        with django_assert_max_num_queries(16):
            assert client.get(f"/centre/matters/{matter.number}/").status_code == 200
    handler = client_for(desk.handler)
    with django_assert_max_num_queries(15):
        assert handler.get("/centre/inbox/").status_code == 200
