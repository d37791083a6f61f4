"""API tokens are hashed, expire and can be revoked; sign-in is throttled."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.factories import Net

from onegrid.access import services
from onegrid.access.models import ApiToken, LoginFailure
from onegrid.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def bearer(text: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def test_a_token_is_stored_hashed_and_shown_once(people: dict[str, Any]) -> None:
    row, text = services.create_token(
        actor=None, user=people["county"], name="crm", permissions=["areas.view"]
    )
    stored = ApiToken.objects.get(pk=row.pk)
    assert text.split("_")[2] not in (stored.digest, stored.prefix)
    assert AuditRecord.objects.filter(action="access.token.create", object_id=str(row.pk)).exists()


def test_a_valid_token_reads_the_api(people: dict[str, Any], net: Net) -> None:
    _, text = services.create_token(actor=None, user=people["county"], name="crm", permissions=["areas.view"])
    response = Client().get(f"/api/v1/areas/{net.county.code}", **bearer(text))
    assert response.status_code == 200


@pytest.mark.parametrize("how", ["revoked", "expired", "garbled", "wrong secret"])
def test_a_stale_revoked_or_wrong_token_is_401(people: dict[str, Any], net: Net, how: str) -> None:
    row, text = services.create_token(
        actor=None, user=people["county"], name="crm", permissions=["areas.view"]
    )
    if how == "revoked":
        services.revoke_token(actor=None, token=row)
    elif how == "expired":
        ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif how == "garbled":
        text = "og_nonsense"
    else:
        text = text[:-3] + "xyz"
    response = Client().get(f"/api/v1/areas/{net.county.code}", **bearer(text))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_sign_in_is_throttled_after_repeated_failures(people: dict[str, Any], settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        assert client.post("/login/", {"username": "county", "password": "wrong"}).status_code == 200
    assert LoginFailure.objects.filter(username="county").count() == 3
    refused = client.post("/login/", {"username": "county", "password": "pw-county"})
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    other = Client().post("/login/", {"username": "township", "password": "pw-township"})
    assert other.status_code == 302


def test_a_good_sign_in_clears_the_failures(people: dict[str, Any]) -> None:
    client = Client()
    client.post("/login/", {"username": "county", "password": "wrong"})
    assert client.post("/login/", {"username": "county", "password": "pw-county"}).status_code == 302
    assert not LoginFailure.objects.filter(username="county").exists()
