"""Intake over HTTP: matters per second and latency against a bare one-row insert on the same stack.

    uv run python bench/intake.py [--db sqlite,postgres] [--workers 2] [--connections 16]
                                  [--seconds 30] [--rate 200] [--open-seconds 20] [--no-log]

For each database (SQLite in a throwaway data dir; PostgreSQL in a throwaway cluster when installed):
the demo net and accounts are loaded, a county operator's API token issued and one webhook endpoint
registered over the province for ``matters.received`` (so every intake also enqueues an outbox
delivery). A real server (uvicorn, ``--workers`` processes, the product's ASGI application plus the
bench-only route of ``bench/_intake_app.py``) is started, and a separate load-generator process
(asyncio, raw keep-alive HTTP/1.1) drives it:

- closed loop: ``--connections`` connections send back to back for ``--seconds``; matters/s is the
  2xx count over the time;
- open loop: requests start at a fixed ``--rate`` for ``--open-seconds``; latency is measured from each
  request's scheduled start (no coordinated omission);

first on ``POST /api/v1/matters/`` (the full intake: validate, locate, route, deadline, number, audit,
notify outbox), then on ``POST /bench/bare-insert`` (the same server and middleware, one row inserted in
one transaction). Every response must be 2xx, and afterwards the database must hold exactly one
matter, one outbox delivery and one bare row per 2xx. Bodies: random points inside the net's grids,
leaf categories, six channels, Chinese titles and descriptions, reporter name and mobile number, a
third with idempotency keys.
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

    from onegrid.matters.models import Matter
    from onegrid.notify.models import Delivery

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_bare_insert")
        bare = int(cursor.fetchone()[0])
    return {"matters": Matter.objects.count(), "deliveries": Delivery.objects.count(), "bare": bare}


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


async def open_loop(port: int, payloads: list[bytes], rate: float, seconds: float) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opened: list[asyncio.StreamWriter] = []

    async def one(payload: bytes, scheduled: float) -> None:
        if idle:
            pair = idle.pop()
        else:
            pair = await asyncio.open_connection("127.0.0.1", port)
            opened.append(pair[1])
        status = await _exchange(*pair, payload)
        latencies.append(time.perf_counter() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1
        idle.append(pair)

    count = min(len(payloads), int(rate * seconds))
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(count):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(payloads[i], scheduled)))
    await asyncio.gather(*tasks)
    for writer in opened:
        writer.close()
    return {"elapsed": time.perf_counter() - start, "statuses": statuses, "latencies": latencies}


def load(spec: dict[str, Any]) -> dict[str, Any]:
    payloads = [
        request_bytes(spec["path"], spec["token"], b)
        for b in bodies(spec["data"], spec["count"], spec["seed"])
    ]
    if spec["mode"] == "closed":
        out = asyncio.run(closed_loop(spec["port"], payloads, spec["connections"], spec["seconds"]))
    else:
        out = asyncio.run(open_loop(spec["port"], payloads, spec["rate"], spec["seconds"]))
    lat = sorted(out.pop("latencies"))
    ok = sum(n for s, n in out["statuses"].items() if 200 <= s < 300)
    return out | {
        "ok": ok,
        "rate": ok / out["elapsed"],
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
    data = _self(env, "--setup", str(args.points))
    results: dict[str, Any] = {}
    seed = 1
    with server(env, args.workers) as port:
        for name, path in (("intake", INTAKE), ("bare", BARE)):
            spec = {"port": port, "path": path, "token": data["token"], "data": data}
            runs = [
                ("warm", {"mode": "closed", "connections": args.connections, "seconds": 3.0, "count": 20_000}),
                ("closed", {"mode": "closed", "connections": args.connections, "seconds": args.seconds, "count": 200_000}),
                ("open", {"mode": "open", "rate": args.rate, "seconds": args.open_seconds, "count": 200_000}),
            ]  # fmt: skip
            for label, extra in runs:
                seed += 1
                results[f"{name}_{label}"] = _self(
                    env, "--load", stdin=json.dumps(spec | extra | {"seed": seed})
                )
    results["counts"] = _self(env, "--count")
    results["db"] = db
    return results


def _check(r: dict[str, Any]) -> list[str]:
    notes = []
    for name in ("intake", "bare"):
        runs = [r[f"{name}_{label}"] for label in ("warm", "closed", "open")]
        bad = {s: n for run in runs for s, n in run["statuses"].items() if not 200 <= int(s) < 300}
        sent = sum(run["ok"] for run in runs)
        held = r["counts"]["matters" if name == "intake" else "bare"]
        notes.append(
            f"{r['db']} {name}: {sent} acknowledged, {held} in the database"
            + (" (all there)" if held == sent else " (MISMATCH)")
            + (f"; non-2xx responses {bad}" if bad else "; every response 2xx")
        )
    notes.append(
        f"{r['db']}: outbox deliveries {r['counts']['deliveries']} for {r['counts']['matters']} matters"
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
    parser.add_argument("--open-seconds", type=float, default=20.0)
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
    for r in measured:
        for what, key, unit in (
            ("max sustained, closed loop (/s)", "closed", "rate"),
            (f"p50 at {args.rate:g}/s open loop (ms)", "open", "p50_ms"),
            (f"p99 at {args.rate:g}/s open loop (ms)", "open", "p99_ms"),
            ("achieved rate, open loop (/s)", "open", "rate"),
        ):
            ours, bare = r[f"intake_{key}"][unit], r[f"bare_{key}"][unit]
            rows.append([f"{r['db']}: {what}", f"{ours:,.1f}", f"{bare:,.1f}", f"{ours / bare:.2f}"])
        notes += _check(r)
    notes.append(
        f"uvicorn {args.workers} worker(s), {args.connections} connections closed loop for {args.seconds:g} s, "
        f"{args.rate:g}/s open loop for {args.open_seconds:g} s; the load generator runs on the same 2 cores."
    )
    result = Result(
        "Intake over HTTP: the full intake vs a bare one-row insert on the same stack",
        ["measure", "intake (ours)", "bare insert", "ratio"],
        rows,
        notes,
    )
    report("bench/intake.py", [result], log=not args.no_log)


if __name__ == "__main__":
    main()
