"""The area pages in a real browser: sign-in, the map, scope, locate, languages, no outside requests.

The net (tests/factories.py) is four grids in two townships of one county, all squares, so every
point below lies where its comment says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from tests.factories import Net

from onegrid.areas.models import Area

pytestmark = pytest.mark.browser

SignIn = Callable[[str], Page]


def children_drawn(page: Page) -> int:
    """Wait until the map has drawn the children's GeoJSON; the number of child polygons."""
    expect(page.locator("#map[data-children]")).to_have_count(1)
    assert page.locator("#map").get_attribute("data-children") != "error"
    return page.locator("#map path.area-child").count()


def test_a_township_operator_signs_in_and_lands_on_their_township(
    sign_in: SignIn, site: str, net: Net, people: dict[str, Any]
) -> None:
    page = sign_in("township")
    expect(page).to_have_url(f"{site}/areas/{net.township_a.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("城南街道")
    crumbs = page.get_by_role("navigation", name="当前位置")
    expect(crumbs).to_contain_text("浙江省")
    expect(crumbs).to_contain_text("桐庐县")
    # Above their township the chain is named but not linked: those pages are outside their scope.
    expect(crumbs.get_by_role("link")).to_have_count(0)
    assert children_drawn(page) == 1  # one village in township a
    expect(page.locator("#map path.area-outline")).to_have_count(1)
    expect(page.locator(".leaflet-tile")).to_have_count(0)  # no tile server configured: no tiles
    expect(page.get_by_role("button", name="放大")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("青山村")


def test_the_county_map_draws_one_polygon_per_township_and_a_click_opens_it(
    sign_in: SignIn, site: str, net: Net, people: dict[str, Any]
) -> None:
    page = sign_in("county")
    expect(page).to_have_url(f"{site}/areas/{net.county.code}/")
    assert children_drawn(page) == 2
    expect(page.locator(".leaflet-tooltip.area-label")).to_have_text(["城南街道", "旧县街道"])
    page.locator("#map path.area-child").nth(1).click()
    expect(page).to_have_url(f"{site}/areas/{net.township_b.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("旧县街道")


def test_hovering_a_polygon_names_it_with_code_level_and_population(
    sign_in: SignIn, net: Net, people: dict[str, Any]
) -> None:
    page = sign_in("county")
    children_drawn(page)
    page.locator("#map path.area-child").first.hover()
    tip = page.locator(".leaflet-tooltip.area-tip")
    expect(tip).to_contain_text("城南街道")
    expect(tip).to_contain_text(f"编码：{net.township_a.code}")
    expect(tip).to_contain_text("层级：乡镇（街道）")
    expect(tip).to_contain_text("人口：1,000")


def test_chinese_text_renders_with_a_cjk_font(
    sign_in: SignIn, net: Net, people: dict[str, Any], tmp_path: Any
) -> None:
    page = sign_in("township")
    children_drawn(page)
    page.screenshot(path=str(tmp_path / "township.png"), full_page=True)
    assert "城南街道" in page.locator("h1").inner_text()
    assert page.evaluate("""document.fonts.check('16px "Noto Sans CJK SC"', "网格")""")
    # Two different characters must come out as two different bitmaps: with no CJK font both would
    # be the same empty box (tofu).
    glyphs = page.evaluate(
        """() => ["网", "格", "\\u0378"].map((ch) => {
            const canvas = document.createElement("canvas");
            canvas.width = canvas.height = 48;
            const ctx = canvas.getContext("2d");
            ctx.font = '40px ' + getComputedStyle(document.body).fontFamily;
            ctx.fillText(ch, 4, 40);
            const data = ctx.getImageData(0, 0, 48, 48).data;
            let ink = 0, hash = 0;
            for (let i = 3; i < data.length; i += 4) {
                if (data[i] > 128) ink++;
                hash = (hash * 31 + data[i]) | 0;
            }
            return { ink, hash };
        })"""
    )
    wang, ge, unassigned = glyphs
    assert wang["ink"] > 100
    assert ge["ink"] > 100
    assert wang["hash"] != ge["hash"]
    assert wang["hash"] != unassigned["hash"]
    assert ge["hash"] != unassigned["hash"]
    # The same holds for what was actually painted on screen.
    h1 = page.locator("h1")
    h1.evaluate("el => { el.textContent = '网'; }")
    first = h1.screenshot()
    h1.evaluate("el => { el.textContent = '格'; }")
    assert h1.screenshot() != first


def test_a_grid_worker_sees_their_grid_and_nothing_outside_it(
    sign_in: SignIn, site: str, net: Net, people: dict[str, Any]
) -> None:
    net.grid_a1.grid_workers.add(people["gridworker"])
    page = sign_in("gridworker")
    expect(page).to_have_url(f"{site}/areas/{net.grid_a1.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("青山村第1网格")
    expect(page.locator(".people")).to_have_text("gridworker")
    expect(page.get_by_text("本网格未划分微网格。")).to_be_visible()
    assert children_drawn(page) == 0
    expect(page.locator("#map path.area-neighbour")).to_have_count(0)  # neighbours are out of scope

    for other in (net.grid_a2, net.grid_b1, net.township_a):
        response = page.goto(f"{site}/areas/{other.code}/")
        assert response is not None
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("页面不存在")
        expect(page.get_by_text(other.name)).to_have_count(0)
    response = page.goto(f"{site}/areas/{net.grid_b1.code}/children.geojson")
    assert response is not None
    assert response.status == 404


def test_a_grid_page_shows_its_neighbours_to_whoever_may_see_them(
    sign_in: SignIn, net: Net, people: dict[str, Any], site: str
) -> None:
    page = sign_in("township")
    page.goto(f"{site}/areas/{net.grid_a1.code}/")
    expect(page.locator("#map path.area-neighbour")).to_have_count(1)  # grid a2, same village
    expect(page.get_by_text("本网格尚未配备网格员。")).to_be_visible()


def test_locating_a_point_shows_its_grid_and_chain_or_says_what_is_wrong(
    sign_in: SignIn, net: Net, people: dict[str, Any]
) -> None:
    page = sign_in("township")
    form = page.locator("#locate-form")
    result = page.locator("#locate-result")
    error = page.locator("#locate-error")

    form.get_by_label("经度").fill("120.1")  # west quarter: grid a1
    form.get_by_label("纬度").fill("30.5")
    form.get_by_role("button", name="定位").click()
    expect(result.get_by_role("link", name="青山村第1网格")).to_be_visible()
    expect(result.locator(".chain")).to_have_text(re.compile("浙江省.*桐庐县.*城南街道.*青山村"))
    expect(error).to_be_hidden()
    expect(page.locator("#map path.located-grid")).to_have_count(1)

    form.get_by_label("经度").fill("120.9")  # east: grid b2, outside a township-a operator's scope
    form.get_by_role("button", name="定位").click()
    expect(result).to_contain_text("白云村第2网格")
    expect(result).to_contain_text("不在您的管辖范围内")
    expect(result.get_by_role("link", name="白云村第2网格")).to_have_count(0)

    form.get_by_label("经度").fill("500")
    form.get_by_role("button", name="定位").click()
    expect(error).to_be_visible()
    expect(error).to_have_text("经度不能大于 180。")
    expect(form.get_by_label("经度")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("纬度")).not_to_have_attribute("aria-invalid", "true")
    expect(result).to_be_empty()

    form.get_by_label("经度").fill("100")  # far west of the net
    form.get_by_role("button", name="定位").click()
    expect(error).to_have_text("该点不在任何网格内。")
    expect(form.get_by_label("经度")).not_to_have_attribute("aria-invalid", "true")


def test_picking_on_the_map_fills_the_coordinates_and_locates_them(
    sign_in: SignIn, net: Net, people: dict[str, Any]
) -> None:
    page = sign_in("township")
    children_drawn(page)
    pick = page.get_by_role("button", name="地图选点")
    pick.click()
    expect(pick).to_have_attribute("aria-pressed", "true")
    page.locator("#map path.area-child").first.click()  # picking: the click does not navigate
    expect(pick).to_have_attribute("aria-pressed", "false")
    lon = float(page.get_by_label("经度").input_value())
    lat = float(page.get_by_label("纬度").input_value())
    assert 120.0 < lon < 120.5
    assert 30.0 < lat < 31.0
    expected = "青山村第1网格" if lon < 120.25 else "青山村第2网格"
    expect(page.locator("#locate-result")).to_contain_text(expected)
    assert page.url.endswith(f"/areas/{net.township_a.code}/")


def test_no_request_leaves_the_live_server(
    sign_in: SignIn, site: str, requests_seen: list[str], net: Net, people: dict[str, Any]
) -> None:
    page = sign_in("admin")
    children_drawn(page)
    for area in (net.county, net.township_a, net.grid_a1):
        page.goto(f"{site}/areas/{area.code}/")
        children_drawn(page)
    page.get_by_label("经度").fill("120.1")
    page.get_by_label("纬度").fill("30.5")
    page.get_by_role("button", name="定位").click()
    expect(page.locator("#locate-result")).to_contain_text("青山村第1网格")
    page.wait_for_load_state("networkidle")
    origin = urlsplit(site)
    assert origin.hostname in {"localhost", "127.0.0.1"}
    outside = [u for u in requests_seen if urlsplit(u)[:2] != origin[:2]]
    assert outside == []
    assert any("/static/vendor/leaflet/leaflet.js" in u for u in requests_seen)


def test_a_configured_tile_server_is_used_with_its_attribution(
    sign_in: SignIn, site: str, settings: Any, requests_seen: list[str], net: Net, people: dict[str, Any]
) -> None:
    settings.TILE_URL = f"{site}/tiles/{{z}}/{{x}}/{{y}}.png"
    settings.TILE_ATTRIBUTION = "© 测试底图"
    page = sign_in("county")
    children_drawn(page)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("© 测试底图")
    expect(page.locator(".map-note")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert any(re.search(r"/tiles/\d+/\d+/\d+\.png$", u) for u in requests_seen)


def test_switching_to_english_changes_the_labels(
    sign_in: SignIn, site: str, net: Net, people: dict[str, Any]
) -> None:
    page = sign_in("township")
    expect(page.get_by_role("heading", name="概况")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{site}/areas/{net.township_a.code}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_role("link", name="Area net")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("township")
    expect(page.get_by_label("Longitude")).to_be_visible()
    children_drawn(page)
    page.get_by_label("Longitude").fill("abc")
    page.get_by_label("Latitude").fill("30.5")
    page.get_by_role("button", name="Locate", exact=True).click()
    expect(page.locator("#locate-error")).to_have_text("Longitude must be a number.")
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="概况")).to_be_visible()


def test_the_area_page_fits_a_phone(sign_in: SignIn, net: Net, people: dict[str, Any]) -> None:
    page = sign_in("township")
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    children_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator("#map").bounding_box()
    assert box is not None
    assert box["width"] >= 340
    assert box["height"] >= 300
    expect(page.get_by_label("经度")).to_be_visible()


def test_the_login_form_says_when_the_password_is_wrong(
    page: Page, site: str, people: dict[str, Any]
) -> None:
    page.goto(f"{site}/login/")
    page.get_by_label("用户名").fill("township")
    page.get_by_label("密码").fill("wrong")
    page.locator("#content").get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("用户名")).to_have_attribute("aria-invalid", "true")
    assert Area.objects.count() == 11  # the page did not touch the net
