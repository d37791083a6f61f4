"""Dashboard statistics over a province-year of matters, from the rollup and straight from the matters.

    uv run python bench/stats.py [--count 25000000] [--seed 1] [--runs 20] [--direct-runs 3]
                                 [--engines sqlite,postgresql] [--no-log]

For each engine: builds (or reuses, cached under var/bench/) the synthetic Zhejiang net and ``--count``
generated matters over 365 days, then times what a leader's dashboard asks — the province's summary
for the year (totals, the three rates, local share, median, counts by channel, category, status, level
and day), drill-down to the children of the province, of a city and of a county, the breakdown by
organisation, the daily trend, and a grid's month — ``--runs`` times each after one warm-up, quoting
p50/p95. The comparison runs the same questions as plain SQL aggregates over the matters table in the
same process (``--direct-runs`` times; fewer figures than the rollup answers: no ratings, calls or
median), and checks that both give the same matter counts (``--direct-runs 0`` skips it while
iterating; a logged run should include it). The by-organisation question is also timed by phase: the
grouped statement with its rows read into a table (``stats.table``), the figures of every row
(``stats.figures_of``) and the rest (names, sorting, one dict per row); and the garbage collector's
full collections during its runs are counted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from _bigdb import database, describe_build, postgres_available
from _common import Result, report


def _measure(url: str, runs: int, direct_runs: int) -> dict[str, Any]:
    """Runs in a child process with DATABASE_URL set (Django reads it at start-up)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
    import datetime as dt

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max, Sum

    from onegrid.areas.levels import CODE_LENGTH, Level
    from onegrid.areas.models import Area
    from onegrid.matters import rollup, stats
    from onegrid.matters.models import Matter, Tally

    with connection.cursor() as cursor:  # planner statistics for indexes added since the load
        cursor.execute("ANALYZE matters_tally")
    last = Tally.objects.filter(dim="").aggregate(m=Max("day"))["m"]
    since = last - dt.timedelta(days=364)
    province = Area.objects.get(level=Level.PROVINCE).path

    def biggest(parent: str) -> str:
        row = (
            Tally.objects.filter(dim="", parent=parent)
            .values("area_path")
            .annotate(n=Sum("n"))
            .order_by("-n")
            .first()
        )
        assert row is not None
        return str(row["area_path"])

    city = biggest(province)
    county = biggest(city)
    grid = (
        Matter.objects.filter(area_path__startswith=county)
        .order_by("-id")
        .values_list("area_path", flat=True)[0]
    )
    year = stats.Question(nodes=(province,), since=since, until=last)
    month = stats.Question(nodes=(grid,), since=last - dt.timedelta(days=29), until=last)

    def node(path: str) -> stats.Question:
        return stats.Question(nodes=(path,), since=since, until=last)

    tz = rollup.zone()
    child_length = {
        province: len(province) + CODE_LENGTH[Level.CITY] + 1,
        city: len(city) + CODE_LENGTH[Level.COUNTY] + 1,
        county: len(county) + CODE_LENGTH[Level.TOWNSHIP] + 1,
    }
    measures = (
        "COUNT(*), SUM(CASE WHEN accept_on_time IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN accept_on_time THEN 1 ELSE 0 END), SUM(CASE WHEN resolve_on_time IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN resolve_on_time THEN 1 ELSE 0 END), SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN closed_at IS NOT NULL AND owner_level >= 4 THEN 1 ELSE 0 END)"
    )
    local_day = (
        "date(received_at, '+8 hours')"
        if connection.vendor == "sqlite"
        else "(received_at AT TIME ZONE 'Asia/Shanghai')::date"
    )

    def direct(q: stats.Question, group: str | None) -> int:
        """Plain SQL over the matters table; returns the number of matters counted."""
        start = dt.datetime.combine(q.since, dt.time.min, tz)
        end = dt.datetime.combine(q.until + dt.timedelta(days=1), dt.time.min, tz)
        path = q.nodes[0]
        upper = path[:-1] + "0"
        where = "merged_into_id IS NULL AND received_at >= %s AND received_at < %s AND area_path >= %s AND area_path < %s"
        sql = f"SELECT {group + ', ' if group else ''}{measures} FROM matters_matter WHERE {where}"
        if group:
            sql += f" GROUP BY {group}"
        with connection.cursor() as cursor:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.execute(sql, [adapt(start), adapt(end), path, upper])
            rows = cursor.fetchall()
        width = 1 if group else 0
        return sum(int(r[width] or 0) for r in rows)

    def direct_summary(q: stats.Question) -> int:
        total = direct(q, None)
        for group in ("channel", "category_id", "status", "owner_level", local_day):
            assert direct(q, group) == total
        return total

    def total_of(answer: Any) -> int:
        if isinstance(answer, dict):
            return int(answer["total"])
        return sum(int(r["total"]) for r in answer)

    cases: list[tuple[str, Callable[[], Any], Callable[[], int]]] = [
        ("province summary, 365 days", lambda: stats.summary(year), lambda: direct_summary(year)),
        (
            "children of the province (cities)",
            lambda: stats.breakdown(year, "children"),
            lambda: direct(year, f"substr(area_path, 1, {child_length[province]})"),
        ),
        (
            "children of a city (counties)",
            lambda: stats.breakdown(node(city), "children"),
            lambda: direct(node(city), f"substr(area_path, 1, {child_length[city]})"),
        ),
        (
            "children of a county (townships)",
            lambda: stats.breakdown(node(county), "children"),
            lambda: direct(node(county), f"substr(area_path, 1, {child_length[county]})"),
        ),
        (
            "province by organisation",
            lambda: stats.breakdown(year, "organisation"),
            lambda: direct(year, "owner_id"),
        ),
        ("province by day (trend)", lambda: stats.breakdown(year, "day"), lambda: direct(year, local_day)),
        ("a grid's month (summary)", lambda: stats.summary(month), lambda: direct_summary(month)),
    ]

    def timed(f: Callable[[], Any]) -> float:
        t = time.perf_counter()
        f()
        return (time.perf_counter() - t) * 1000

    full_collections = [0]

    def count_full(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full_collections[0] += 1

    out: dict[str, Any] = {
        "matters": Matter.objects.count(),
        "tally_rows": Tally.objects.count(),
        "vendor": connection.vendor,
        "cases": [],
    }
    for name, ours, theirs in cases:
        answer = ours()  # warm-up
        times = []
        collected = full_collections[0]
        gc.callbacks.append(count_full)
        for _ in range(runs):
            t = time.perf_counter()
            ours()
            times.append((time.perf_counter() - t) * 1000)
        gc.callbacks.remove(count_full)
        direct_times = []
        counted = None
        for _ in range(direct_runs):
            t = time.perf_counter()
            counted = theirs()
            direct_times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["cases"].append(
            {
                "name": name,
                "p50": statistics.median(times),
                "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                "direct_p50": statistics.median(direct_times) if direct_times else None,
                "direct_runs": direct_times,
                "same": None if counted is None else total_of(answer) == counted,
                "matters": total_of(answer) if counted is None else counted,
                "full_collections": full_collections[0] - collected,
            }
        )
    grouped = stats.table(year, "value", dim="org")
    phases: dict[str, list[float]] = {"statement": [], "figures": [], "whole": [], "rest": []}
    for _ in range(runs):  # interleaved, so that the machine's load weighs on every phase alike
        phases["statement"].append(timed(lambda: stats.table(year, "value", dim="org")))
        phases["figures"].append(timed(lambda: stats.figures_of(grouped.values)))
        phases["whole"].append(timed(lambda: stats.breakdown(year, "organisation")))
        phases["rest"].append(phases["whole"][-1] - phases["statement"][-1] - phases["figures"][-1])
    out["phases"] = {name: statistics.median(times) for name, times in phases.items()}
    out["phases"]["organisations"] = len(grouped.keys)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=25_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--direct-runs", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--no-log", action="store_true", help="do not append to docs/benchmarks.md")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.runs, args.direct_runs)))
        return
    results: list[Result] = []
    for engine in args.engines.split(","):
        if engine == "postgresql" and not postgres_available():
            print("PostgreSQL 15 is not installed: apt-get install -y postgresql-15", file=sys.stderr)
            continue
        with database(engine, args.count, args.seed) as url:
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    url,
                    "--runs",
                    str(args.runs),
                    "--direct-runs",
                    str(args.direct_runs),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
        data = json.loads(child.stdout.strip().splitlines()[-1])
        rows = [
            [
                c["name"],
                f"{c['p50']:.1f}",
                f"{c['p95']:.1f}",
                "—" if c["direct_p50"] is None else f"{c['direct_p50']:.0f}",
                "—" if c["direct_p50"] is None else f"{c['direct_p50'] / max(c['p50'], 1e-6):.0f}×",
                f"{c['matters']:,}",
                {None: "not compared", True: "yes", False: "NO"}[c["same"]],
            ]
            for c in data["cases"]
        ]
        phases = data["phases"]
        collections = ", ".join(f"{c['name']} {c['full_collections']}" for c in data["cases"])
        results.append(
            Result(
                title=f"{engine}: {data['matters']:,} matters, {data['tally_rows']:,} rollup rows",
                columns=[
                    "dashboard question",
                    "rollup p50 ms",
                    "rollup p95 ms",
                    "direct SQL p50 ms",
                    "ratio",
                    "matters counted",
                    "same counts",
                ],
                rows=rows,
                notes=[
                    f"rollup: {args.runs} runs after a warm-up; direct SQL over matters_matter: "
                    f"{args.direct_runs} runs (it computes less: no ratings, calls or median). "
                    + describe_build(engine, args.count, args.seed),
                    f"Province by organisation ({phases['organisations']:,} organisations), p50 by phase: "
                    f"grouped statement and its rows {phases['statement']:.1f} ms, figures of every row "
                    f"{phases['figures']:.1f} ms, the rest (names, order, one dict per row) "
                    f"{phases['rest']:.1f} ms "
                    f"(whole {phases['whole']:.1f} ms). Full garbage collections during the {args.runs} "
                    f"runs: {collections}.",
                ],
            )
        )
    report(f"Statistics dashboard queries at {args.count:,} matters", results, log=not args.no_log)


if __name__ == "__main__":
    main()
