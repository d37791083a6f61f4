"""The load soak, shared by ``tests/reliability/test_soak.py`` and ``bench/soak.py``: a live site served
by ``onegrid serve --workers N``, the load generator (``soakload.py``) as a second process on loopback,
and the resident memory of the server's processes sampled every second while it runs.

What counts as passing (``Outcome.failures``): no error and no answer other than the expected 2xx, every
planned request answered, at least 95 % of ``rate`` requests per second completed over the time until
the last answer, and memory flat — the server's
total RSS (the supervising process and its workers) averaged over the last 20 s exceeds the average over
the first 20 s by no more than ``RSS_BOUND_MB``.

Why that bound: the warm-up before the measured part has loaded every code path and cache (templates,
translations, the locate index, the role catalogue) in every worker, so what remains is allocator noise,
which measured well under 10 MB in total over a 60 s run. A leak that matters would break it fast: the
windows' centres are 40 s apart, about 8,000 requests at 200/s, so 24 MB is a leak of 3 KB per request
(one forgotten response body or query log entry each), which would be 260 MB a day per 1 req/s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability.livesite import LiveSite

GENERATOR = Path(__file__).with_name("soakload.py")
RSS_BOUND_MB = 24.0
RATE_SHARE = 0.95  # of the asked rate, completed over the time until the last answer
WINDOW_S = 20.0
KINDS = {
    "list": "GET /api/v1/matters/?… (queue with filters)",
    "get": "GET /api/v1/matters/{number} (with timeline)",
    "intake": "POST /api/v1/matters/ (idempotency key)",
    "step": "POST …/{register|dispatch|accept|resolve}",
    "summary": "GET /api/v1/matters/stats/summary",
    "children": "GET /api/v1/matters/stats/by/children",
    "centre": "GET /centre/ (signed-in queue page)",
}

FACTS = """
import json
from shapely.geometry import shape
from onegrid.access.models import Organisation
from onegrid.areas.levels import Level
from onegrid.areas.models import Area
county = Area.objects.filter(level=Level.COUNTY).order_by("path").first()
grids = Area.objects.filter(level=Level.GRID, path__startswith=county.path).order_by("path")[:200]
points = [list(shape(g.geometry).representative_point().coords[0]) for g in grids]
township = Area.objects.filter(level=Level.TOWNSHIP, path__startswith=county.path).order_by("path").first()
department = Organisation.objects.get(kind="department", memberships__user__username="handler")
print(json.dumps({"points": points, "area": township.code, "department": department.code}))
"""


@dataclass
class Outcome:
    rate: float
    seconds: float
    workers: int
    database: str
    result: dict[str, Any]
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds into the measured part, KB)
    processes: int = 0
    server_cpu_s: float = float("nan")  # CPU time the server used over the measured part
    generator_cpu_s: float = float("nan")

    @property
    def cpu_ms_per_request(self) -> float:
        """The server's CPU time per completed request: what it costs, whatever else the machine runs."""
        return 1000 * self.server_cpu_s / max(1, self.result["completed"])

    def window_mb(self, last: bool) -> float:
        if not self.rss:
            return float("nan")
        end = self.rss[-1][0]
        chosen = [kb for t, kb in self.rss if (t >= end - WINDOW_S if last else t < WINDOW_S)]
        return statistics.fmean(chosen) / 1024

    @property
    def growth_mb(self) -> float:
        return self.window_mb(last=True) - self.window_mb(last=False)

    def latency(self, kind: str | None = None) -> tuple[int, float, float, float]:
        """(count, p50, p99, max) in ms, of one kind or of all requests."""
        values = (
            sorted(x for v in self.result["latency_ms"].values() for x in v)
            if kind is None
            else self.result["latency_ms"].get(kind, [])
        )
        if not values:
            return 0, float("nan"), float("nan"), float("nan")
        return len(values), _pick(values, 0.50), _pick(values, 0.99), values[-1]

    @property
    def failures(self) -> list[str]:
        r = self.result
        found = []
        if r["errors"]:
            found.append(f"{r['errors']} errors {r['error_kinds']}; first: {r['error_samples'][:5]}")
        if r["not_sent"]:
            found.append(f"{r['not_sent']} requests not sent: the server fell more than 15 s behind")
        if r["completed"] != r["planned"]:
            found.append(f"{r['completed']} of {r['planned']} planned requests completed")
        # the window runs until the last answer, so a slow final second lowers the rate a little
        if r["rate"] < RATE_SHARE * self.rate:
            found.append(
                f"achieved {r['rate']:.1f} req/s over {r['seconds']:.1f} s, below {RATE_SHARE:.0%} of {self.rate:g}"
            )
        if len(self.rss) < 3 * WINDOW_S:
            found.append(f"only {len(self.rss)} memory samples")
        elif self.growth_mb > RSS_BOUND_MB:
            found.append(
                f"server RSS grew {self.growth_mb:.1f} MB from the first to the last {WINDOW_S:g} s "
                f"({self.window_mb(False):.1f} → {self.window_mb(True):.1f} MB; bound {RSS_BOUND_MB:g} MB)"
            )
        return found

    def rows(self) -> list[list[str]]:
        """One row per kind of request and one for all: count, share, p50, p99, max (ms)."""
        total = self.latency()[0] or 1
        rows = []
        for kind, label in [*KINDS.items(), ("all", "all requests")]:
            n, p50, p99, top = self.latency(None if kind == "all" else kind)
            rows.append(
                [label, f"{n:,}", f"{100 * n / total:.0f} %", f"{p50:.1f}", f"{p99:.1f}", f"{top:.0f}"]
            )
        return rows

    def summary(self) -> str:
        r = self.result
        return (
            f"{self.database}, serve --workers {self.workers}: {r['completed']:,} of {r['planned']:,} requests "
            f"in {r['seconds']:.1f} s = {r['rate']:.1f} req/s (asked {self.rate:g}), {r['errors']} errors, "
            f"{r['not_sent']:,} not sent (server behind); "
            f"{r['matters_taken_in']:,} matters taken in, {r['lifecycles_finished']:,} moved through to resolved; "
            f"server RSS ({self.processes} processes) {self.window_mb(False):.1f} MB in the first "
            f"{WINDOW_S:g} s, {self.window_mb(True):.1f} MB in the last (growth {self.growth_mb:+.1f} MB, "
            f"bound {RSS_BOUND_MB:g}); server CPU {self.cpu_ms_per_request:.2f} ms per request "
            f"(the web server's processes{', not PostgreSQL' if self.database == 'PostgreSQL' else ''}) "
            f"({self.server_cpu_s:.0f} s), load generator CPU {self.generator_cpu_s:.0f} s; "
            f"generator lateness at most {r['generator_lateness_ms']} ms"
        )


