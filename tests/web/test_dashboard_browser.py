"""The dashboards and the big screen in a real browser, in zh-Hans: the charts draw from the page's
figures with Chinese labels, a bar of the rates by area opens that area (the drill-down), and the big
screen fetches its figures again by itself.

With ONEGRID_SCREENSHOTS=1 the pages are saved to docs/screenshots/ for the README tour.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect
from tests.factories import Net
from tests.matters import conftest as matters_conftest
from tests.matters.conftest import Desk
from tests.web.test_centre_views import receive

from onegrid.kit.models import WorkCalendar
from onegrid.matters import generate
from onegrid.matters.models import Matter

pytestmark = pytest.mark.browser
desk = matters_conftest.desk
SignIn = Callable[[str], Page]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WALL = {"width": 1920, "height": 1080}


@pytest.fixture(autouse=True)
def categories(transactional_db: None) -> None:
    """The live server's database is flushed after each test: put back what the migrations seed."""
    if not WorkCalendar.objects.exists():
        importlib.import_module("onegrid.kit.migrations.0002_seed_calendars").seed(apps, None)
    importlib.import_module("onegrid.matters.migrations.0002_seed").seed(apps, None)


@pytest.fixture
def busy(net: Net, desk: Desk) -> int:
    """A month of generated matters over the four grids; returns how many."""
    return generate.generate(count=400, seed=5, days=30).matters


def shoot(page: Page, name: str, tmp_path: Path) -> None:
    folder = SHOTS if os.environ.get("ONEGRID_SCREENSHOTS") == "1" else tmp_path
    page.screenshot(path=str(folder / f"{name}.png"))


def bar_centre(page: Page, chart: str, series: int, index: int) -> dict[str, float]:
    """Where on the page bar ``index`` of ``series`` is drawn (from the chart's own layout)."""
    return page.evaluate(
        """([id, series, index]) => {
            const el = document.getElementById(id);
            const bar = echarts.getInstanceByDom(el).getModel().getSeriesByIndex(series).getData().getItemLayout(index);
            const box = el.getBoundingClientRect();
            return {x: box.left + bar.x + bar.width / 2, y: box.top + bar.y + bar.height / 2};
        }""",
        [chart, series, index],
    )


def test_the_dashboard_draws_chinese_charts_and_a_bar_opens_its_area(
    sign_in: SignIn, site: str, people: dict[str, Any], busy: int, tmp_path: Path
) -> None:
    page = sign_in("county")
    page.get_by_role("link", name="指挥中心").click()
    page.get_by_role("link", name="数据看板").click()
    expect(page).to_have_url(f"{site}/centre/dashboard/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#headline [data-figure=total]")).to_have_text(str(busy))
    expect(page.locator("#chart-children")).to_have_attribute("data-drawn", "2")  # the two townships
    expect(page.locator("#chart-children svg")).to_contain_text("按时办结率")
    expect(page.locator("#chart-children svg")).to_contain_text("城南街道")
    expect(page.locator("#chart-channels svg")).to_contain_text("12345热线")
    expect(page.locator("#chart-trend")).to_have_attribute("data-drawn", "30")
    expect(page.locator("#table-channels")).not_to_be_visible()  # the charts stand in for the tables
    page.set_viewport_size({"width": 1440, "height": 900})
    shoot(page, "centre-dashboard", tmp_path)

    township = page.locator("#table-children a").first.get_attribute("data-code")
    page.locator("#chart-children").scroll_into_view_if_needed()
    first = bar_centre(page, "chart-children", 1, 0)
    page.mouse.click(first["x"], first["y"])
    expect(page).to_have_url(re.compile(rf"/centre/dashboard/{township}/\?days=30$"))
    expect(page.locator("#crumbs")).to_contain_text("整个辖区")
    expect(page.locator("#chart-children")).to_have_attribute("data-drawn", "1")  # its village
    expect(page.locator("#dash-area")).not_to_have_text("")
    total = Matter.objects.filter(area_path__contains=f"/{township}/").count()
    expect(page.locator("#headline [data-figure=total]")).to_have_text(str(total))
    page.locator("#crumbs a").first.click()
    expect(page).to_have_url(re.compile(r"/centre/dashboard/\?days=30$"))


def test_the_big_screen_fetches_its_figures_again_without_reloading(
    sign_in: SignIn, site: str, people: dict[str, Any], busy: int, settings: Any, tmp_path: Path
) -> None:
    settings.CENTRE_SCREEN_SECONDS = 1
    page = sign_in("county")
    page.set_viewport_size(WALL)
    page.goto(f"{site}/centre/screen/")
    expect(page.locator("[data-figure=total]")).to_have_text(str(busy))
    expect(page.locator("#chart-children svg")).to_contain_text("满意率")
    expect(page.locator("#clock")).to_have_text(re.compile(r"\d{1,2}:\d{2}:\d{2}"))
    page.evaluate("window.__same_page = true")
    receive(people["county"], title="大屏刷新测试")
    expect(page.locator("[data-figure=total]")).to_have_text(str(busy + 1))
    assert int(page.locator("#refreshed").get_attribute("data-count") or 0) >= 1
    assert page.evaluate("window.__same_page === true")  # redrawn in place, never reloaded
    expect(page.locator("#refreshed")).to_contain_text("更新于")
    shoot(page, "centre-screen", tmp_path)
    page.get_by_role("button", name="全屏").click()
    page.wait_for_function("document.fullscreenElement !== null")
