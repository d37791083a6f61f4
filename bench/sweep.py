"""The deadline sweep over a province-year of matters, with and without its partial indexes.

    uv run python bench/sweep.py [--count 25000000] [--seed 1] [--runs 10] [--engines sqlite,postgresql]

Uses the database bench/stats.py builds (cached under var/bench/): most matters closed, the open ones
with deadlines spread over the stages, marks older than an hour already emitted, so each sweep finds
the matters falling due now. Each timed sweep runs inside a transaction that is rolled back, so every
run sees the same work: the first pass emits the pending warnings and overdue marks (timeline events,
notices); an idle pass (nothing pending) follows in the same transaction. The comparison drops the
partial indexes ``matter_warning_due`` and ``matter_overdue_due`` inside such a transaction — the
sweep as it ran before them — and times the same two passes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from _bigdb import database, describe_build, postgres_available
from _common import Result, report


def _measure(url: str, runs: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from onegrid.matters import sweeps
    from onegrid.matters.models import SWEPT, Matter

    class Rollback(Exception):
        pass

    def passes(drop: bool) -> tuple[float, float, int]:
        timed: list[tuple[float, float, int]] = []
        try:
            with transaction.atomic():
                if drop:
                    with connection.cursor() as cursor:
                        cursor.execute("DROP INDEX matter_warning_due")
                        cursor.execute("DROP INDEX matter_overdue_due")
                t = time.perf_counter()
                emitted = sweeps.sweep()
                busy = time.perf_counter() - t
                t = time.perf_counter()
                sweeps.sweep()
                idle = time.perf_counter() - t
                timed.append((busy * 1000, idle * 1000, emitted))
                raise Rollback
        except Rollback:
            pass
        return timed[0]

    now = timezone.now()
    facts = {
        "matters": Matter.objects.count(),
        "open": Matter.objects.filter(status__in=SWEPT).count(),
        "overdue_open": Matter.objects.filter(status__in=SWEPT, due_at__lt=now).count(),
        "vendor": connection.vendor,
    }
    out: dict[str, Any] = {"facts": facts}
    for name, drop in (("partial", False), ("before", True)):
        passes(drop)  # warm-up
        results = [passes(drop) for _ in range(runs)]
        out[name] = {
            "busy": statistics.median(r[0] for r in results),
            "busy_max": max(r[0] for r in results),
            "idle": statistics.median(r[1] for r in results),
            "emitted": results[0][2],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=25_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.runs)))
        return
    rows = []
    builds = []
    for engine in args.engines.split(","):
        if engine == "postgresql" and not postgres_available():
            print("PostgreSQL 15 is not installed: apt-get install -y postgresql-15", file=sys.stderr)
            continue
        with database(engine, args.count, args.seed) as url:
            child = subprocess.run(
                [sys.executable, __file__, "--measure", url, "--runs", str(args.runs)],
                check=True,
                capture_output=True,
                text=True,
            )
        data = json.loads(child.stdout.strip().splitlines()[-1])
        f, ours, before = data["facts"], data["partial"], data["before"]
        builds.append(f"{engine}: {describe_build(engine, args.count, args.seed)}")
        rows.append(
            [
                engine,
                f"{f['matters']:,}",
                f"{f['open']:,} ({f['overdue_open']:,} overdue)",
                f"{ours['emitted']:,}",
                f"{ours['busy']:.0f} (max {ours['busy_max']:.0f})",
                f"{ours['idle']:.1f}",
                f"{before['busy']:.0f}",
                f"{before['idle']:.1f}",
                f"{before['busy'] / max(ours['busy'], 1e-6):.1f}× / {before['idle'] / max(ours['idle'], 1e-6):.0f}×",
            ]
        )
    report(
        f"Deadline sweep at {args.count:,} matters",
        [
            Result(
                title="one sweep pass (ms): with the partial work-list indexes, and without them (before)",
                columns=[
                    "engine",
                    "matters",
                    "open (overdue)",
                    "marks emitted",
                    "sweep ms p50",
                    "idle sweep ms",
                    "before: sweep ms",
                    "before: idle ms",
                    "ratio sweep / idle",
                ],
                rows=rows,
                notes=[
                    f"median of {args.runs} runs after a warm-up, each in a transaction rolled back afterwards; "
                    "a sweep emits at most 500 warnings and 500 overdue marks per pass (sweeps.BATCH).",
                    *builds,
                ],
            )
        ],
    )


if __name__ == "__main__":
    main()
