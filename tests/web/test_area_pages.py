"""The area pages and the sign-in redirect without a browser: scope, content, query budgets, i18n."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from tests.factories import Net

import onegrid

ClientAs = Callable[[str | None], Client]
LOCALE = Path(onegrid.__file__).resolve().parent / "locale"


def sign_in(client: Client, username: str) -> Any:
    return client.post("/login/", {"username": username, "password": f"pw-{username}"})


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [
        ("admin", "/areas/330000/"),
        ("county", "/areas/330122/"),
        ("township", "/areas/330122001/"),
        ("gridworker", "/areas/330122001001001/"),
    ],
)
def test_signing_in_lands_on_the_top_of_the_jurisdiction(
    people: dict[str, Any], username: str, lands_on: str
) -> None:
    client = Client()
    response = sign_in(client, username)
    assert response.status_code == 302
    assert response["Location"] == "/areas/"
    assert client.get("/areas/")["Location"] == lands_on


def test_someone_without_areas_lands_on_the_home_page_and_may_still_locate(people: dict[str, Any]) -> None:
    client = Client()
    assert sign_in(client, "resident")["Location"] == "/"
    page = client.get("/areas/")
    assert page.status_code == 200
    assert "您的管辖范围内没有区域" in page.content.decode()
    assert 'id="locate-form"' in page.content.decode()


def test_a_next_parameter_is_still_honoured(people: dict[str, Any]) -> None:
    response = Client().post(
        "/login/?next=/api/v1/docs",
        {"username": "township", "password": "pw-township", "next": "/api/v1/docs"},
    )
    assert response["Location"] == "/api/v1/docs"


def test_the_county_page_lists_its_townships_with_counts(client_as: ClientAs, net: Net) -> None:
    html = client_as("county").get(f"/areas/{net.county.code}/").content.decode()
    assert re.search(r"乡镇（街道）\s*<span class=\"muted\">\(2\)</span>", html)
    for township in (net.township_a, net.township_b):
        assert f'href="/areas/{township.code}/"' in html
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    assert all('<td class="num">2</td>' in row for row in rows)  # two grids below each township
    assert "<dt>网格</dt><dd>4</dd>" in html  # and four in the county


def test_the_detail_page_keeps_to_a_query_budget(
    client_as: ClientAs, net: Net, django_assert_max_num_queries: Any
) -> None:
    client = client_as("county")
    client.get(f"/areas/{net.county.code}/")  # session and scope caches warm
    with django_assert_max_num_queries(8):
        assert client.get(f"/areas/{net.county.code}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/areas/{net.grid_a1.code}/").status_code == 200


def test_a_grid_page_names_its_grid_workers(client_as: ClientAs, net: Net, people: dict[str, Any]) -> None:
    worker = people["gridworker"]
    worker.display_name = "王网格"
    worker.save()
    net.grid_a1.grid_workers.add(worker)
    html = client_as("township").get(f"/areas/{net.grid_a1.code}/").content.decode()
    assert "<li>王网格</li>" in html
    assert "本网格未划分微网格。" in html


def test_out_of_scope_pages_are_404_with_the_site_layout(client_as: ClientAs, net: Net) -> None:
    client = client_as("gridworker")
    for url in (f"/areas/{net.grid_b1.code}/", f"/areas/{net.grid_b1.code}/children.geojson", "/areas/nope/"):
        response = client.get(url)
        assert response.status_code == 404
    page = client.get(f"/areas/{net.grid_a2.code}/").content.decode()
    assert "页面不存在" in page
    assert net.grid_a2.name not in page


def test_anonymous_visitors_are_sent_to_sign_in(net: Net) -> None:
    response = Client().get(f"/areas/{net.county.code}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_children_geojson_carries_what_the_map_shows(client_as: ClientAs, net: Net) -> None:
    body = client_as("county").get(f"/areas/{net.county.code}/children.geojson").json()
    assert [f["properties"]["code"] for f in body["features"]] == [net.township_a.code, net.township_b.code]
    first = body["features"][0]["properties"]
    assert first["url"] == f"/areas/{net.township_a.code}/"
    assert first["level_label"] == "乡镇（街道）"
    assert first["colour"].startswith("#")
    assert first["centroid"] == pytest.approx([120.25, 30.5])
    assert body["features"][0]["geometry"]["type"] == "Polygon"


def test_a_grid_without_micro_grids_has_no_children_on_its_map(client_as: ClientAs, net: Net) -> None:
    body = client_as("gridworker").get(f"/areas/{net.grid_a1.code}/children.geojson").json()
    assert body == {"type": "FeatureCollection", "features": []}


def test_the_page_is_in_english_when_asked(client_as: ClientAs, net: Net) -> None:
    client = client_as("township")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(f"/areas/{net.township_a.code}/").content.decode()
    assert '<html lang="en">' in html
    assert "Villages and communities" in html
    assert "Overview" in html
    assert "概况" not in html


def _catalogue(po: str) -> dict[str, str]:
    """msgid → msgstr (the first form for plurals) of a .po file, the header left out."""
    entries: dict[str, str] = {}
    for block in po.split("\n\n"):
        parts: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                parts[key] = match.group(2)
            elif line.startswith('"') and key:
                parts[key] += line[1:-1]
        if parts.get("msgid"):
            entries[parts["msgid"]] = parts.get("msgstr", parts.get("msgstr[0]", ""))
    return entries


def test_every_message_has_a_chinese_translation() -> None:
    po = (LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    catalogue = _catalogue(po)
    assert len(catalogue) > 150
    assert [msgid for msgid, msgstr in catalogue.items() if not msgstr] == []
    assert "#, fuzzy" not in po


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Sign in", "登录"),
        ("Back office", "后台管理"),
        ("Grid worker", "网格员"),
        ("township", "乡镇（街道）"),
    ],
)
def test_the_compiled_catalogue_is_used(english: str, chinese: str) -> None:
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese
