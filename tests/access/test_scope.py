"""Grants over area subtrees become one WHERE: each user sees exactly their part of the net."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import Net, make_user

from onegrid.access import services
from onegrid.access.models import Organisation, Role
from onegrid.areas.models import Area
from onegrid.kit import scope

pytestmark = pytest.mark.django_db


def codes(user: Any, permission: str = "areas.view") -> set[str]:
    return set(Area.objects.restrict(user, permission).values_list("code", flat=True))


def test_a_grid_worker_sees_their_grid_only(people: dict[str, Any], net: Net) -> None:
    assert codes(people["gridworker"]) == {net.grid_a1.code}


def test_a_township_operator_sees_their_township(people: dict[str, Any], net: Net) -> None:
    assert codes(people["township"]) == {"330122001", "330122001001", "330122001001001", "330122001001002"}


def test_the_province_sees_everything(people: dict[str, Any]) -> None:
    assert codes(people["admin"]) == set(Area.objects.values_list("code", flat=True))


def test_a_user_without_grants_sees_nothing(people: dict[str, Any]) -> None:
    assert codes(people["nobody"]) == set()
    assert not scope.has_permission(people["nobody"], "areas.view")


def test_a_permission_outside_the_role_gives_nothing(people: dict[str, Any]) -> None:
    assert codes(people["resident"], "areas.view") == set()
    assert scope.has_permission(people["resident"], "areas.locate")


def test_organisation_grants_reach_their_members(net: Net) -> None:
    org = Organisation.objects.create(
        code="station-b",
        name="网格站",
        kind="grid_station",
        area=net.township_b,
        area_path=net.township_b.path,
    )
    member = make_user("member")
    services.add_member(actor=None, user=member, organisation=org)
    services.grant(actor=None, role=Role.objects.get(code="grid_worker"), area=net.grid_b1, organisation=org)
    assert codes(member) == {net.grid_b1.code}
    org.is_active = False
    org.save()
    scope.forget(member)
    assert codes(member) == set()


def test_a_token_narrows_its_owners_scope(people: dict[str, Any], net: Net) -> None:
    _, text = services.create_token(
        actor=None, user=people["county"], name="t", permissions=["areas.view"], area=net.township_b
    )
    user = services.authenticate_token(text)
    assert user is not None
    assert codes(user) == {c for c in codes(people["county"]) if c.startswith("330122002")}
    assert codes(user, "areas.export") == set()


def test_a_token_cannot_widen_a_grid_workers_scope(people: dict[str, Any], net: Net) -> None:
    _, text = services.create_token(
        actor=None, user=people["gridworker"], name="t", permissions=["areas.view"], area=net.province
    )
    assert codes(services.authenticate_token(text)) == {net.grid_a1.code}


def test_minimal_and_narrow_paths() -> None:
    assert scope.minimal(["/a/b/", "/a/", "/c/", "/a/b/c/"]) == ("/a/", "/c/")
    assert scope.narrow(["/a/"], "/a/b/") == ("/a/b/",)
    assert scope.narrow(["/a/b/", "/c/"], "/a/") == ("/a/b/",)
    assert scope.narrow(["/c/"], "/a/") == ()
