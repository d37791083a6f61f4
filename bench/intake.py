"""Intake over HTTP: matters per second and latency, single and in batches, against bare inserts on the
same stack.

    uv run python bench/intake.py [--db sqlite,postgres] [--workers 2] [--connections 16]
                                  [--seconds 30] [--rate 200] [--open-seconds 30] [--max-connections 64]
                                  [--batch 50,500] [--batch-connections 2] [--micro-batch 20]
                                  [--synchronous FULL] [--no-log]

For each database (SQLite in a throwaway data dir; PostgreSQL in a throwaway cluster when installed):
the demo net and accounts are loaded, a county operator's API token issued and one webhook endpoint
registered over the province for ``matters.received`` (so every intake also enqueues an outbox
delivery). A real server (uvicorn, ``--workers`` processes, the product's ASGI application plus the
bench-only routes of ``bench/_intake_app.py``) is started, and a separate load-generator process
(asyncio, raw keep-alive HTTP/1.1) drives it:

- single POST, closed loop: ``--connections`` connections send back to back for ``--seconds``;
  matters/s is the 2xx count over the time;
- single POST, open loop: requests are due at ``--rate`` (or at 90% of the closed-loop maximum when
  that is lower) for ``--open-seconds``, at most ``--max-connections`` in flight (the rest wait in a
  client-side queue); latency runs from each request's scheduled time (no coordinated omission);
- batches: ``--batch-connections`` connections send batches of each ``--batch`` size back to back for
  ``--seconds``; matters/s counts the items of 2xx batches, latency is per batch;
- micro-batches (an integrator's steady stream): ``--rate`` matters/s sent as batches of
  ``--micro-batch`` on an open-loop schedule for ``--open-seconds``, latency per batch from its
  scheduled time;

first on the product (``POST /api/v1/matters/`` and ``/api/v1/matters/batch``: validate, locate, route,
deadline, number, audit, notify outbox), then on the bare floors (``POST /bench/bare-insert``, one row in
one transaction; ``/bench/bare-batch``, one row per item in one transaction). Every response must be
2xx, and afterwards the database must hold exactly one matter, one audit record and one outbox delivery
per acknowledged matter and one bare row per acknowledged bare item. Bodies: random points inside the
net's grids, leaf categories, six channels, Chinese titles and descriptions, reporter name and mobile
number, a third with idempotency keys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import ROOT, Result, report

BENCH = Path(__file__).resolve().parent
INTAKE, BARE = "/api/v1/matters/", "/bench/bare-insert"
BATCH, BARE_BATCH = "/api/v1/matters/batch", "/bench/bare-batch"
CHANNELS = ["hotline_12345", "grid_patrol", "wechat", "resident_app", "department", "linkage_110"]
TITLES = [
    "小区门口垃圾无人清运",
    "路灯不亮已经三天",
    "井盖缺失存在安全隐患",
    "噪音扰民请求处理",
    "占道经营影响通行",
    "河道漂浮物需要清理",
]
DETAILS = ["附近居民反映强烈，请尽快处理。", "晚上十点以后仍然很吵。", "已经拍照，位置在路口东侧。", ""]
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周", ["伟", "芳", "娜", "秀英", "敏", "静", "强", "磊"]


# ------------------------------------------------------------------------- inside the server's env


def setup(points_wanted: int) -> dict[str, Any]:
    """Migrate, load the demo, issue the token, register the webhook, make the bare table; return
    the token, points inside grids and the leaf categories."""
    import django

    django.setup()
    import shapely
    from django.core.management import call_command
    from django.db import connection

    from onegrid.access.models import User
    from onegrid.access.services import create_token
    from onegrid.areas.levels import Level
    from onegrid.areas.models import Area
    from onegrid.matters.models import Category
    from onegrid.notify.models import WebhookEndpoint
    from onegrid.web import demo

    call_command("migrate", interactive=False, verbosity=0)
    demo.load_net()
    demo.load_people()
    _, token = create_token(
        actor=None,
        user=User.objects.get(username="county"),
        name="bench",
        permissions=["matters.create", "matters.view"],
    )
    province = Area.objects.get(level=Level.PROVINCE)
    WebhookEndpoint.objects.create(
        name="bench",
        url="http://127.0.0.1:9/hook",
        secret="s" * 40,
        events=["matters.received"],
        area=province,
        area_path=province.path,
    )
    county = Area.objects.get(level=Level.COUNTY)
    rng = random.Random(7)
    points = []
    grids = list(
        Area.objects.filter(level=Level.GRID, path__startswith=county.path).values_list(
            "geometry_wkb", flat=True
        )
    )
    while len(points) < points_wanted:
        shape = shapely.from_wkb(bytes(rng.choice(grids)))
        x0, y0, x1, y1 = shape.bounds
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shape.contains(shapely.Point(x, y)):
            points.append((round(x, 6), round(y, 6)))
    serial = "BIGSERIAL" if connection.vendor == "postgresql" else "INTEGER"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS bench_bare_insert (id {serial} PRIMARY KEY, title VARCHAR(200), "
            "lon DOUBLE PRECISION, lat DOUBLE PRECISION, body TEXT)"
        )
    leaves = [
        c.code for c in Category.objects.filter(is_active=True, children__isnull=True) if not c.attributes
    ]
    return {"token": token, "points": points, "categories": leaves}


def counts() -> dict[str, int]:
    import django

    django.setup()
    from django.db import connection

    from onegrid.audit.models import AuditRecord
    from onegrid.matters.models import Matter
    from onegrid.notify.models import Delivery

    out = {
        "matters": Matter.objects.count(),
        "deliveries": Delivery.objects.count(),
        "audit": AuditRecord.objects.filter(action="matters.receive").count(),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_bare_insert")
        out["bare"] = int(cursor.fetchone()[0])
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            out["connections"] = int(cursor.fetchone()[0]) - 1
    return out


# ------------------------------------------------------------------------------- load generator


def bodies(data: dict[str, Any], count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        lon, lat = rng.choice(data["points"])
        body: dict[str, Any] = {
            "channel": rng.choice(CHANNELS),
            "category": rng.choice(data["categories"]),
            "title": rng.choice(TITLES),
            "description": rng.choice(DETAILS),
            "lon": lon,
            "lat": lat,
            "address": "桐庐县城南街道迎春南路" + str(rng.randint(1, 300)) + "号",
            "reporter_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "reporter_phone": "13" + str(rng.randint(0, 9)) + f"{rng.randint(0, 99_999_999):08d}",
        }
        if rng.random() < 1 / 3:
            body["idempotency_key"] = f"bench-{seed}-{i}"
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


def request_bytes(path: str, token: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> int:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def closed_loop(port: int, payloads: list[bytes], connections: int, seconds: float) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    position = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal position
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline and position < len(payloads):
            payload = payloads[position]
            position += 1
            started = time.perf_counter()
            status = await _exchange(reader, writer, payload)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "statuses": statuses, "latencies": latencies}


async def open_loop(
    port: int, payloads: list[bytes], rate: float, seconds: float, connections: int
) -> dict[str, Any]:
    """Requests are due at a fixed rate; at most ``connections`` are in flight (a client-side queue
    holds the rest). Each latency runs from the request's scheduled time, so a request that waited in
    the queue because the server fell behind counts its wait (no coordinated omission)."""
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    late = 0

    async def client() -> None:
        nonlocal late
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await queue.get()) is not None:
            scheduled, payload = item
            if time.perf_counter() - scheduled > 0.01:
                late += 1
            status = await _exchange(reader, writer, payload)
            latencies.append(time.perf_counter() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(client()) for _ in range(connections)]
    count = min(len(payloads), int(rate * seconds))
    start = time.perf_counter() + 0.2
    for i in range(count):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((scheduled, payloads[i]))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return {
        "elapsed": time.perf_counter() - start,
        "statuses": statuses,
        "latencies": latencies,
        "late": late,
    }


def load(spec: dict[str, Any]) -> dict[str, Any]:
    size = spec.get("batch", 0)
    raw = bodies(spec["data"], spec["count"] * max(size, 1), spec["seed"])
    if size:
        raw = [b'{"items": [' + b", ".join(raw[i : i + size]) + b"]}" for i in range(0, len(raw), size)]
    payloads = [request_bytes(spec["path"], spec["token"], b) for b in raw]
    if spec["mode"] == "closed":
        out = asyncio.run(closed_loop(spec["port"], payloads, spec["connections"], spec["seconds"]))
    else:
        out = asyncio.run(
            open_loop(spec["port"], payloads, spec["rate"], spec["seconds"], spec["connections"])
        )
    lat = sorted(out.pop("latencies"))
    ok = sum(n for s, n in out["statuses"].items() if 200 <= s < 300)
    return out | {
        "ok": ok,
        "items": ok * max(size, 1),
        "rate": ok * max(size, 1) / out["elapsed"],
        "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
        "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"),
    }


# ------------------------------------------------------------------------------------ the driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self(env: dict[str, str], *args: str, stdin: str = "") -> Any:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"bench/intake.py {args[0]} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def server(env: dict[str, str], workers: int) -> Iterator[int]:
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", "_intake_app:application", "--app-dir", str(BENCH),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--lifespan", "off", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(db: str, url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix=f"onegrid-bench-intake-{db}-")
    env = {
        **os.environ,
        "ONEGRID_DATA_DIR": data_dir,
        "ONEGRID_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "onegrid.settings",
    }
    env.pop("DATABASE_URL", None)
    if url:
        env["DATABASE_URL"] = url
    if args.synchronous:
        env["ONEGRID_SQLITE_SYNCHRONOUS"] = args.synchronous
    data = _self(env, "--setup", str(args.points))
    results: dict[str, Any] = {}
    seed = 1

    def run(label: str, path: str, spec: dict[str, Any]) -> dict[str, Any]:
        nonlocal seed
        seed += 1
        base = {"port": port, "path": path, "token": data["token"], "data": data, "seed": seed}
        results[label] = _self(env, "--load", stdin=json.dumps(base | spec))
        return dict(results[label])

    with server(env, args.workers) as port:
        for name, path in (("intake", INTAKE), ("bare", BARE)):
            closed = {"mode": "closed", "connections": args.connections}
            run(f"{name}_warm", path, closed | {"seconds": 3.0, "count": 20_000})
            top = run(f"{name}_closed", path, closed | {"seconds": args.seconds, "count": 200_000})
            if name == "intake":  # the open loop at --rate, or at 90% of the sustained maximum if lower
                results["open_rate"] = min(args.rate, round(0.9 * top["rate"], 1))
            run(
                f"{name}_open",
                path,
                {
                    "mode": "open",
                    "rate": results["open_rate"],
                    "seconds": args.open_seconds,
                    "connections": args.max_connections,
                    "count": 200_000,
                },
            )
        for size in [int(x) for x in args.batch.split(",") if x]:
            for name, path in (("intake", BATCH), ("bare", BARE_BATCH)):
                spec = {"mode": "closed", "connections": args.batch_connections, "batch": size}
                run(f"{name}_batch{size}_warm", path, spec | {"seconds": 3.0, "count": 20})
                run(
                    f"{name}_batch{size}",
                    path,
                    spec | {"seconds": args.seconds, "count": max(40, 120_000 // size)},
                )
        if args.micro_batch:  # an integrator's steady stream: --rate matters/s sent in small batches
            size = args.micro_batch
            for name, path in (("intake", BATCH), ("bare", BARE_BATCH)):
                # few connections: at ~10 batches/s more would sit idle past the server's keep-alive
                spec = {"mode": "open", "connections": 8, "batch": size}
                spec |= {"rate": args.rate / size, "seconds": args.open_seconds}
                run(f"{name}_micro", path, spec | {"count": int(args.rate / size * args.open_seconds) + 10})
    results["counts"] = _self(env, "--count")
    results["db"] = db
    return results


def _check(r: dict[str, Any], sizes: list[int]) -> list[str]:
    notes = []
    for name in ("intake", "bare"):
        labels = [f"{name}_{label}" for label in ("warm", "closed", "open")]
        labels += [f"{name}_batch{size}{suffix}" for size in sizes for suffix in ("_warm", "")]
        labels += [f"{name}_micro"] if f"{name}_micro" in r else []
        runs = [r[label] for label in labels]
        bad = {s: n for run in runs for s, n in run["statuses"].items() if not 200 <= int(s) < 300}
        sent = sum(run["items"] for run in runs)
        held = r["counts"]["matters" if name == "intake" else "bare"]
        notes.append(
            f"{r['db']} {name}: {sent} acknowledged, {held} in the database"
            + (" (all there)" if held == sent else " (MISMATCH)")
            + (f"; non-2xx responses {bad}" if bad else "; every response 2xx")
        )
    notes.append(
        f"{r['db']}: outbox deliveries {r['counts']['deliveries']} for {r['counts']['matters']} matters; "
        f"audit records {r['counts']['audit']}; open loop: {r['intake_open']['late']} of "
        f"{r['intake_open']['ok']} intake requests started late (waited for a free connection)"
        + (
            f"; server DB connections at the end {r['counts']['connections']}"
            if "connections" in r["counts"]
            else ""
        )
    )
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setup", type=int, metavar="POINTS")
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--count", action="store_true")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--open-seconds", type=float, default=30.0)
    parser.add_argument("--max-connections", type=int, default=64, help="open loop: most requests in flight")
    parser.add_argument("--batch", default="50,500", help="batch sizes (comma-separated; empty: none)")
    parser.add_argument("--batch-connections", type=int, default=2)
    parser.add_argument(
        "--micro-batch",
        type=int,
        default=20,
        help="open loop at --rate matters/s in batches of this size (0: none)",
    )
    parser.add_argument("--synchronous", default="", help="SQLite PRAGMA synchronous for the server")
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument(
        "--no-log", action="store_true", help="print only; do not append to docs/benchmarks.md"
    )
    args = parser.parse_args()
    if args.setup is not None:
        print(json.dumps(setup(args.setup)))
        return
    if args.load:
        print(json.dumps(load(json.loads(sys.stdin.read()))))
        return
    if args.count:
        print(json.dumps(counts()))
        return

    from ledger import postgres_cluster

    measured = []
    wanted = args.db.split(",")
    if "sqlite" in wanted:
        measured.append(measure("SQLite", None, args))
    if "postgres" in wanted:
        with postgres_cluster() as url:
            if url is None:
                print("PostgreSQL 15 is not installed: skipped")
            else:
                measured.append(measure("PostgreSQL", url, args))
    rows, notes = [], []
    sizes = [int(x) for x in args.batch.split(",") if x]
    for r in measured:
        rate = r["open_rate"]
        for what, key, unit in (
            ("single POST: max sustained, closed loop (matters/s)", "closed", "rate"),
            (f"single POST: p50 at {rate:g}/s open loop (ms)", "open", "p50_ms"),
            (f"single POST: p99 at {rate:g}/s open loop (ms)", "open", "p99_ms"),
            ("single POST: achieved rate, open loop (/s)", "open", "rate"),
            *(
                item
                for size in sizes
                for item in (
                    (f"batch of {size}: closed loop (matters/s)", f"batch{size}", "rate"),
                    (f"batch of {size}: p50 per batch (ms)", f"batch{size}", "p50_ms"),
                    (f"batch of {size}: p99 per batch (ms)", f"batch{size}", "p99_ms"),
                )
            ),
            *(
                (
                    (
                        f"{args.rate:g} matters/s in batches of {args.micro_batch}: achieved (/s)",
                        "micro",
                        "rate",
                    ),
                    (
                        f"{args.rate:g} matters/s in batches of {args.micro_batch}: p50 per batch (ms)",
                        "micro",
                        "p50_ms",
                    ),
                    (
                        f"{args.rate:g} matters/s in batches of {args.micro_batch}: p99 per batch (ms)",
                        "micro",
                        "p99_ms",
                    ),
                )
                if "intake_micro" in r
                else ()
            ),
        ):
            ours, bare = r[f"intake_{key}"][unit], r[f"bare_{key}"][unit]
            rows.append([f"{r['db']}: {what}", f"{ours:,.1f}", f"{bare:,.1f}", f"{ours / bare:.2f}"])
        notes += _check(r, sizes)
    notes.append(
        f"uvicorn {args.workers} worker(s); single POST: {args.connections} connections closed loop for "
        f"{args.seconds:g} s, open loop at --rate {args.rate:g}/s (or 90% of the closed-loop maximum when "
        f"lower) for {args.open_seconds:g} s with at most {args.max_connections} requests in flight, "
        f"latency from each request's scheduled time; batches: {args.batch_connections} connections "
        f"closed loop for {args.seconds:g} s; the bare batch inserts one row per item (executemany) in "
        "one transaction"
        + (
            f"; micro-batches: {args.rate:g} matters/s as {args.rate / args.micro_batch:g} batches/s of "
            f"{args.micro_batch}, open loop for {args.open_seconds:g} s on 8 connections, latency per batch from "
            "its scheduled time"
            if args.micro_batch
            else ""
        )
        + ". The load generator runs on the same 2 cores."
        + (f" SQLite synchronous={args.synchronous}." if args.synchronous else "")
    )
    result = Result(
        "Intake over HTTP: the full intake (single and batch) vs a bare insert on the same stack",
        ["measure", "intake (ours)", "bare insert", "ratio"],
        rows,
        notes,
    )
    report("bench/intake.py", [result], log=not args.no_log)


if __name__ == "__main__":
    main()