def table(outcome: Outcome) -> str:
    """The summary and the per-kind latency table as plain text."""
    lines = [
        outcome.summary(),
        f"{'request':<50} {'n':>7} {'share':>6} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>8}",
    ]
    for label, n, share, p50, p99, top in outcome.rows():
        lines.append(f"{label:<50} {n:>7} {share:>6} {p50:>9} {p99:>9} {top:>8}")
    return "\n".join(lines) + "\n"


def _pick(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def processes(root: int) -> list[int]:
    """``root`` and every process below it (uvicorn's supervisor and its workers)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


class Sampler(threading.Thread):
    """Samples the server's total RSS once a second from ``begin()`` until ``stop``."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.samples: list[tuple[float, int]] = []
        self.cpu: list[float] = []  # the server's CPU seconds at each sample
        self.started = threading.Event()
        self.stop = threading.Event()
        self.count = 0
        self.t0 = 0.0

    def begin(self) -> None:
        self.t0 = time.monotonic()
        self.started.set()

    def run(self) -> None:
        self.started.wait()
        while not self.stop.is_set():
            pids = processes(self.root)
            self.count = max(self.count, len(pids))
            self.samples.append((time.monotonic() - self.t0, rss_kb(pids)))
            self.cpu.append(cpu_seconds(pids))
            self.stop.wait(1.0 - (time.monotonic() - self.t0) % 1.0)


def run(
    site: LiveSite,
    *,
    rate: float = 200,
    seconds: float = 60,
    warmup: float = 5,
    workers: int = 2,
    server: list[str] | None = None,
) -> Outcome:
    """Set the site up, serve it (``onegrid serve``, or the ``server`` command line), drive the mixed
    workload at ``rate`` for ``seconds`` after ``warmup`` seconds at the same rate, and return what was
    measured (the server is stopped again)."""
    site.env["ONEGRID_DEBUG"] = "0"  # as in production: no query log, no debug pages
    site.run("demo", "--no-serve")
    facts = site.python(FACTS)
    plan = {
        "port": site.port,
        "rate": rate,
        "seconds": seconds,
        "warmup": warmup,
        "county_token": site.token("county"),
        "handler_token": site.token("handler"),
        "password": "onegrid-demo",
        "categories": ["garbage", "street-vending", "noise", "illegal-construction"],
        "connections": 32,
        **facts,
    }
    site.start(workers=workers, command=server)
    assert site.server is not None
    sampler = Sampler(site.server.pid)
    sampler.start()
    stderr = ""
    result: dict[str, Any] = {}
    with subprocess.Popen(
        [sys.executable, str(GENERATOR)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as generator:
        assert generator.stdin is not None
        assert generator.stdout is not None
        assert generator.stderr is not None
        try:
            generator.stdin.write(json.dumps(plan))
            generator.stdin.close()
            for line in generator.stdout:
                message = json.loads(line)
                if message["event"] == "measuring":
                    sampler.begin()
                elif message["event"] == "done":
                    result = message
            stderr = generator.stderr.read()
            generator.wait(timeout=60)
        finally:
            sampler.stop.set()
            sampler.started.set()
            if generator.poll() is None:
                generator.kill()
            site.kill()
    if not result:
        raise RuntimeError(f"the load generator exited with {generator.returncode}:\n{stderr[-3000:]}")
    sampler.join()
    database = "PostgreSQL" if site.database else "SQLite"
    outcome = Outcome(rate, seconds, workers, database, result, sampler.samples, sampler.count)
    if len(sampler.cpu) >= 2:
        outcome.server_cpu_s = sampler.cpu[-1] - sampler.cpu[0]
    outcome.generator_cpu_s = float(result.get("cpu_s", float("nan")))
    return outcome
