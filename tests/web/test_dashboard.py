"""The dashboards and the big screen through Django's test client: what they count, scope (a township
sees its township; an area outside is 404), the drill-down links, the period, the JSON the big screen
fetches, refusals, and the query budgets."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.factories import Net
from tests.matters import conftest as matters_conftest
from tests.matters.conftest import Desk
from tests.web.portal_flow import close
from tests.web.test_centre_views import receive

from onegrid.matters import feedback
from onegrid.matters.models import Matter

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]
desk = matters_conftest.desk


@pytest.fixture
def matters(people: dict[str, Any], desk: Desk) -> dict[str, list[Matter]]:
    """Three matters in township a (one closed and rated 5), one in township b (overdue)."""
    west = [receive(people["county"], title=f"城南{i}", lon=120.1) for i in range(3)]
    east = [receive(people["county"], title="旧县井盖缺失", lon=120.9, channel="grid_patrol")]
    close(west[0], desk, people)
    feedback.rate_with_token(token=feedback.issue_token(west[0]), score=5)
    Matter.objects.filter(pk=east[0].pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    return {"west": west, "east": east}


def data(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


def test_the_county_dashboard_counts_every_matter_of_the_period(
    client_as: ClientAs, net: Net, matters: Any
) -> None:
    board = data(client_as("county"), "/centre/dashboard/data.json")
    figures = board["figures"]
    assert (figures["total"], figures["open"], figures["overdue"], figures["closed"]) == (4, 3, 1, 1)
    assert figures["satisfaction_rate"] == 1.0
    assert {c["key"]: c["n"] for c in board["channels"]} == {"hotline_12345": 3, "grid_patrol": 1}
    assert sum(d["n"] for d in board["days"]) == 4
    assert len(board["days"]) == 30
    # a county operator's scope is the county: its children are the two townships, largest first
    assert [(c["code"], c["total"]) for c in board["children"]] == [("330122001", 3), ("330122002", 1)]
    assert board["children"][0]["url"].startswith("/centre/dashboard/330122001/?days=30")
    assert [c["label"] for c in board["crumbs"]][:1] == ["整个辖区"]


def test_a_township_operator_sees_only_their_townships_figures(
    client_as: ClientAs, net: Net, matters: Any
) -> None:
    township = client_as("township")
    board = data(township, "/centre/dashboard/data.json")
    assert (board["figures"]["total"], board["figures"]["overdue"]) == (3, 0)
    assert [c["code"] for c in board["children"]] == ["330122001001"]  # their village
    page = township.get("/centre/dashboard/").content.decode()
    assert "旧县" not in page
    assert "330122002" not in page


def test_drilling_down_reaches_the_grid_and_outside_the_scope_is_404(
    client_as: ClientAs, net: Net, matters: Any
) -> None:
    township = client_as("township")
    village = data(township, "/centre/dashboard/330122001001/data.json")
    assert [c["code"] for c in village["children"]] == [net.grid_a1.code]
    grid = data(township, f"/centre/dashboard/{net.grid_a1.code}/data.json")
    assert grid["figures"]["total"] == 3
    assert grid["children"] == []
    labels = [c["label"] for c in grid["crumbs"]]
    assert labels == ["整个辖区", "城南街道", "青山村", "青山村第1网格"]  # none above the grant
    assert township.get("/centre/dashboard/330122002/").status_code == 404
    assert township.get("/centre/dashboard/330122002/data.json").status_code == 404
    assert township.get("/centre/dashboard/330122/").status_code == 404  # the county is above the grant
    assert township.get("/centre/screen/?area=330122002").status_code == 404
    assert township.get("/centre/dashboard/no-such-area/").status_code == 404


def test_the_page_renders_figures_tables_exports_and_drill_links(
    client_as: ClientAs, net: Net, matters: Any
) -> None:
    html = client_as("county").get("/centre/dashboard/?days=7").content.decode()
    assert 'data-figure="total">4<' in html
    assert 'data-figure="overdue">1<' in html
    assert 'href="/centre/dashboard/330122001/?days=7"' in html
    assert "/api/v1/matters/stats/by/children/export?" in html
    assert "format=xlsx" in html
    assert 'id="board-data"' in html
    assert 'aria-current="true"' in html
    assert 'href="/centre/dashboard/"' in html  # the nav entry


def test_the_export_links_answer_with_the_file(client_as: ClientAs, net: Net, matters: Any) -> None:
    client = client_as("county")
    board = data(client, "/centre/dashboard/330122001/data.json")
    children = next(e for e in board["exports"] if "/by/children/" in e["csv"])
    response = client.get(children["csv"])
    assert response.status_code == 200
    assert "330122001001" in response.content.decode("utf-8-sig")


def test_a_custom_period_counts_only_its_days(client_as: ClientAs, net: Net, matters: Any) -> None:
    client = client_as("county")
    today = timezone.localdate()
    board = data(client, f"/centre/dashboard/data.json?since={today}&until={today}")
    assert board["figures"]["total"] == 4
    assert board["period"]["days"] == 0
    yesterday = today - dt.timedelta(days=1)
    board = data(client, f"/centre/dashboard/data.json?since={yesterday}&until={yesterday}")
    assert board["figures"]["total"] == 0
    assert board["children"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2026-02-10&until=2026-02-01", "until"),
        ("since=yesterday", "since"),
        ("days=12", "days"),
        ("since=2000-01-01&until=2026-01-01", "since"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(
    client_as: ClientAs, net: Net, matters: Any, query: str, field: str
) -> None:
    client = client_as("county")
    response = client.get(f"/centre/dashboard/data.json?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert client.get(f"/centre/dashboard/?{query}").status_code == 400
    assert client.get(f"/centre/screen/?{query}").status_code == 400


def test_who_may_see_the_dashboards(client_as: ClientAs, net: Net, matters: Any) -> None:
    assert client_as(None).get("/centre/dashboard/").status_code == 302
    assert client_as("resident").get("/centre/dashboard/").status_code == 403
    # a grid worker sees matters but not statistics: no dashboard, and no nav entry to one
    grid_worker = client_as("gridworker")
    assert grid_worker.get("/centre/dashboard/data.json").status_code == 403
    assert grid_worker.get("/centre/screen/").status_code == 403
    assert "/centre/dashboard/" not in grid_worker.get("/centre/").content.decode()


def test_the_big_screen_names_what_it_refreshes(client_as: ClientAs, net: Net, matters: Any) -> None:
    html = client_as("county").get("/centre/screen/?area=330122001&days=365").content.decode()
    assert 'data-url="/centre/dashboard/330122001/data.json?days=365"' in html
    assert 'data-figure="total">3<' in html
    assert 'id="fullscreen"' in html


def test_the_dashboards_keep_to_their_query_budget(
    client_as: ClientAs, net: Net, people: dict[str, Any], desk: Desk, django_assert_max_num_queries: Any
) -> None:
    for i in range(40):
        receive(people["county"], title=f"事件{i}", lon=120.1 if i % 2 else 120.9, category="garbage")
    for name, area in (("county", ""), ("county", "330122001/"), ("township", ""), ("admin", "")):
        client = client_as(name)
        for url in (f"/centre/dashboard/{area}", f"/centre/dashboard/{area}data.json"):
            with django_assert_max_num_queries(20):
                assert client.get(url).status_code == 200
    township = client_as("township")
    with django_assert_max_num_queries(20):
        assert township.get(f"/centre/dashboard/{net.grid_a1.code}/").status_code == 200
