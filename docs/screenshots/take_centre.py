"""Take the command-centre screenshots of the README from a demo with some matters in it (the demo's
generated year of matters fills the dashboards and the big screen).

    export ONEGRID_DATA_DIR=$(mktemp -d)
    uv run onegrid demo --no-serve
    uv run python docs/screenshots/take_centre.py --seed      # matters through intake and the steps
    uv run onegrid serve --port 8000 &
    uv run python docs/screenshots/take_centre.py [--base http://127.0.0.1:8000]

Chromium from Debian (``/usr/bin/chromium``, ``fonts-noto-cjk``), 1280×800, zh-Hans.
"""

from __future__ import annotations

import argparse
import os
import random
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
REPORTS = [  # category, title, channel
    ("road-waterlogging", "下穿通道积水严重，车辆无法通行", "hotline_12345"),
    ("manhole-cover", "人行道井盖缺失，存在安全隐患", "resident_app"),
    ("garbage", "小区门口垃圾无人清运", "wechat"),
    ("neighbour-dispute", "楼上装修噪音扰民，协商未果", "hotline_12345"),
    ("elderly-help", "独居老人家中无人应答，请上门查看", "grid_patrol"),
    ("fire-hazard", "楼道堆放杂物堵塞消防通道", "grid_patrol"),
    ("building-hazard", "老旧围墙出现裂缝，有倒塌风险", "resident_app"),
    ("water-power-gas", "整栋楼停水一天未恢复", "hotline_12345"),
]


def seed() -> None:
    """Matters at random points of the demo county's first township, through intake and the steps."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
    import django  # the demo's settings must be chosen first

    django.setup()
    from onegrid.access.models import Organisation, User
    from onegrid.areas.levels import Level
    from onegrid.areas.models import Area
    from onegrid.kit.errors import Invalid
    from onegrid.matters import intake, steps, supervision
    from onegrid.matters.lifecycle import Step

    county = User.objects.get(username="county")
    admin = User.objects.get(username="admin")
    handler = User.objects.get(username="handler")
    department = Organisation.objects.filter(memberships__user=handler).first()  # 城市管理局
    assert department is not None
    township = Area.objects.filter(level=Level.TOWNSHIP).order_by("path").first()
    assert township is not None
    grids = list(Area.objects.filter(level=Level.GRID, path__startswith=township.path).order_by("path")[:40])
    rng = random.Random(4)
    made = []
    for i in range(36):
        category, title, channel = REPORTS[i % len(REPORTS)]
        grid = rng.choice(grids)
        report = intake.Report(
            channel=channel,
            category=category,
            title=title,
            lon=grid.centroid_lon + rng.uniform(-0.002, 0.002),
            lat=grid.centroid_lat + rng.uniform(-0.002, 0.002),
            reporter_name="王小明",
            reporter_phone="13900001234",
            description="现场照片已上传，请尽快处理。",
        )
        try:
            matter, _ = intake.receive(actor=county, report=report)
        except Invalid:
            print(f"skipped: {report.lon:.4f},{report.lat:.4f} lies in no grid")  # noqa: T201
            continue
        made.append(matter)
    for i, matter in enumerate(made):
        if i % 3 == 0:
            continue
        steps.take(actor=county, matter=matter, step=Step.REGISTER)
        if i % 3 == 1:
            steps.take(
                actor=county,
                matter=matter,
                step=Step.DISPATCH,
                data=steps.StepInput(organisation=department, override_reason="属城管局职责"),
            )
            if i % 2:
                steps.take(actor=handler, matter=matter, step=Step.ACCEPT)
    dispatched = [m for m in made if m.status == "dispatched"]
    if dispatched:
        supervision.supervise(
            actor=admin, matter=dispatched[0], instruction="请于两个工作日内办结并回复", working_days=2
        )
    print(f"{len(made)} matters")  # noqa: T201  (a command-line tool)


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)


def shoot(base: str, password: str) -> None:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for user, shots in (
            (
                "county",
                [
                    ("centre-queue", "/centre/"),
                    ("centre-map", "/centre/map/"),
                    ("centre-dashboard", "/centre/dashboard/?days=365"),
                    ("centre-screen", "/centre/screen/?days=365"),
                ],
            ),
            ("handler", [("centre-inbox", "/centre/inbox/")]),
        ):
            context = browser.new_context(
                viewport={"width": 1280, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.get_by_label("用户名").fill(user)
            page.get_by_label("密码").fill(password)
            page.locator("#content").get_by_role("button", name="登录").click()
            settle(page)
            for name, path in shots:
                big = name == "centre-screen"  # the big screen is shot at a wall's 1920×1080
                page.set_viewport_size(
                    {"width": 1920, "height": 1080} if big else {"width": 1280, "height": 800}
                )
                page.goto(base + path)
                settle(page)
                if name == "centre-map":
                    page.locator("#centre-map[data-markers]").wait_for(state="attached")
                    settle(page)
                page.screenshot(path=str(HERE / f"{name}.png"))
                print(f"{name}.png")  # noqa: T201
            if user == "county":
                page.goto(base + "/centre/?status=registered")
                settle(page)
                page.locator("#queue-rows a").first.click()
                settle(page)
                page.locator("details[data-action=dispatch] summary").click()
                page.wait_for_timeout(200)
                page.screenshot(path=str(HERE / "centre-matter.png"))
                print("centre-matter.png")  # noqa: T201
            context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", action="store_true", help="add the sample matters and exit")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--password", default="onegrid-demo")
    options = parser.parse_args()
    if options.seed:
        seed()
    else:
        shoot(options.base, options.password)


if __name__ == "__main__":
    main()
