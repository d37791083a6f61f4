"""publish(): written with the change or not at all; who hears of what."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from tests.factories import Net, make_user

from onegrid.access.models import User
from onegrid.areas import services as areas
from onegrid.areas.models import Area
from onegrid.notify import delivery, services
from onegrid.notify.catalog import UnknownEvent
from onegrid.notify.models import Delivery, Message, Notification, Status, Subscription

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def publish(area: Any, *, event: str = "drill.overdue", category: str | None = "road", **extra: Any) -> Any:
    with transaction.atomic():
        return services.publish(
            event=event,
            title="事项超期",
            body="A matter in your grid is overdue.",
            area_path=area.path,
            category=category,
            link="/matters/M1/",
            payload={"number": "M1"},
            **extra,
        )


def subscribe(user: User, area: Any, **extra: Any) -> None:
    services.create_subscription(actor=user, area=area, **extra)


def told(event_area: Any, **extra: Any) -> set[str]:
    """Usernames whose inbox got the message published at ``event_area``."""
    message = publish(event_area, **extra)
    if message is None:
        return set()
    return {n.user.username for n in Notification.objects.filter(message=message).select_related("user")}


def test_a_rolled_back_change_publishes_nothing(
    people: dict[str, Any], net: Net, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    handler = people["gridworker"]
    handler.email = "gw@example.org"
    handler.save()
    subscribe(people["township"], net.township_a, channels=["inbox", "email"])

    def dispatch_then_fail() -> None:
        with transaction.atomic():
            services.publish(
                event="drill.dispatched",
                title="派遣",
                body="",
                area_path=net.grid_a1.path,
                payload={},
                recipients=[handler],
                channels=["inbox", "email"],
            )
            raise Boom

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom):
        dispatch_then_fail()
    assert (Message.objects.count(), Notification.objects.count(), Delivery.objects.count()) == (0, 0, 0)
    assert callbacks == []
    assert delivery.deliver_due() == 0
    assert mailoutbox == []


def test_a_committed_change_fills_the_inbox_at_once_and_queues_the_rest(
    people: dict[str, Any], net: Net, django_capture_on_commit_callbacks: Any
) -> None:
    township = people["township"]
    township.email = "township@example.org"
    township.save()
    subscribe(township, net.township_a, channels=["inbox", "email"])
    with django_capture_on_commit_callbacks() as callbacks:
        message = publish(net.grid_a1)
    assert callbacks == [delivery.kick]
    assert [n.message for n in Notification.objects.filter(user=township)] == [message]
    queued = Delivery.objects.get()
    assert (queued.channel, queued.target, queued.status, queued.attempts) == (
        "email",
        "township@example.org",
        Status.PENDING,
        0,
    )


@pytest.mark.django_db(transaction=True)
def test_publish_refuses_to_run_outside_a_transaction(net: Net) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.publish(event="drill.overdue", title="t", body="", area_path=net.grid_a1.path, payload={})


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"event": "drill.exploded"}, UnknownEvent),
        ({"area_path": "330122"}, ValueError),
        ({"payload": {"when": object()}}, TypeError),
        ({"channels": ["pigeon"]}, ValueError),
    ],
)
def test_publisher_mistakes_are_programming_errors(net: Net, changes: dict[str, Any], error: type) -> None:
    arguments: dict[str, Any] = {
        "event": "drill.overdue",
        "title": "t",
        "body": "",
        "area_path": net.grid_a1.path,
        "payload": {},
    }
    with pytest.raises(error), transaction.atomic():
        services.publish(**(arguments | changes))
    assert Message.objects.count() == 0


def test_nobody_concerned_writes_nothing(net: Net) -> None:
    assert publish(net.grid_a1) is None
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("subscription", "told_of_it"),
    [
        ({}, True),
        ({"events": ["drill.overdue"]}, True),
        ({"events": ["drill.rated"]}, False),
        ({"categories": ["road", "water"]}, True),
        ({"categories": ["water"]}, False),
        ({"events": ["drill.overdue"], "categories": ["water"]}, False),
    ],
)
def test_subscriptions_match_by_event_and_category(
    people: dict[str, Any], net: Net, subscription: dict[str, Any], told_of_it: bool
) -> None:
    subscribe(people["township"], net.township_a, **subscription)
    assert told(net.grid_a1) == ({"township"} if told_of_it else set())


def test_subscriptions_match_the_whole_subtree_and_nothing_beside_it(
    people: dict[str, Any], net: Net
) -> None:
    subscribe(people["county"], net.county)
    subscribe(people["township"], net.township_a)
    subscribe(people["gridworker"], net.grid_a1)
    assert told(net.grid_a1) == {"county", "township", "gridworker"}
    assert told(net.grid_a2) == {"county", "township"}
    assert told(net.grid_b1) == {"county"}


def test_an_event_without_a_category_reaches_only_subscriptions_to_any_category(
    people: dict[str, Any], net: Net
) -> None:
    subscribe(people["county"], net.county)
    subscribe(people["township"], net.township_a, categories=["road"])
    assert told(net.grid_a1, category=None) == {"county"}


def test_a_subscriber_who_lost_the_area_is_not_told(people: dict[str, Any], net: Net) -> None:
    subscribe(people["township"], net.township_a)
    people["township"].grants.all().delete()
    assert told(net.grid_a1) == set()


def test_nobody_is_told_of_their_own_action_by_a_subscription(people: dict[str, Any], net: Net) -> None:
    subscribe(people["township"], net.township_a)
    subscribe(people["county"], net.county)
    assert told(net.grid_a1, actor=people["township"]) == {"county"}


def test_inactive_users_are_not_told(people: dict[str, Any], net: Net) -> None:
    subscribe(people["township"], net.township_a)
    User.objects.filter(pk=people["township"].pk).update(is_active=False)
    assert told(net.grid_a1) == set()


def test_named_recipients_get_the_events_channels_once_even_when_also_subscribed(
    people: dict[str, Any], net: Net
) -> None:
    worker = make_user("worker2", role="grid_worker", area=net.grid_a1, email="w2@example.org")
    worker.phone = "13812345678"
    worker.save()
    subscribe(worker, net.grid_a1, channels=["inbox", "sms", "email"])
    message = publish(net.grid_a1, event="drill.dispatched", recipients=[worker, worker])
    assert Notification.objects.filter(message=message).count() == 1
    channels = sorted(Delivery.objects.filter(message=message).values_list("channel", flat=True))
    assert channels == ["email", "sms"]
    sms = Delivery.objects.get(message=message, channel="sms")
    assert sms.target == "138****5678"


def test_named_recipients_without_an_address_get_only_their_inbox(people: dict[str, Any], net: Net) -> None:
    message = publish(net.grid_a1, event="drill.dispatched", recipients=[people["gridworker"]])
    assert Notification.objects.filter(message=message, user=people["gridworker"]).exists()
    assert not Delivery.objects.filter(message=message).exists()


def test_a_subscription_follows_its_area_when_the_area_moves(people: dict[str, Any], net: Net) -> None:
    subscribe(people["county"], net.grid_a1)
    assert told(net.grid_a1) == {"county"}  # who listens where is now held by this process
    village_b = Area.objects.get(code="330122002001")
    moved = areas.move(actor=None, area=net.grid_a1, parent=village_b, new_code="330122002001003")
    assert Subscription.objects.get().area_path == moved.path
    assert told(moved) == {"county"}
