"""A reporter without an account who left a mobile number is invited by text to rate, once per
closing, through a one-time link; the number and the text are encrypted in the outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from tests.matters.conftest import Desk
from tests.notify.gateways import Recording

from onegrid.matters import intake, steps
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Matter, RatingToken
from onegrid.notify import delivery
from onegrid.notify.models import Delivery

pytestmark = pytest.mark.django_db
PHONE = "13812345678"
LINK = re.compile(r"https://grid\.example\.cn/r/([A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def _gateway(settings: Any) -> None:
    settings.NOTIFY_SMS_GATEWAY = "tests.notify.gateways.Recording"
    settings.NOTIFY_SITE_URL = "https://grid.example.cn"
    Recording.sent.clear()


def closed(desk: Desk, people: dict[str, Any], **reporter: Any) -> Matter:
    report = intake.Report(
        channel="hotline_12345", category="garbage", title="垃圾没人清", lon=120.1, lat=30.5, **reporter
    )
    matter, _ = intake.receive(actor=people["county"], report=report)
    for actor, step in (
        (people["county"], Step.REGISTER),
        (people["county"], Step.DISPATCH),
        (desk.handler, Step.ACCEPT),
        (desk.handler, Step.RESOLVE),
        (people["county"], Step.CLOSE),
    ):
        steps.take(actor=actor, matter=matter, step=step)
    return Matter.objects.get(pk=matter.pk)


def test_a_caller_without_an_account_gets_a_text_with_a_working_link(
    desk: Desk, people: dict[str, Any]
) -> None:
    matter = closed(desk, people, reporter_name="李四", reporter_phone=PHONE)
    row = Delivery.objects.get(channel="sms", user__isnull=True)
    assert row.target == "138****5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT address, text FROM notify_delivery WHERE id = %s", [row.pk])
        stored = " ".join(cursor.fetchone())
    assert PHONE not in stored
    assert "/r/" not in stored

    delivery.deliver_due()
    [(phone, text)] = Recording.sent
    assert phone == PHONE
    assert matter.number in text
    token = LINK.search(text).group(1)  # type: ignore[union-attr]
    response = Client().post(
        f"/api/v1/matters/ratings/{token}", {"score": 5}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert RatingToken.objects.get(matter=matter).used_at is not None


@pytest.mark.parametrize(
    "reporter",
    [{"anonymous": True, "reporter_phone": PHONE}, {"reporter_name": "王五"}],
    ids=["anonymous", "no-phone"],
)
def test_no_text_without_a_number_to_send_it_to_or_for_anonymous_reports(
    desk: Desk, people: dict[str, Any], reporter: dict[str, Any]
) -> None:
    matter = closed(desk, people, **reporter)
    assert not Delivery.objects.filter(user__isnull=True).exists()
    assert not RatingToken.objects.filter(matter=matter).exists()


def test_a_rated_matter_closed_again_gets_no_second_invitation(desk: Desk, people: dict[str, Any]) -> None:
    matter = closed(desk, people, reporter_phone=PHONE)
    token_text = Delivery.objects.get(user__isnull=True).text
    token = LINK.search(token_text).group(1)  # type: ignore[union-attr]
    Client().post(f"/api/v1/matters/ratings/{token}", {"score": 4}, content_type="application/json")
    steps.take(actor=people["county"], matter=matter, step=Step.REOPEN, data=steps.StepInput(note="复查"))
    matter = Matter.objects.get(pk=matter.pk)
    for actor, step in (
        (desk.handler, Step.ACCEPT),
        (desk.handler, Step.RESOLVE),
        (people["county"], Step.CLOSE),
    ):
        steps.take(actor=actor, matter=matter, step=step)
    assert Delivery.objects.filter(user__isnull=True).count() == 1


def test_an_e_mail_address_gets_the_same_invitation(
    desk: Desk, people: dict[str, Any], mailoutbox: Any
) -> None:
    matter = closed(desk, people, reporter_phone=PHONE, reporter_email="li.si@example.cn")
    assert Delivery.objects.get(channel="email", user__isnull=True).target == "l****@example.cn"
    delivery.deliver_due()
    [mail] = mailoutbox
    assert mail.to == ["li.si@example.cn"]
    assert matter.number in mail.body
    [(_phone, text)] = Recording.sent
    assert LINK.search(mail.body).group(1) == LINK.search(text).group(1)  # type: ignore[union-attr]
    assert RatingToken.objects.filter(matter=matter).count() == 1
