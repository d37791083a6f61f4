"""The net's invariants hold on every write, and a bad batch writes nothing."""

from __future__ import annotations

import pytest
from tests.factories import Net, area_input, square

from onegrid.access import services as access
from onegrid.access.models import ApiToken, Grant, Organisation
from onegrid.areas import services
from onegrid.areas.inputs import AreaInput
from onegrid.areas.levels import Level
from onegrid.areas.models import Area
from onegrid.audit.models import AuditRecord
from onegrid.audit.registry import snapshot
from onegrid.kit.errors import Conflict, Invalid

pytestmark = pytest.mark.django_db


def test_the_net_is_built_with_paths_bbox_and_centroids(net: Net) -> None:
    grid = Area.objects.get(code="330122001001002")
    assert grid.path == "/330000/330100/330122/330122001/330122001001/330122001001002/"
    assert grid.bbox == (120.25, 30.0, 120.5, 31.0)
    assert (grid.centroid_lon, grid.centroid_lat) == pytest.approx((120.375, 30.5))
    assert [a.code for a in Area.objects.filter(path__startswith=net.township_b.path)] == [
        "330122002",
        "330122002001",
        "330122002001001",
        "330122002001002",
    ]


def test_every_create_is_audited_in_the_same_transaction(net: Net) -> None:
    assert AuditRecord.objects.filter(action="areas.create").count() == Area.objects.count()


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            area_input("330122001001003", Level.VILLAGE, "330122001", (120.0, 30.0, 120.1, 30.1)),
            "code",
            "12 digits",
        ),
        (
            area_input("330122003001", Level.VILLAGE, "330122001", (120.0, 30.0, 120.1, 30.1)),
            "code",
            "must start with 330122001",
        ),
        (
            area_input("330122001001", Level.GRID, "330122001", (120.0, 30.0, 120.1, 30.1)),
            "code",
            "15 digits",
        ),
        (
            area_input("330122001002", Level.VILLAGE, "330122", (120.0, 30.0, 120.1, 30.1)),
            "parent_code",
            "is not a township code",
        ),
        (
            area_input("330122001002", Level.VILLAGE, "330122999", (120.0, 30.0, 120.1, 30.1)),
            "code",
            "must start with 330122999",
        ),
        (
            area_input("330122002001003", Level.GRID, "330122002001", (120.6, 30.0, 120.8, 30.5)),
            "geometry",
            "overlaps a sibling already in the net",
        ),
        (area_input("330100", Level.PROVINCE, None, (120.0, 30.0, 121.0, 31.0)), "code", "ends in 0000"),
    ],
)
def test_a_broken_invariant_is_refused_and_nothing_is_written(
    net: Net, data: AreaInput, field: str, words: str
) -> None:
    before = (Area.objects.count(), AuditRecord.objects.count())
    with pytest.raises(Invalid) as caught:
        services.create(actor=None, data=data)
    assert caught.value.field == field
    assert words in caught.value.message
    assert (Area.objects.count(), AuditRecord.objects.count()) == before


def test_a_child_must_be_exactly_one_level_below_its_parent(net: Net) -> None:
    county_under_province = area_input("330023", Level.COUNTY, "330000", (121.5, 30.0, 121.6, 30.1))
    result = services.write_batch(actor=None, inputs=[county_under_province], permission="areas.add")
    assert [(e.field, "exactly one level below" in e.reason) for e in result.errors] == [("level", True)]


def test_a_grid_code_under_a_township_code_is_refused(net: Net) -> None:
    grid = area_input("330122001900001", Level.GRID, "330122001", (120.0, 30.0, 120.1, 30.1))
    result = services.write_batch(actor=None, inputs=[grid], permission="areas.add")
    assert [(e.field, e.reason) for e in result.errors] == [
        ("parent_code", "parent 330122001 is not a village code")
    ]


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[120, 30], [120.1, 30.1], [120.1, 30], [120, 30.1], [120, 30]]],
            },
            "not valid",
        ),
        ({"type": "Point", "coordinates": [120, 30]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[120, 30], [200, 30], [120, 31], [120, 30]]]}, "outside"),
        ({"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [120, 31]]]}, "at least 4 positions"),
        (
            {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [121, 31], [120, 31], [120, 30.5]]]},
            "first and last",
        ),
        ({"type": "MultiPolygon", "coordinates": []}, "at least one polygon"),
        ({"type": "Polygon", "coordinates": [[["a", 30], [121, 30], [121, 31], [120, 30]]]}, "finite number"),
    ],
)
def test_bad_geometry_is_refused_with_the_reason(net: Net, geometry: dict, words: str) -> None:
    data = area_input("330122001002", Level.VILLAGE, "330122001", (120.0, 30.0, 120.1, 30.1))
    data.geometry = geometry
    with pytest.raises(Invalid) as caught:
        services.create(actor=None, data=data)
    assert caught.value.field == "geometry"
    assert words in caught.value.message


