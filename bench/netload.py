"""How long the net takes to load and the demo to start serving, on fresh databases.

Figures (issue "Foundation"): `onegrid areas generate --scale province` finishes in under 2 minutes;
the demo starts serving in under 60 seconds on a fresh clone once dependencies are installed.
Comparison measured in the same run: the same province net written through Django's ORM
(`bulk_create` of the areas and of their audit records), which is what the loader would cost without
its multi-row insert path. Each run uses a throwaway data directory (SQLite, WAL).

    uv run python bench/netload.py [--runs 3] [--skip-orm]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import ROOT, Result, report

ONEGRID = [sys.executable, "-m", "onegrid.cli"]
ORM_LOADER = r"""
import os, time, django
django.setup()
from django.core.management import call_command
from django.db import transaction
from onegrid.areas import generate, services
from onegrid.areas.checks import check_batch
from onegrid.areas.models import Area
from onegrid.audit import services as audit
from onegrid.audit.models import AuditRecord
call_command("migrate", verbosity=0)
start = time.perf_counter()
drafts = list(generate.generate("province"))
inputs = [d.as_input() for d in drafts]
prepared, errors = check_batch(inputs, actor=None, permission="areas.import")
assert not errors, errors[:3]
with transaction.atomic():
    ids = {}
    for level in sorted({int(p.data.level) for p in prepared}):
        items = [p for p in prepared if int(p.data.level) == level]
        areas = []
        for p in items:
            a = Area(code=p.data.code)
            services._apply(a, p)
            a.parent_id = ids.get(p.data.parent_code)
            areas.append(a)
        Area.objects.bulk_create(areas, batch_size=1000)
        ids.update(Area.objects.filter(level=level).values_list("code", "id"))
        AuditRecord.objects.bulk_create([audit.build(None, "areas.create", a) for a in areas], batch_size=1000)
print(f"{time.perf_counter() - start:.3f}")
"""


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ONEGRID_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="onegrid.settings")
    return env


def province_load() -> float:
    with tempfile.TemporaryDirectory(prefix="onegrid-bench-") as tmp:
        env = _env(Path(tmp))
        subprocess.run([*ONEGRID, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        start = time.perf_counter()
        subprocess.run(
            [*ONEGRID, "areas", "generate", "--scale", "province", "--no-progress"],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def province_load_orm() -> float:
    with tempfile.TemporaryDirectory(prefix="onegrid-bench-") as tmp:
        out = subprocess.run(
            [sys.executable, "-c", ORM_LOADER],
            env=_env(Path(tmp)),
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return float(out.stdout.strip().splitlines()[-1])


def demo_start(port: int) -> float:
    """From `onegrid demo` on an empty data directory to the first answered page."""
    with tempfile.TemporaryDirectory(prefix="onegrid-bench-") as tmp:
        start = time.perf_counter()
        server = subprocess.Popen(
            [*ONEGRID, "demo", "--port", str(port)],
            env=_env(Path(tmp)),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while time.perf_counter() - start < 300:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        if r.status == 200:
                            return time.perf_counter() - start
                except OSError:
                    time.sleep(0.2)
            raise RuntimeError("the demo did not answer within 300 s")
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-orm", action="store_true", help="skip the ORM comparison (slow)")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--no-log", action="store_true")
    args = parser.parse_args()

    demo = [demo_start(args.port) for _ in range(args.runs)]
    load = [province_load() for _ in range(args.runs)]
    orm = None if args.skip_orm else province_load_orm()
    med_demo, med_load = statistics.median(demo), statistics.median(load)
    rows = [
        [
            "demo: fresh data dir → first page served",
            f"{med_demo:.1f} s",
            "goal 60 s",
            f"{60 / med_demo:.1f}× under",
        ],
        [
            "areas generate --scale province (127,990 areas)",
            f"{med_load:.1f} s",
            "goal 120 s",
            f"{120 / med_load:.1f}× under",
        ],
    ]
    if orm is not None:
        rows.append(
            [
                "  the same net through the ORM (bulk_create), one run",
                f"{orm:.1f} s",
                f"ours {med_load:.1f} s",
                f"ours {orm / med_load:.1f}× faster",
            ]
        )
    notes = [
        f"runs: demo {', '.join(f'{d:.1f}' for d in demo)} s; province {', '.join(f'{x:.1f}' for x in load)} s "
        "(medians reported); SQLite in WAL mode in a throwaway data directory.",
        "The province run includes generating the geometry, checking every invariant (codes, levels, validity, "
        "sibling overlaps), writing areas and one audit record each, in one transaction.",
    ]
    report(
        "netload: loading the net and starting the demo",
        [
            Result(
                "Loading the net and starting the demo",
                ["figure", "ours", "comparison", "ratio"],
                rows,
                notes,
            )
        ],
        log=not args.no_log,
    )


if __name__ == "__main__":
    main()
