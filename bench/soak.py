"""The load soak as a benchmark: the mixed workload of tests/reliability/test_soak.py (queue lists,
single matters, intake, lifecycle steps, statistics and the command centre's queue page) at a fixed
rate from a second process, against ``onegrid serve --workers 2`` on a fresh demo installation.

Comparison measured in the same run: the same workload against Django's own ASGI handler (what
``onegrid serve`` ran before: a thread and a database connection per request, bench/_django_asgi.py),
same rate, same database. Figures: requests completed per second, errors, the server's CPU time per
request (user + system of the server's processes over the measured part: what a request costs,
whatever else the machine is running), p50/p99 latency from each request's intended send time, and
the server's memory growth from the first to the last 20 s.

    uv run python bench/soak.py [--rate 200] [--seconds 60] [--workers 2] [--postgres] [--skip-comparison]
                                [--no-log]

``--postgres`` uses a fresh database on the server of ``ONEGRID_POSTGRES_URL`` (scripts/services.sh).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _common import ROOT, Result, report

sys.path.insert(0, str(ROOT))

from tests.reliability import soak  # (the repository root must be on the path first)
from tests.reliability.livesite import LiveSite

DJANGO_ASGI = [
    sys.executable,
    "-m",
    "uvicorn",
    "_django_asgi:application",
    "--app-dir",
    str(ROOT / "bench"),
    "--lifespan",
    "off",
    "--log-level",
    "warning",
    "--no-access-log",
]


def measure(args: argparse.Namespace, server: list[str] | None) -> soak.Outcome:
    with tempfile.TemporaryDirectory(prefix="onegrid-soak-") as tmp:
        site = LiveSite(Path(tmp), os.environ.get("ONEGRID_POSTGRES_URL", "") if args.postgres else "")
        if server is not None:
            site.env["ONEGRID_DB_CONN_MAX_AGE"] = "0"  # kept connections pile up, one per request thread
        try:
            return soak.run(site, rate=args.rate, seconds=args.seconds, workers=args.workers, server=server)
        finally:
            site.close()


def row(name: str, o: soak.Outcome) -> list[str]:
    _n, p50, p99, _top = o.latency()
    return [
        name,
        f"{o.result['rate']:.1f}",
        f"{o.result['errors']:,}",
        f"{o.result['not_sent']:,}",
        f"{o.cpu_ms_per_request:.2f}",
        f"{p50:.0f}",
        f"{p99:.0f}",
        f"{o.growth_mb:+.1f}",
        "pass" if not o.failures else "FAIL",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--skip-comparison", action="store_true")
    parser.add_argument(
        "--no-log", action="store_true", help="print only; do not append to docs/benchmarks.md"
    )
    args = parser.parse_args()
    if args.postgres and not os.environ.get("ONEGRID_POSTGRES_URL"):
        parser.error("--postgres needs ONEGRID_POSTGRES_URL (source scripts/services.sh; services_start)")

    ours = measure(args, None)
    theirs = None if args.skip_comparison else measure(args, DJANGO_ASGI)
    database = ours.database
    columns = [
        "server",
        "req/s done",
        "errors",
        "not sent",
        "CPU ms/req",
        "p50 ms",
        "p99 ms",
        "RSS growth MB",
        "verdict",
    ]
    rows = [row(f"onegrid serve (thread pool, kept connections), {args.workers} workers", ours)]
    notes = [ours.summary()]
    if theirs is not None:
        rows.append(row(f"Django ASGI handler (thread per request), {args.workers} workers", theirs))
        rows.append(
            [
                "ratio (ours / Django ASGI)",
                f"{ours.result['rate'] / theirs.result['rate']:.2f}×",
                "",
                "",
                f"{ours.cpu_ms_per_request / theirs.cpu_ms_per_request:.2f}×",
                f"{ours.latency()[1] / theirs.latency()[1]:.2f}×",
                f"{ours.latency()[2] / theirs.latency()[2]:.2f}×",
                "",
                "",
            ]
        )
        notes.append(theirs.summary())
    for o in (ours, theirs):
        if o is not None and o.failures:
            notes.append("failures: " + "; ".join(o.failures))
    per_kind = Result(
        f"Latency per kind of request, onegrid serve ({database})",
        ["request", "n", "share", "p50 ms", "p99 ms", "max ms"],
        ours.rows(),
    )
    report(
        f"Load soak — {args.rate:g} req/s asked for {args.seconds:g} s, {database}",
        [Result(f"Mixed load at {args.rate:g} req/s ({database})", columns, rows, notes), per_kind],
        log=not args.no_log,
    )


if __name__ == "__main__":
    main()
