"""Take the README screenshots from a running demo (``onegrid demo --no-serve`` then ``onegrid serve``).

    uv run python docs/screenshots/take.py [--base http://127.0.0.1:8000]

Chromium from Debian (``/usr/bin/chromium``, ``fonts-noto-cjk``), 1280×800, zh-Hans. Run ``optipng -o5``
on the results afterwards to keep each under 300 KB.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [  # file name, path (as admin), whether to show "pick on the map" locating a point
    ("county", "/areas/330122/", False),
    ("township", "/areas/330122001/", True),
    ("grid", "/areas/330122001001001/", False),
]


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    if page.locator("#map").count():
        page.locator("#map[data-children]").wait_for(state="attached")
    page.wait_for_timeout(300)  # let Leaflet finish placing labels


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="onegrid-demo")
    options = parser.parse_args()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{options.base}/login/")
        settle(page)
        page.screenshot(path=str(HERE / "login.png"))
        page.get_by_label("用户名").fill(options.user)
        page.get_by_label("密码").fill(options.password)
        page.locator("#content").get_by_role("button", name="登录").click()
        settle(page)
        for name, path, locate in PAGES:
            page.goto(options.base + path)
            settle(page)
            if locate:
                page.get_by_role("button", name="地图选点").click()
                village = page.locator("#map path.area-child").first
                box = village.bounding_box()
                assert box is not None
                # off the village's label, inside the polygon
                village.click(position={"x": box["width"] * 0.42, "y": box["height"] * 0.72})
                page.locator("#locate-result .found").wait_for()
                page.mouse.move(1270, 790)  # no hover tooltip over the result
                settle(page)
            page.screenshot(path=str(HERE / f"{name}.png"))
            print(f"{name}.png: {page.title()}")  # noqa: T201  (a command-line tool)
        browser.close()


if __name__ == "__main__":
    main()
