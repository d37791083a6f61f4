"""Batch intake (POST /api/v1/matters/batch): the same matter, event, audit record and notifications as
one at a time; all or nothing; idempotency keys within and across batches; the size limit; several
counties in one batch; and its query budget."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.factories import Net, area_input, make_user
from tests.matters.conftest import Desk

from onegrid.access.models import Grant, Role
from onegrid.access.services import create_token
from onegrid.areas import services as areas
from onegrid.areas.levels import Level
from onegrid.areas.locator import locator
from onegrid.areas.models import Area
from onegrid.audit.models import AuditRecord
from onegrid.matters import deadlines, intake
from onegrid.matters.models import Event, Matter
from onegrid.notify.models import Delivery, Message, WebhookEndpoint

pytestmark = pytest.mark.django_db
JSON = "application/json"
ClientAs = Callable[[str | None], Client]
BATCH = "/api/v1/matters/batch"


def item(**extra: Any) -> dict[str, Any]:
    return {
        "channel": "hotline_12345",
        "category": "garbage",
        "title": "小区门口垃圾无人清运",
        "lon": 120.1,
        "lat": 30.5,
    } | extra


def send(client: Client, items: list[dict[str, Any]]) -> Any:
    return client.post(BATCH, {"items": items}, content_type=JSON)


@pytest.fixture
def hook(net: Net) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="gateway",
        url="http://127.0.0.1:9/hook",
        secret="s" * 40,
        events=["matters.received"],
        area=net.county,
        area_path=net.county.path,
    )


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Matter, Event, AuditRecord, Message, Delivery))


VARIED = [
    item(),
    item(
        channel="wechat",
        category="manhole-cover",
        title="井盖缺失",
        description="路口东侧",
        lon=120.7,
        lat=30.2,
        address="迎春南路 12 号",
        priority="urgent",
        tags=["安全", "夜间"],
        reporter_name="王芳",
        reporter_phone="13800138000",
        reporter_email="Wang.Fang@Example.com",
    ),
    item(category="street-vending", area_code="330122002001001", lon=None, lat=None, anonymous=True),
    item(lon=120.3, lat=30.9, crs="gcj02", reporter_name="李强"),
]

SKIP_MATTER = {"id", "number", "received_at", "updated_at", "stage_started_at", "due_at", "warn_at"}


def stored(matter: Matter) -> dict[str, Any]:
    """Everything written for ``matter``, without ids, numbers and times."""
    row = {f.attname: getattr(matter, f.attname) for f in Matter._meta.concrete_fields}
    event = Event.objects.get(matter=matter)
    record = AuditRecord.objects.get(object_type="matters.matter", object_id=str(matter.pk))
    message = Message.objects.get(link=f"/matters/{matter.number}/")
    deliveries = list(
        Delivery.objects.filter(message=message).values("channel", "endpoint_id", "target", "status")
    )
    after = {k: v for k, v in record.after.items() if k not in SKIP_MATTER}
    payload = {k: v for k, v in message.payload.items() if k not in {"number", "due_at"}}
    return {
        "matter": {k: v for k, v in row.items() if k not in SKIP_MATTER},
        "event": (
            event.actor_id,
            event.actor_label,
            event.action,
            event.from_status,
            event.to_status,
            event.public_note,
            event.data,
            event.organisation_id,
        ),
        "audit": (
            record.actor_id,
            record.actor_label,
            record.action,
            record.area_path,
            record.before,
            after,
            record.object_repr.split(" ", 1)[1],
        ),
        "message": (
            message.event,
            message.title.split(" ", 1)[1],
            message.body,
            message.area_path,
            message.category,
            message.actor_id,
            payload,
        ),
        "deliveries": deliveries,
    }


def test_a_batch_stores_exactly_what_single_intakes_store(client_as: ClientAs, desk: Desk, hook: Any) -> None:
    county = client_as("county")
    singles = []
    for body in VARIED:
        response = county.post("/api/v1/matters/", body, content_type=JSON)
        assert response.status_code == 201, response.content
        singles.append(Matter.objects.get(number=response.json()["number"]))
    response = send(county, VARIED)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["created"] == len(VARIED)
    assert [i["index"] for i in answer["items"]] == list(range(len(VARIED)))
    batch = [Matter.objects.get(number=i["number"]) for i in answer["items"]]
    for one, many in zip(singles, batch, strict=True):
        assert stored(many) == stored(one)
        for matter in (one, many):  # the register clock of the same policy, from its own start
            clock = deadlines.clock(matter, "register", matter.stage_started_at)
            assert clock is not None
            assert (matter.due_at, matter.warn_at) == (clock.due_at, clock.warn_at)
    assert batch[1].reporter_email == "wang.fang@example.com"
    assert batch[1].priority == "urgent" != batch[0].priority
    assert Event.objects.get(matter=batch[0]).data == {"suggested_owner": desk.department.code}
    assert batch[3].lon != 120.3  # converted from GCJ-02 as the single intake does


def test_numbers_are_consecutive_per_county_and_day(client_as: ClientAs, desk: Desk) -> None:
    county = client_as("county")
    first = county.post("/api/v1/matters/", item(), content_type=JSON).json()["number"]
    numbers = [i["number"] for i in send(county, [item() for _ in range(5)]).json()["items"]]
    prefix, last = first.rsplit("-", 1)
    assert numbers == [f"{prefix}-{int(last) + n:06d}" for n in range(1, 6)]
    after = county.post("/api/v1/matters/", item(), content_type=JSON).json()["number"]
    assert after == f"{prefix}-{int(last) + 6:06d}"


def test_one_bad_item_refuses_the_whole_batch_listing_every_bad_item(
    client_as: ClientAs, desk: Desk, hook: Any
) -> None:
    county = client_as("county")
    before = counts()
    items = [
        item(),
        item(category="no-such-thing"),
        item(),
        item(lon=119.0, lat=30.5),  # outside the net
        item(reporter_phone="12345"),
        item(title="  "),
    ]
    response = send(county, items)
    assert response.status_code == 422, response.content
    problem = response.json()
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [
        (1, "category"),
        (3, "location"),
        (4, "reporter_phone"),
        (5, "title"),
    ]
    assert problem["field"] == "items.1.category"
    assert counts() == before
    assert send(county, [items[0], items[2]]).status_code == 201  # nothing was reserved or half-written


def test_an_item_outside_the_callers_jurisdiction_is_named_and_nothing_is_written(
    client_as: ClientAs, desk: Desk
) -> None:
    township = client_as("township")  # township a: the west half
    before = counts()
    response = send(township, [item(lon=120.1), item(lon=120.9)])
    assert response.status_code == 422
    assert [(e["index"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (1, None, "not_found")
    ]
    assert counts() == before


def test_malformed_items_are_refused_by_index_before_anything_runs(client_as: ClientAs, desk: Desk) -> None:
    response = send(client_as("county"), [item(), item(lat=95.0), {"channel": "wechat"}])
    assert response.status_code == 422
    locations = [e["loc"] for e in response.json()["errors"]]
    assert ["body", "body", "items", 1, "lat"] in locations
    assert any(loc[:4] == ["body", "body", "items", 2] for loc in locations)
    assert Matter.objects.count() == 0


def test_the_size_limit(client_as: ClientAs, desk: Desk) -> None:
    county = client_as("county")
    too_many = send(county, [item() for _ in range(intake.BATCH_LIMIT + 1)])
    assert too_many.status_code == 422
    assert too_many.json()["field"] == "items"
    assert send(county, []).status_code == 422
    assert Matter.objects.count() == 0
    with pytest.raises(intake.Invalid):
        intake.take_in_many(actor=None, reports=[])


def test_idempotency_keys_within_and_across_batches(client_as: ClientAs, desk: Desk, hook: Any) -> None:
    county = client_as("county")
    earlier = county.post("/api/v1/matters/", item(idempotency_key="call-1"), content_type=JSON).json()
    response = send(
        county,
        [
            item(idempotency_key="call-1"),  # sent alone before
            item(idempotency_key="call-2", title="第一次"),
            item(idempotency_key="call-2", title="重发"),  # repeated within the batch
            item(),
        ],
    )
    assert response.status_code == 201, response.content
    out = response.json()["items"]
    assert response.json()["created"] == 2
    assert (out[0]["number"], out[0]["created"]) == (earlier["number"], False)
    assert out[1]["created"]
    assert not out[2]["created"]
    assert out[1]["number"] == out[2]["number"]
    assert Matter.objects.get(number=out[1]["number"]).title == "第一次"
    before = counts()
    again = send(county, [item(idempotency_key="call-2"), item(idempotency_key="call-1")])
    assert again.status_code == 200
    assert [i["number"] for i in again.json()["items"]] == [out[1]["number"], earlier["number"]]
    assert counts() == before
    # Keys belong to their caller: the same key from someone else is a new matter.
    other = send(client_as("admin"), [item(idempotency_key="call-1")])
    assert other.json()["items"][0]["created"] is True


def test_a_batch_spans_counties(net: Net, people: dict[str, Any], desk: Desk) -> None:
    other = [
        area_input("310000", Level.PROVINCE, None, (121.0, 30.0, 122.0, 31.0), "上海市"),
        area_input("310100", Level.CITY, "310000", (121.0, 30.0, 122.0, 31.0), "市辖区"),
        area_input("310115", Level.COUNTY, "310100", (121.0, 30.0, 122.0, 31.0), "浦东新区"),
        area_input("310115001", Level.TOWNSHIP, "310115", (121.0, 30.0, 122.0, 31.0), "潍坊街道"),
        area_input("310115001001", Level.VILLAGE, "310115001", (121.0, 30.0, 122.0, 31.0), "社区"),
        area_input("310115001001001", Level.GRID, "310115001001", (121.0, 30.0, 122.0, 31.0), "第1网格"),
    ]
    assert areas.write_batch(actor=None, inputs=other, permission="areas.import").ok
    locator.reset()  # the net changed: locate in the new one now rather than within the next second
    operator = make_user("two_counties", role="county_operator", area=net.county)
    shanghai = Area.objects.get(code="310000")
    Grant.objects.create(
        role=Role.objects.get(code="county_operator"), area=shanghai, area_path=shanghai.path, user=operator
    )
    _row, token = create_token(actor=None, user=operator, name="gw", permissions=["matters.create"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = send(
        client,
        [item(), item(lon=121.5), item(lon=120.9), item(area_code="310115001001001", lon=None, lat=None)],
    )
    assert response.status_code == 201, response.content
    numbers = [i["number"] for i in response.json()["items"]]
    prefixes = [n.rsplit("-", 1)[0] for n in numbers]
    assert [p.split("-")[0] for p in prefixes] == ["330122", "310115", "330122", "310115"]
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["000001", "000001", "000002", "000002"]
    paths = [i["area_path"] for i in response.json()["items"]]
    assert paths[1] == paths[3] == "/310000/310100/310115/310115001/310115001001/310115001001001/"


def test_a_batch_keeps_to_its_query_budget(client_as: ClientAs, desk: Desk, hook: Any) -> None:
    """A batch costs a few queries whatever its size, none per matter (SQLite's limit of 999 bound
    values splits the bulk inserts of a hundred matters in a few statements; PostgreSQL needs one)."""
    county = client_as("county")
    send(county, [item()])  # the first request of a process loads the configuration
    sizes = {}
    for size in (5, 100):
        with CaptureQueriesContext(connection) as queries:
            response = send(county, [item(idempotency_key=f"{size}-{n}") for n in range(size)])
        assert response.status_code == 201
        sizes[size] = len(queries.captured_queries)
    assert sizes[5] <= 17, sizes  # the statistics rollup: one statement per batch
    assert sizes[100] <= sizes[5] + 8, sizes
    assert Delivery.objects.filter(endpoint=hook).count() == 106


def test_the_received_time_and_the_clock_are_the_batchs(client_as: ClientAs, desk: Desk) -> None:
    items = send(client_as("county"), [item(), item()]).json()["items"]
    a, b = (Matter.objects.get(number=i["number"]) for i in items)
    assert abs(a.received_at - b.received_at) < dt.timedelta(seconds=5)
    assert a.stage == b.stage == "register"
    assert a.due_at == b.due_at


def test_bulk_create_writes_what_the_orm_writes(desk: Desk, net: Net, people: dict[str, Any]) -> None:
    """kit.bulk.create, intake's insert, stores every kind of field exactly as Model.save does."""
    from onegrid.kit import bulk
    from onegrid.matters.models import Category

    grid = Area.objects.filter(level=Level.GRID).order_by("path").first()
    assert grid is not None
    due = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)

    def draft(number: str) -> Matter:
        return Matter(
            number=number,
            channel="hotline_12345",
            category=Category.objects.filter(parent__isnull=False).first(),
            title="<b>井盖</b> 'x'",
            area=grid,
            area_path=grid.path,
            lon=120.1,
            lat=30.2,
            tags=["路面", "夜间"],
            extra={"depth": 2},
            reporter_name="张三",
            reporter_phone="13800001111",
            reporter_email="a@example.org",
            created_by=people["county"],
            due_at=due,
            status="received",
        )

    saved = draft("T-1")
    saved.save()
    made = [draft("T-2"), draft("T-3")]
    bulk.create(made)
    assert made[0].pk is not None
    assert made[1].pk == made[0].pk + 1
    assert not made[0]._state.adding
    event = Event(matter=made[1], action="receive")  # the foreign key taken from the related object
    bulk.create([event])
    assert Event.objects.get(pk=event.pk).matter_id == made[1].pk
    skip = {"id", "number", "received_at", "updated_at"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM matters_matter WHERE number IN ('T-1', 'T-2') ORDER BY number")
        names = [c[0] for c in cursor.description]
        raw = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    encrypted = {"reporter_name", "reporter_phone", "reporter_email"}  # random nonces: compared decrypted
    assert {k: v for k, v in raw[0].items() if k not in skip | encrypted} == {
        k: v for k, v in raw[1].items() if k not in skip | encrypted
    }
    back = Matter.objects.get(pk=made[0].pk)
    assert (back.reporter_name, back.reporter_phone, back.reporter_email) == (
        "张三",
        "13800001111",
        "a@example.org",
    )
    assert (back.due_at, back.tags, back.extra) == (due, ["路面", "夜间"], {"depth": 2})
    assert back.received_at is not None
