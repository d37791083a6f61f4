"""The ``onegrid`` command as an operator uses it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from tests.factories import Net

from onegrid.access.models import ApiToken
from onegrid.areas.models import Area

REPO = Path(__file__).resolve().parents[2]


def run_onegrid(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onegrid.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        # a clean environment: nothing the browser fixtures set for themselves leaks into the command
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}, **(env or {})},
        timeout=120,
        check=False,
    )


@pytest.mark.django_db
def test_export_then_import_into_an_empty_net(net: Net, tmp_path: Path) -> None:
    out = tmp_path / "net.geojson"
    call_command("areas", "export", "330122", "-o", str(out))
    document = json.loads(out.read_text())
    assert len(document["features"]) == 9
    assert document["features"][0]["properties"]["code"] == "330122"


@pytest.mark.django_db
def test_import_of_a_bad_file_reports_each_feature_and_writes_nothing(net: Net, tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": None,
                        "properties": {
                            "code": "330122001002",
                            "name": "x",
                            "level": "village",
                            "parent_code": "330122001",
                        },
                    },
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [1, 2]},
                        "properties": {"code": "1", "name": "y", "level": "grid"},
                    },
                ],
            }
        )
    )
    count = Area.objects.count()
    with pytest.raises(CommandError, match="2 features are invalid"):
        call_command("areas", "import", str(bad), "--no-progress")
    assert Area.objects.count() == count


@pytest.mark.django_db
def test_token_create_prints_the_token_once(
    people: dict, net: Net, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "token", "create", "county", "--permission", "areas.view", "--area", "330122001", "--expires", "7"
    )
    text = capsys.readouterr().out.strip()
    assert text.startswith("og_")
    row = ApiToken.objects.get()
    assert (row.permissions, row.area_path) == (["areas.view"], net.township_a.path)
    with pytest.raises(CommandError):
        call_command("token", "create", "county", "--permission", "areas.fly")


def test_production_refuses_to_start_without_real_secrets(tmp_path: Path) -> None:
    result = run_onegrid(
        "check",
        env={
            "ONEGRID_ENV": "production",
            "ONEGRID_DATA_DIR": str(tmp_path),
            "ONEGRID_SECRET_KEY": "",
            "ONEGRID_PII_KEYS": "",
        },
    )
    assert result.returncode != 0
    assert "ONEGRID_SECRET_KEY must be set" in result.stderr


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    env = {
        "ONEGRID_ENV": "production",
        "ONEGRID_DATA_DIR": str(tmp_path),
        "ONEGRID_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "ONEGRID_PII_KEYS": "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ONEGRID_ALLOWED_HOSTS": "onegrid.example.org",
        "ONEGRID_LEDGER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "ONEGRID_LEDGER_ORIGIN": "onegrid.example.org/ledger",
    }
    result = run_onegrid("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_generate_loads_the_demo_county_with_every_level(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("areas", "generate", "--scale", "county", "--no-progress")
    assert "created" in capsys.readouterr().out
    levels = dict(Area.objects.values_list("level").annotate(n=Count("id")))
    assert levels[1] == levels[2] == levels[3] == 1
    assert levels[4] == 14
    assert 200 <= levels[6] <= 600
    assert Area.objects.get(code="330122").name == "桐庐县"


def test_the_demo_sets_up_a_fresh_data_directory_and_prints_the_accounts(tmp_path: Path) -> None:
    result = run_onegrid("demo", "--no-serve", env={"ONEGRID_DATA_DIR": str(tmp_path), "DATABASE_URL": ""})
    assert result.returncode == 0, result.stderr
    for account in ("admin", "county", "township", "gridworker", "handler", "resident", "onegrid-demo"):
        assert account in result.stdout
    assert (tmp_path / "onegrid.sqlite3").exists()
    assert "3000 generated sample matters" in result.stdout
    again = run_onegrid("demo", "--no-serve", env={"ONEGRID_DATA_DIR": str(tmp_path), "DATABASE_URL": ""})
    assert again.returncode == 0, again.stderr  # idempotent: a second run keeps the data
    assert "sample matters" not in again.stdout
    assert "routing rules" not in again.stdout
