"""Benchmark the point-location index against shapely's STRtree and PostGIS, at two scales.

    uv run python bench/locate.py [--grids 100000] [--micro 450000] [--points 1000000] [--quick]

For each scale: build time, index memory, batch throughput (median of several runs over the same
uniformly random points across the polygons' extent), single-point latency (p50/p99 over 100,000
in-process calls), and agreement with exact point-in-polygon (GEOS ``covers``) on every point.
The same points and polygons then go through shapely's STRtree and, when PostGIS is installed,
through a throwaway PostgreSQL cluster with a GiST index: a batch join and prepared per-point
queries. Results are printed and appended to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import math
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely
from numpy.typing import NDArray

from _common import Result, report
from onegrid.areas.generate import generate
from onegrid.areas.levels import Level
from onegrid.areas.locate import LocateIndex

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_INSTALL_HINT = "apt-get install -y postgresql-15-postgis-3"
ZHEJIANG = (118.0, 27.0, 123.0, 31.3)  # lon/lat box the synthetic province fills


# --------------------------------------------------------------------------------- polygon source


@functools.cache
def _generated(seed: int, micro: bool) -> list[Any]:
    return list(generate(scale="province", micro=micro, seed=seed))


def province_polygons(
    micro: bool, *, count: int, seed: int, source: str = "generator"
) -> list[shapely.Geometry]:
    """The leaf polygons of one synthetic province: grids, or micro-grids when `micro`.

    ``source="generator"`` (the default): the project's own province net, exactly what
    `onegrid areas generate --scale province --micro` loads (`count` is whatever it makes).
    ``source="voronoi"``: a Voronoi partition of `count` seeds inside an irregular, Zhejiang-sized
    outline — three quarters of the seeds uniform, one quarter around eleven "cities" — clipped to
    the outline, for trying other sizes quickly.
    """
    if source == "generator":
        level = Level.MICRO_GRID if micro else Level.GRID
        return [d.geometry for d in _generated(seed, micro) if d.level == level]
    rng = np.random.default_rng(seed + (1 if micro else 0))
    outline = _outline(np.random.default_rng(seed))
    cities = np.c_[rng.uniform(118.6, 122.4, 11), rng.uniform(27.6, 30.8, 11)]
    seeds: list[NDArray[np.float64]] = []
    have = 0
    while have < count:
        n = count - have
        uniform = np.c_[rng.uniform(ZHEJIANG[0], ZHEJIANG[2], n), rng.uniform(ZHEJIANG[1], ZHEJIANG[3], n)]
        around = cities[rng.integers(0, len(cities), n)] + rng.normal(0.0, 0.12, (n, 2))
        batch = np.where(rng.random((n, 1)) < 0.25, around, uniform)
        batch = batch[shapely.contains_xy(outline, batch[:, 0], batch[:, 1])]
        seeds.append(batch)
        have += len(batch)
    points = np.concatenate(seeds)[:count]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline))
    clipped = shapely.intersection(cells, outline)
    return [g for g in clipped if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]


def _outline(rng: np.random.Generator) -> shapely.Geometry:
    """A wobbly province outline inside ZHEJIANG, ~70 % of the box."""
    angles = np.linspace(0.0, 2 * math.pi, 90, endpoint=False)
    radius = 1.0 + 0.05 * np.cumsum(rng.normal(0.0, 1.0, len(angles)))
    radius = 0.82 + 0.18 * (radius - radius.min()) / (np.ptp(radius) or 1.0)
    cx, cy = (ZHEJIANG[0] + ZHEJIANG[2]) / 2, (ZHEJIANG[1] + ZHEJIANG[3]) / 2
    hx, hy = (ZHEJIANG[2] - ZHEJIANG[0]) / 2, (ZHEJIANG[3] - ZHEJIANG[1]) / 2
    ring = np.c_[cx + hx * radius * np.cos(angles), cy + hy * radius * np.sin(angles)]
    ring = np.clip(ring, [ZHEJIANG[0], ZHEJIANG[1]], [ZHEJIANG[2], ZHEJIANG[3]])
    return shapely.make_valid(shapely.Polygon(ring))


# --------------------------------------------------------------------------------- measurements


@dataclass
class Scale:
    name: str
    polygons: int = 0
    vertices_mean: float = 0.0
    build_s: float = math.nan
    index_mb: float = math.nan
    cells: tuple[int, int, int] = (0, 0, 0)
    batch: float = math.nan
    batch_runs: tuple[float, ...] = ()
    p50: float = math.nan
    p99: float = math.nan
    agreement: float = math.nan
    agreement_points: int = 0
    single_agreement: float = math.nan
    tree_batch: float = math.nan
    tree_p50: float = math.nan
    tree_p99: float = math.nan
    pg_batch: float = math.nan
    pg_batch_join: float = math.nan
    pg_p50: float = math.nan
    pg_p99: float = math.nan
    pg_agreement: float = math.nan
    pg_note: str = ""
    pg_missing: str = ""


def exact_reference(
    geoms: NDArray[np.object_], x: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Lowest position covering each point: STRtree bbox candidates, then GEOS ``covers``."""
    out = np.full(len(x), len(geoms), dtype=np.int64)
    tree = shapely.STRtree(geoms)
    for start in range(0, len(x), 200_000):
        points = shapely.points(x[start : start + 200_000], y[start : start + 200_000])
        pts, polys = tree.query(points)
        hit = shapely.covers(geoms[polys], points[pts])
        np.minimum.at(out[start : start + 200_000], pts[hit], polys[hit])
    return np.where(out == len(geoms), -1, out)


