"""The resident portal and the grid-worker app in a real browser, phone-sized, in zh-Hans.

A resident reports with a photo, gets a number and code, follows the plain timeline, and rates the
outcome through the one-time link once the staff (through the domain layer) have closed the matter;
the county's dashboard then counts it, from the county down to its grid. A
grid worker files a report without a network and it arrives once when the network returns, and once
again when the answer to the first send is lost. The report form can be completed by keyboard.

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
from django.apps import apps as django_apps
from playwright.sync_api import BrowserContext, Page, Route, expect
from tests.factories import Net
from tests.matters.conftest import Desk
from tests.web.portal_flow import close, desk_fixture, png  # noqa: F401  (desk_fixture: `desk`)

from onegrid.kit.models import WorkCalendar
from onegrid.matters.models import Attachment, Matter, Rating

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SignIn = Callable[[str], Page]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: None) -> None:
    """What the migrations seed (working-day calendars, categories, deadline policies): a transactional
    test empties every table after it runs, so a browser test seeds them again when they are gone.
    (serialized_rollback cannot help: the content types recreated after each flush collide with it.)"""
    if not WorkCalendar.objects.exists():
        importlib.import_module("onegrid.kit.migrations.0002_seed_calendars").seed(django_apps, None)
    importlib.import_module("onegrid.matters.migrations.0002_seed").seed(django_apps, None)


def grid_worker(sign_in: SignIn) -> Page:
    page = sign_in("gridworker")
    expect(page).not_to_have_url(re.compile(r"/login/"))  # the sign-in has gone through
    return page


def shoot(page: Page, name: str, tmp_path: Path) -> None:
    """Every page is rendered to an image (so a missing CJK font shows); kept for the README on request."""
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(250)  # let Leaflet settle
    folder = SHOTS if os.environ.get("ONEGRID_SCREENSHOTS") == "1" else tmp_path
    page.screenshot(path=str(folder / f"{name}.png"))


def photo(name: str = "现场.png") -> dict[str, Any]:
    return {"name": name, "mimeType": "image/png", "buffer": png(64, 48)}


def grids_drawn(page: Page, selector: str = "#pin-map") -> None:
    expect(page.locator(f"{selector}[data-grids]")).to_have_count(1)
    assert page.locator(selector).get_attribute("data-grids") not in {"0", "error"}


def test_a_resident_reports_with_a_photo_follows_it_and_rates_the_outcome(
    page: Page,
    context: BrowserContext,
    site: str,
    net: Net,
    people: dict[str, Any],
    desk: Desk,
    tmp_path: Path,
    sign_in: SignIn,
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("身边有问题？")
    shoot(page, "portal-home", tmp_path)
    page.get_by_role("link", name="我要反映").click()

    page.get_by_label("问题类型").select_option("garbage")
    page.get_by_label("问题是什么？").fill("小区门口垃圾无人清运")
    page.get_by_label("详细描述（选填）").fill("已经三天了，气味很大")
    page.get_by_label("照片", exact=True).set_input_files(files=[photo()])
    grids_drawn(page)
    page.locator("#pin-map").click(position={"x": 60, "y": 60})  # a pin puts its place in the fields
    expect(page.get_by_label("经度")).to_have_value(re.compile(r"^1[12]\d\.\d{6}$"))
    page.get_by_label("经度").fill("120.1")
    page.get_by_label("纬度").fill("30.5")
    page.get_by_label("手机号（选填）").fill("13800138000")
    shoot(page, "portal-report", tmp_path)
    page.get_by_role("button", name="提交报告").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("谢谢，我们已收到您的报告")
    number = page.locator("#tracking-number").inner_text()
    code = page.locator("#tracking-code").inner_text()
    shoot(page, "portal-receipt", tmp_path)
    matter = Matter.objects.get(number=number)
    assert matter.area_id == net.grid_a1.pk
    assert Attachment.objects.filter(matter=matter, content_type="image/png").count() == 1

    # Another day, another browser session: the number and the code open the timeline.
    context.clear_cookies()
    page.goto(f"{site}/portal/follow/")
    page.get_by_label("查询编号").fill(number)
    page.get_by_label("查询码").fill("WRONG-CODE")
    page.get_by_role("button", name="查看报告").click()
    expect(page.get_by_role("alert")).to_contain_text("没有与该编号和查询码相符的报告")
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查看报告").click()
    expect(page.locator("#timeline")).to_contain_text("我们已收到您的报告。")

    close(matter, desk, people)  # the county centre and the department do their part
    page.reload()
    expect(page.locator("#matter-status")).to_have_text("已结案")
    expect(page.locator("#timeline")).to_contain_text("问题已解决。")
    expect(page.locator("#timeline")).not_to_contain_text("已处理")  # staff notes stay with the staff
    shoot(page, "portal-timeline", tmp_path)
    page.get_by_role("button", name="评价处理结果").click()
    expect(page).to_have_url(re.compile(r"/r/[\w-]+$"))
    page.get_by_label("5 — 非常满意").check()
    page.get_by_label("意见（选填）").fill("处理很及时")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("感谢您的评价")
    rating = Rating.objects.get(matter=matter)
    assert (rating.score, rating.via, rating.comment) == (5, "link", "处理很及时")

    # The county command centre's dashboard counts it, down to its grid.
    context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in("county")
    page.goto(f"{site}/centre/dashboard/")
    headline = page.locator("#headline")
    expect(headline.locator("[data-figure=total]")).to_have_text("1")
    expect(headline.locator("[data-figure=open]")).to_have_text("0")
    expect(headline.locator("[data-figure=satisfaction_rate]")).to_have_text("100.0%")
    expect(page.locator("#table-channels")).to_contain_text("群众APP或网站")
    for area in (net.township_a, net.grid_a1.parent, net.grid_a1):
        page.locator("#table-children").get_by_role("link", name=area.name).click()
        expect(page.locator("#dash-area")).to_have_text(area.name)
        expect(headline.locator("[data-figure=total]")).to_have_text("1")


def test_the_report_form_can_be_completed_by_keyboard(page: Page, site: str, net: Net) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/portal/report/")

    def tab_to(selector: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"no visible focus on {selector}"
                return
        raise AssertionError(f"{selector} cannot be reached by Tab")

    tab_to("#id_category")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_category")).not_to_have_value("")
    tab_to("#id_title")
    page.keyboard.type("路灯不亮")
    tab_to("#id_lon")
    page.keyboard.type("120.1")
    tab_to("#id_lat")
    page.keyboard.type("30.5")
    tab_to("#id_anonymous")
    page.keyboard.press("Space")
    tab_to("button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("谢谢，我们已收到您的报告")
    matter = Matter.objects.get()
    assert (matter.title, matter.anonymous) == ("路灯不亮", True)


def test_every_control_is_labelled_and_large_enough_to_touch(page: Page, site: str, net: Net) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/portal/report/")
    small = page.evaluate(
        """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea, main button, .bar button')]
              .filter((el) => { const r = el.getBoundingClientRect();
                                const box = el.type === 'checkbox' ? el.closest('.field').getBoundingClientRect() : r;
                                return box.height < 44 || box.width < 44; })
              .map((el) => el.id || el.name || el.textContent)"""
    )
    assert small == []
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
              .filter((el) => !el.labels || el.labels.length === 0).map((el) => el.name)"""
    )
    assert unlabelled == []


CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.closest(".leaflet-container")) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName} ${el.textContent.trim().slice(0, 20)} ${ratio.toFixed(2)}`);
  }
  return low;
}"""


@pytest.mark.parametrize("path", ["/portal/", "/portal/report/", "/portal/follow/"])
def test_text_meets_aa_contrast(page: Page, site: str, net: Net, path: str) -> None:
    page.goto(f"{site}{path}")
    assert page.evaluate(CONTRAST) == []
    page.goto(f"{site}/portal/report/")
    page.get_by_role("button", name="提交报告").click()  # errors shown in their colours too
    expect(page.locator("#form-errors")).to_be_visible()
    assert page.evaluate(CONTRAST) == []


def test_a_grid_workers_offline_report_arrives_once(
    sign_in: SignIn, context: BrowserContext, site: str, people: dict[str, Any], tmp_path: Path
) -> None:
    page = grid_worker(sign_in)
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/field/")
    expect(page.locator("#grid-map[data-grids='1']")).to_have_count(1)
    expect(page.locator("#grid-map")).to_contain_text("青山村第1网格")
    shoot(page, "field-home", tmp_path)
    page.goto(f"{site}/field/report/")
    grids_drawn(page)

    context.set_offline(True)
    expect(page.locator("#online")).to_have_text("离线")
    page.get_by_label("问题类型").select_option("garbage")
    page.get_by_label("问题是什么？").fill("巷口垃圾堆积")
    page.get_by_label("照片", exact=True).set_input_files(files=[photo()])
    page.get_by_label("经度").fill("120.1")
    page.get_by_label("纬度").fill("30.5")
    page.get_by_label("群众手机号（选填）").fill("13900139000")
    page.get_by_role("button", name="提交报告").click()
    expect(page.locator("#report-status")).to_have_text("已保存在手机上，网络恢复后将自动发送。")
    expect(page.locator("#outbox li")).to_have_count(1)
    shoot(page, "field-offline", tmp_path)
    assert Matter.objects.count() == 0

    context.set_offline(False)
    expect(page.locator("#sent li")).to_have_count(1, timeout=20_000)
    expect(page.locator("#outbox li")).to_have_count(0)
    matter = Matter.objects.get()
    assert matter.channel == "grid_patrol"
    assert page.locator("#sent").inner_text().count(matter.number) == 1
    assert Attachment.objects.filter(matter=matter).count() == 1
    assert len(matter.idempotency_key) == 36  # the phone's UUID


def test_a_report_whose_answer_is_lost_is_sent_again_and_stored_once(
    sign_in: SignIn, site: str, people: dict[str, Any]
) -> None:
    page = grid_worker(sign_in)
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/field/report/")
    answered: list[int] = []

    def lose_the_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch()  # the server takes the report in ...
        answered.append(response.status)
        if len(answered) == 1:
            route.abort("connectionreset")  # ... but the phone never hears back
        else:
            route.fulfill(response=response)

    page.route("**/field/report/", lose_the_first_answer)
    page.get_by_label("问题类型").select_option("garbage")
    page.get_by_label("问题是什么？").fill("路灯损坏")
    page.get_by_label("经度").fill("120.1")
    page.get_by_label("纬度").fill("30.5")
    page.get_by_role("button", name="提交报告").click()
    expect(page.locator("#outbox li")).to_have_count(1)
    for _ in range(100):  # until the server has answered the first send
        if answered:
            break
        page.wait_for_timeout(100)
    assert Matter.objects.count() == 1
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # the next retry
    expect(page.locator("#sent li")).to_have_count(1)
    expect(page.locator("#report-status")).to_contain_text("此前已收到")
    assert answered == [201, 200]
    assert Matter.objects.count() == 1


def test_the_app_installs_and_its_shell_opens_offline(
    sign_in: SignIn, context: BrowserContext, site: str, people: dict[str, Any]
) -> None:
    page = grid_worker(sign_in)
    page.goto(f"{site}/field/")
    manifest = page.locator("link[rel=manifest]").get_attribute("href")
    assert manifest == "/field/manifest.webmanifest"
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == f"{site}/field/"
    page.reload()  # now under the worker's control, the page is kept
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.goto(f"{site}/field/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的网格")
    expect(page.locator("#online")).to_have_text("离线")
    context.set_offline(False)
