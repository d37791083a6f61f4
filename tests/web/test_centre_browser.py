"""The command centre in a real browser: the live queue, a matter from intake to resolved through the
forms, scope, the map, and Chinese text.

The net (tests/factories.py) is four grids in two townships of one county: lon 120.1 lies in
township a's first grid, lon 120.9 in township b's second.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from playwright.sync_api import BrowserContext, Page, expect
from tests.factories import Net
from tests.matters import conftest as matters_conftest
from tests.matters.conftest import Desk
from tests.web.test_centre_views import receive

from onegrid.kit.models import WorkCalendar
from onegrid.matters.models import Matter

pytestmark = pytest.mark.browser
desk = matters_conftest.desk
SignIn = Callable[[str], Page]


@pytest.fixture(autouse=True)
def categories(transactional_db: None) -> None:
    """Browser tests run on a live server whose database is flushed after each test; the calendars and
    categories that data migrations seed are put back by the same migration code."""
    if not WorkCalendar.objects.exists():
        importlib.import_module("onegrid.kit.migrations.0002_seed_calendars").seed(apps, None)
    importlib.import_module("onegrid.matters.migrations.0002_seed").seed(apps, None)


@pytest.fixture
def quick_poll(settings: Any) -> None:
    settings.CENTRE_POLL_SECONDS = 1


def test_an_operator_sees_a_new_matter_arrive_and_takes_it_to_resolved_with_the_handler(
    sign_in: SignIn,
    site: str,
    context: BrowserContext,
    people: dict[str, Any],
    desk: Desk,
    quick_poll: None,
) -> None:
    receive(people["county"], title="城南路灯不亮")
    page = sign_in("county")
    page.get_by_role("link", name="指挥中心").click()
    expect(page).to_have_url(f"{site}/centre/")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(1)
    expect(page.locator("#queue-counts .total")).to_contain_text("1")

    arrived = receive(people["county"], title="小区门口垃圾无人清运", lon=120.9)
    fresh = page.locator(f"#m-{arrived.number}")
    expect(fresh).to_be_visible(timeout=8000)  # polled in, no reload
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("id", f"m-{arrived.number}")
    expect(page.locator("#queue-counts .total")).to_contain_text("2")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    fresh.get_by_role("link", name=arrived.number).click()
    expect(page).to_have_url(f"{site}/centre/matters/{arrived.number}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("小区门口垃圾无人清运")
    expect(page.locator("#matter-status")).to_have_text("已受理")
    expect(page.locator("#matter-map[data-drawn]")).to_have_count(1)
    actions = page.locator(".actions details.action")
    assert "受理" not in [
        s.strip() for s in actions.locator("summary").all_inner_texts()
    ]  # accept: handler's

    page.locator("details[data-action=register] summary").click()
    page.locator("details[data-action=register]").get_by_role("button", name="立案").click()
    expect(page.locator(".flash")).to_contain_text("立案")
    expect(page.locator("#matter-status")).to_have_text("已立案")

    dispatch = page.locator("details[data-action=dispatch]")
    dispatch.locator("summary").click()
    expect(dispatch.locator(".suggested")).to_contain_text("县城市管理局")
    dispatch.get_by_label("承办单位").select_option(desk.county_centre.code)
    dispatch.get_by_role("button", name="派遣").click()
    # Overriding the routing rules without a reason: the form says so and nothing changed.
    dispatch = page.locator("details[data-action=dispatch]")
    expect(dispatch).to_have_attribute("open", "")
    expect(dispatch.locator(".field-error")).to_contain_text("routing rules")
    expect(page.locator("#matter-status")).to_have_text("已立案")
    dispatch.get_by_label("承办单位").select_option(desk.department.code)
    dispatch.get_by_role("button", name="派遣").click()
    expect(page.locator("#matter-status")).to_have_text("已派遣")
    expect(page.locator("#matter-owner")).to_have_text("县城市管理局")

    context.clear_cookies()
    page = sign_in("handler")
    page.goto(f"{site}/centre/inbox/")
    expect(page.locator("#notifications")).to_contain_text(arrived.number)
    page.locator("#notifications").get_by_role("button", name=re.compile(arrived.number)).click()
    expect(page).to_have_url(f"{site}/centre/matters/{arrived.number}/")
    summaries = page.locator(".actions details.action summary")
    expect(summaries).to_have_text(["签收", "退回"])
    page.locator("details[data-action=accept]").locator("summary").click()
    page.locator("details[data-action=accept]").get_by_role("button", name="签收").click()
    expect(page.locator("#matter-status")).to_have_text("已签收")
    resolve = page.locator("details[data-action=resolve]")
    resolve.locator("summary").click()
    resolve.get_by_label("给工作人员的备注").fill("已清运完毕")
    resolve.get_by_role("button", name="办结").click()
    expect(page.locator("#matter-status")).to_have_text("已办结")
    expect(page.locator("#timeline-full")).to_contain_text("已清运完毕")
    page.get_by_text("简明时间线").click()
    expect(page.locator("#timeline-plain")).to_contain_text("办理单位报告问题已解决")
    assert Matter.objects.get(pk=arrived.pk).status == "resolved"


def test_a_township_operator_never_sees_a_matter_of_another_township(
    sign_in: SignIn, site: str, people: dict[str, Any], desk: Desk, net: Net
) -> None:
    ours = receive(people["county"], title="城南路灯不亮", lon=120.1)
    theirs = receive(people["county"], title="旧县井盖缺失", lon=120.9)
    page = sign_in("township")
    page.goto(f"{site}/centre/")
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    expect(page.locator("#queue-rows")).to_contain_text(ours.number)
    expect(page.get_by_text("旧县井盖缺失")).to_have_count(0)
    page.get_by_label("查询").fill("井盖")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#queue-empty")).to_be_visible()

    response = page.goto(f"{site}/centre/matters/{theirs.number}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_text("旧县井盖缺失")).to_have_count(0)

    page.goto(f"{site}/centre/map/")
    expect(page.locator("#centre-map[data-markers]")).to_have_count(1)
    assert page.locator("#centre-map").get_attribute("data-grids-drawn") == "2"
    expect(page.locator(".matter-marker")).to_have_count(1)
    page.locator(".matter-marker").click()
    expect(page).to_have_url(f"{site}/centre/matters/{ours.number}/")


def test_the_map_colours_grids_and_clusters_markers(
    sign_in: SignIn, site: str, people: dict[str, Any], desk: Desk
) -> None:
    for i in range(6):
        receive(people["county"], title=f"事件{i}", lon=120.1 + i * 0.001, lat=30.5)
    page = sign_in("county")
    page.goto(f"{site}/centre/map/")
    expect(page.locator("#centre-map[data-markers]")).to_have_count(1)
    assert page.locator("#centre-map").get_attribute("data-grids-drawn") == "4"
    cluster = page.locator(".matter-cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_have_text("6")
    fills = page.locator("#centre-map path.centre-grid").evaluate_all(
        "ps => ps.map(p => p.getAttribute('fill'))"
    )
    assert sorted(fills) == sorted(["#6baed6", "#eef2f6", "#eef2f6", "#eef2f6"])
    page.locator("#centre-map path.centre-grid").first.hover(position={"x": 8, "y": 8})  # off the cluster
    expect(page.locator(".leaflet-tooltip")).to_contain_text("未办结：6")


def test_the_centre_renders_chinese_and_switches_to_english(
    sign_in: SignIn, site: str, people: dict[str, Any], desk: Desk
) -> None:
    receive(people["county"], title="网格巡查发现占道经营")
    page = sign_in("county")
    page.goto(f"{site}/centre/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name="筛选条件")).to_be_visible()
    expect(page.locator("#queue-rows")).to_contain_text("网格巡查发现占道经营")
    expect(page.locator("#queue-rows")).to_contain_text("12345热线")
    assert page.evaluate("""document.fonts.check('16px "Noto Sans CJK SC"', "指挥")""")
    cell = page.locator("#queue-rows td.title").first
    cell.evaluate("el => { el.textContent = '指'; }")
    first = cell.screenshot()
    cell.evaluate("el => { el.textContent = '挥'; }")
    assert cell.screenshot() != first  # two glyphs, not two empty boxes
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Filters")).to_be_visible()
    expect(page.locator("#queue-rows")).to_contain_text("12345 hotline")
    expect(page.get_by_role("link", name="Command centre")).to_be_visible()
