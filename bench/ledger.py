"""Benchmark the evidence ledger against pymerkle on the same work.

    uv run --group bench python bench/ledger.py [--leaves 10000000] [--memory 1000000]
        [--batch-sizes 1000,10000] [--per-run 100000] [--proofs 20000] [--no-postgres] [--quick]

What is measured (entries are 64 bytes; every figure is a median over repeated runs, because the
machine is shared and noisy):

- in-memory appends: ``merkle.MemoryTree.append`` (keeps every complete node, so proofs are O(log n))
  against pymerkle's ``InmemoryTree.append_entry``, both over the same ``--memory`` entries;
- durable appends in batches: ``log.writing()`` + ``log.append`` on the real database through Django
  (leaf hashes, inner nodes, one signed checkpoint and one commit per batch), on top of the
  ``--leaves`` tree, against pymerkle's ``SqliteTree.append_entries`` (one transaction per batch, the
  same SQLite pragmas). SQLite in WAL mode with ``synchronous=FULL`` syncs the WAL at every commit
  (durable: the ledger's own mode); with ``synchronous=NORMAL`` it does not (the rest of OneGrid's
  mode; a power cut can lose the last commits). PostgreSQL runs in a throwaway cluster with
  ``fsync=on`` and ``synchronous_commit=on``;
- proofs at ``--leaves``: generation from the tree stored in the database, the way the API serves
  them, cold (the tile cache off: one query for the tiles of the complete subtrees) and warm (every tile
  needed in the tile cache: no query), and from the in-memory tree, and verification
  (pure Python, RFC 9162 §2.1.3.2/§2.1.4.2); pymerkle's from its ``SqliteTree`` of the same size (its
  in-memory tree is compared at ``--memory``).

The stored tree of ``--leaves`` is written straight into the ledger's table with bulk inserts
(CompactRange computes every complete node); building it is reported, not counted as appends.
pymerkle (GPL-3.0-or-later) is installed only by the ``bench`` dependency group and imported only here.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from _common import ROOT, Result, report
from onegrid.ledger import merkle

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RUNS = 3


def entry(i: int) -> bytes:
    return i.to_bytes(8, "big") * 8


def leaf_hashes(start: int, stop: int) -> list[bytes]:
    sha = hashlib.sha256
    return [sha(b"\x00" + entry(i)).digest() for i in range(start, stop)]


def per_op_us(op: Callable[[int], Any], args: Sequence[int]) -> tuple[float, float]:
    """Median and p99 of single calls, in µs."""
    times = []
    clock = time.perf_counter_ns
    for a in args:
        t0 = clock()
        op(a)
        times.append(clock() - t0)
    times.sort()
    return times[len(times) // 2] / 1000, times[int(len(times) * 0.99)] / 1000


def batches(first: int, per_run: int, size: int) -> list[list[bytes]]:
    return [[entry(first + b * size + k) for k in range(size)] for b in range(per_run // size)]


# --------------------------------------------------------------------------------------------- worker
# A worker process owns one database (SQLite in a temporary data directory, or PostgreSQL): it builds
# the stored tree, times proofs from it, then times durable appends on top of it. JSON on stdout.
# Django is set up inside the worker, so its imports live there.


def worker(leaves: int, sizes: list[int], per_run: int, proofs: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from onegrid.ledger import keys, log, tiles
    from onegrid.ledger.checkpoint import Checkpoint as Body
    from onegrid.ledger.models import Checkpoint, Head

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    out: dict[str, Any] = {"vendor": vendor}
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            out["mode"] = f"journal_mode={cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT current_setting('server_version'), current_setting('fsync')")
            version, fsync = cursor.fetchone()
            out["mode"] = f"PostgreSQL {version}, fsync={fsync}, synchronous_commit=on"

    started = time.perf_counter()
    compact = merkle.CompactRange()
    writer = tiles.Writer()
    chunk = 200_000

    def store(rows: list[tuple[int, int, bytes]]) -> None:
        if vendor == "sqlite":
            raw.executemany("INSERT INTO ledger_tile (key, width, hashes) VALUES (?, ?, ?)", rows)
        else:
            with raw.cursor() as cur, cur.copy("COPY ledger_tile (key, width, hashes) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    with transaction.atomic():
        raw = connection.connection
        for first in range(0, leaves, chunk):
            writer.add(compact.append(leaf_hashes(first, min(first + chunk, leaves))))
            store([(k, tiles.WIDTH, blob) for k, blob in writer.take_full()])
        store([(k, tiles.width_at(leaves, *tiles.split_key(k)), bytes(b)) for k, b in writer.tiles.items()])
        signer = keys.signer()
        body = Body(signer.name, leaves, compact.root())
        note = signer.sign_note(body.text())
        Checkpoint(size=leaves, root=body.root, note=note, at=timezone.now()).save(force_insert=True)
        Head.objects.update_or_create(pk=1, defaults={"size": leaves})
    out["build_s"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), sum(length(hashes)) FROM ledger_tile")
        out["tiles"], out["tile_bytes"] = (int(x) for x in cursor.fetchone())
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE ledger_tile")

    rng = random.Random(7)
    indexes = [rng.randrange(leaves) for _ in range(proofs)]
    firsts = [rng.randrange(1, leaves) for _ in range(proofs)]

    def time_proofs(tag: str) -> None:
        out[f"inclusion_{tag}_us"] = per_op_us(lambda i: log.inclusion_proof(i, leaves), indexes)
        out[f"consistency_{tag}_us"] = per_op_us(lambda m: log.consistency_proof(m, leaves), firsts)

    def fill_cache() -> None:
        log.tile_cache.clear()
        for i in indexes:
            log.inclusion_proof(i, leaves)
        for m in firsts:
            log.consistency_proof(m, leaves)

    default_cache = log.tile_cache.max_bytes
    out["cache_default_mib"] = default_cache >> 20
    log.tile_cache.resize(0)  # cold: every proof reads its tiles from the database
    for i in indexes[:500]:
        log.inclusion_proof(i, leaves)  # the database's own page cache is warm, as in a running server
    time_proofs("cold")
    log.tile_cache.resize(default_cache)
    fill_cache()
    time_proofs("default")  # the default cache, random leaves over the whole tree: partly hits
    log.tile_cache.resize(4 << 30)
    fill_cache()
    out["cache_tiles"], out["cache_mib"] = len(log.tile_cache), log.tile_cache.size / 2**20
    time_proofs("warm")  # every tile these proofs need is cached
    assert log.root(leaves) == compact.root()
    log.tile_cache.resize(default_cache)
    log.tile_cache.clear()

    # the fixed cost of a durable batch: a ledger write transaction of one 16 KiB row and its commit
    column = "id serial PRIMARY KEY, b bytea" if vendor == "postgresql" else "id integer PRIMARY KEY, b blob"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_commit ({column})")
    commits: list[float] = []

    def probe_commits(count: int) -> None:
        for _ in range(count):
            blob = os.urandom(16_384)
            t0 = time.perf_counter()
            with log.writing(), connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_commit (b) VALUES (%s)", [blob])
            commits.append(time.perf_counter() - t0)

    def run(first: int, size: int, *, full: bool) -> float:
        payloads = batches(first, per_run, size)
        t0 = time.perf_counter()
        for data in payloads:
            hashes = merkle.leaf_hashes(data)
            if full:
                with log.writing() as head:
                    log.append(head, hashes)
            else:  # the same code path without the switch to synchronous=FULL (SQLite only)
                with transaction.atomic():
                    log.append(log.lock(), hashes)
        return len(payloads) * size / (time.perf_counter() - t0)

    # pymerkle's SqliteTree in the same data directory, its runs taken turn about with ours, so both
    # see the same disk: the cost of an fsync on this shared machine changes from minute to minute
    pm = pymerkle_module() if vendor == "sqlite" else None
    theirs: dict[bool, Any] = {}
    theirs_first = 0
    if pm is not None:
        for full in (True, False):
            path = Path(connection.settings_dict["NAME"]).parent / f"pymerkle-{full}.db"
            tree = pm.SqliteTree(str(path))
            tree.con.execute("PRAGMA journal_mode=WAL")
            tree.con.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
            theirs[full] = tree

    def run_theirs(first: int, size: int, *, full: bool) -> float:
        payloads = batches(first, per_run, size)
        t0 = time.perf_counter()
        for data in payloads:
            theirs[full].append_entries(data)
        return len(payloads) * size / (time.perf_counter() - t0)

    def hashing_only(first: int, size: int, *, python: bool = False) -> float:
        """Seconds per leaf of the hashing alone: leaf hashes and the inner nodes, no storage; with the
        batch hasher in use, or with the pure-Python one."""
        payloads = batches(first, per_run, size)
        compact = merkle.CompactRange()
        leaf_hashes, parents = merkle.leaf_hashes, merkle.parents
        if python:
            leaf_hashes, merkle.parents = merkle.py_leaf_hashes, merkle.py_parents
        try:
            t0 = time.perf_counter()
            for data in payloads:
                compact.extend(leaf_hashes(data))
            return (time.perf_counter() - t0) / (len(payloads) * size)
        finally:
            merkle.parents = parents

    out["hasher"] = merkle.HASHER
    size_now = leaves
    for size in sizes:
        out[f"hash_us_{size}"] = statistics.median(hashing_only(0, size) for _ in range(RUNS)) * 1e6
        out[f"hash_py_us_{size}"] = (
            statistics.median(hashing_only(0, size, python=True) for _ in range(RUNS)) * 1e6
        )
        for full in [True, False] if vendor == "sqlite" else [True]:
            mode = "full" if full else "normal"
            rates, their_rates = [], []
            for _ in range(RUNS):
                rates.append(run(size_now, size, full=full))
                size_now += per_run // size * size
                if theirs:
                    their_rates.append(run_theirs(theirs_first, size, full=full))
                    theirs_first += per_run // size * size
                probe_commits(30)
            out[f"append_{mode}_{size}"] = rates
            if theirs:
                out[f"theirs_append_{mode}_{size}"] = their_rates
    out["commit_ms"] = statistics.median(commits) * 1000
    for tree in theirs.values():
        tree.close()
    return out


def run_worker(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        f"--leaves={args.leaves}",
        f"--batch-sizes={args.batch_sizes}",
        f"--per-run={args.per_run}",
        f"--proofs={args.proofs}",
    ]
    # production settings for what matters here: no DEBUG query log
    full_env = {**os.environ, "ONEGRID_DEBUG": "0", **env}
    done = subprocess.run(command, env=full_env, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark worker failed ({done.returncode})")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str | None]:
    """A throwaway PostgreSQL 15 on 127.0.0.1 with fsync and synchronous_commit on; None if absent."""
    if not (PG_BIN / "initdb").exists():
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="onegrid-bench-pg-"))
    data = base / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = os.geteuid() == 0

    def as_postgres(cmd: list[str]) -> None:
        full = ["su", "postgres", "-c", " ".join(cmd)] if root else cmd
        subprocess.run(full, check=True, capture_output=True)

    if root:
        base.chmod(0o755)
        shutil.chown(base, "postgres", "postgres")
    started = False
    try:
        as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        options = (
            f"'-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on "
            "-c shared_buffers=1GB -c max_wal_size=4GB'"
        )
        log = str(base / "log")
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", log, "-o", options, "-w", "start"])
        started = True
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


# -------------------------------------------------------------------------------------------- pymerkle


def pymerkle_module() -> Any:
    try:
        import pymerkle  # GPL-3.0-or-later: imported by this benchmark only, never by src/
    except ImportError:
        return None
    return pymerkle


def theirs_memory(pm: Any, n: int, proofs: int) -> dict[str, Any]:
    rates = []
    data = [entry(i) for i in range(n)]
    tree = None
    for _ in range(RUNS):
        tree = pm.InmemoryTree()
        t0 = time.perf_counter()
        for d in data:
            tree.append_entry(d)
        rates.append(n / (time.perf_counter() - t0))
    return {"append": rates, **theirs_proofs(pm, tree, n, proofs)}


def theirs_proofs(pm: Any, tree: Any, n: int, proofs: int) -> dict[str, Any]:
    """pymerkle counts leaves from 1."""
    rng = random.Random(7)
    indexes = [rng.randrange(n) for _ in range(proofs)]
    firsts = [rng.randrange(1, n) for _ in range(proofs)]
    for i in indexes[:50]:
        tree.prove_inclusion(i + 1, n)
    out: dict[str, Any] = {
        "inclusion_us": per_op_us(lambda i: tree.prove_inclusion(i + 1, n), indexes),
        "consistency_us": per_op_us(lambda m: tree.prove_consistency(m, n), firsts),
    }
    root = tree.get_root(n)
    made = [(tree.get_leaf(i + 1), tree.prove_inclusion(i + 1, n)) for i in indexes[:2000]]
    out["verify_inclusion_us"] = per_op_us(
        lambda k: pm.verify_inclusion(made[k][0], root, made[k][1]), range(len(made))
    )
    cons = [(tree.get_root(m), tree.prove_consistency(m, n)) for m in firsts[:2000]]
    out["verify_consistency_us"] = per_op_us(
        lambda k: pm.verify_consistency(cons[k][0], root, cons[k][1]), range(len(cons))
    )
    return out


def theirs_sqlite(pm: Any, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """pymerkle's proofs from a stored tree (its durable appends run in the SQLite worker, beside ours)."""
    out: dict[str, Any] = {}
    # proofs from a stored tree of --leaves: its entries go in with one bulk append (not timed)
    path = workdir / "pymerkle-proofs.db"
    tree = pm.SqliteTree(str(path))
    tree.con.execute("PRAGMA journal_mode=WAL")
    tree.con.execute("PRAGMA synchronous=OFF")
    t0 = time.perf_counter()
    tree.append_entries(entry(i) for i in range(args.leaves))
    out["build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tree.prove_inclusion(1, args.leaves)
    out["first_proof_s"] = time.perf_counter() - t0
    out.update(theirs_proofs(pm, tree, args.leaves, max(500, args.proofs // 20)))
    tree.close()
    path.unlink()
    return out


# ---------------------------------------------------------------------------------------------- ours


def ours_memory(n: int, proofs: int) -> dict[str, Any]:
    rates = []
    data = [entry(i) for i in range(n)]
    tree = merkle.MemoryTree()
    for _ in range(RUNS):
        tree = merkle.MemoryTree()
        t0 = time.perf_counter()
        for d in data:
            tree.append(d)
        rates.append(n / (time.perf_counter() - t0))
    return {"append": rates, **ours_proofs(tree, n, proofs)}


def ours_proofs(tree: merkle.MemoryTree, n: int, proofs: int) -> dict[str, Any]:
    rng = random.Random(7)
    indexes = [rng.randrange(n) for _ in range(proofs)]
    firsts = [rng.randrange(1, n) for _ in range(proofs)]
    out: dict[str, Any] = {
        "inclusion_us": per_op_us(lambda i: tree.inclusion_proof(i, n), indexes),
        "consistency_us": per_op_us(lambda m: tree.consistency_proof(m, n), firsts),
    }
    root = tree.root(n)
    made = [(i, tree.inclusion_proof(i, n)) for i in indexes[:2000]]
    out["verify_inclusion_us"] = per_op_us(
        lambda k: merkle.verify_inclusion(made[k][0], n, tree.node(0, made[k][0]), made[k][1], root),
        range(len(made)),
    )
    cons = [(m, tree.root(m), tree.consistency_proof(m, n)) for m in firsts[:2000]]
    out["verify_consistency_us"] = per_op_us(
        lambda k: merkle.verify_consistency(cons[k][0], n, cons[k][1], root, cons[k][2]), range(len(cons))
    )
    return out


# ---------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--leaves", type=int, default=10_000_000, help="size of the stored tree for proofs")
    parser.add_argument("--memory", type=int, default=1_000_000, help="entries for the in-memory append runs")
    parser.add_argument(
        "--batch-sizes", default="1000,10000", help="entries per batch (one commit, one checkpoint)"
    )
    parser.add_argument("--per-run", type=int, default=100_000, help="appends per timed durable run")
    parser.add_argument("--proofs", type=int, default=20_000, help="proofs timed per kind")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="small sizes, for trying the script")
    parser.add_argument("--no-log", action="store_true", help="do not append to docs/benchmarks.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(x) for x in args.batch_sizes.split(",")]
    if args.worker:
        print(json.dumps(worker(args.leaves, sizes, args.per_run, args.proofs)))
        return
    if args.quick:
        args.leaves, args.memory, args.per_run, args.proofs = 200_000, 100_000, 20_000, 2000
    pm = pymerkle_module()
    notes: list[str] = []
    if pm is None:
        notes.append("pymerkle is not installed: run with `uv run --group bench` for the comparison.")
    else:
        notes.append(
            "Run as `uv run --group bench python bench/ledger.py`: pymerkle comes from the bench group."
        )
    workdir = Path(tempfile.mkdtemp(prefix="onegrid-bench-ledger-"))
    m: dict[str, Any] = {"notes": notes}
    try:
        print(f"in-memory appends and proofs, {args.memory:,} entries ...", flush=True)
        m["ours_mem"] = ours_memory(args.memory, args.proofs)
        m["theirs_mem"] = theirs_memory(pm, args.memory, max(500, args.proofs // 10)) if pm else {}
        print(f"in-memory tree of {args.leaves:,} leaves ...", flush=True)
        t0 = time.perf_counter()
        big = merkle.MemoryTree.from_leaf_hashes(leaf_hashes(0, args.leaves))
        m["big_build_s"] = time.perf_counter() - t0
        m["ours_big"] = ours_proofs(big, args.leaves, args.proofs)
        del big
        print(f"SQLite: stored tree of {args.leaves:,} leaves, proofs, durable appends ...", flush=True)
        (workdir / "sqlite").mkdir()
        m["sqlite"] = run_worker({"ONEGRID_DATA_DIR": str(workdir / "sqlite"), "DATABASE_URL": ""}, args)
        m["pg"] = {}
        if not args.no_postgres:
            with postgres_cluster() as url:
                if url is None:
                    notes.append("PostgreSQL is not installed here: no PostgreSQL rows.")
                else:
                    print(
                        f"PostgreSQL: stored tree of {args.leaves:,} leaves, proofs, appends ...", flush=True
                    )
                    m["pg"] = run_worker({"ONEGRID_DATA_DIR": str(workdir / "pg"), "DATABASE_URL": url}, args)
        m["theirs_sql"] = {}
        if pm:
            print(f"pymerkle SqliteTree: stored tree of {args.leaves:,} ...", flush=True)
            m["theirs_sql"] = theirs_sqlite(pm, args, workdir)
            m["theirs_sql"].update(
                {k.removeprefix("theirs_"): v for k, v in m["sqlite"].items() if k.startswith("theirs_")}
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report("ledger: evidence log appends and proofs", tables(args, sizes, m), log=not args.no_log)


def fmt_rate(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def fmt_us(x: float | None) -> str:
    return "—" if x is None else (f"{x:,.1f}" if x < 1000 else f"{x:,.0f}")


def speed(ours: float | None, theirs: float | None, *, higher_is_better: bool) -> float | None:
    if not ours or not theirs:
        return None
    return ours / theirs if higher_is_better else theirs / ours


def tables(args: argparse.Namespace, sizes: list[int], m: dict[str, Any]) -> list[Result]:
    n, mem = f"{args.leaves / 1e6:g} M", f"{args.memory / 1e6:g} M"
    sq, pg, tm, ts, om, ob = (
        m["sqlite"],
        m["pg"],
        m["theirs_mem"],
        m["theirs_sql"],
        m["ours_mem"],
        m["ours_big"],
    )

    def rate(d: dict[str, Any], key: str) -> float | None:
        return statistics.median(d[key]) if key in d else None

    def us(d: dict[str, Any], key: str) -> float | None:
        return float(d[key][0]) if key in d else None

    def both(d: dict[str, Any], key: str) -> str:
        return f"{fmt_us(d[key][0])} / {fmt_us(d[key][1])}" if key in d else "—"

    rows: list[tuple[str, float | None, float | None, bool]] = [
        (f"in-memory appends/s ({mem} entries)", rate(om, "append"), rate(tm, "append"), True)
    ]
    for size in sizes:
        rows.append(
            (f"durable appends/s, SQLite WAL synchronous=FULL, batches of {size:,}",
             rate(sq, f"append_full_{size}"), rate(ts, f"append_full_{size}"), True)
        )  # fmt: skip
    for size in sizes:
        rows.append(
            (f"appends/s, SQLite WAL synchronous=NORMAL (not power-safe), batches of {size:,}",
             rate(sq, f"append_normal_{size}"), rate(ts, f"append_normal_{size}"), True)
        )  # fmt: skip
    for size in sizes if pg else []:
        rows.append(
            (f"durable appends/s, PostgreSQL synchronous_commit=on, batches of {size:,}",
             rate(pg, f"append_full_{size}"), None, True)
        )  # fmt: skip
    for db, d in (("SQLite", sq), ("PostgreSQL", pg)):
        if not d:
            continue
        rows += [
            (f"inclusion proof, from {db}, {n} leaves, cold: tiles read from the database (µs)", us(d, "inclusion_cold_us"), us(ts, "inclusion_us") if db == "SQLite" else None, False),
            (f"inclusion proof, from {db}, {n} leaves, warm: tiles cached (µs)", us(d, "inclusion_warm_us"), us(ts, "inclusion_us") if db == "SQLite" else None, False),
            (f"inclusion proof, from {db}, {n} leaves, default {d['cache_default_mib']} MiB cache (µs)", us(d, "inclusion_default_us"), None, False),
            (f"consistency proof, from {db}, {n} leaves, cold (µs)", us(d, "consistency_cold_us"), us(ts, "consistency_us") if db == "SQLite" else None, False),
            (f"consistency proof, from {db}, {n} leaves, warm (µs)", us(d, "consistency_warm_us"), us(ts, "consistency_us") if db == "SQLite" else None, False),
        ]  # fmt: skip
    rows += [
        (f"inclusion proof, in memory, {n} leaves (µs)", us(ob, "inclusion_us"), None, False),
        (f"consistency proof, in memory, {n} leaves (µs)", us(ob, "consistency_us"), None, False),
        (f"inclusion proof, in memory, {mem} leaves (µs)", us(om, "inclusion_us"), us(tm, "inclusion_us"), False),
        (f"consistency proof, in memory, {mem} leaves (µs)", us(om, "consistency_us"), us(tm, "consistency_us"), False),
        (f"verify inclusion, {n} leaves (µs)", us(ob, "verify_inclusion_us"), us(ts, "verify_inclusion_us"), False),
        (f"verify consistency, {n} leaves (µs)", us(ob, "verify_consistency_us"), us(ts, "verify_consistency_us"), False),
    ]  # fmt: skip

    def cells(work: str, ours: float | None, theirs: float | None, higher: bool) -> list[str]:
        fmt = fmt_rate if higher else fmt_us
        x = speed(ours, theirs, higher_is_better=higher)
        return [work, fmt(ours), fmt(theirs), "—" if x is None else f"{x:.1f}×"]

    def runs(d: dict[str, Any], key: str) -> str:
        return ", ".join(fmt_rate(x) for x in d.get(key, []))

    durable_runs = "; ".join(
        f"batches of {size:,}: FULL {runs(sq, f'append_full_{size}')}, NORMAL {runs(sq, f'append_normal_{size}')}"
        + (f", PostgreSQL {runs(pg, f'append_full_{size}')}" if pg else "")
        for size in sizes
    )
    build = f"Stored {n} tree built by bulk insert in {sq['build_s']:.0f} s (SQLite" + (
        f"), {pg['build_s']:.0f} s (PostgreSQL COPY" if pg else ""
    )
    build += f"); {sq['tiles']:,} tiles, {sq['tile_bytes'] / 2**20:,.0f} MiB of hashes"
    build += f"; in-memory {n} tree built in {m['big_build_s']:.0f} s"
    if ts:
        build += (
            f"; pymerkle's SqliteTree took {ts['build_s']:.0f} s to take {n} entries in one append_entries."
        )
    table = Result(
        "Same work, ours and pymerkle 7.0.0 (medians)",
        ["work", "ours", "pymerkle", "ours faster by"],
        [cells(*row) for row in rows],
        notes=[
            f"Batch hasher (leaf and inner node hashes of our durable appends): {sq.get('hasher', '?')}."
            + (
                " Hashing alone, leaf and inner SHA-256 of a batch without storage, µs a leaf: "
                + "; ".join(
                    f"batches of {size:,}: {sq[f'hash_us_{size}']:.2f} with it, {sq[f'hash_py_us_{size}']:.2f} "
                    "in pure Python (hashlib)"
                    for size in sizes
                    if f"hash_py_us_{size}" in sq
                )
                + "."
                if any(f"hash_py_us_{size}" in sq for size in sizes)
                else ""
            ),
            "Appends: 64-byte entries, leaf hashing included. Ours stores every complete subtree hash in tiles "
            "of 256 entries per tile level (C2SP tlog-tiles tiling, each tile with its in-tile nodes; full tiles "
            "written once, the partial tile of each level replaced by its longer self: a batch of 1,000 writes "
            "about 5 tile rows), one signed C2SP checkpoint (Ed25519) and the head row per batch; the leaves' "
            "data is kept by the callers (deposits, the audit trail), not by the log. pymerkle's SqliteTree "
            "stores the entry and its leaf hash and computes proofs from the leaves (with its subroot cache). "
            f"Durable rates: median of {RUNS} runs of {args.per_run:,} appends ({durable_runs}), each of ours "
            "followed by one of pymerkle's in the same process and data directory, so both meet the same disk. "
            f"Durability: SQLite {sq.get('mode', '')} on the local disk"
            + (f"; {pg['mode']}" if pg else "")
            + ".",
            f"Proofs: median of {args.proofs:,} single calls (ours; pymerkle's SqliteTree: "
            f"{max(500, args.proofs // 20):,}) at random indexes and sizes, after a warm-up; p99 below. Ours from the "
            "database is `log.inclusion_proof` as the API calls it (DEBUG off): the tiles holding the ~24 "
            "complete subtrees from the process's tile cache, what it lacks in one SELECT by key on the driver's "
            "cursor, then slicing and folding the right border; cold and warm rows as explained under the latency table."
            + (f" pymerkle's first, cold proof at {n} took {ts['first_proof_s']:.1f} s." if ts else ""),
            build,
            *m["notes"],
        ],
    )
    p99 = Result(
        "Proof latency (median / p99, µs)",
        ["proof", "SQLite cold", "SQLite warm", "PostgreSQL cold", "PostgreSQL warm", "in memory", "pymerkle, SqliteTree"],
        [
            [kind, both(sq, f"{kind}_cold_us"), both(sq, f"{kind}_warm_us"), both(pg, f"{kind}_cold_us"),
             both(pg, f"{kind}_warm_us"), both(ob, f"{kind}_us"), both(ts, f"{kind}_us")]
            for kind in ("inclusion", "consistency")
        ],
        notes=[
            "Cold: the tile cache off, every proof reads its 3–6 tiles in one SELECT by key (the database's "
            "own page cache warm). Warm: every tile the proofs need is in the process's tile cache "
            f"({sq.get('cache_tiles', 0):,} tiles, {sq.get('cache_mib', 0):,.0f} MiB for these {args.proofs:,} "
            "random inclusion and consistency proofs), no query. A server holds the upper tile levels and the "
            "recently used level-0 tiles; with the default cache size and random leaves over 10 M, proofs fall "
            "in between (the 'default cache' rows)."
        ],
    )  # fmt: skip
    best = max(sizes, key=lambda s: rate(sq, f"append_full_{s}") or 0)
    durable = rate(sq, f"append_full_{best}")
    small = rate(sq, f"append_full_{sizes[0]}")

    def goal(
        name: str, measured: float | None, ok: bool | None, fmt: Callable[[float | None], str]
    ) -> list[str]:
        return [name, fmt(measured), "—" if ok is None else ("yes" if ok else "**no**")]

    def at_least(x: float | None, bound: float) -> bool | None:
        return None if x is None else x >= bound

    def at_most(x: float | None, bound: float) -> bool | None:
        return None if x is None else x <= bound

    def times(x: float | None) -> str:
        return "—" if x is None else f"{x:.1f}×"

    mem_x = speed(rate(om, "append"), rate(tm, "append"), higher_is_better=True)
    hasher_name = "C batch hasher" if str(sq.get("hasher", "")).startswith("C ") else "pure-Python hasher"

    def bound_note(size: int) -> str:
        """What the disk allows: a batch cannot commit faster than a durable commit of nothing much."""
        ceiling = size / (sq["commit_ms"] / 1000)
        theirs = rate(ts, f"append_full_{size}")
        text = (
            f"Batches of {size:,}: a durable ledger transaction writing one 16 KiB row costs {sq['commit_ms']:.2f} ms "
            f"here (median of 30 commits timed after each run, SQLite FULL; PostgreSQL {pg['commit_ms']:.2f} ms)"
            if pg
            else f"Batches of {size:,}: a durable ledger transaction writing one 16 KiB row costs {sq['commit_ms']:.2f} ms "
            "here (median of 30 commits timed after each run, SQLite FULL)"
        )
        text += f", so no batch of {size:,} can go beyond {ceiling:,.0f} appends/s on this disk"
        ours = rate(sq, f"append_full_{size}")
        if ours:
            text += f" (ours took {size / ours * 1000:.2f} ms a batch in all)"
        if theirs:
            need = 3 * theirs
            budget = size / need * 1000
            text += (
                f"; 3× pymerkle is {need:,.0f}/s, {budget:.2f} ms a batch, which leaves "
                f"{budget - sq['commit_ms']:.2f} ms beside the commit for hashing {size:,} leaves and ~{size:,} "
                "inner nodes, cutting and writing the tiles and signing: "
            ) + (
                "**out of reach here whatever the append does**"
                if need >= ceiling
                else "within reach only if the batch's own work fits in that"
            )
            floor = sq.get(f"hash_us_{size}")
            if floor:
                text += (
                    f". Hashing alone (leaf and inner SHA-256, no storage, {hasher_name}) took {floor:.2f} µs "
                    f"a leaf in this run, {floor * size / 1000:.2f} ms a batch: "
                    + (
                        f"**more than that budget, so 3× is out of reach with the {hasher_name} here**"
                        if floor * size / 1000 >= budget - sq["commit_ms"]
                        else f"{(budget - sq['commit_ms']) - floor * size / 1000:.2f} ms would be left for the rest"
                    )
                )
        return text + "."

    goals = Result(
        "Goals",
        ["goal", "measured", "met"],
        [
            goal(f"≥ 100,000 durable appends/s (SQLite FULL, batches of {best:,})", durable, at_least(durable, 1e5), fmt_rate),
            goal(f"≥ 100,000 durable appends/s (SQLite FULL, batches of {sizes[0]:,})", small, at_least(small, 1e5), fmt_rate),
            goal(f"inclusion proof generation ≤ 50 µs at {n}, from SQLite, cold (tiles read)", us(sq, "inclusion_cold_us"), at_most(us(sq, "inclusion_cold_us"), 50), fmt_us),
            goal(f"inclusion proof generation ≤ 50 µs at {n}, from SQLite, warm (tiles cached)", us(sq, "inclusion_warm_us"), at_most(us(sq, "inclusion_warm_us"), 50), fmt_us),
            goal(f"inclusion proof generation ≤ 50 µs at {n}, from PostgreSQL, cold (tiles read)", us(pg, "inclusion_cold_us"), at_most(us(pg, "inclusion_cold_us"), 50), fmt_us),
            goal(f"inclusion proof generation ≤ 50 µs at {n}, from PostgreSQL, warm (tiles cached)", us(pg, "inclusion_warm_us"), at_most(us(pg, "inclusion_warm_us"), 50), fmt_us),
            goal(f"inclusion proof generation ≤ 50 µs at {n}, in memory", us(ob, "inclusion_us"), at_most(us(ob, "inclusion_us"), 50), fmt_us),
            goal("≥ 3× pymerkle append throughput, in memory", mem_x, at_least(mem_x, 3), times),
            *(
                goal(f"≥ 3× pymerkle append throughput, durable (FULL, batches of {size:,})", x, at_least(x, 3), times)
                for size in sizes
                for x in [speed(rate(sq, f"append_full_{size}"), rate(ts, f"append_full_{size}"), higher_is_better=True)]
            ),
        ],
        notes=[bound_note(size) for size in sizes],
    )  # fmt: skip
    return [table, p99, goals]


if __name__ == "__main__":
    main()
