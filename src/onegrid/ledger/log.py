"""The stored log: one RFC 9162 tree in the database, one writer at a time, one checkpoint per batch.

Storage is tiled (``models.Tile``, layout in ``ledger.tiles``): the complete nodes in tiles of 256
entries per tile level, full tiles written once, the last tile of each level extended by each batch.
A batch of 1,000 leaves writes about five tile rows; a proof reads the few tiles it needs by key, from
the process's tile cache (``tile_cache``) and what that lacks in one query. A batch is hashed a tree
level at a time and cut into tiles from those levels (``tiles.grow``: one call of the compiled
hasher); the lock, the border read and the writes are a handful of plain statements on the driver's
cursor (``ledger.driver``; decision 0012 has what a batch costs). Appends are serialised by
the head row: ``SELECT … FOR UPDATE`` on PostgreSQL, and on SQLite the write lock that ``BEGIN
IMMEDIATE`` takes (settings use transaction_mode IMMEDIATE). Each batch is durable before
its checkpoint can be seen: on SQLite the write runs with ``synchronous=FULL`` (the WAL is synced at
commit), on PostgreSQL with ``synchronous_commit=on``. A log must never sign two inconsistent
checkpoints, and a lost batch would make it do just that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from onegrid.ledger import driver, keys, merkle, tiles
from onegrid.ledger.checkpoint import Checkpoint as CheckpointBody
from onegrid.ledger.models import Checkpoint, Head, Tile

__all__ = [
    "Appended",
    "LogCorrupt",
    "append",
    "consistency_proof",
    "fetch",
    "inclusion_proof",
    "leaf_rows",
    "tile_cache",
    "writing",
]

# Full tiles never change and partial ones only grow, so proofs read tiles through an in-process cache
# (``tiles.Cache``: by key, served only when long enough for the tree size asked). It is filled only
# from reads outside a transaction, i.e. from committed tiles; the writer drops everything if it ever
# writes a tile that does not extend the cached one (the database was reset or restored under this
# process), and so does a flush (``apps.LedgerConfig``). The checks (``verify``) and the writer's own
# border read go to the database.
tile_cache = tiles.Cache(int(getattr(settings, "LEDGER_TILE_CACHE_MB", 64)) << 20)


class LogCorrupt(RuntimeError):
    """The stored tree no longer matches the log's own signed checkpoints: refuse to build on it."""


@dataclass(frozen=True)
class Appended:
    first: int  # index of the first leaf of the batch
    checkpoint: Checkpoint


@contextlib.contextmanager
def writing() -> Iterator[Head]:
    """A durable write transaction holding the single-writer lock; yields the head row.

    Inside an enclosing transaction the enclosing commit decides durability on SQLite (which cannot
    change ``synchronous`` within a transaction); on PostgreSQL the lock makes it synchronous."""
    db = driver.database()
    previous = None
    if db.vendor == "sqlite" and not db.in_atomic_block:
        with driver.Statements(db) as run:
            previous = int(run.execute("PRAGMA synchronous").fetchone()[0])
            run.execute("PRAGMA synchronous=FULL")
    try:
        with transaction.atomic():
            yield lock()
    finally:
        if previous is not None:
            with driver.Statements(db) as run:
                run.execute(f"PRAGMA synchronous={previous}")


_HEAD_FIELDS = ["id", "size", "audit_seen_max", "audit_seen_running"]
_HEAD, _TILE, _CHECKPOINT = Head._meta.db_table, Tile._meta.db_table, Checkpoint._meta.db_table
_LOCK = {
    # the row lock, and commits that wait for the WAL flush (set_config(…, true) is SET LOCAL)
    "postgresql": f"SELECT {', '.join(_HEAD_FIELDS)}, set_config('synchronous_commit', 'on', true) "  # noqa: S608
    f"FROM {_HEAD} WHERE id = 1 FOR UPDATE",
    "sqlite": f"SELECT {', '.join(_HEAD_FIELDS)} FROM {_HEAD} WHERE id = 1",  # noqa: S608 (BEGIN IMMEDIATE locks)
}


