"""/api/v1/areas as residents, grid workers, operators and integrators use it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.factories import Net, square

from onegrid.areas.locator import locator
from onegrid.areas.models import Area
from onegrid.audit.models import AuditRecord

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]


@pytest.fixture(autouse=True)
def fresh_index() -> None:
    locator.reset()


def items(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [a["code"] for a in response.json()["items"]]


def test_a_grid_worker_lists_only_their_grid(client_as: ClientAs, net: Net) -> None:
    assert items(client_as("gridworker").get("/api/v1/areas/")) == [net.grid_a1.code]


def test_a_township_operator_filters_by_level_within_scope(client_as: ClientAs) -> None:
    listed = items(client_as("township").get("/api/v1/areas/?level=grid"))
    assert listed == ["330122001001001", "330122001001002"]


def test_scope_matrix_for_getting_an_area(client_as: ClientAs, net: Net) -> None:
    url = f"/api/v1/areas/{net.grid_b1.code}"
    assert client_as(None).get(url).status_code == 401
    assert client_as("nobody").get(url).status_code == 403
    assert client_as("gridworker").get(url).status_code == 404
    got = client_as("township_b").get(url)
    assert got.status_code == 200
    body = got.json()
    assert body["geometry"]["type"] == "Polygon"
    assert [a["code"] for a in body["ancestors"]] == [
        "330000",
        "330100",
        "330122",
        "330122002",
        "330122002001",
    ]


def test_locate_returns_the_grid_and_its_ancestors(client_as: ClientAs, net: Net) -> None:
    response = client_as("resident").get("/api/v1/areas/locate?lon=120.6&lat=30.5")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["grid"]["code"] == net.grid_b1.code
    assert [a["code"] for a in body["ancestors"]] == [
        "330000",
        "330100",
        "330122",
        "330122002",
        "330122002001",
    ]


def test_locate_converts_chinese_map_coordinates(client_as: ClientAs, net: Net) -> None:
    # A GCJ-02 point is shifted by a few hundred metres from WGS-84; the grid split at 120.75 is far away.
    response = client_as("resident").get("/api/v1/areas/locate?lon=120.6&lat=30.5&crs=gcj02")
    assert response.json()["grid"]["code"] == net.grid_b1.code
    assert response.json()["crs"] == "gcj02"


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("lon=190&lat=30", 422, "lon"),
        ("lon=120&lat=-91", 422, "lat"),
        ("lon=abc&lat=30", 422, "lon"),
        ("lon=120", 422, "lat"),
        ("lon=nan&lat=30", 422, "lon"),
    ],
)
def test_locate_rejects_bad_coordinates_naming_the_field(
    client_as: ClientAs, net: Net, query: str, status: int, field: str
) -> None:
    response = client_as("resident").get(f"/api/v1/areas/locate?{query}")
    assert response.status_code == status
    assert field in json.dumps(response.json())


def test_locate_rejects_an_unknown_crs_listing_the_accepted_ones(client_as: ClientAs, net: Net) -> None:
    response = client_as("resident").get("/api/v1/areas/locate?lon=120.6&lat=30.5&crs=utm50")
    assert response.status_code == 422
    text = json.dumps(response.json())
    assert all(name in text for name in ("wgs84", "gcj02", "bd09"))


def test_a_point_in_no_grid_is_404_saying_so(client_as: ClientAs, net: Net) -> None:
    response = client_as("resident").get("/api/v1/areas/locate?lon=100&lat=30")
    assert response.status_code == 404
    assert "no grid" in response.json()["detail"]


def test_batch_locate(client_as: ClientAs, net: Net) -> None:
    body = {"lon": [120.1, 120.9, 100.0], "lat": [30.5, 30.5, 30.0]}
    response = client_as("resident").post("/api/v1/areas/locate", body, content_type="application/json")
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["grids"] == [net.grid_a1.code, "330122002001002", None]
    assert (out["located"], out["count"]) == (2, 3)
    assert out["areas"][net.grid_a1.code]["level"] == "grid"


def test_batch_locate_rejects_unpaired_or_bad_values(client_as: ClientAs, net: Net) -> None:
    post = client_as("resident").post
    unpaired = post(
        "/api/v1/areas/locate", {"lon": [120.1], "lat": [30.5, 30.6]}, content_type="application/json"
    )
    assert unpaired.status_code == 422
    bad = post(
        "/api/v1/areas/locate", {"lon": [120.1, 500], "lat": [30.5, 30.6]}, content_type="application/json"
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "lon[1]")
    typed = post("/api/v1/areas/locate", {"lon": ["120.1"], "lat": [30.5]}, content_type="application/json")
    assert typed.status_code == 422


def test_the_index_sees_new_grids_without_a_restart(client_as: ClientAs, net: Net) -> None:
    client = client_as("admin")
    assert client.get("/api/v1/areas/locate?lon=120.1&lat=30.5").json()["grid"]["code"] == net.grid_a1.code
    new = {
        "code": "330122001001003",
        "name": "新网格",
        "level": "grid",
        "parent_code": "330122001001",
        "geometry": square(120.0, 30.0, 120.25, 30.5),
    }
    # the new grid overlaps grid a1, so shrink a1 first
    shrink = client.patch(
        f"/api/v1/areas/{net.grid_a1.code}",
        {"geometry": square(120.0, 30.5, 120.25, 31.0)},
        content_type="application/json",
    )
    assert shrink.status_code == 200, shrink.content
    created = client.post("/api/v1/areas/", new, content_type="application/json")
    assert created.status_code == 201, created.content
    locator._checked = 0.0  # the next lookup checks the revision at once instead of within a second
    assert client.get("/api/v1/areas/locate?lon=120.1&lat=30.2").json()["grid"]["code"] == "330122001001003"


def test_import_reports_every_bad_feature_and_writes_nothing(client_as: ClientAs, net: Net) -> None:
    overlapping = {
        "type": "Feature",
        "geometry": square(120.0, 30.0, 120.1, 30.1),
        "properties": {
            "code": "330122001002",
            "name": "新村",
            "level": "village",
            "parent_code": "330122001",
        },
    }
    bad_level = {
        "type": "Feature",
        "geometry": square(120.0, 30.0, 120.1, 30.1),
        "properties": {"code": "330122001003", "name": "x", "level": "hamlet", "parent_code": "330122001"},
    }
    no_geometry = {
        "type": "Feature",
        "geometry": None,
        "properties": {"code": "330122001004", "name": "y", "level": "village"},
    }
    document = {"type": "FeatureCollection", "features": [overlapping, bad_level, no_geometry]}
    before = (Area.objects.count(), AuditRecord.objects.count())
    response = client_as("manager").post("/api/v1/areas/import", document, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(0, "geometry"), (1, "level"), (2, "geometry")]
    assert "overlaps a sibling already in the net" in errors[0]["reason"]
    assert (Area.objects.count(), AuditRecord.objects.count()) == before


def test_import_rejects_malformed_json(client_as: ClientAs, net: Net) -> None:
    response = client_as("manager").post("/api/v1/areas/import", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_import_then_export_round_trips(client_as: ClientAs, net: Net) -> None:
    feature = {
        "type": "Feature",
        "geometry": square(120.0, 30.0, 120.1, 30.1),
        "properties": {
            "code": "330122001002",
            "name": "新村",
            "name_en": "Xin Village",
            "level": "village",
            "parent_code": "330122001",
            "population": 300,
        },
    }
    bad_overlap = client_as("manager").post(
        "/api/v1/areas/import",
        {"type": "FeatureCollection", "features": [feature]},
        content_type="application/json",
    )
    assert bad_overlap.status_code == 400  # overlaps village 330122001001, which covers the township
    client = client_as("manager")
    client.patch(
        "/api/v1/areas/330122001001",
        {"geometry": square(120.0, 30.1, 120.5, 31.0)},
        content_type="application/json",
    )
    ok = client.post(
        "/api/v1/areas/import",
        {"type": "FeatureCollection", "features": [feature]},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json() == {"created": 1, "updated": 0}
    exported = b"".join(client.get("/api/v1/areas/export?root=330122001002").streaming_content)
    collection = json.loads(exported)
    assert collection["type"] == "FeatureCollection"
    assert collection["features"][0]["properties"] | {} == feature["properties"] | {
        "kind": "administrative",
        "households": None,
    }


def test_writes_outside_the_writers_scope_are_rejected_and_nothing_kept(
    client_as: ClientAs, net: Net
) -> None:
    outsider = {
        "code": "330122002002",
        "name": "越权村",
        "level": "village",
        "parent_code": "330122002",
        "geometry": square(120.5, 30.0, 120.6, 30.1),
    }
    # township operators cannot add at all; managers of another subtree get 404 for the parent
    assert (
        client_as("township").post("/api/v1/areas/", outsider, content_type="application/json").status_code
        == 403
    )
    before = Area.objects.count()
    from_grant = client_as("manager")
    assert (
        from_grant.post(
            "/api/v1/areas/", outsider | {"parent_code": "330122999"}, content_type="application/json"
        ).status_code
        == 422
    )
    assert Area.objects.count() == before


def test_a_body_over_the_limit_is_413(client_as: ClientAs, net: Net, settings: Any) -> None:
    settings.MAX_BODY_BYTES = 1000
    response = client_as("resident").post(
        "/api/v1/areas/locate", {"lon": [120.0] * 500, "lat": [30.0] * 500}, content_type="application/json"
    )
    assert response.status_code == 413


def test_move_through_the_api(client_as: ClientAs, net: Net) -> None:
    response = client_as("manager").post(
        "/api/v1/areas/330122001001/move",
        {"parent_code": "330122002", "new_code": "330122002002"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["path"] == "/330000/330100/330122/330122002/330122002002/"
