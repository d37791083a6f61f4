"""Configuration held per process: read once, read again after any change, including area moves."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from tests.factories import Net

from onegrid.areas import services as areas
from onegrid.areas.models import Area
from onegrid.notify import listeners, services
from onegrid.notify.models import Subscription

pytestmark = pytest.mark.django_db


def _reads() -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as seen:
        held = listeners.current()
    return held, sum("notify_subscription" in q["sql"] for q in seen.captured_queries)


def test_listeners_are_read_once_and_again_after_each_change(people: dict[str, Any], net: Net) -> None:
    listeners.current()
    _held, reads = _reads()
    assert reads == 0  # held: only the revision token was read
    services.create_subscription(actor=people["county"], area=net.grid_a1)
    held, reads = _reads()
    assert reads == 1
    assert [s.area_path for s in held.subscriptions_over([net.grid_a1.path])] == [net.grid_a1.path]
    village_b = Area.objects.get(code="330122002001")
    moved = areas.move(actor=None, area=net.grid_a1, parent=village_b, new_code="330122002001003")
    held, reads = _reads()
    assert reads == 1  # the move rewrote paths with UPDATE (no signals): it bumped the revision itself
    assert [s.area_path for s in held.subscriptions_over(services._prefixes(moved.path))] == [moved.path]
    Subscription.objects.get().delete()
    assert _reads()[0].subscriptions == {}


def test_a_change_rolled_back_is_never_taken_for_the_state_held(people: dict[str, Any], net: Net) -> None:
    listeners.current()

    seen = []

    class Undo(Exception):
        pass

    def subscribe_then_fail() -> None:
        with transaction.atomic():
            services.create_subscription(actor=people["county"], area=net.grid_a1)
            seen.append(bool(listeners.current().subscriptions))
            raise Undo

    with pytest.raises(Undo):
        subscribe_then_fail()
    assert seen == [True]  # the transaction saw its own subscription
    assert listeners.current().subscriptions == {}  # the token it was held under was rolled back too