def latencies_us(
    call: Callable[[float, float], object], xs: list[float], ys: list[float]
) -> NDArray[np.float64]:
    clock = time.perf_counter_ns
    out = np.empty(len(xs), dtype=np.float64)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        start = clock()
        call(x, y)
        out[i] = clock() - start
    return out / 1000.0


def measure_ours(
    scale: Scale,
    geoms: NDArray[np.object_],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    runs: int,
    singles: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Fill in our figures; return the batch answers and the single-point answers (first `singles`)."""
    ids = np.arange(len(geoms), dtype=np.int64)
    gc.collect()
    start = time.perf_counter()
    index = LocateIndex.build(ids, geoms)
    scale.build_s = time.perf_counter() - start
    scale.index_mb = index.nbytes / 1e6
    scale.cells = index.cells
    index.locate_many(x[:100_000], y[:100_000])  # warm caches and page in the arrays
    rates = []
    got = np.empty(0, dtype=np.int64)
    for _ in range(runs):
        start = time.perf_counter()
        got = index.locate_many(x, y)
        rates.append(len(x) / (time.perf_counter() - start))
    scale.batch_runs = tuple(rates)
    scale.batch = statistics.median(rates)
    xs, ys = x[:singles].tolist(), y[:singles].tolist()
    p50s, p99s = [], []
    for _ in range(3):
        lat = latencies_us(index.locate, xs, ys)
        p50s.append(float(np.percentile(lat, 50)))
        p99s.append(float(np.percentile(lat, 99)))
    scale.p50, scale.p99 = statistics.median(p50s), statistics.median(p99s)
    one = np.array([-1 if (r := index.locate(a, b)) is None else r for a, b in zip(xs, ys, strict=True)])
    return got, one


def measure_tree(
    scale: Scale, geoms: NDArray[np.object_], x: NDArray[np.float64], y: NDArray[np.float64], *, singles: int
) -> None:
    """shapely STRtree, used the idiomatic way: query with the predicate, keep the lowest index."""
    tree = shapely.STRtree(geoms)
    start = time.perf_counter()
    out = np.full(len(x), len(geoms), dtype=np.int64)
    pts, polys = tree.query(shapely.points(x, y), predicate="intersects")
    np.minimum.at(out, pts, polys)
    scale.tree_batch = len(x) / (time.perf_counter() - start)

    def one(lon: float, lat: float) -> int | None:
        found = tree.query(shapely.Point(lon, lat), predicate="intersects")
        return int(found.min()) if len(found) else None

    lat = latencies_us(one, x[:singles].tolist(), y[:singles].tolist())
    scale.tree_p50, scale.tree_p99 = float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


# --------------------------------------------------------------------------------- PostGIS


def postgis_available() -> str | None:
    """None when a throwaway PostGIS cluster can be started, else why not."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL 15 server binaries not found in {PG_BIN}"
    extension = Path("/usr/share/postgresql/15/extension/postgis.control")
    if not extension.exists():
        return "the PostGIS extension for PostgreSQL 15 is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: Sequence[str]) -> None:
    """Run a server binary as the `postgres` user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(_quote(a) for a in args)]
    else:
        cmd = list(args)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """initdb + pg_ctl start a private cluster on 127.0.0.1; yield its conninfo; stop and delete it."""
    base = Path(tempfile.mkdtemp(prefix="onegrid-bench-pg-"))
    data, log = base / "data", base / "server.log"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(base, user="postgres", group="postgres")
    base.chmod(0o700)
    started = False
    try:
        _as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ]
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} "
            "-c shared_buffers=2GB -c work_mem=256MB -c maintenance_work_mem=1GB -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_wal_size=8GB -c jit=off"
        )
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"])
        started = True
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    finally:
        if started:
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def measure_postgis(
    scale: Scale,
    geoms: NDArray[np.object_],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    ours: NDArray[np.int64],
    *,
    singles: int,
) -> None:
    """Load the same polygons and points into a throwaway PostGIS; time a batch join and single queries."""
    with throwaway_cluster() as conninfo, psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
        scale.pg_note = str(conn.execute("SELECT postgis_full_version()").fetchone()[0])  # type: ignore[index]
        conn.execute("CREATE TABLE polys (pos integer PRIMARY KEY, geom geometry(Geometry, 4326) NOT NULL)")
        wkb = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)
        with conn.cursor() as cur, cur.copy("COPY polys (pos, geom) FROM STDIN") as copy:
            copy.write("".join(f"{i}\t{h}\n" for i, h in enumerate(wkb)))
        conn.execute("CREATE INDEX polys_geom ON polys USING gist (geom)")
        conn.execute("CREATE TABLE pts (pid integer PRIMARY KEY, geom geometry(Point, 4326) NOT NULL)")
        pwkb = shapely.to_wkb(shapely.set_srid(shapely.points(x, y), 4326), hex=True, include_srid=True)
        with conn.cursor() as cur, cur.copy("COPY pts (pid, geom) FROM STDIN") as copy:
            for first in range(0, len(pwkb), 200_000):
                copy.write(
                    "".join(f"{first + i}\t{h}\n" for i, h in enumerate(pwkb[first : first + 200_000]))
                )
        conn.execute("CREATE INDEX pts_geom ON pts USING gist (geom)")
        conn.execute("VACUUM ANALYZE polys")
        conn.execute("VACUUM ANALYZE pts")
        conn.execute("SET max_parallel_workers_per_gather = 0")
        # The question ours answers: per point, the lowest position among the covering polygons.
        lateral = (
            "SELECT p.pid, g.pos FROM pts p LEFT JOIN LATERAL (SELECT pos FROM polys g "
            "WHERE ST_Covers(g.geom, p.geom) ORDER BY pos LIMIT 1) g ON true"
        )
        conn.execute(f"SELECT count(pos) FROM ({lateral} WHERE p.pid < 20000) s")  # warm up
        with conn.cursor() as cur:
            start = time.perf_counter()
            cur.execute(lateral)
            rows = cur.fetchall()
            scale.pg_batch = len(x) / (time.perf_counter() - start)
        theirs = np.full(len(x), -2, dtype=np.int64)
        pid = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        theirs[pid] = np.fromiter(
            (-1 if r[1] is None else r[1] for r in rows), dtype=np.int64, count=len(rows)
        )
        scale.pg_agreement = 100.0 * float(np.mean(theirs == ours))
        # PostGIS at its fastest: polygon-driven join over a GiST index on the points (each polygon
        # prepared once for its points), no tie rule, counted server-side.
        start = time.perf_counter()
        conn.execute("SELECT count(*) FROM polys g JOIN pts p ON ST_Covers(g.geom, p.geom)").fetchone()
        scale.pg_batch_join = len(x) / (time.perf_counter() - start)

        query = "SELECT pos FROM polys WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
        with conn.cursor() as cur:

            def one(lon: float, lat: float) -> int | None:
                cur.execute(query, (lon, lat), prepare=True)
                found = [r[0] for r in cur.fetchall()]
                return min(found) if found else None

            lat = latencies_us(one, x[:singles].tolist(), y[:singles].tolist())
        scale.pg_p50, scale.pg_p99 = float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


# --------------------------------------------------------------------------------- the run


def run_scale(name: str, micro: bool, count: int, args: argparse.Namespace, pg_missing: str | None) -> Scale:
    scale = Scale(name=name)
    t0 = time.perf_counter()
    geoms = np.asarray(
        province_polygons(micro, count=count, seed=args.seed, source=args.source), dtype=object
    )
    print(f"[{name}] {len(geoms):,} polygons generated in {time.perf_counter() - t0:.1f} s")
    scale.polygons = len(geoms)
    scale.vertices_mean = float(np.mean(shapely.get_num_coordinates(geoms))) - 1
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    rng = np.random.default_rng(args.seed + 7)
    x = rng.uniform(xmin, xmax, args.points)
    y = rng.uniform(ymin, ymax, args.points)

    ours, single = measure_ours(scale, geoms, x, y, runs=args.runs, singles=args.singles)
    print(f"[{name}] ours: build {scale.build_s:.1f} s, {scale.batch:,.0f} pts/s, p99 {scale.p99:.1f} µs")
    t0 = time.perf_counter()
    expected = exact_reference(geoms, x, y)
    scale.agreement = 100.0 * float(np.mean(ours == expected))
    scale.agreement_points = len(x)
    scale.single_agreement = 100.0 * float(np.mean(single == expected[: len(single)]))
    print(f"[{name}] exact reference in {time.perf_counter() - t0:.1f} s: agreement {scale.agreement:.4f} %")
    measure_tree(scale, geoms, x, y, singles=min(args.singles, 20_000))
    print(f"[{name}] STRtree: {scale.tree_batch:,.0f} pts/s")
    if pg_missing is None and not args.no_postgis:
        t0 = time.perf_counter()
        measure_postgis(scale, geoms, x, y, ours, singles=min(args.singles, 5_000))
        print(f"[{name}] PostGIS: {scale.pg_batch:,.0f} pts/s ({time.perf_counter() - t0:.0f} s in all)")
    else:
        scale.pg_missing = pg_missing or "skipped (--no-postgis)"
    return scale


def _f(value: float, fmt: str) -> str:
    return "—" if math.isnan(value) else format(value, fmt)


def _ratio(a: float, b: float) -> str:
    return "—" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.1f}×"


def tables(scales: Sequence[Scale], args: argparse.Namespace) -> list[Result]:
    runs = "; ".join(f"{s.name}: " + ", ".join(f"{r / 1e6:.2f}" for r in s.batch_runs) + " M" for s in scales)
    ours = Result(
        title="LocateIndex (in process, single thread)",
        columns=(
            "scale",
            "polygons",
            "vertices/poly",
            "build s",
            "index MB",
            "boundary cells",
            "batch pts/s (median)",
            "single p50 µs",
            "single p99 µs",
            "agreement vs exact",
        ),
        rows=[
            (
                s.name,
                f"{s.polygons:,}",
                f"{s.vertices_mean:.1f}",
                f"{s.build_s:.1f}",
                f"{s.index_mb:,.0f}",
                f"{s.cells[1] / max(s.cells[0], 1):.0%} of {s.cells[0]:,}",
                f"{s.batch:,.0f}",
                f"{s.p50:.1f}",
                f"{s.p99:.1f}",
                f"{s.agreement:.4f} % of {s.agreement_points:,}",
            )
            for s in scales
        ],
        notes=(
            f"Batch: {args.points:,} uniform random points over the polygons' bounding box, "
            f"median of {args.runs} runs ({runs}). Single: {args.singles:,} `locate` calls timed one by one "
            "with perf_counter_ns, median of 3 runs. Agreement: every batch point against STRtree "
            "candidates + shapely.covers (lowest position wins); single-point answers agree on "
            f"{', '.join(f'{s.single_agreement:.4f} %' for s in scales)}.",
        ),
    )
    rows = []
    for s in scales:
        rows.append(
            (s.name, "LocateIndex", f"{s.batch:,.0f}", f"{s.p50:.1f}", f"{s.p99:.1f}", "1.0×", "1.0×")
        )
        rows.append(
            (
                s.name,
                "shapely STRtree",
                f"{s.tree_batch:,.0f}",
                f"{s.tree_p50:.1f}",
                f"{s.tree_p99:.1f}",
                _ratio(s.batch, s.tree_batch),
                _ratio(s.tree_p50, s.p50),
            )
        )
        if s.pg_missing:
            rows.append((s.name, "PostGIS", s.pg_missing, "—", "—", "—", "—"))
            continue
        rows.append(
            (
                s.name,
                "PostGIS, same question (LATERAL … LIMIT 1)",
                f"{s.pg_batch:,.0f}",
                f"{s.pg_p50:.1f}",
                f"{s.pg_p99:.1f}",
                _ratio(s.batch, s.pg_batch),
                _ratio(s.pg_p50, s.p50),
            )
        )
        rows.append(
            (
                s.name,
                "PostGIS, fastest join (no tie rule)",
                f"{s.pg_batch_join:,.0f}",
                "—",
                "—",
                _ratio(s.batch, s.pg_batch_join),
                "—",
            )
        )
    measured = [s for s in scales if not s.pg_missing]
    postgis = (
        f"PostGIS: {measured[0].pg_note.split(' [')[0]}, GEOS as linked by PostGIS; a throwaway "
        "PostgreSQL 15 cluster (shared_buffers 2 GB, work_mem 256 MB, fsync off, jit off, no parallel "
        "workers), GiST indexes on polygons and points. Same question: `pts LEFT JOIN LATERAL (SELECT pos "
        "FROM polys WHERE ST_Covers(geom, p.geom) ORDER BY pos LIMIT 1)`, all rows fetched by psycopg 3, "
        "one timed run after a 20,000-point warm-up; its answers agree with ours on "
        + ", ".join(f"{s.pg_agreement:.4f} %" for s in measured)
        + " of the points. Fastest join: `SELECT count(*) FROM polys JOIN pts ON ST_Covers(...)` "
        "(polygon-driven, each polygon prepared once for its points), one run. Single: `SELECT pos FROM "
        "polys WHERE ST_Covers(geom, ST_MakePoint(...))`, server-side prepared, over TCP on 127.0.0.1 "
        "(the round trip included, as an application would see it)."
        if measured
        else f"PostGIS not measured: install it with `{PG_INSTALL_HINT}`."
    )
    comparison = Result(
        title="Same polygons, same points",
        columns=(
            "scale",
            "engine",
            "batch pts/s",
            "single p50 µs",
            "single p99 µs",
            "ours ÷ theirs, batch",
            "theirs ÷ ours, p50",
        ),
        rows=rows,
        notes=(
            "STRtree: `tree.query(points, predicate='intersects')` then the lowest index per point, "
            "one run; single = `tree.query(Point(...), predicate='intersects')`.",
            postgis,
        ),
    )
    goals = Result(
        title="Goals",
        columns=(
            "scale",
            "batch ≥ 2 M pts/s",
            "single p99 ≤ 20 µs",
            "≥ 5× PostGIS batch",
            "index ≤ 1.5 GB",
            "100 % agreement",
        ),
        rows=[
            (
                s.name,
                _ok(s.batch >= 2e6),
                _ok(s.p99 <= 20),
                "—" if s.pg_missing else _ok(s.batch >= 5 * max(s.pg_batch, s.pg_batch_join)),
                _ok(s.index_mb <= 1500),
                _ok(s.agreement == 100.0 and s.single_agreement == 100.0),
            )
            for s in scales
        ],
    )
    return [ours, comparison, goals]


def _ok(flag: bool) -> str:
    return "yes" if flag else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grids", type=int, default=100_000, help="grid polygons (default 100,000)")
    parser.add_argument(
        "--micro", type=int, default=450_000, help="micro-grid polygons (default 450,000; 0 skips)"
    )
    parser.add_argument(
        "--points", type=int, default=1_000_000, help="random points per scale (default 1,000,000)"
    )
    parser.add_argument(
        "--singles", type=int, default=100_000, help="timed single-point calls (default 100,000)"
    )
    parser.add_argument("--runs", type=int, default=5, help="batch runs, median reported (default 5)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--source",
        choices=["generator", "voronoi"],
        default="generator",
        help="polygons: the project's province net (default) or a Voronoi partition of --grids/--micro cells",
    )
    parser.add_argument(
        "--quick", action="store_true", help="20k grids, 50k micro-grids, 200k points, fewer runs"
    )
    parser.add_argument("--no-postgis", action="store_true", help="skip the PostGIS comparison")
    parser.add_argument("--no-log", action="store_true", help="do not append to docs/benchmarks.md")
    args = parser.parse_args()
    if args.quick:
        args.grids, args.micro, args.points = (
            min(args.grids, 20_000),
            min(args.micro, 50_000),
            min(args.points, 200_000),
        )
        args.singles, args.runs = min(args.singles, 20_000), min(args.runs, 3)
        args.source = "voronoi"  # the generator makes a whole province; --quick wants small counts

    pg_missing = postgis_available()
    if pg_missing and not args.no_postgis:
        print(f"PostGIS comparison skipped: {pg_missing}. Install it with `{PG_INSTALL_HINT}` (as root).")
    scales = [run_scale("grids", False, args.grids, args, pg_missing)]
    if args.micro:
        scales.append(run_scale("micro-grids", True, args.micro, args, pg_missing))
    report("locate: point-location index", tables(scales, args), log=not args.no_log)


if __name__ == "__main__":
    main()
