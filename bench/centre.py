"""Server time and queries of the command-centre pages with 100,000 matters in the operator's scope.

Budget (issue 4): the queue and matter pages answer in at most 15 queries and 300 ms of server time
with 100,000 matters in scope. A throwaway database (SQLite in a temporary data directory, or the
PostgreSQL of ``DATABASE_URL``) gets the demo county and its people, then ``--matters`` matters spread
over the county's grids in every status. Each page is asked for ``--runs`` times through Django's test
client as the county operator; the table gives the median and the worst run, and the queries.

Comparison measured in the same run: the same queue as a plain Django list would build it — an
OFFSET page from ``Paginator`` over ``selectors.search`` (its COUNT of everything, then page 20) and
one COUNT per status for the chips.

    uv run python bench/centre.py [--matters 100000] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time

from _common import Result, report

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
SCRATCH = None if os.environ.get("DATABASE_URL") else tempfile.mkdtemp(prefix="onegrid-bench-centre-")
if SCRATCH is not None:
    os.environ["ONEGRID_DATA_DIR"] = SCRATCH

import django  # noqa: E402  (the environment above must be set first)

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from onegrid.access.models import User  # noqa: E402
from onegrid.areas.levels import Level  # noqa: E402
from onegrid.areas.models import Area  # noqa: E402
from onegrid.matters import selectors  # noqa: E402
from onegrid.matters.lifecycle import Status  # noqa: E402
from onegrid.matters.models import Category, Matter  # noqa: E402
from onegrid.web import demo  # noqa: E402

STATUSES = [s.value for s in Status]


def load(count: int) -> None:
    call_command("migrate", verbosity=0)
    demo.load_net()
    demo.load_people()
    if Matter.objects.count() >= count:
        return
    grids = list(
        Area.objects.filter(level=Level.GRID).only("pk", "path", "min_lon", "min_lat", "max_lon", "max_lat")
    )
    leaves = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    rng = random.Random(7)
    now = timezone.now()
    with transaction.atomic():
        batch = []
        for i in range(count):
            grid = grids[i % len(grids)]
            west, south, east, north = grid.bbox
            due = now + timezone.timedelta(hours=rng.uniform(-72, 72))
            batch.append(
                Matter(
                    number=f"BENCH-{i:08d}",
                    channel=rng.choice(["hotline_12345", "resident_app", "grid_patrol", "wechat"]),
                    category_id=rng.choice(leaves),
                    title=f"测试事件 {i} 道路积水" if i % 7 == 0 else f"测试事件 {i}",
                    status=rng.choice(STATUSES),
                    area_id=grid.pk,
                    area_path=grid.path,
                    lon=rng.uniform(west, east),
                    lat=rng.uniform(south, north),
                    due_at=due,
                    warn_at=due - timezone.timedelta(hours=12),
                )
            )
            if len(batch) == 5000:
                Matter.objects.bulk_create(batch)
                batch = []
        Matter.objects.bulk_create(batch)


def timed(call: object, runs: int) -> tuple[float, float, float, int]:
    """Median and worst wall-clock milliseconds over ``runs``, the median CPU milliseconds of this
    process (SQLite runs in it, so on a shared machine this is the time the page itself costs), and
    the queries of one run."""
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
        if i == 0:  # the first run warms caches; it is not counted
            queries = len(seen.captured_queries)
            continue
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
    args = parser.parse_args()

    load(args.matters)
    operator = User.objects.get(username="county")
    client = Client()
    client.force_login(operator)
    in_scope = selectors.visible(operator).count()
    sample = Matter.objects.filter(status="accepted").order_by("-pk").values_list("number", flat=True)[0]
    newest = Matter.objects.order_by("-pk").values_list("pk", flat=True)[0]
    county = Area.objects.filter(level=Level.COUNTY).first()
    assert county is not None
    west, south, east, north = county.bbox

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
    ]
    rows = []
    for name, call in pages:
        median, worst, cpu, queries = timed(call, args.runs)
        budget = name.startswith(("queue", "matter"))
        verdict = ("ok" if median <= 300 and queries <= 15 else "over (wall)") if budget else "—"
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
    report(
        "centre: command-centre pages with matters in scope",
        [
            Result(
                f"{in_scope:,} matters in the county operator's scope, {connection.vendor}, "
                f"median of {args.runs} runs (server time through the test client)",
                ["page", "median", "worst", "median CPU", "queries", "budget 300 ms / 15 queries"],
                rows,
                notes=[
                    "median CPU: CPU time of this process, where SQLite runs too; on a shared machine the wall "
                    "time also holds the waits for a core."
                ],
            )
        ],
        log=not args.no_log,
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        if SCRATCH is not None:
            shutil.rmtree(SCRATCH, ignore_errors=True)
