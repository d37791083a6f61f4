"""The scope matrix for every route: the inventory fails when an API operation or a page is missing from
MATRIX below, so no route ships without a stated rule of who may use it.

For each route the matrix is tried here:

- anonymous: an API operation answers 401 and a page sends to sign-in (public routes never say 401);
- signed in without the permission: 403, or 404 for a route naming one object (nothing about the
  object is given away), or the route's own empty answer when the route is personal (my inbox);
- out of scope (a matter or area of the other township, by the first township's operator): 404, and for
  a write nothing is kept (no timeline event, no audit record);
- in scope: neither 401, 403 nor 404 (2xx, or a 409/422 about the state or the empty body sent).

Routes naming other objects (tokens, grants, subscriptions, webhooks, deliveries, ledger entries...)
name the test where their in/out-of-scope rows are tried; the inventory checks that test exists.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from tests.factories import Net

from onegrid.api import api
from onegrid.audit.models import AuditRecord
from onegrid.matters import intake
from onegrid.matters.models import Event, Matter

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Public:
    reason: str


@dataclass(frozen=True)
class Personal:
    """Any signed-in user, about their own things."""


@dataclass(frozen=True)
class Scoped:
    """Needs a permission over an area. ``holder``: who holds it within the first township (for the
    in/out-of-scope rows); ``elsewhere``: the test trying those rows for routes naming other objects."""

    holder: str = "township"
    elsewhere: str = ""


Rule = Public | Personal | Scoped

ACCESS = "tests/access/test_api.py::"
NOTIFY = "tests/notify/test_api.py::"
LEDGER = "tests/ledger/test_api.py::"
FLOW = "tests/matters/test_flow.py::"
CENTRE = "tests/web/test_centre_views.py::"
FIELD = "tests/web/test_field.py::"
PORTAL = "tests/web/test_portal.py::"

MATRIX: dict[str, Rule] = {
    # --- the API ---------------------------------------------------------------------------------------
    "GET /api/v1/areas/": Scoped(),
    "POST /api/v1/areas/": Scoped("admin", elsewhere="tests/areas/test_api.py::"),
    "GET /api/v1/areas/locate": Scoped(),
    "POST /api/v1/areas/locate": Scoped(),
    "GET /api/v1/areas/export": Scoped("admin", elsewhere="tests/areas/test_api.py::"),
    "POST /api/v1/areas/import": Scoped("admin", elsewhere="tests/areas/test_api.py::"),
    "GET /api/v1/areas/{code}": Scoped(),
    "PATCH /api/v1/areas/{code}": Scoped("manager"),
    "DELETE /api/v1/areas/{code}": Scoped("manager"),
    "POST /api/v1/areas/{code}/move": Scoped("manager"),
    "GET /api/v1/access/me": Personal(),
    "GET /api/v1/access/organisations": Scoped(elsewhere=ACCESS + "test_organisations_scope_matrix"),
    "POST /api/v1/access/organisations": Scoped(
        "admin", elsewhere=ACCESS + "test_writes_outside_the_writers_scope_are_refused_and_nothing_kept"
    ),
    "GET /api/v1/access/users": Scoped(
        "admin", elsewhere=ACCESS + "test_a_township_administrator_manages_only_accounts_in_their_township"
    ),
    "POST /api/v1/access/users": Scoped(
        "admin", elsewhere=ACCESS + "test_a_township_administrator_manages_only_accounts_in_their_township"
    ),
    "PATCH /api/v1/access/users/{username}": Scoped(
        "admin", elsewhere=ACCESS + "test_a_township_administrator_manages_only_accounts_in_their_township"
    ),
    "POST /api/v1/access/users/{username}/memberships": Scoped(
        "admin", elsewhere=ACCESS + "test_an_administrator_creates_an_account_in_an_organisation"
    ),
    "POST /api/v1/access/users/{username}/reveal-phone": Scoped(
        "admin", elsewhere="tests/access/test_personal_data.py::"
    ),
    "GET /api/v1/access/roles": Scoped(
        "admin", elsewhere=ACCESS + "test_nobody_grants_what_they_do_not_hold"
    ),
    "PUT /api/v1/access/roles/{code}": Scoped(
        "admin", elsewhere=ACCESS + "test_nobody_grants_what_they_do_not_hold"
    ),
    "GET /api/v1/access/grants": Scoped(
        "admin", elsewhere=ACCESS + "test_an_administrator_creates_an_organisation_and_grants_it_a_role"
    ),
    "POST /api/v1/access/grants": Scoped(
        "admin", elsewhere=ACCESS + "test_nobody_grants_what_they_do_not_hold"
    ),
    "DELETE /api/v1/access/grants/{grant_id}": Scoped(
        "admin", elsewhere=ACCESS + "test_writes_outside_the_writers_scope_are_refused_and_nothing_kept"
    ),
    "GET /api/v1/access/tokens": Personal(),
    "POST /api/v1/access/tokens": Personal(),
    "POST /api/v1/access/tokens/{token_id}/revoke": Personal(),
    "GET /api/v1/audit/": Scoped(
        "auditor", elsewhere="tests/audit/test_trail.py::test_auditors_search_within_their_scope"
    ),
    "GET /api/v1/matters/": Scoped(),
    "POST /api/v1/matters/": Scoped(elsewhere=FLOW + "test_bad_reports_are_refused_naming_the_field"),
    "POST /api/v1/matters/batch": Scoped(elsewhere="tests/matters/test_batch.py::"),
    "GET /api/v1/matters/{number}": Scoped(),
    "POST /api/v1/matters/{number}/register": Scoped(),
    "POST /api/v1/matters/{number}/reject": Scoped(),
    "POST /api/v1/matters/{number}/resolve-at-intake": Scoped(),
    "POST /api/v1/matters/{number}/dispatch": Scoped(),
    "POST /api/v1/matters/{number}/accept": Scoped(
        elsewhere=FLOW + "test_only_the_responsible_organisation_handles"
    ),
    "POST /api/v1/matters/{number}/start": Scoped(
        elsewhere=FLOW + "test_only_the_responsible_organisation_handles"
    ),
    "POST /api/v1/matters/{number}/return": Scoped(),
    "POST /api/v1/matters/{number}/transfer": Scoped(),
    "POST /api/v1/matters/{number}/escalate": Scoped(),
    "POST /api/v1/matters/{number}/suspend": Scoped(),
    "POST /api/v1/matters/{number}/resume": Scoped(
        elsewhere=FLOW + "test_only_the_responsible_organisation_handles"
    ),
    "POST /api/v1/matters/{number}/resolve": Scoped(
        elsewhere=FLOW + "test_only_the_responsible_organisation_handles"
    ),
    "POST /api/v1/matters/{number}/verify": Scoped(),
    "POST /api/v1/matters/{number}/close": Scoped(),
    "POST /api/v1/matters/{number}/reopen": Scoped(),
    "POST /api/v1/matters/{number}/supervise": Scoped(elsewhere=FLOW + "test_scope_matrix_for_a_matter"),
    "POST /api/v1/matters/{number}/supervision/{order_id}/reply": Scoped(),
    "POST /api/v1/matters/{number}/extensions": Scoped(
        elsewhere=FLOW + "test_only_the_responsible_organisation_handles"
    ),
    "POST /api/v1/matters/{number}/extensions/{request_id}/decide": Scoped(),
    "POST /api/v1/matters/{number}/assists": Scoped(elsewhere=FLOW + "test_scope_matrix_for_a_matter"),
    "POST /api/v1/matters/{number}/merge": Scoped(elsewhere=FLOW + "test_scope_matrix_for_a_matter"),
    "GET /api/v1/matters/{number}/duplicates": Scoped(),
    "POST /api/v1/matters/{number}/rating": Scoped(elsewhere=FLOW + "test_scope_matrix_for_a_matter"),
    "POST /api/v1/matters/ratings/{token}": Public("the one-time link is the credential"),
    "POST /api/v1/matters/{number}/follow-ups": Scoped(elsewhere=FLOW + "test_scope_matrix_for_a_matter"),
    "POST /api/v1/matters/{number}/attachments": Scoped(elsewhere=FLOW + "test_scope_matrix_for_a_matter"),
    "GET /api/v1/matters/{number}/attachments/{attachment_id}": Scoped(),
    "GET /api/v1/matters/stats/summary": Scoped(),
    "GET /api/v1/matters/stats/by/{by}": Scoped(
        elsewhere="tests/matters/test_stats.py::test_summary_breakdowns_and_scope"
    ),
    "GET /api/v1/matters/stats/by/{by}/export": Scoped(
        elsewhere="tests/matters/test_stats.py::test_exports_as_csv_and_excel_with_headings_in_the_request_language"
    ),
    "GET /api/v1/notify/events": Personal(),
    "GET /api/v1/notify/inbox": Personal(),
    "GET /api/v1/notify/inbox/unread-count": Personal(),
    "POST /api/v1/notify/inbox/read-all": Personal(),
    "POST /api/v1/notify/inbox/{notification_id}/read": Personal(),
    "GET /api/v1/notify/subscriptions": Personal(),
    "POST /api/v1/notify/subscriptions": Scoped(elsewhere=NOTIFY + "test_subscriptions_scope_matrix"),
    "PATCH /api/v1/notify/subscriptions/{subscription_id}": Personal(),
    "DELETE /api/v1/notify/subscriptions/{subscription_id}": Personal(),
    "GET /api/v1/notify/webhooks": Scoped("admin", elsewhere=NOTIFY + "test_webhooks_scope_matrix"),
    "POST /api/v1/notify/webhooks": Scoped("admin", elsewhere=NOTIFY + "test_webhooks_scope_matrix"),
    "GET /api/v1/notify/webhooks/{endpoint_id}": Scoped(
        "admin", elsewhere=NOTIFY + "test_webhooks_scope_matrix"
    ),
    "PATCH /api/v1/notify/webhooks/{endpoint_id}": Scoped(
        "admin", elsewhere=NOTIFY + "test_webhooks_scope_matrix"
    ),
    "DELETE /api/v1/notify/webhooks/{endpoint_id}": Scoped(
        "admin", elsewhere=NOTIFY + "test_webhooks_scope_matrix"
    ),
    "POST /api/v1/notify/webhooks/{endpoint_id}/rotate-secret": Scoped(
        "admin", elsewhere=NOTIFY + "test_the_secret_is_shown_once_then_masked_and_rotation_shows_the_new_one"
    ),
    "GET /api/v1/notify/deliveries": Scoped(
        "admin", elsewhere=NOTIFY + "test_deliveries_scope_matrix_status_filter_and_retry"
    ),
    "POST /api/v1/notify/deliveries/{delivery_id}/retry": Scoped(
        "admin", elsewhere=NOTIFY + "test_deliveries_scope_matrix_status_filter_and_retry"
    ),
    "POST /api/v1/ledger/deposits": Scoped(
        "admin", elsewhere=LEDGER + "test_a_deposit_outside_the_callers_area_is_not_found_and_not_written"
    ),
    "GET /api/v1/ledger/deposits": Scoped(
        "admin", elsewhere=LEDGER + "test_deposits_are_seen_only_within_scope"
    ),
    "POST /api/v1/ledger/deposits/batch": Scoped(
        "admin", elsewhere=LEDGER + "test_writes_need_their_permission_and_write_nothing_when_refused"
    ),
    "POST /api/v1/ledger/deposits/document": Scoped(
        "admin", elsewhere=LEDGER + "test_writes_need_their_permission_and_write_nothing_when_refused"
    ),
    "GET /api/v1/ledger/entries/{index}": Scoped(
        "admin", elsewhere=LEDGER + "test_deposits_are_seen_only_within_scope"
    ),
    "GET /api/v1/ledger/entries/{index}/receipt": Scoped(
        "admin", elsewhere=LEDGER + "test_deposits_are_seen_only_within_scope"
    ),
    "GET /api/v1/ledger/entries/{index}/receipt.tlog-proof": Scoped(
        "admin", elsewhere=LEDGER + "test_deposits_are_seen_only_within_scope"
    ),
    "GET /api/v1/ledger/proofs/inclusion": Scoped(
        "admin", elsewhere=LEDGER + "test_reads_need_a_signed_in_caller_holding_ledger_view"
    ),
    "GET /api/v1/ledger/proofs/consistency": Scoped(
        "admin", elsewhere=LEDGER + "test_reads_need_a_signed_in_caller_holding_ledger_view"
    ),
    "GET /api/v1/ledger/checkpoints/latest": Scoped(
        "admin", elsewhere=LEDGER + "test_an_empty_ledger_has_no_checkpoint_yet"
    ),
    "GET /api/v1/ledger/checkpoints/{size}": Scoped(
        "admin", elsewhere=LEDGER + "test_reads_need_a_signed_in_caller_holding_ledger_view"
    ),
    "POST /api/v1/ledger/checkpoints/{size}/cosignatures": Scoped(
        "admin", elsewhere=LEDGER + "test_a_witness_cosigns_and_the_checkpoint_shows_who_cosigned"
    ),
    "GET /api/v1/ledger/witnesses": Scoped(
        "admin", elsewhere=LEDGER + "test_witnesses_are_listed_with_their_keys"
    ),
    "POST /api/v1/ledger/witnesses": Scoped(
        "admin", elsewhere=LEDGER + "test_a_bad_or_duplicate_witness_key_is_refused"
    ),
    "GET /api/v1/ledger/key": Scoped(
        "admin", elsewhere=LEDGER + "test_the_public_key_is_published_without_signing_in"
    ),
    # --- pages and other routes -------------------------------------------------------------------------
    "api/v1/openapi.json": Public("the API describes itself"),
    "api/v1/docs": Public("the API's documentation"),
    "api/v1/": Public("the API root (its operations are listed above)"),
    "open311/v2/...": Public("Open311: public reads reduced; writes need an api_key (tests/open311)"),
    ".well-known/onegrid-ledger-key": Public("the log's public key is published"),
    "i18n/setlang/": Public("choosing the language"),
    "": Public("the home page"),
    "healthz": Public("the health check"),
    "login/": Public("signing in"),
    "logout/": Public("signing out"),
    "portal/": Public("the resident portal works without an account"),
    "portal/report/": Public("reporting works without an account"),
    "portal/reported/": Public("the receipt of one's own report, from the session"),
    "portal/follow/": Public("following needs the number and its code (tests/web/test_portal.py)"),
    "portal/mine/": Personal(),
    "portal/net.geojson": Public("grid outlines, codes and names only, to place a pin"),
    "portal/m/<str:number>/": Public("needs the number and its code, or the reporter's account"),
    "portal/m/<str:number>/rate": Public("needs the number and its code, or the reporter's account"),
    "portal/m/<str:number>/rating-link": Public("needs the number and its code, or the reporter's account"),
    "r/<str:token>": Public("the one-time link is the credential"),
    "field/": Scoped("gridworker", elsewhere=FIELD),
    "field/grids.geojson": Scoped("gridworker", elsewhere=FIELD),
    "field/tasks/": Scoped("gridworker", elsewhere=FIELD),
    "field/tasks/<str:number>/": Scoped("gridworker", elsewhere=FIELD),
    "field/tasks/<str:number>/verify": Scoped("gridworker", elsewhere=FIELD),
    "field/patrol/": Scoped("gridworker", elsewhere=FIELD),
    "field/report/": Scoped("gridworker", elsewhere=FIELD),
    "field/manifest.webmanifest": Public("the installable app's manifest"),
    "field/sw.js": Public("the installable app's service worker"),
    "areas/": Scoped(),
    "areas/<str:code>/": Scoped(),
    "areas/<str:code>/children.geojson": Scoped(),
    "audit/": Scoped(
        "auditor", elsewhere="tests/audit/test_trail.py::test_auditors_search_within_their_scope"
    ),
    "centre/": Scoped(),
    "centre/queue/new": Scoped(),
    "centre/map/": Scoped(),
    "centre/map/grids.geojson": Scoped(),
    "centre/map/clusters.json": Scoped(),
    "centre/dashboard/": Scoped(),
    "centre/dashboard/data.json": Scoped(),
    "centre/dashboard/<str:code>/": Scoped(),
    "centre/dashboard/<str:code>/data.json": Scoped(),
    "centre/screen/": Scoped(),
    "centre/matters/<str:number>/": Scoped(),
    "centre/matters/<str:number>/do/<str:action>/": Scoped(elsewhere=CENTRE),
    "centre/matters/<str:number>/reveal/<str:field>/": Scoped(elsewhere=CENTRE),
    "centre/inbox/": Scoped(elsewhere=CENTRE),
    "centre/inbox/read-all/": Scoped(elsewhere=CENTRE),
    "centre/inbox/<int:notification_id>/read/": Scoped(elsewhere=CENTRE),
}


def api_routes() -> list[str]:
    schema = api.get_openapi_schema()
    return [f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops]


def page_routes() -> list[str]:
    def walk(patterns: list[Any], prefix: str = "") -> list[str]:
        found: list[str] = []
        for p in patterns:
            if isinstance(p, URLResolver):
                found += walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append(prefix + str(p.pattern))
        return found

    routes = []
    for route in walk(get_resolver().url_patterns):
        if route.startswith("admin/") or (
            route.startswith("api/v1/")
            and route != "api/v1/"
            and "docs" not in route
            and "openapi" not in route
        ):
            continue
        routes.append("open311/v2/..." if route.startswith("open311/") else route)
    return sorted(set(routes))


def test_every_route_has_its_row_in_the_matrix() -> None:
    routes = api_routes() + page_routes()
    assert [r for r in routes if r not in MATRIX] == [], "add these routes to MATRIX"
    assert [r for r in MATRIX if r not in routes] == [], "these rows name no route any more"


def test_every_test_named_by_the_matrix_exists() -> None:
    for rule in MATRIX.values():
        if not isinstance(rule, Scoped) or not rule.elsewhere:
            continue
        file, _, name = rule.elsewhere.partition("::")
        tree = ast.parse((REPO / file).read_text())
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert not name or name in names, rule.elsewhere


# --- trying the rows ------------------------------------------------------------------------------------


@pytest.fixture
def world(net: Net, people: dict[str, Any]) -> dict[str, str]:
    def matter(lon: float, lat: float) -> str:
        report = intake.Report(channel="hotline_12345", category="garbage", title="矩阵", lon=lon, lat=lat)
        return intake.receive(actor=people["county"], report=report)[0].number

    return {
        "inside": matter(120.1, 30.5),
        "outside": matter(120.6, 30.5),
        "area_inside": net.grid_a1.code,
        "area_outside": net.grid_b1.code,
    }


PARAM = re.compile(r"\{(\w+)\}|<(?:\w+:)?(\w+)>")


def fill(route: str, number: str, code: str) -> str | None:
    """The route with its object filled in, or None when it names anything but a matter or an area."""
    method_path = route.split(" ", 1)[-1]
    names = {a or b for a, b in PARAM.findall(method_path)}
    if names - {"number", "code"}:
        return None
    path = PARAM.sub(lambda m: number if (m.group(1) or m.group(2)) == "number" else code, method_path)
    return path if path.startswith("/") else "/" + path


def send(client: Client, route: str, path: str) -> int:
    method = route.split(" ", 1)[0] if " " in route else "GET"
    if method == "GET":
        status = client.get(path).status_code
        if status != 405 or " " in route:
            return status
        method = "POST"  # a page that only takes forms
    call = getattr(client, method.lower())
    return int(call(path, data="{}", content_type="application/json").status_code)


def is_api(route: str) -> bool:
    return " " in route


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: r or "home")
def test_the_matrix_holds(route: str, world: dict[str, str], client_as: Any) -> None:
    rule = MATRIX[route]
    probe = fill(route, world["inside"], world["area_inside"])
    if probe is None:
        pytest.skip(f"tried in {getattr(rule, 'elsewhere', '') or 'its own tests'}")
    if route.startswith("open311"):
        pytest.skip("tried in tests/open311")
    if route in ("logout/", "i18n/setlang/"):
        return
    anonymous = send(client_as(None), route, probe)
    if isinstance(rule, Public):
        assert anonymous not in (401, 403), anonymous
        assert anonymous < 500, anonymous
        return
    if is_api(route):
        assert anonymous == 401
    else:
        assert anonymous in (302, 401, 403)
    nobody = send(client_as("nobody"), route, probe)
    if isinstance(rule, Personal):
        assert nobody < 500
        assert nobody not in (401, 403)
        return
    # an incomplete request (the empty body, missing parameters) is refused before the permission is
    # looked at: a 422 tells nothing about any area either
    assert nobody in (403, 404, 422), nobody
    if rule.elsewhere:
        return  # the holder's rows are tried in the test the matrix names
    holder = client_as(rule.holder)
    inside = send(holder, route, probe)
    assert inside not in (401, 403, 404), inside
    assert inside < 500, inside
    outside_probe = fill(route, world["outside"], world["area_outside"])
    if rule.holder != "township" or outside_probe is None or outside_probe == probe:
        return
    events, records = Event.objects.count(), AuditRecord.objects.count()
    outside = send(client_as("township"), route, outside_probe)
    assert outside == 404, outside
    assert (Event.objects.count(), AuditRecord.objects.count()) == (events, records)
    assert Matter.objects.filter(number=world["outside"]).values_list("status", flat=True)[0] == "received"