def test_moving_an_area_rewrites_its_subtree_paths_and_codes(net: Net) -> None:
    village = Area.objects.get(code="330122001001")
    moved = services.move(actor=None, area=village, parent=net.township_b, new_code="330122002002")
    assert moved.path == "/330000/330100/330122/330122002/330122002002/"
    grids = Area.objects.filter(parent=moved).order_by("code")
    assert [(g.code, g.path) for g in grids] == [
        ("330122002002001", "/330000/330100/330122/330122002/330122002002/330122002002001/"),
        ("330122002002002", "/330000/330100/330122/330122002/330122002002/330122002002002/"),
    ]
    assert AuditRecord.objects.filter(action="areas.move", object_id=str(village.pk)).exists()


def test_moving_without_a_new_code_where_the_standard_ties_codes_is_refused(net: Net) -> None:
    village = Area.objects.get(code="330122001001")
    with pytest.raises(Invalid) as caught:
        services.move(actor=None, area=village, parent=net.township_b)
    assert "new_code" in caught.value.message
    assert Area.objects.get(pk=village.pk).path.startswith(net.township_a.path)


def test_an_area_cannot_move_to_a_parent_of_the_wrong_level(net: Net) -> None:
    with pytest.raises(Invalid):
        services.move(actor=None, area=net.grid_a1, parent=net.township_b)


def test_deleting_an_area_with_children_is_a_conflict(net: Net) -> None:
    with pytest.raises(Conflict):
        services.delete(actor=None, area=net.township_a)
    services.delete(actor=None, area=net.grid_a1)
    assert not Area.objects.filter(code=net.grid_a1.code).exists()


def test_updating_a_boundary_checks_it_again(net: Net) -> None:
    with pytest.raises(Invalid):
        services.update(actor=None, area=net.grid_a1, changes={"geometry": square(120.0, 30.0, 120.4, 31.0)})
    services.update(actor=None, area=net.grid_a1, changes={"name": "新名字", "population": 5})
    assert Area.objects.get(pk=net.grid_a1.pk).name == "新名字"


def test_moving_an_area_rewrites_the_paths_of_grants_organisations_and_tokens(people: dict, net: Net) -> None:
    village = Area.objects.get(code="330122001001")
    grid = Area.objects.get(code="330122001001002")
    org = Organisation.objects.create(
        code="st", name="站", kind="grid_station", area=grid, area_path=grid.path
    )
    access.grant(actor=None, role=people["gridworker"].grants.first().role, area=grid, organisation=org)
    token, _ = access.create_token(
        actor=None, user=people["county"], name="t", permissions=["areas.view"], area=grid
    )
    services.move(actor=None, area=village, parent=net.township_b, new_code="330122002002")
    moved = Area.objects.get(pk=grid.pk)
    assert moved.code == "330122002002002"
    assert Organisation.objects.get(pk=org.pk).area_path == moved.path
    assert set(Grant.objects.filter(area=grid).values_list("area_path", flat=True)) == {moved.path}
    assert ApiToken.objects.get(pk=token.pk).area_path == moved.path


def test_the_bulk_creation_record_equals_a_snapshot_of_the_stored_row(net: Net) -> None:
    for area in Area.objects.all():
        record = AuditRecord.objects.get(action="areas.create", object_id=str(area.pk))
        assert record.after == snapshot(area) | {
            "created_at": record.after["created_at"],
            "updated_at": record.after["updated_at"],
        }


def test_a_code_taken_between_check_and_write_is_a_conflict(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.update(actor=None, area=net.grid_a1, changes={"geometry": square(120.0, 30.5, 120.25, 31.0)})
    data = area_input("330122001001003", Level.GRID, "330122001001", (120.0, 30.0, 120.25, 30.5))
    real_check = services.check_batch

    def check_then_race(*args: object, **kwargs: object) -> object:
        checked = real_check(*args, **kwargs)
        Area.objects.filter(pk=net.grid_b1.pk).update(code="330122001001003")  # another writer takes the code
        return checked

    monkeypatch.setattr(services, "check_batch", check_then_race)
    before = Area.objects.count()
    with pytest.raises(Conflict):
        services.write_batch(actor=None, inputs=[data], permission="areas.add")
    assert Area.objects.count() == before
