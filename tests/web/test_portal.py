"""The resident portal without a browser: reporting, bad input, following by number and code, rating."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.factories import Net
from tests.matters.conftest import Desk
from tests.web.portal_flow import close, desk_fixture, png, resolve  # noqa: F401  (desk_fixture: `desk`)

from onegrid.audit.models import AuditRecord
from onegrid.matters import feedback, reports
from onegrid.matters.intake import Report
from onegrid.matters.models import Attachment, Event, FollowFailure, Matter, Rating

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]


def form(**extra: Any) -> dict[str, Any]:
    return {
        "category": "garbage",
        "title": "小区门口垃圾无人清运",
        "description": "已经三天了",
        "lon": "120.1",
        "lat": "30.5",
        "address": "青山村村口",
        "name": "张三",
        "phone": "13800138000",
    } | extra


def upload(data: bytes, name: str = "photo.png") -> Any:
    return SimpleUploadedFile(name, data, content_type="image/png")


def receipt(client: Client) -> tuple[str, str]:
    page = client.get("/portal/reported/").content.decode()
    number = re.search(r'id="tracking-number">([^<]+)<', page)
    code = re.search(r'id="tracking-code">([^<]+)<', page)
    assert number is not None, page
    assert code is not None, page
    return number.group(1), code.group(1)


def nothing_written() -> None:
    assert Matter.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert not AuditRecord.objects.filter(action__startswith="matters.").exists()


def test_a_resident_without_an_account_reports_with_a_photo_and_gets_a_number_and_code(net: Net) -> None:
    client = Client()
    response = client.post("/portal/report/", form(photo=upload(png())))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/portal/reported/"
    number, code = receipt(client)
    matter = Matter.objects.get(number=number)
    assert matter.channel == "resident_app"
    assert matter.area_id == net.grid_a1.pk
    assert matter.reporter is None
    assert matter.reporter_phone == "13800138000"
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert [a.content_type for a in matter.attachments.all()] == ["image/png"]
    # The code is shown once: the receipt is gone on a second look.
    assert client.get("/portal/reported/")["Location"] == "/portal/"


def test_following_needs_the_number_and_the_code(net: Net) -> None:
    client = Client()
    client.post("/portal/report/", form())
    number, code = receipt(client)
    stranger = Client()
    assert stranger.get(f"/portal/m/{number}/").status_code == 404
    wrong = stranger.post("/portal/follow/", {"number": number, "code": "ABCD-EFGH"})
    assert wrong.status_code == 404
    assert "没有与该编号和查询码相符的报告" in wrong.content.decode()
    assert stranger.get(f"/portal/m/{number}/").status_code == 404
    right = stranger.post("/portal/follow/", {"number": number, "code": code.lower().replace("-", " ")})
    assert right.status_code == 302
    page = stranger.get(right["Location"]).content.decode()
    assert "我们已收到您的报告。" in page
    assert "已受理" in page or "已收到" in page


def test_lookups_are_throttled_per_number_even_with_the_right_code(net: Net) -> None:
    client = Client()
    client.post("/portal/report/", form())
    number, code = receipt(client)
    guesser = Client()
    for _ in range(5):
        assert guesser.post("/portal/follow/", {"number": number, "code": "WRONG123"}).status_code == 404
    assert FollowFailure.objects.filter(number=number).count() == 5
    assert guesser.post("/portal/follow/", {"number": number, "code": code}).status_code == 429
    assert Client().post("/portal/follow/", {"number": number, "code": code}).status_code == 429


def test_an_unknown_number_is_not_found_and_counted(net: Net) -> None:
    response = Client().post("/portal/follow/", {"number": "330122-20260101-0001", "code": "ABCD-EFGH"})
    assert response.status_code == 404
    assert FollowFailure.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"category": ""}, 422, "这个字段是必填项。"),
        ({"title": ""}, 422, "这个字段是必填项。"),
        ({"lon": "", "lat": ""}, 422, "请提供地点"),
        ({"lon": "122.5", "lat": "30.5"}, 422, "不在我们服务的任何网格内"),
        ({"category": "no-such-thing"}, 422, "选择一个有效的选项"),
        ({"phone": "12345"}, 422, "手机号码无效"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_written(
    net: Net, changes: dict[str, str], status: int, message: str
) -> None:
    response = Client().post("/portal/report/", form(**changes))
    assert response.status_code == status
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    nothing_written()


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(net: Net) -> None:
    response = Client().post("/portal/report/", form(photo=upload(b"%PDF-1.4 not a photo", "x.png")))
    assert response.status_code == 422
    assert "照片必须是 JPEG、PNG、GIF 或 WebP 图片" in response.content.decode()
    nothing_written()
    response = Client().post("/portal/report/", form(photo=upload(b"MZ\x90\x00 program", "x.jpg")))
    assert response.status_code == 422
    nothing_written()


def test_a_huge_photo_is_refused_and_nothing_is_written(net: Net, settings: Any) -> None:
    settings.MATTERS_MAX_ATTACHMENT_BYTES = 2000
    response = Client().post("/portal/report/", form(photo=upload(png(400, 400) + b"\x00" * 5000)))
    assert response.status_code == 413
    assert "照片太大" in response.content.decode()
    nothing_written()


def test_a_body_beyond_the_server_limit_is_refused_with_a_message(net: Net, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post("/portal/report/", form(description="很长" * 2000))
    assert response.status_code == 413
    assert "照片太大" in response.content.decode()
    nothing_written()


def test_the_reporter_rates_a_closed_matter_through_the_one_time_link(
    net: Net, people: dict[str, Any], desk: Desk
) -> None:
    client = Client()
    client.post("/portal/report/", form())
    number, _code = receipt(client)
    close(Matter.objects.get(number=number), desk, people)
    page = client.get(f"/portal/m/{number}/").content.decode()
    assert "您的报告已结案" in page
    link = client.post(f"/portal/m/{number}/rating-link")
    assert link.status_code == 302
    assert link["Location"].startswith("/r/")
    assert client.get(link["Location"]).status_code == 200
    rated = client.post(link["Location"], {"score": "4", "comment": "很快"})
    assert rated.status_code == 200
    assert Rating.objects.get(matter__number=number).score == 4
    again = client.post(link["Location"], {"score": "1"})
    assert again.status_code == 409
    assert Rating.objects.get(matter__number=number).score == 4
    assert "您对处理结果的评价为 4 分" in client.get(f"/portal/m/{number}/").content.decode()


def test_a_rating_link_that_does_not_exist_says_so(net: Net) -> None:
    response = Client().post("/r/not-a-token", {"score": "5"})
    assert response.status_code == 404
    assert Rating.objects.count() == 0


def test_a_score_is_required(net: Net, people: dict[str, Any], desk: Desk) -> None:
    submitted = reports.submit(
        actor=None, report=Report(channel="resident_app", category="garbage", title="x", lon=120.1, lat=30.5)
    )
    close(submitted.matter, desk, people)
    token = feedback.issue_token(submitted.matter)
    assert Client().post(f"/r/{token}", {"score": ""}).status_code == 422
    assert Client().post(f"/r/{token}", {"score": "9"}).status_code == 422
    assert Rating.objects.count() == 0


def test_a_signed_in_resident_sees_all_their_reports_and_rates_in_the_portal(
    client_as: ClientAs, people: dict[str, Any], desk: Desk
) -> None:
    resident = client_as("resident")
    for title in ("路灯不亮", "井盖缺失"):
        assert resident.post("/portal/report/", form(title=title)).status_code == 302
    other = Client()
    other.post("/portal/report/", form(title="别人的报告"))
    mine = resident.get("/portal/mine/").content.decode()
    assert "路灯不亮" in mine
    assert "井盖缺失" in mine
    assert "别人的报告" not in mine
    matter = Matter.objects.get(title="路灯不亮")
    assert matter.reporter == people["resident"]
    resolve(matter, desk, people)
    page = resident.get(f"/portal/m/{matter.number}/").content.decode()
    assert 'name="score"' in page
    assert resident.post(f"/portal/m/{matter.number}/rate", {"score": "5"}).status_code == 302
    assert Rating.objects.get(matter=matter).via == "app"
    # Someone else's matter is not found, even signed in.
    assert resident.get(f"/portal/m/{Matter.objects.get(title='别人的报告').number}/").status_code == 404


def test_my_reports_needs_an_account() -> None:
    assert Client().get("/portal/mine/")["Location"].startswith("/login/")


def test_the_map_serves_grid_outlines_in_a_box_and_the_net_extent_without(net: Net) -> None:
    extent = Client().get("/portal/net.geojson").json()
    assert extent["bbox"] == [120.0, 30.0, 121.0, 31.0]
    west = Client().get("/portal/net.geojson?bbox=120.0,30.0,120.4,31.0").json()
    assert sorted(f["properties"]["code"] for f in west["features"]) == [
        net.grid_a1.code,
        net.grid_a2.code,
    ]
    assert set(west["features"][0]["properties"]) == {"code", "name", "level"}


def test_the_form_has_a_label_for_every_input_and_a_camera_photo_input(net: Net) -> None:
    page = Client().get("/portal/report/").content.decode()
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    assert ids
    for id_ in ids:
        assert f'for="{id_}"' in page, id_
    assert 'accept="image/*"' in page
    assert 'capture="environment"' in page
    assert '<html lang="zh-hans">' in page


def test_the_receive_event_is_public_and_the_timeline_hides_staff_notes(
    net: Net, people: dict[str, Any], desk: Desk
) -> None:
    client = Client()
    client.post("/portal/report/", form())
    number, _ = receipt(client)
    resolve(Matter.objects.get(number=number), desk, people)
    page = client.get(f"/portal/m/{number}/").content.decode()
    assert "已处理" not in page  # the handler's own note
    assert "handler" not in page
    assert Event.objects.filter(matter__number=number, note="已处理").exists()


def test_the_portal_speaks_english_too(net: Net) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    page = client.get("/portal/report/").content.decode()
    assert '<html lang="en">' in page
    assert "Kind of problem" in page
    refused = client.post("/portal/report/", form(lon="122.5"))
    assert "This place lies outside every grid we serve" in refused.content.decode()


def test_my_reports_keep_to_a_query_budget(
    client_as: ClientAs, people: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    resident = client_as("resident")
    for n in range(5):
        resident.post("/portal/report/", form(title=f"报告{n}"))
    with django_assert_max_num_queries(6):
        assert resident.get("/portal/mine/").status_code == 200
