"""Server time and queries of the command-centre pages with 100,000 matters in the operator's scope.

Budget (issue 4): the queue and matter pages answer in at most 15 queries and 300 ms of server time
with 100,000 matters in scope. A throwaway database (SQLite in a temporary data directory, or the
PostgreSQL of ``DATABASE_URL``) gets the demo county and its people, then ``--matters`` matters spread
from the generator (``onegrid matters generate``: a year of them, most older ones closed, as in a
working county; the statistics rollup filled as intake fills it). Each page is asked for ``--runs`` times through Django's test
client as the county operator; the table gives the median and the worst run, and the queries.

Comparison measured in the same run: the same queue as a plain Django list would build it — an
OFFSET page from ``Paginator`` over ``selectors.search`` (its COUNT of everything, then page 20) and
one COUNT per status for the chips.

The dashboards (``/centre/dashboard/``, its JSON, the big screen) are measured on the same county, and
with ``--big N`` also on the province net with N generated matters (``bench/_bigdb.py``: built once by
``onegrid areas generate --scale province`` and ``onegrid matters generate``, cached under var/bench/)
as a province leader, against the same breakdowns counted over the matters (the budget: ≤ 1 s at
1,000,000 matters).

    uv run python bench/centre.py [--matters 100000] [--runs 15] [--big 1000000 --big-runs 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _bigdb import build_facts, database
from _common import Result, report

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
SCRATCH = None if os.environ.get("DATABASE_URL") else tempfile.mkdtemp(prefix="onegrid-bench-centre-")
if SCRATCH is not None:
    os.environ["ONEGRID_DATA_DIR"] = SCRATCH

import django  # noqa: E402  (the environment above must be set first)

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.db.models.functions import TruncDate  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from onegrid.access.models import Grant, Role, User  # noqa: E402
from onegrid.areas.levels import Level  # noqa: E402
from onegrid.areas.models import Area  # noqa: E402
from onegrid.matters import generate, selectors  # noqa: E402
from onegrid.matters.lifecycle import Status  # noqa: E402
from onegrid.matters.models import Matter, Tally  # noqa: E402
from onegrid.web import demo  # noqa: E402

STATUSES = [s.value for s in Status]


def load(count: int) -> None:
    """The demo county, its people and routing rules, and ``count`` matters from the generator (a year
    of them, statuses by age as in a working county; the statistics rollup filled as intake would)."""
    call_command("migrate", verbosity=0)
    demo.load_net()
    demo.load_people()
    demo.load_routing()
    have = Matter.objects.count()
    if have < count:
        generate.generate(count=count - have, seed=7, days=365)


def timed(call: object, runs: int) -> tuple[float, float, float, int]:
    """Median and worst wall-clock milliseconds over ``runs``, the median CPU milliseconds of this
    process (SQLite runs in it, so on a shared machine this is the time the page itself costs), and
    the queries of one warm run."""
    times, cpu = [], []
    queries = 0
    for i in range(runs + 1):
        with CaptureQueriesContext(connection) as seen:
            start, start_cpu = time.perf_counter(), time.process_time()
            call()  # type: ignore[operator]
            elapsed, elapsed_cpu = (
                (time.perf_counter() - start) * 1000,
                (time.process_time() - start_cpu) * 1000,
            )
        if i == 0:  # the first run warms caches (the routing catalogue after a change...): not counted
            continue
        queries = len(seen.captured_queries)  # of a warm run, like every request but a process's first
        times.append(elapsed)
        cpu.append(elapsed_cpu)
    return statistics.median(times), max(times), statistics.median(cpu), queries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-log", action="store_true")
    parser.add_argument("--big", type=int, default=0, help="also the dashboards at this many matters")
    parser.add_argument("--big-runs", type=int, default=7)
    parser.add_argument("--measure-big", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_big:
        print(json.dumps(measure_big(args.runs)))
        return

    load(args.matters)
    operator = User.objects.get(username="county")
    client = Client()
    client.force_login(operator)
    in_scope = selectors.visible(operator).count()
    sample = Matter.objects.filter(status="accepted").order_by("-pk").values_list("number", flat=True).first()
    sample = sample or Matter.objects.order_by("-pk").values_list("number", flat=True)[0]
    newest = Matter.objects.order_by("-pk").values_list("pk", flat=True)[0]
    county = Area.objects.filter(level=Level.COUNTY).first()
    assert county is not None
    west, south, east, north = county.bbox
    township = Area.objects.filter(level=Level.TOWNSHIP).order_by("path").values_list("code", flat=True)[0]

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def naive_queue() -> None:
        qs = selectors.search(operator).order_by("-received_at", "-id")
        page = Paginator(qs, 50).page(20)
        list(page.object_list)
        for status in STATUSES:
            selectors.search(operator, status=[status]).count()

    pages = [
        ("queue, no filter", lambda: get("/centre/")),
        ("queue, status = accepted", lambda: get("/centre/?status=accepted")),
        ("queue, overdue", lambda: get("/centre/?due=overdue")),
        ("queue, text search 道路积水", lambda: get("/centre/?q=道路积水")),
        ("queue, new rows since the newest", lambda: get(f"/centre/queue/new?after={newest}")),
        ("matter page", lambda: get(f"/centre/matters/{sample}/")),
        ("map: grids with counts", lambda: get("/centre/map/grids.geojson")),
        (
            "map: clusters, whole county",
            lambda: get(f"/centre/map/clusters.json?bbox={west},{south},{east},{north}&zoom=10"),
        ),
        ("dashboard, county, 30 days", lambda: get("/centre/dashboard/")),
        ("dashboard, county, 365 days", lambda: get("/centre/dashboard/?days=365")),
        ("dashboard, a township, 30 days", lambda: get(f"/centre/dashboard/{township}/")),
        ("dashboard JSON (the big screen's refresh)", lambda: get("/centre/dashboard/data.json")),
        ("big screen", lambda: get("/centre/screen/")),
    ]
    rows = []
    for name, call in pages:
        median, worst, cpu, queries = timed(call, args.runs)
        if name.startswith(("queue", "matter")):
            verdict = "ok" if median <= 300 and queries <= 15 else "over (wall)"
        elif name.startswith(("dashboard", "big screen")):
            verdict = "ok (≤ 1 s)" if median <= 1000 else "over 1 s (wall)"
        else:
            verdict = "—"
        rows.append([name, f"{median:.0f} ms", f"{worst:.0f} ms", f"{cpu:.0f} ms", str(queries), verdict])
    median, worst, cpu, queries = timed(naive_queue, args.runs)
    ours = float(rows[0][1].split()[0])
    rows.append(
        [
            "comparison: Paginator page 20 + a COUNT per status",
            f"{median:.0f} ms",
            f"{worst:.0f} ms",
            f"{cpu:.0f} ms",
            str(queries),
            f"the queue is {median / ours:.1f}× faster" if ours else "—",
        ]
    )
    results = [
        Result(
            f"{in_scope:,} matters in the county operator's scope, {connection.vendor}, "
            f"median of {args.runs} runs (server time through the test client)",
            ["page", "median", "worst", "median CPU", "queries", "budget 300 ms / 15 queries"],
            rows,
            notes=[
                "median CPU: CPU time of this process, where SQLite runs too; on a shared machine the wall "
                "time also holds the waits for a core.",
                "data: the demo county with matters from the generator (a year; statuses by age, so most "
                "older matters are closed); the queue's counts by status come from the statistics rollup.",
            ],
        )
    ]
    if args.big:
        results.append(big_dashboards(args.big, args.big_runs))
    report("centre: command-centre pages with matters in scope", results, log=not args.no_log)


def big_dashboards(count: int, runs: int) -> Result:
    """The dashboards on the cached province database with ``count`` matters, measured in a child
    process (Django reads DATABASE_URL at start-up)."""
    with database("sqlite", count, 1) as url:
        child = subprocess.run(
            [sys.executable, __file__, "--measure-big", "--runs", str(runs)],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            capture_output=True,
            text=True,
        )
    data = json.loads(child.stdout.strip().splitlines()[-1])
    facts = build_facts("sqlite", count, 1)
    return Result(
        f"{data['matters']:,} matters on the province net (sqlite), as a province leader, "
        f"median of {runs} runs",
        ["page", "median", "worst", "median CPU", "queries", "budget 1 s"],
        data["rows"],
        notes=[
            "comparison: the dashboard's breakdowns (channel, category, status, organisation, day) for the "
            "province's last 30 days as GROUP BY counts over the matters, without rates or drill-down.",
            f"database built once and cached under var/bench/ (net {facts.get('net_s', '?')} s, matters + "
            f"rollup {facts.get('matters_s', '?')} s).",
        ],
    )


def measure_big(runs: int) -> dict[str, object]:
    """Runs in the child: the dashboard pages of the province and of its biggest city, county, township
    and one grid, and the naive comparison."""
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:  # planner statistics for indexes added since the load
        cursor.execute("ANALYZE matters_matter")
        cursor.execute("ANALYZE matters_tally")
    province = Area.objects.get(level=Level.PROVINCE)
    leader, _ = User.objects.get_or_create(username="bench-leader", defaults={"display_name": "bench"})
    Grant.objects.get_or_create(
        role=Role.objects.get(code="leader"), area=province, area_path=province.path, user=leader
    )
    client = Client()
    client.force_login(leader)

    def biggest(parent: str) -> Area:
        row = (
            Tally.objects.filter(dim="", parent=parent)
            .values("area_path")
            .annotate(n=Sum("n"))
            .order_by("-n")
            .first()
        )
        assert row is not None
        return Area.objects.get(path=row["area_path"])

    city = biggest(province.path)
    county = biggest(city.path)
    township = biggest(county.path)
    grid = Area.objects.filter(path__startswith=township.path, level=Level.GRID).order_by("path").first()
    assert grid is not None

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    last = timezone.localdate()
    first = last - dt.timedelta(days=29)

    def naive() -> None:
        start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
        period = Matter.objects.filter(received_at__gte=start).order_by()
        for field in ("channel", "category", "status", "owner"):
            list(period.values(field).annotate(n=Count("pk")))
        list(period.annotate(day=TruncDate("received_at")).values("day").annotate(n=Count("pk")))

    pages = [
        ("province, 30 days", "/centre/dashboard/"),
        ("province, 365 days", "/centre/dashboard/?days=365"),
        ("province JSON (the big screen's refresh)", "/centre/dashboard/data.json"),
        ("big screen, province", "/centre/screen/"),
        (f"city {city.code}, 30 days", f"/centre/dashboard/{city.code}/"),
        (f"county {county.code}, 30 days", f"/centre/dashboard/{county.code}/"),
        (f"township {township.code}, 30 days", f"/centre/dashboard/{township.code}/"),
        (f"grid {grid.code}, 365 days", f"/centre/dashboard/{grid.code}/?days=365"),
    ]
    rows = []
    for name, url in pages:
        median, worst, cpu, queries = timed(lambda url=url: get(url), runs)  # type: ignore[misc]
        verdict = "ok" if median <= 1000 else "over (wall)"
        rows.append([name, f"{median:.0f} ms", f"{worst:.0f} ms", f"{cpu:.0f} ms", str(queries), verdict])
    median, worst, cpu, queries = timed(naive, max(1, runs // 3))
    ours = float(rows[0][1].split()[0])
    rows.append(
        [
            "comparison: the same breakdowns counted over the matters",
            f"{median:.0f} ms",
            f"{worst:.0f} ms",
            f"{cpu:.0f} ms",
            str(queries),
            f"the dashboard is {median / ours:.1f}× faster" if ours else "—",
        ]
    )
    return {"matters": Matter.objects.count(), "rows": rows}


if __name__ == "__main__":
    try:
        main()
    finally:
        if SCRATCH is not None:
            shutil.rmtree(SCRATCH, ignore_errors=True)
