"""/api/v1/access for administrators and integrators, with the scope matrix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.factories import Net, make_user

from onegrid.access import services
from onegrid.access.models import ApiToken, Grant, Organisation, User
from onegrid.audit.models import AuditRecord

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]
JSON = "application/json"


def test_me_lists_where_i_hold_each_permission(client_as: ClientAs, net: Net) -> None:
    body = client_as("township").get("/api/v1/access/me").json()
    assert body["permissions"]["areas.view"] == [net.township_a.path]
    assert "areas.add" not in body["permissions"]


def test_organisations_scope_matrix(client_as: ClientAs, net: Net) -> None:
    Organisation.objects.create(
        code="a", name="A", kind="grid_station", area=net.township_a, area_path=net.township_a.path
    )
    Organisation.objects.create(
        code="b", name="B", kind="grid_station", area=net.township_b, area_path=net.township_b.path
    )
    url = "/api/v1/access/organisations"
    assert client_as(None).get(url).status_code == 401
    assert client_as("gridworker").get(url).status_code == 403
    assert [o["code"] for o in client_as("township").get(url).json()["items"]] == ["a"]
    assert [o["code"] for o in client_as("county").get(url).json()["items"]] == ["a", "b"]


def test_an_administrator_creates_an_organisation_and_grants_it_a_role(client_as: ClientAs, net: Net) -> None:
    admin = client_as("admin")
    created = admin.post(
        "/api/v1/access/organisations",
        {"code": "cg-b", "name": "城管", "kind": "department", "area_code": net.township_b.code},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    granted = admin.post(
        "/api/v1/access/grants",
        {"role": "grid_worker", "area_code": net.grid_b1.code, "organisation": "cg-b"},
        content_type=JSON,
    )
    assert granted.status_code == 201, granted.content
    assert Grant.objects.filter(organisation__code="cg-b", area=net.grid_b1).exists()
    assert AuditRecord.objects.filter(action="access.grant.create").exists()


def test_writes_outside_the_writers_scope_are_refused_and_nothing_kept(
    client_as: ClientAs, people: dict[str, Any], net: Net
) -> None:
    local_admin = make_user("local_admin", role="administrator", area=net.township_a)
    client = Client()
    client.force_login(local_admin)
    before = Organisation.objects.count()
    outside = client.post(
        "/api/v1/access/organisations",
        {"code": "xx", "name": "X", "kind": "department", "area_code": net.township_b.code},
        content_type=JSON,
    )
    assert outside.status_code == 404
    grant = client.post(
        "/api/v1/access/grants",
        {"role": "grid_worker", "area_code": net.grid_b1.code, "user": "local_admin"},
        content_type=JSON,
    )
    assert grant.status_code == 404
    assert Organisation.objects.count() == before
    assert not Grant.objects.filter(area=net.grid_b1).exists()


def test_nobody_grants_what_they_do_not_hold(client_as: ClientAs, people: dict[str, Any], net: Net) -> None:
    response = client_as("county").post(
        "/api/v1/access/grants",
        {"role": "administrator", "area_code": net.county.code, "user": "gridworker"},
        content_type=JSON,
    )
    assert response.status_code in (403, 404)
    assert not Grant.objects.filter(user=people["gridworker"], role__code="administrator").exists()


def test_tokens_issue_use_and_revoke(client_as: ClientAs, net: Net) -> None:
    client = client_as("county")
    issued = client.post(
        "/api/v1/access/tokens",
        {
            "name": "crm",
            "permissions": ["areas.view"],
            "area_code": net.township_b.code,
            "expires_in_days": 30,
        },
        content_type=JSON,
    )
    assert issued.status_code == 201, issued.content
    text = issued.json()["token"]
    listed = client.get("/api/v1/access/tokens").json()
    assert "token" not in listed[0]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    assert Client().get(f"/api/v1/areas/{net.grid_b1.code}", **auth).status_code == 200
    assert Client().get(f"/api/v1/areas/{net.grid_a1.code}", **auth).status_code == 404
    revoked = client.post(f"/api/v1/access/tokens/{issued.json()['id']}/revoke")
    assert revoked.status_code == 200
    assert Client().get(f"/api/v1/areas/{net.grid_b1.code}", **auth).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "permissions": ["areas.fly"]}, "permissions"),
        ({"name": "x", "permissions": []}, "permissions"),
        ({"name": "x", "permissions": ["areas.view"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "", "permissions": ["areas.view"]}, "name"),
    ],
)
def test_bad_token_requests_name_the_field(
    client_as: ClientAs, net: Net, body: dict[str, Any], field: str
) -> None:
    response = client_as("county").post("/api/v1/access/tokens", body, content_type=JSON)
    assert response.status_code == 422
    assert field in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_session_writes_need_the_csrf_token(people: dict[str, Any], net: Net) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["admin"])
    response = client.post(
        "/api/v1/access/tokens", {"name": "x", "permissions": ["areas.view"]}, content_type=JSON
    )
    assert response.status_code in (401, 403)
    assert ApiToken.objects.count() == 0


def test_an_administrator_creates_an_account_in_an_organisation(client_as: ClientAs, net: Net) -> None:
    Organisation.objects.create(
        code="station-b", name="站", kind="grid_station", area=net.township_b, area_path=net.township_b.path
    )
    created = client_as("admin").post(
        "/api/v1/access/users",
        {
            "username": "wang",
            "display_name": "王网格员",
            "phone": "+86 138-1234-5678",
            "password": "a-long-passphrase-9",
            "organisation": "station-b",
            "title": "网格员",
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    assert created.json()["phone"] == "138****5678"
    assert created.json()["organisations"] == ["station-b"]
    assert Client().login(username="wang", password="a-long-passphrase-9")
    assert AuditRecord.objects.filter(action="access.user.create", object_repr="王网格员").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "li", "phone": "12345"}, "phone"),
        ({"username": "li", "password": "password"}, "password"),
        ({"username": "admin"}, "username"),
        ({"username": "li li"}, "username"),
        ({"username": "li", "organisation": "nowhere"}, "organisation"),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(
    client_as: ClientAs, net: Net, body: dict[str, Any], field: str
) -> None:
    count = User.objects.count()
    response = client_as("admin").post("/api/v1/access/users", body, content_type=JSON)
    assert response.status_code in (404, 422), response.content
    assert field in response.content.decode()
    assert User.objects.count() == count


def test_a_township_administrator_manages_only_accounts_in_their_township(
    client_as: ClientAs, net: Net
) -> None:
    local = make_user("local_admin", role="administrator", area=net.township_a)
    Organisation.objects.create(
        code="org-b", name="B", kind="grid_station", area=net.township_b, area_path=net.township_b.path
    )
    client = Client()
    client.force_login(local)
    outside = client.post(
        "/api/v1/access/users", {"username": "zhao", "organisation": "org-b"}, content_type=JSON
    )
    assert outside.status_code == 404
    nowhere = client.post("/api/v1/access/users", {"username": "zhao"}, content_type=JSON)
    assert nowhere.status_code == 422
    assert not User.objects.filter(username="zhao").exists()


def test_deactivating_an_account_stops_its_tokens(
    client_as: ClientAs, people: dict[str, Any], net: Net
) -> None:
    _, text = services.create_token(actor=None, user=people["county"], name="t", permissions=["areas.view"])
    org = Organisation.objects.create(
        code="cc", name="中心", kind="command_centre", area=net.county, area_path=net.county.path
    )
    services.add_member(actor=None, user=people["county"], organisation=org)
    changed = client_as("admin").patch("/api/v1/access/users/county", {"is_active": False}, content_type=JSON)
    assert changed.status_code == 200, changed.content
    assert not changed.json()["is_active"]
    assert Client().get("/api/v1/areas/", HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 401
