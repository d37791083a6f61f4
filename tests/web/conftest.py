"""Browser fixtures: one Debian Chromium per test session (so one per xdist worker) driven by
Playwright's sync API against pytest-django's live server, one fresh browser context per test.

A test that fails leaves a full-page screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, sync_playwright
from tests.conftest import need_service

from onegrid.areas.locator import locator

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    need_service(CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    # Playwright's sync API keeps an asyncio loop in the test thread, and Django refuses ORM calls
    # from a thread with a running loop. The test thread only sets up data between browser steps,
    # never at the same time as them, so the check is off while the driver runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            yield driver
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def _fresh_index(transactional_db: None) -> None:
    """The net is rebuilt by every test; never answer from the previous test's locate index. (The
    audit table is emptied after each transactional test by the root conftest's maintenance switch.)"""
    locator.reset()


@pytest.fixture
def site(live_server: Any, _fresh_index: None) -> str:
    """The live server's base URL (no trailing slash)."""
    return str(live_server.url).rstrip("/")


@pytest.fixture
def context(browser: Browser, site: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    blocked = watch_content_security_policy(ctx)
    yield ctx
    ctx.close()
    assert blocked == [], "the page did something its Content-Security-Policy forbids"


def watch_content_security_policy(ctx: BrowserContext) -> list[str]:
    """Every console message about something the Content-Security-Policy blocked (a test fails on one)."""
    blocked: list[str] = []

    def record(message: Any) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    ctx.on("console", record)
    return blocked


@pytest.fixture
def requests_seen(context: BrowserContext) -> list[str]:
    """Every URL the browser asked for during the test, in order."""
    seen: list[str] = []

    def record(request: Request) -> None:
        seen.append(request.url)

    context.on("request", record)
    return seen


@pytest.fixture
def page(request: pytest.FixtureRequest, context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed and not page.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def sign_in(page: Page, site: str) -> Callable[[str], Page]:
    """Sign in through the login form as one of the ``people`` (password ``pw-<username>``)."""

    def go(username: str) -> Page:
        page.goto(f"{site}/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(f"pw-{username}")
        page.locator("#content").get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        return page

    return go
