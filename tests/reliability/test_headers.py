"""Security headers on every kind of answer, and CSRF protection on every form that posts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src" / "onegrid"


@pytest.mark.parametrize(
    "path", ["/", "/login/", "/portal/", "/centre/", "/api/v1/matters/", "/open311/v2/services.json"]
)
def test_every_answer_carries_the_security_headers(client_as: Any, path: str) -> None:
    response = client_as("county").get(path)
    assert response.status_code < 500
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "geolocation=(self)" in response["Permissions-Policy"]


def test_the_interactive_api_documentation_runs_its_own_script() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
    assert response["X-Frame-Options"] == "DENY"


def test_a_configured_tile_server_may_serve_map_images(settings: Any) -> None:
    from onegrid.settings import _tile_source

    assert (
        _tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
        == "https://*.tile.openstreetmap.org"
    )
    assert _tile_source("https://t{s}.tianditu.gov.cn/vec_w/wmts") == "https://*.tianditu.gov.cn"
    assert _tile_source("") == ""


FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.S | re.I)


def test_every_form_that_posts_carries_the_csrf_token() -> None:
    missing = []
    for template in SRC.rglob("templates/**/*.html"):
        text = template.read_text()
        for match in FORM.finditer(text):
            opening = match.group(0)[: match.group(0).index(">") + 1].lower()
            if 'method="post"' in opening and "{% csrf_token %}" not in match.group(1):
                missing.append(f"{template.relative_to(SRC)}: {opening[:80]}")
    assert missing == []


def test_a_form_post_without_the_token_is_refused(people: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["county"])
    response = client.post("/centre/inbox/read-all/")
    assert response.status_code == 403
