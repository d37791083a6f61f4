"""Personal data is encrypted at rest, found by blind index, masked on screen, and every reveal audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from tests.factories import Net

from onegrid.access.models import Membership, Organisation, User
from onegrid.audit.models import AuditRecord
from onegrid.kit.fields import blind_index, cipher

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]


def stored_phone(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM access_user WHERE id = %s", [user.pk])
        return str(cursor.fetchone()[0])


@pytest.fixture
def with_phone(people: dict[str, Any], net: Net) -> User:
    user = people["gridworker"]
    user.phone = "13812345678"
    user.save()
    org = Organisation.objects.create(
        code="st", name="站", kind="grid_station", area=net.grid_a1, area_path=net.grid_a1.path
    )
    Membership.objects.create(user=user, organisation=org)
    return user


def test_the_phone_is_encrypted_at_rest_and_found_by_blind_index(with_phone: User) -> None:
    raw = stored_phone(with_phone)
    assert "13812345678" not in raw
    assert raw.startswith("v1.")
    assert User.objects.get(phone_index=blind_index("13812345678", purpose="phone")) == with_phone
    assert User.objects.get(pk=with_phone.pk).phone == "13812345678"


def test_the_phone_is_masked_in_listings(client_as: ClientAs, with_phone: User) -> None:
    users = client_as("admin").get("/api/v1/access/users?limit=100").json()["items"]
    shown = next(u for u in users if u["username"] == "gridworker")
    assert shown["phone"] == "138****5678"


def test_a_reveal_needs_the_permission_and_is_audited(client_as: ClientAs, with_phone: User) -> None:
    assert client_as("county").post("/api/v1/access/users/gridworker/reveal-phone").status_code == 403
    revealed = client_as("admin").post("/api/v1/access/users/gridworker/reveal-phone")
    assert revealed.json()["phone"] == "13812345678"
    record = AuditRecord.objects.get(action="access.reveal_pii")
    assert (record.actor_label, record.object_id, record.after) == (
        "admin",
        str(with_phone.pk),
        {"field": "phone"},
    )


def test_a_user_change_never_writes_the_phone_into_the_audit_trail(with_phone: User) -> None:
    assert "13812345678" not in str(list(AuditRecord.objects.values_list("before", "after")))


def test_rotation_re_encrypts_under_the_new_key(with_phone: User, settings: Any) -> None:
    old = stored_phone(with_phone)
    settings.PII_KEYS = {"k2": b"\x02" * 32, **settings.PII_KEYS}
    settings.PII_CURRENT_KEY = "k2"
    cipher.cache_clear()
    try:
        call_command("pii", "rotate")
        new = stored_phone(with_phone)
        assert new != old
        assert new.startswith("v1.k2.")
        assert User.objects.get(pk=with_phone.pk).phone == "13812345678"
        assert User.objects.get(phone_index=blind_index("13812345678", purpose="phone")) == with_phone
    finally:
        cipher.cache_clear()
