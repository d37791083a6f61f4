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


def test_held_credentials_follow_every_change_from_the_next_request(people: dict[str, Any], net: Net) -> None:
    """Tokens and grants are held per process between requests: a revoked token, a deactivated user, a
    withdrawn permission or grant is refused from the next request on; a sign-in drops nothing."""
    from django.contrib.auth.models import update_last_login
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from onegrid.access.models import Grant, Permission

    county = people["county"]
    path = f"/api/v1/areas/{net.county.code}"

    def status(text: str) -> int:
        return Client().get(path, **bearer(text)).status_code

    row, text = services.create_token(actor=None, user=county, name="crm", permissions=["areas.view"])
    assert status(text) == 200
    with CaptureQueriesContext(connection) as seen:
        assert status(text) == 200
    assert not [
        q for q in seen.captured_queries if "access_apitoken" in q["sql"] or "access_grant" in q["sql"]
    ]
    update_last_login(None, county)  # a sign-in: nothing held changes
    with CaptureQueriesContext(connection) as seen:
        assert status(text) == 200
    assert not [q for q in seen.captured_queries if "access_grant" in q["sql"]]

    grants = list(Grant.objects.filter(user=county)) + list(
        Grant.objects.filter(organisation__memberships__user=county)
    )
    role = grants[0].role
    role.permissions.remove(Permission.objects.get(name="areas.view"))
    assert status(text) in (403, 404)
    role.permissions.add(Permission.objects.get(name="areas.view"))
    assert status(text) == 200
    for g in grants:
        services.revoke_grant(actor=None, row=g)
    assert status(text) in (403, 404)

    _other, other_text = services.create_token(
        actor=None, user=people["admin"], name="x", permissions=["areas.view"]
    )
    assert status(other_text) == 200
    people["admin"].is_active = False
    people["admin"].save()
    assert status(other_text) == 401
    services.revoke_token(actor=None, token=row)
    assert status(text) == 401