def lock() -> Head:
    """Take the single-writer lock (inside a transaction) and return the head row."""
    db = driver.database()
    if not db.in_atomic_block:
        raise RuntimeError("ledger appends run inside a transaction (use log.writing())")
    sql = _LOCK.get(db.vendor, _LOCK["sqlite"])
    with driver.Statements(db) as run:
        row = run.execute(sql).fetchone()
        if row is None:
            Head.objects.bulk_create([Head(pk=1)], ignore_conflicts=True)
            row = run.execute(sql).fetchone()
    return Head.from_db(db.alias, _HEAD_FIELDS, row[:4])


_SELECT: dict[int, str] = {}


def _tiles(wanted: Collection[int]) -> dict[int, bytes]:
    """The stored tiles of these keys, in one query on the driver's cursor (``driver``): proofs are
    the hot read."""
    if not wanted:
        return {}
    sql = _SELECT.get(len(wanted))
    if sql is None:
        marks = ", ".join(["%s"] * len(wanted))
        sql = _SELECT[len(wanted)] = f"SELECT key, hashes FROM {_TILE} WHERE key IN ({marks})"  # noqa: S608
    with driver.Statements(driver.database()) as run:
        found = run.execute(sql, list(wanted)).fetchall()
    return {int(k): bytes(blob) for k, blob in found}


def fetch(nodes: Sequence[merkle.Node], *, cached: bool = True) -> dict[merkle.Node, bytes]:
    """The stored hashes of these complete nodes (absent ones are left out), in at most one query;
    ``cached=False`` reads every tile from the database (for the checks: a tile changed in the
    database must not hide behind its cached original)."""
    if not nodes:
        return {}
    where = [tiles.locate(level, index) for level, index in nodes]
    need: dict[int, int] = {}  # per tile, how long it must be to hold the wanted nodes
    for k, position in where:
        need[k] = max(need.get(k, 0), merkle.HASH_SIZE * (position + 1))
    stored: dict[int, bytes] = {}
    if cached:
        for k, length in need.items():
            blob = tile_cache.get(k, length)
            if blob is not None:
                stored[k] = blob
    missing = [k for k in need if k not in stored]
    if missing:
        read = _tiles(missing)
        stored.update(read)
        if cached:
            _keep(read)
    found: dict[merkle.Node, bytes] = {}
    for node, (k, position) in zip(nodes, where, strict=True):
        value = tiles.read(stored.get(k, b""), position)
        if value is not None:
            found[node] = value
    return found


def size() -> int:
    """The size of the latest checkpoint (0 for an empty log)."""
    latest = Checkpoint.objects.order_by("-size").values_list("size", flat=True).first()
    return int(latest or 0)


def root(tree_size: int) -> bytes:
    """The root of the first ``tree_size`` leaves, from the stored complete subtrees."""
    keys: set[int] = set()
    spots = tiles.border_spots(0, tree_size, keys)
    stored = _load(keys, tree_size)
    return merkle.fold([stored[k][o : o + 32] for k, o in spots])


def _border_of(tree_size: int, stored: dict[int, bytes]) -> list[bytes]:
    out = []
    for node in merkle.decompose(0, tree_size):
        k, position = tiles.locate(*node)
        value = tiles.read(stored.get(k, b""), position)
        if value is None:
            raise LogCorrupt(f"the stored tree lacks hashes of the tree of size {tree_size}")
        out.append(value)
    return out


_BORDER: dict[int, str] = {}


def _read_border(run: driver.Statements, tile_keys: Collection[int]) -> tuple[int, bytes, dict[int, bytes]]:
    """The last checkpoint (size and root) and the stored tiles of these keys, in one statement: the
    checkpoint comes back as the row of key −1 − size (tile keys are ≥ 0)."""
    sql = _BORDER.get(len(tile_keys))
    if sql is None:
        latest = f"SELECT -1 - size, root FROM (SELECT size, root FROM {_CHECKPOINT} ORDER BY size DESC LIMIT 1) AS latest"  # noqa: S608
        marks = ", ".join(["%s"] * len(tile_keys))
        tiles_sql = f" UNION ALL SELECT key, hashes FROM {_TILE} WHERE key IN ({marks})" if tile_keys else ""  # noqa: S608
        sql = _BORDER[len(tile_keys)] = latest + tiles_sql
    size, root, stored = 0, merkle.EMPTY_ROOT, {}
    for k, blob in run.execute(sql, list(tile_keys)).fetchall():
        if k < 0:
            size, root = -1 - int(k), bytes(blob)
        else:
            stored[int(k)] = bytes(blob)
    return size, root, stored


