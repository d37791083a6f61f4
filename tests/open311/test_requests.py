"""GET requests, a request by id, tokens and the servicerequestupdates extension: the spec's fields,
filters and defaults, the status mapping, and what the public and key holders each see."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.factories import Net
from tests.matters.conftest import Desk
from tests.open311.conftest import errors_of, fms_fields, get, json_of, post_form, xml_of

from onegrid.access.models import User
from onegrid.access.services import create_token
from onegrid.matters import attachments, intake, steps
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Category, Event, Matter

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SPEC_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def submit(api_key: str, **fields: Any) -> str:
    response = post_form(Client(), fms_fields(api_key, **fields), fmt="json")
    assert response.status_code == 201, response.content
    number: str = json_of(response)[0]["service_request_id"]
    return number


def hotline(people: dict[str, Any], **extra: Any) -> Matter:
    """A 12345 hotline matter taken in by the county desk (not an Open311 request)."""
    report = intake.Report(
        channel="hotline_12345",
        category="noise",
        title="夜间施工噪声",
        description="张三家隔壁工地每晚施工",
        lon=120.1,
        lat=30.5,
        reporter_name="张三",
        reporter_phone="13900139000",
    )
    matter, _ = intake.receive(actor=people["county"], report=report)
    return matter


def take(
    matter_number: str, actor: User, *names: str, note: str = "", public_note: str | None = None
) -> None:
    for name in names:
        matter = Matter.objects.get(number=matter_number)
        data = steps.StepInput(note=note or "办理", public_note=public_note)
        steps.take(actor=actor, matter=matter, step=Step(name), data=data)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_request_by_id_has_the_spec_fields(desk: Desk, api_key: str, fmt: str) -> None:
    number = submit(api_key)
    response = get(Client(), f"requests/{number}.{fmt}")
    assert response.status_code == 200
    body = xml_of(response) if fmt == "xml" else json_of(response)
    (request,) = body
    if fmt == "json":
        assert list(request) == SPEC_FIELDS
    else:  # XML leaves out what has no value
        assert list(request) == [f for f in SPEC_FIELDS if request.get(f) is not None]
    assert request["service_request_id"] == number
    assert request["status"] == "open"
    assert request["status_notes"] == "We have received your report."
    assert (request["service_code"], request["service_name"]) == ("garbage", "垃圾清运")
    assert request["agency_responsible"] == "县城市管理局"  # where routing will send it
    assert request["address_id"] == "330122001001001"
    assert request["address"] == "青山村第1网格, 青山村, 城南街道, 桐庐县, 杭州市, 浙江省"
    requested = dt.datetime.fromisoformat(request["requested_datetime"])
    assert requested.utcoffset() == dt.timedelta(hours=8)
    assert abs(requested - timezone.now()) < dt.timedelta(minutes=1)
    matter = Matter.objects.get(number=number)
    assert dt.datetime.fromisoformat(request["expected_datetime"]) == matter.due_at.replace(microsecond=0)


def test_statuses_map_to_open_and_closed_with_notes_agency_and_deadline(
    desk: Desk, api_key: str, staff_key: str, people: dict[str, Any]
) -> None:
    number = submit(api_key)
    county = people["county"]

    def read() -> dict[str, Any]:
        request: dict[str, Any] = json_of(get(Client(), f"requests/{number}.json", api_key=staff_key))[0]
        return request

    take(number, county, "register", "dispatch")
    assert (read()["status"], read()["agency_responsible"]) == ("open", "县城市管理局")
    take(number, desk.handler, "accept", public_note="城管局已签收,将于三日内清运")
    request = read()
    matter = Matter.objects.get(number=number)
    assert matter.stage == "resolve"
    assert dt.datetime.fromisoformat(request["expected_datetime"]) == matter.due_at.replace(microsecond=0)
    assert request["status_notes"] == "城管局已签收,将于三日内清运"  # what staff wrote for the reporter

    take(number, desk.handler, "start", "resolve")
    request = read()
    assert request["status"] == "closed"
    assert request["status_notes"] == "The office reports that the problem is solved."
    assert request["expected_datetime"] is None
    assert dt.datetime.fromisoformat(request["updated_datetime"]) >= dt.datetime.fromisoformat(
        request["requested_datetime"]
    )

    take(number, county, "reopen", note="居民反映仍未清运")
    assert read()["status"] == "open"


def test_a_rejected_request_is_closed(desk: Desk, api_key: str, people: dict[str, Any]) -> None:
    number = submit(api_key)
    take(number, people["county"], "reject", note="不属于受理范围")
    (request,) = json_of(get(Client(), f"requests/{number}.json"))
    assert request["status"] == "closed"
    assert request["status_notes"] == "Your report could not be taken up."
    assert request["agency_responsible"] is None


def test_the_public_sees_open311_requests_without_personal_data(
    desk: Desk, api_key: str, people: dict[str, Any], manhole: Category
) -> None:
    fields = {
        "description": "title: 井盖丢了\n\n王小明 13912345678 家门口, <script>alert(1)</script>",
        "address_string": "人民路 12 号",
        "lat": "30.512345",
        "long": "120.123456",
        "service_code": "manhole-cover",
        "attribute[DEPTH]": "40",
        "attribute[COVER]": "missing",
    }
    number = submit(api_key, **fields)
    take(number, people["county"], "register", public_note="王小明您好,已登记")
    hidden = hotline(people)

    for fmt in ("xml", "json"):
        response = get(Client(), f"requests.{fmt}")
        body = xml_of(response) if fmt == "xml" else json_of(response)
        assert [r["service_request_id"] for r in body] == [number]  # the hotline matter is not public
        (request,) = body
        assert request.get("description") is None
        assert request["address"] == "青山村第1网格, 青山村, 城南街道, 桐庐县, 杭州市, 浙江省"
        assert (float(request["lat"]), float(request["long"])) == (30.512, 120.123)
        assert request.get("media_url") is None
        assert request["status_notes"] == "Your report has been registered."
        raw = response.content.decode()
        for secret in (
            "王小明",
            "13912345678",
            "13800138000",
            "Pat",
            "Smith",
            "pat@example.org",
            "人民路",
            "fms.example",
        ):
            assert secret not in raw, (fmt, secret)
    assert get(Client(), f"requests/{hidden.number}.json").status_code == 404


def test_a_category_marked_private_is_left_out_of_public_reads(
    desk: Desk, api_key: str, staff_key: str
) -> None:
    Category.objects.filter(code="neighbour-dispute").update(keywords="dispute, private")
    dispute = submit(api_key, service_code="neighbour-dispute", description="邻居噪音纠纷")
    shown = submit(api_key)
    assert [r["service_request_id"] for r in json_of(get(Client(), "requests.json"))] == [shown]
    assert get(Client(), f"requests/{dispute}.xml").status_code == 404
    services = json_of(get(Client(), "services.json"))
    assert (
        next(s for s in services if s["service_code"] == "neighbour-dispute")["keywords"]
        == "dispute, private"
    )
    readers = (api_key, staff_key)  # the key that sent it, and the county's
    for key in readers:
        listed = json_of(get(Client(), "requests.json", api_key=key))
        assert {r["service_request_id"] for r in listed} == {dispute, shown}


def test_a_key_holder_reads_in_full_what_it_may_view_or_sent(
    desk: Desk, api_key: str, staff_key: str, people: dict[str, Any]
) -> None:
    sent = submit(api_key, address_string="人民路 12 号")
    hidden = hotline(people)

    mine = json_of(get(Client(), "requests.json", api_key=api_key))
    assert [r["service_request_id"] for r in mine] == [sent]
    assert mine[0]["description"].startswith("title: 小区门口垃圾无人清运")
    assert (mine[0]["lat"], mine[0]["long"]) == (30.5, 120.1)
    assert mine[0]["address"].startswith("人民路 12 号, 青山村第1网格")
    assert mine[0]["media_url"] == "https://fms.example/photo/17.full.jpeg"

    county = json_of(get(Client(), "requests.json", api_key=staff_key))
    assert {r["service_request_id"] for r in county} == {sent, hidden.number}
    by_id = {r["service_request_id"]: r for r in county}
    assert by_id[hidden.number]["description"] == "张三家隔壁工地每晚施工"
    raw = json.dumps(county, ensure_ascii=False)
    for secret in ("13900139000", "13800138000", "Pat Smith", "pat@example.org"):
        assert secret not in raw  # names and phones are never Open311 fields


def test_without_a_client_media_url_the_first_image_attached_is_the_media_url(
    desk: Desk, staff_key: str, people: dict[str, Any]
) -> None:
    matter = hotline(people)
    attachments.add(actor=people["county"], matter=matter, name="report.pdf", data=b"%PDF-1.4 ...")
    photo = attachments.add(actor=people["county"], matter=matter, name="hole.png", data=PNG)
    (request,) = json_of(get(Client(), f"requests/{matter.number}.json", api_key=staff_key))
    assert request["media_url"] == (
        f"http://testserver/api/v1/matters/{matter.number}/attachments/{photo.pk}"
    )


def test_the_township_next_door_sees_only_the_public_view(
    desk: Desk, api_key: str, people: dict[str, Any]
) -> None:
    number = submit(api_key)
    _, key = create_token(actor=None, user=people["township_b"], name="b", permissions=["matters.view"])
    (request,) = json_of(get(Client(), f"requests/{number}.json", api_key=key))
    assert request["description"] is None


def test_a_wrong_key_on_a_read_is_403_not_the_public_view(desk: Desk, api_key: str) -> None:
    submit(api_key)
    response = get(Client(), "requests.xml", api_key="og_0123456789_nope")
    assert response.status_code == 403
    assert errors_of(response, "xml")[0]["code"] == 403


def test_an_unknown_request_is_404(desk: Desk) -> None:
    for fmt in ("xml", "json"):
        response = get(Client(), f"requests/330122-20260101-000009.{fmt}")
        assert response.status_code == 404
        assert errors_of(response, fmt)[0]["code"] == 404
    assert json_of(get(Client(), "request/330122-20260101-000009.json"))[0]["code"] == 404


def test_filters_by_id_code_status_and_dates(
    desk: Desk, api_key: str, staff_key: str, people: dict[str, Any]
) -> None:
    garbage = submit(api_key)
    vending = submit(api_key, service_code="street-vending", description="占道经营")
    old = submit(api_key, description="早先的报告")
    Matter.objects.filter(number=old).update(received_at=timezone.now() - dt.timedelta(days=100))
    take(vending, people["county"], "reject", note="重复")

    def ids(**params: Any) -> list[str]:
        return [r["service_request_id"] for r in json_of(get(Client(), "requests.json", **params))]

    assert ids() == [vending, garbage]  # the last 90 days by default, newest first
    assert ids(service_code="garbage") == [garbage]
    assert ids(service_code="garbage,street-vending", status="closed") == [vending]
    assert ids(status="open") == [garbage]
    assert ids(status="Open,closed") == [vending, garbage]
    assert ids(status="") == [vending, garbage]  # an empty optional argument is no argument
    start = (timezone.now() - dt.timedelta(days=101)).isoformat()
    end = (timezone.now() - dt.timedelta(days=99)).isoformat()
    assert ids(start_date=start, end_date=end) == [old]
    assert ids(start_date=start) == [old]  # 90 days from the start
    # service_request_id overrides everything else, the default window included
    assert ids(service_request_id=f"{old}, {garbage},nope", status="closed") == [garbage, old]


def test_dates_are_read_tolerantly(desk: Desk, api_key: str) -> None:
    number = submit(api_key)
    today = timezone.localdate()
    ids = lambda **p: [r["service_request_id"] for r in json_of(get(Client(), "requests.json", **p))]  # noqa: E731
    assert ids(start_date=today.isoformat()) == [number]  # a bare date
    assert ids(start_date=f"{today.isoformat()}T00:00:00") == [number]  # no offset: local time
    # a "+08:00" the client forgot to encode arrives as " 08:00"
    response = Client().get(f"/open311/v2/requests.json?start_date={today.isoformat()}T00:00:00+08:00")
    assert [r["service_request_id"] for r in json_of(response)] == [number]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"start_date": "last tuesday"}, "start_date must be a W3C date-time"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "more than 90 days"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date is before"),
        ({"status": "pending"}, "status must be open, closed"),
        ({"service_code": "garbage,potholes"}, "unknown service_code potholes"),
        ({"page_size": "5000"}, "page_size from 1 to 1000"),
        ({"service_request_id": ",".join(str(i) for i in range(1001))}, "at most 1000"),
    ],
)
def test_bad_filters_are_400(desk: Desk, params: dict[str, str], words: str) -> None:
    for fmt in ("xml", "json"):
        response = get(Client(), f"requests.{fmt}", **params)
        assert response.status_code == 400, response.content
        assert words in errors_of(response, fmt)[0]["description"]


def test_at_most_1000_requests_come_back_and_pages_reach_the_rest(
    desk: Desk, integrator: User, net: Net
) -> None:
    category = Category.objects.get(code="garbage")
    now = timezone.now()
    Matter.objects.bulk_create(
        Matter(
            number=f"330122-20260101-{i:06d}",
            channel="open311",
            category=category,
            title="t",
            area=net.grid_a1,
            area_path=net.grid_a1.path,
            created_by=integrator,
        )
        for i in range(1005)
    )
    Matter.objects.update(received_at=now)
    assert len(json_of(get(Client(), "requests.json"))) == 1000
    assert len(json_of(get(Client(), "requests.json", page="2", page_size="1000"))) == 5
    assert len(xml_of(get(Client(), "requests.xml", page_size="10"))) == 10


def test_a_listing_takes_a_bounded_number_of_queries(
    desk: Desk, api_key: str, staff_key: str, people: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for i in range(12):
        number = submit(api_key, description=f"report {i}")
        if i % 3 == 0:
            take(number, people["county"], "register", "dispatch")
    hotline(people)  # no media_url: its images are looked up among the attachments
    # key, grants, requests, which in full, routing rules, area names, media URLs, images (+ last use)
    with django_assert_max_num_queries(9):
        assert len(json_of(get(Client(), "requests.json", api_key=staff_key))) == 13
    with django_assert_max_num_queries(3):  # requests, routing rules, area names
        assert len(xml_of(get(Client(), "requests.xml"))) == 12


def test_head_answers_like_get_without_a_body(desk: Desk) -> None:
    response = Client().head("/open311/v2/services.json")
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_token_of_a_realtime_request_is_its_id(desk: Desk, api_key: str, fmt: str) -> None:
    number = submit(api_key)
    response = get(Client(), f"tokens/{number}.{fmt}")
    body = xml_of(response) if fmt == "xml" else json_of(response)
    assert body == [{"service_request_id": number, "token": number}]
    missing = get(Client(), f"tokens/abc123.{fmt}")
    assert missing.status_code == 404
    assert errors_of(missing, fmt)[0]["description"] == "token 'abc123' not found"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_request_updates_follow_the_timeline(
    desk: Desk, api_key: str, staff_key: str, people: dict[str, Any], fmt: str
) -> None:
    number = submit(api_key)
    take(number, people["county"], "register", "dispatch")
    take(number, desk.handler, "accept", "start")
    take(number, desk.handler, "resolve", public_note="已清运完毕")
    start = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    end = (timezone.now() + dt.timedelta(minutes=1)).isoformat()

    response = get(Client(), f"servicerequestupdates.{fmt}", start_date=start, end_date=end, api_key=api_key)
    assert response.status_code == 200
    updates = xml_of(response) if fmt == "xml" else json_of(response)
    assert [u["external_status_code"] for u in updates] == [
        "registered",
        "dispatched",
        "accepted",
        "in_progress",
        "resolved",
    ]
    assert [u["status"] for u in updates] == ["open"] * 4 + ["closed"]
    last = updates[-1]
    assert list(last) == [
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "external_status_code",
    ]
    assert last["service_request_id"] == number
    assert last["description"] == "已清运完毕"  # the key that sent it reads what staff wrote
    ids = [int(u["update_id"]) for u in updates]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    assert Event.objects.get(pk=ids[-1]).action == "resolve"

    public = json_of(get(Client(), "servicerequestupdates.json", start_date=start, end_date=end))
    assert public[-1]["description"] == "The office reports that the problem is solved."

    later = (timezone.now() + dt.timedelta(minutes=2)).isoformat()
    assert json_of(get(Client(), "servicerequestupdates.json", start_date=end, end_date=later)) == []


def test_updates_default_to_the_last_day_and_refuse_long_spans(
    desk: Desk, api_key: str, people: dict[str, Any]
) -> None:
    number = submit(api_key)
    take(number, people["county"], "register")
    assert [u["external_status_code"] for u in json_of(get(Client(), "servicerequestupdates.json"))] == [
        "registered"
    ]
    response = get(
        Client(),
        "servicerequestupdates.xml",
        start_date="2026-01-01T00:00:00Z",
        end_date="2026-12-01T00:00:00Z",
    )
    assert response.status_code == 400
