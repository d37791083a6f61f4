"""Reports with photos, tracking codes, and patrol check-ins in the domain layer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from tests.factories import Net
from tests.web.portal_flow import png

from onegrid.audit.models import AuditRecord
from onegrid.kit.errors import Forbidden, Invalid, NotFound
from onegrid.matters import patrols, reports, selectors, tracking
from onegrid.matters.intake import Report
from onegrid.matters.models import Attachment, FollowFailure, Matter, Patrol, TrackingCode

pytestmark = pytest.mark.django_db


def a_report(**extra: Any) -> Report:
    values = {"channel": "resident_app", "category": "garbage", "title": "垃圾", "lon": 120.1, "lat": 30.5}
    return Report(**(values | extra))


def test_an_anonymous_report_keeps_its_photo_and_only_a_hash_of_its_code(net: Net) -> None:
    submitted = reports.submit(actor=None, report=a_report(), photo=reports.Photo("a.png", png()))
    assert submitted.created
    assert len(submitted.secret) == tracking.LENGTH
    assert set(submitted.secret) <= set(tracking.ALPHABET)
    stored = TrackingCode.objects.get(matter=submitted.matter)
    assert submitted.secret not in stored.digest
    attachment = Attachment.objects.get(matter=submitted.matter)
    assert attachment.uploaded_by is None
    assert AuditRecord.objects.filter(action="matters.attach", actor__isnull=True).exists()


def test_a_bad_photo_writes_nothing(net: Net) -> None:
    with pytest.raises(Invalid) as caught:
        reports.submit(actor=None, report=a_report(), photo=reports.Photo("a.pdf", b"%PDF-1.7 ..."))
    assert caught.value.field == "photo"
    assert Matter.objects.count() == 0


def test_following_takes_the_code_in_any_case_and_with_separators(net: Net) -> None:
    submitted = reports.submit(actor=None, report=a_report())
    code = tracking.display(submitted.secret).lower().replace("-", " ")
    assert tracking.follow(number=submitted.matter.number, secret=code, ip="10.0.0.1") == submitted.matter
    with pytest.raises(NotFound):
        tracking.follow(number=submitted.matter.number, secret="", ip="10.0.0.1")


def test_lookups_from_one_address_are_throttled_across_numbers(net: Net, settings: Any) -> None:
    settings.MATTERS_FOLLOW_FAILURES_PER_ADDRESS = 3
    submitted = reports.submit(actor=None, report=a_report())
    for n in range(3):
        with pytest.raises(NotFound):
            tracking.follow(number=f"330122-20260101-00000{n}", secret="AAAA2222", ip="10.0.0.9")
    with pytest.raises(tracking.Throttled):
        tracking.follow(number=submitted.matter.number, secret=submitted.secret, ip="10.0.0.9")
    assert tracking.follow(number=submitted.matter.number, secret=submitted.secret, ip="10.0.0.8")


def test_old_failures_are_forgotten(net: Net) -> None:
    FollowFailure.objects.create(number="x", ip="10.0.0.1")
    FollowFailure.objects.update(at=timezone.now() - dt.timedelta(hours=2))
    FollowFailure.objects.create(number="y", ip="10.0.0.1")
    assert tracking.purge_failures() == 1
    assert list(FollowFailure.objects.values_list("number", flat=True)) == ["y"]


def test_a_patrol_is_for_the_workers_own_grid(net: Net, people: dict[str, Any]) -> None:
    worker = people["gridworker"]
    patrol = patrols.check_in(actor=worker, area=net.grid_a1, note="正常")
    assert patrol.area_path == net.grid_a1.path
    with pytest.raises(Forbidden):
        patrols.check_in(actor=worker, area=net.grid_b1)
    with pytest.raises(Forbidden):
        patrols.check_in(actor=people["resident"], area=net.grid_a1)
    with pytest.raises(Invalid):
        patrols.check_in(actor=worker, area=net.grid_a1, note="x" * 2001)
    assert Patrol.objects.count() == 1


def test_named_grid_workers_patrol_the_grids_they_are_named_for(net: Net, people: dict[str, Any]) -> None:
    worker = people["gridworker"]
    net.grid_a2.grid_workers.add(worker)
    assert [g.code for g in selectors.grids_of(worker)] == [net.grid_a2.code]
    patrols.check_in(actor=worker, area=net.grid_a2)
    with pytest.raises(Forbidden):
        patrols.check_in(actor=worker, area=net.grid_a1)