_INSERT_TILES = f"INSERT INTO {_TILE} (key, width, hashes) VALUES (%s, %s, %s)"  # noqa: S608
_GROW_TILE = f"UPDATE {_TILE} SET width = %s, hashes = %s WHERE key = %s AND length(hashes) = %s"  # noqa: S608
_INSERT_CHECKPOINT = f"INSERT INTO {_CHECKPOINT} (size, root, note, at) VALUES (%s, %s, %s, %s)"  # noqa: S608
_MOVE_HEAD = f"UPDATE {_HEAD} SET size = %s WHERE id = %s"  # noqa: S608


def _tile_rows(
    parts: dict[int, bytes], before: dict[int, bytes], tree_size: int
) -> tuple[list[tuple[int, int, bytes]], list[tuple[int, bytes, int, int]]]:
    """What a batch adds to each tile (``tiles.cut``) as rows: the new tiles ``(key, width, hashes)``
    and the partial tiles it extended ``(width, hashes, key, old length)``, each replaced by its longer
    self (which the database checks)."""
    new, grown = [], []
    reset = False
    for k, part in parts.items():
        old = before.get(k)
        blob = part if old is None else old + part
        level, index = tiles.split_key(k)
        width = tiles.width_at(tree_size, level, index)
        if len(blob) != tiles.size_of(width):
            raise LogCorrupt(f"tile {level}/{index} would hold {len(blob)} bytes for {width} entries")
        if old is None:
            new.append((k, width, blob))
        else:
            grown.append((width, blob, k, len(old)))
        kept = tile_cache.peek(k)
        reset = reset or (kept is not None and not blob.startswith(kept))
    if reset:  # the database was reset or restored under this process: what it cached is of another tree
        tile_cache.clear()
    return new, grown


def append(head: Head, leaf_hashes: Sequence[bytes], *, at: dt.datetime | None = None) -> Appended:
    """Append one batch of leaf hashes and sign one checkpoint for it; ``head`` is the locked row
    from ``writing()``. Refuses (LogCorrupt) if the stored border disagrees with the last checkpoint.

    Five statements: the border read, the new tiles, the grown tiles, the checkpoint and the head."""
    if not leaf_hashes:
        raise ValueError("a batch has at least one leaf")
    if len(leaf_hashes[-1]) != merkle.HASH_SIZE:  # the others are checked as they are hashed (grow)
        raise ValueError("leaf hashes are 32 bytes")
    n = head.size
    db = driver.database()
    widths = {tiles.key(level, index): width for level, index, width in tiles.partial_tiles(n)}
    with driver.Statements(db) as run:
        latest_size, latest_root, partial = _read_border(run, widths)
        if latest_size != n:
            raise LogCorrupt(f"the head says {n} leaves, the last checkpoint {latest_size}")
        if any(len(partial.get(k, b"")) != tiles.size_of(w) for k, w in widths.items()):
            raise LogCorrupt(
                f"the partial tiles of the stored tree are not those of size {n}; run `onegrid ledger check`"
            )
        border = merkle.CompactRange(n, _border_of(n, partial))
        if border.root() != latest_root:
            raise LogCorrupt(f"the stored tree no longer matches checkpoint {n}; run `onegrid ledger check`")
        try:
            parts = tiles.grow(border, leaf_hashes)
        except ValueError as exc:  # a leaf hash of another length, named by the hasher
            raise ValueError(f"leaf hashes are 32 bytes: {exc}") from exc
        new, grown = _tile_rows(parts, partial, border.size)
        signer = keys.signer()
        body = CheckpointBody(signer.name, border.size, border.root())
        checkpoint = Checkpoint(
            size=border.size, root=body.root, note=signer.sign_note(body.text()), at=at or timezone.now()
        )
        checkpoint._state.adding = False  # written below, without the ORM's save()
        checkpoint._state.db = db.alias
        head.size = border.size
        if new:
            run.executemany(_INSERT_TILES, new)
        written = run.executemany(_GROW_TILE, grown).rowcount if grown else 0
        at_value = db.ops.adapt_datetimefield_value(checkpoint.at)
        run.execute(_INSERT_CHECKPOINT, [checkpoint.size, body.root, checkpoint.note, at_value])
        run.execute(_MOVE_HEAD, [head.size, head.pk])
        if written != len(grown):
            raise LogCorrupt(
                f"tiles {[tiles.split_key(r[2]) for r in grown]} changed while the log held the writer lock"
            )
    return Appended(n, checkpoint)


