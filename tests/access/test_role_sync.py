"""Standard roles follow the release: what a release introduces is added, what it withdraws is removed,
and what administrators changed by hand stays as they left it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from onegrid.access import roles
from onegrid.access.models import Permission, Role
from onegrid.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def held(code: str) -> set[str]:
    return set(Role.objects.get(code=code).permissions.values_list("name", flat=True))


@pytest.fixture
def release(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pretend the next release defines the grid worker's role with ``permissions``."""

    def define(permissions: list[str]) -> None:
        name, name_en, _old = roles.STANDARD_ROLES["grid_worker"]
        monkeypatch.setitem(roles.STANDARD_ROLES, "grid_worker", (name, name_en, permissions))

    return define


def test_every_standard_role_exists_and_remembers_its_definition() -> None:
    assert roles.sync_standard_roles() == []
    for code in roles.STANDARD_ROLES:
        role = Role.objects.get(code=code)
        assert set(role.standard_permissions or []) == held(code)


def test_a_release_adds_and_withdraws_but_keeps_administrators_changes(release: Any) -> None:
    current = sorted(held("grid_worker"))
    by_hand_removed, by_hand_added = current[0], "areas.export"
    assert by_hand_added not in current
    role = Role.objects.get(code="grid_worker")
    role.permissions.remove(Permission.objects.get(name=by_hand_removed))
    role.permissions.add(Permission.objects.get(name=by_hand_added))
    withdrawn = current[-1]
    release([*current[:-1], "matters.follow_up"])

    [change] = roles.sync_standard_roles()
    assert change.added == ("matters.follow_up",)
    assert change.removed == (withdrawn,)
    after = held("grid_worker")
    assert "matters.follow_up" in after
    assert withdrawn not in after
    assert by_hand_removed not in after  # the administrator's removal stands
    assert by_hand_added in after  # and so does their addition
    assert AuditRecord.objects.filter(action="access.role.sync", object_id=str(role.pk)).count() == 1
    assert roles.sync_standard_roles() == []  # a second run changes nothing


def test_a_role_from_an_older_release_gets_what_it_lacks(release: Any) -> None:
    Role.objects.filter(code="grid_worker").update(standard_permissions=None)
    release([*sorted(held("grid_worker")), "matters.follow_up"])
    roles.sync_standard_roles()
    assert "matters.follow_up" in held("grid_worker")


def test_a_dry_run_shows_the_changes_and_makes_none(release: Any) -> None:
    release([*sorted(held("grid_worker")), "matters.follow_up"])
    out = io.StringIO()
    call_command("roles", "sync", "--dry-run", stdout=out)
    assert "grid_worker: would add matters.follow_up" in out.getvalue()
    assert "matters.follow_up" not in held("grid_worker")


def test_a_deleted_standard_role_is_created_again() -> None:
    Role.objects.filter(code="grid_worker").delete()
    [change] = roles.sync_standard_roles()
    assert change.created
    assert held("grid_worker") == set(change.added)
