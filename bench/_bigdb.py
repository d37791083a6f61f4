"""The province net plus N generated matters, built once per (engine, N, seed) and cached under
var/bench/: a SQLite file, or a PostgreSQL 15 cluster directory started on a free loopback port.

Building runs the project's own commands (``onegrid migrate``, ``areas generate --scale province``,
``matters generate --count N --seed S``) against the cached database; the build time is recorded next
to it. A build that did not finish leaves no ``.done`` marker and is started again from scratch."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from _common import ROOT

CACHE = ROOT / "var" / "bench"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _onegrid(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([str(Path(sys.executable).parent / "onegrid"), *args], cwd=ROOT, env=env, check=True)


def _size(path: Path) -> int:
    """Bytes on disk under ``path`` (a file, or a directory such as a PostgreSQL cluster)."""
    if path.is_file():
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _build(url: str, count: int, seed: int, marker: Path, store: Path) -> None:
    started = time.perf_counter()
    _onegrid(url, "migrate", "-v0")
    t0 = time.perf_counter()
    _onegrid(url, "areas", "generate", "--scale", "province", "--no-progress")
    t1 = time.perf_counter()
    _onegrid(url, "matters", "generate", "--count", str(count), "--seed", str(seed), "--no-progress")
    t2 = time.perf_counter()
    marker.write_text(
        json.dumps(
            {
                "net_s": round(t1 - t0, 1),
                "matters_s": round(t2 - t1, 1),
                "total_s": round(t2 - started, 1),
                "matters_per_s": round(count / max(t2 - t1, 1e-9)),
                "disk_gb": round(_size(store) / 1e9, 2),
            }
        )
    )


def build_facts(engine: str, count: int, seed: int) -> dict[str, float]:
    marker = CACHE / f"stats-{engine}-{count}-{seed}.done"
    return json.loads(marker.read_text()) if marker.exists() else {}


def describe_build(engine: str, count: int, seed: int) -> str:
    """The cached database's build, for a benchmark's notes."""
    f = build_facts(engine, count, seed)
    if not f:
        return "Build: not recorded."
    rate = f" ({f['matters_per_s']:,} matters/s)" if "matters_per_s" in f else ""
    disk = f", {f['disk_gb']} GB on disk after the build" if "disk_gb" in f else ""
    return (
        f"Build (cached under var/bench/): net {f.get('net_s', '?')} s, "
        f"matters + rollup {f.get('matters_s', '?')} s{rate}{disk}."
    )


def postgres_available() -> bool:
    return (PG_BIN / "initdb").exists()


@contextlib.contextmanager
def database(engine: str, count: int, seed: int) -> Iterator[str]:
    """The DATABASE_URL of the cached database, built first if needed (PostgreSQL: started, and stopped
    on exit)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    marker = CACHE / f"stats-{engine}-{count}-{seed}.done"
    if engine == "sqlite":
        path = CACHE / f"stats-{count}-{seed}.sqlite3"
        url = f"sqlite:///{path}"
        if not marker.exists():
            for old in CACHE.glob(f"stats-{count}-{seed}.sqlite3*"):
                old.unlink()
            _build(url, count, seed, marker, path)
        _onegrid(url, "migrate", "-v0")  # a cached database gets the project's newer migrations
        yield url
        return
    data = CACHE / f"pg-stats-{count}-{seed}"
    root = os.geteuid() == 0

    def as_postgres(cmd: list[str]) -> None:
        full = ["su", "postgres", "-c", " ".join(cmd)] if root else cmd
        subprocess.run(full, check=True, capture_output=True)

    if not marker.exists() and data.exists():
        shutil.rmtree(data)
    fresh = not data.exists()
    if fresh:
        data.mkdir(parents=True)
        if root:
            shutil.chown(data, "postgres", "postgres")
        data.chmod(0o700)
        as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # a benchmark cache, not a primary: no WAL archiving or replicas (wal_level=minimal lets index
    # builds skip the WAL), few checkpoints during the bulk load
    options = (
        f"'-p {port} -k {data} -c listen_addresses=127.0.0.1 -c shared_buffers=2GB -c work_mem=64MB "
        "-c maintenance_work_mem=1GB -c max_wal_size=8GB -c jit=off -c synchronous_commit=off "
        "-c wal_level=minimal -c max_wal_senders=0 -c checkpoint_timeout=30min'"
    )
    as_postgres(
        [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-o", options, "-w", "start"]
    )
    url = f"postgres://postgres@127.0.0.1:{port}/postgres"
    try:
        if not marker.exists():
            _build(url, count, seed, marker, data)
        _onegrid(url, "migrate", "-v0")
        yield url
    finally:
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