def _keep(read: dict[int, bytes]) -> None:
    """Cache tiles just read, if they are committed (read outside a transaction: a tile read inside one
    may be the writer's own, which a rollback would take back)."""
    if tile_cache.max_bytes and not driver.database().in_atomic_block:
        for k, blob in read.items():
            tile_cache.put(k, blob)


def _load(keys: Collection[int], tree_size: int) -> dict[int, bytes]:
    """The tiles of these keys, each at least as long as it is in the tree of ``tree_size`` leaves:
    from the cache, and what it lacks in one query. LogCorrupt if the database lacks one."""
    out, missing = tile_cache.lookup(keys, tree_size)
    if missing:
        read = _tiles(missing)
        for k in missing:
            if len(read.get(k, b"")) < tiles.length_at(tree_size, k):
                raise LogCorrupt(
                    f"the stored tree lacks hashes of tile {tiles.split_key(k)} of the tree of size {tree_size}"
                )
        out.update(read)
        _keep(read)
    return out


def _proof(spots: list[tiles.Spots | list[tiles.Spot]], keys: set[int], tree_size: int) -> list[bytes]:
    """Slice the proof hashes out of the tiles (folding the right border's subtrees where it asks)."""
    stored = _load(keys, tree_size)
    out: list[bytes] = []
    add = out.append
    for spot in spots:
        if isinstance(spot, tuple):
            blob = stored[spot[0]]
            for o in spot[1]:
                add(blob[o : o + 32])
        else:
            add(merkle.fold([stored[k][o : o + 32] for k, o in spot]))
    return out


def inclusion_proof(index: int, tree_size: int) -> list[bytes]:
    """PATH(index, D[0:tree_size]) from the stored tree (the caller checked tree_size is stored)."""
    if not 0 <= index < tree_size:
        raise merkle.ProofError(f"index {index} is not below the tree size {tree_size}")
    keys: set[int] = set()
    return _proof(tiles.path_spots(index, 0, tree_size, keys), keys, tree_size)


def consistency_proof(size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[0:size2]) from the stored tree (``merkle.consistency_plan``'s walk)."""
    if size1 <= 0:
        raise merkle.ProofError("consistency proof from an empty tree is meaningless (size1 must be > 0)")
    if size2 < size1:
        raise merkle.ProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == size2:
        return []
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    keys: set[int] = set()
    spots = tiles.path_spots(index, level, size2, keys)
    if index:  # size1 is not a power of two: its own subtree root is not the old root, so send it
        ((k, o),) = tiles.border_spots(index << level, (index + 1) << level, keys)
        spots.insert(0, (k, (o,)))
    return _proof(spots, keys, size2)


def leaf_hash(index: int) -> bytes | None:
    return fetch([(0, index)]).get((0, index))


def leaf_rows() -> Iterator[tuple[int, bytes]]:
    """Every leaf's row (its hash, then the roots of the complete subtrees it completes), in leaf
    order, read from the tiles a few hundred at a time; raises tiles.TileError where they do not fit."""
    return tiles.leaf_rows(_stream)


def _stream(level: int) -> Iterator[tuple[int, int, bytes]]:
    table = connection.ops.quote_name(Tile._meta.db_table)
    after, end = tiles.key(level, 0) - 1, tiles.key(level + 1, 0)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT key, width, hashes FROM {table} WHERE key > %s AND key < %s ORDER BY key LIMIT 256",  # noqa: S608
                [after, end],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        for k, width, blob in rows:
            yield tiles.split_key(int(k))[1], int(width), bytes(blob)
        after = int(rows[-1][0])
