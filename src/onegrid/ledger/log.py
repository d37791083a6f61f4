"""The stored log: one RFC 9162 tree in the database, one writer at a time, one checkpoint per batch.

Storage is tiled (``models.Tile``, layout in ``ledger.tiles``): the complete nodes in tiles of 256
entries per tile level, full tiles written once, the last tile of each level extended by each batch.
A batch of 1,000 leaves writes about five tile rows; a proof reads the few tiles it needs by key, in
one query. Appends are serialised by the head row: ``SELECT … FOR UPDATE`` on PostgreSQL, and on
SQLite the write lock that ``BEGIN IMMEDIATE`` takes (settings use transaction_mode IMMEDIATE). Each batch is durable before
its checkpoint can be seen: on SQLite the write runs with ``synchronous=FULL`` (the WAL is synced at
commit), on PostgreSQL with ``synchronous_commit=on``. A log must never sign two inconsistent
checkpoints, and a lost batch would make it do just that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from onegrid.ledger import keys, merkle, tiles
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
    "writing",
]


class LogCorrupt(RuntimeError):
    """The stored tree no longer matches the log's own signed checkpoints: refuse to build on it."""


@dataclass(frozen=True)
class Appended:
    first: int  # index of the first leaf of the batch
    checkpoint: Checkpoint


@contextlib.contextmanager
def writing() -> Iterator[Head]:
    """A durable write transaction holding the single-writer lock; yields the head row.

    Inside an enclosing transaction the enclosing commit decides durability (SQLite cannot change
    ``synchronous`` within a transaction)."""
    sqlite_outer = connection.vendor == "sqlite" and not connection.in_atomic_block
    previous = None
    if sqlite_outer:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            previous = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA synchronous=FULL")
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO on")
            yield lock()
    finally:
        if previous is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous={previous}")


def lock() -> Head:
    """Take the single-writer lock (inside a transaction) and return the head row."""
    if not connection.in_atomic_block:
        raise RuntimeError("ledger appends run inside a transaction (use log.writing())")
    head = Head.objects.select_for_update().filter(pk=1).first()
    if head is None:
        Head.objects.bulk_create([Head(pk=1)], ignore_conflicts=True)
        head = Head.objects.select_for_update().get(pk=1)
    return head


_SELECT: dict[tuple[str, bool, int], str] = {}


def _tiles(wanted: Collection[int]) -> dict[int, bytes]:
    """The stored tiles of these keys, in one query. Proofs are the hot read, so unless queries are
    being logged or wrapped (DEBUG, tests counting queries) this goes straight to the driver, past
    Django's cursor wrapper, which otherwise costs as much as the query itself."""
    if not wanted:
        return {}
    direct = not (connection.queries_logged or connection.execute_wrappers)
    sql_key = (connection.vendor, direct, len(wanted))
    sql = _SELECT.get(sql_key)
    if sql is None:
        table = connection.ops.quote_name(Tile._meta.db_table)
        mark = "?" if direct and connection.vendor == "sqlite" else "%s"
        sql = f"SELECT key, hashes FROM {table} WHERE key IN ({', '.join([mark] * len(wanted))})"  # noqa: S608
        _SELECT[sql_key] = sql
    if direct:
        connection.ensure_connection()
        with connection.wrap_database_errors:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(sql, list(wanted))
                found = cursor.fetchall()
            finally:
                cursor.close()
    else:
        with connection.cursor() as wrapped:
            wrapped.execute(sql, list(wanted))
            found = wrapped.fetchall()
    return {int(k): bytes(blob) for k, blob in found}


def fetch(nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of these complete nodes (absent ones are left out), in one query."""
    if not nodes:
        return {}
    where = [tiles.locate(level, index) for level, index in nodes]
    stored = _tiles({k for k, _ in where})
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
    return merkle.fold(_border(tree_size))


def _border(tree_size: int) -> list[bytes]:
    return _border_of(tree_size, _tiles([tiles.locate(*n)[0] for n in merkle.decompose(0, tree_size)]))


def _border_of(tree_size: int, stored: dict[int, bytes]) -> list[bytes]:
    out = []
    for node in merkle.decompose(0, tree_size):
        k, position = tiles.locate(*node)
        value = tiles.read(stored.get(k, b""), position)
        if value is None:
            raise LogCorrupt(f"the stored tree lacks hashes of the tree of size {tree_size}")
        out.append(value)
    return out


def _store(touched: dict[int, bytearray], before: dict[int, bytes], tree_size: int) -> None:
    """Write the tiles a batch touched: new tiles are inserted, the partial tiles it extended are
    replaced by their longer selves (which the database checks)."""
    table = connection.ops.quote_name(Tile._meta.db_table)
    new, grown = [], []
    for k, blob in touched.items():
        if k in before and len(blob) == len(before[k]):
            continue  # a partial tile this batch did not reach (it grows once per 256 entries below it)
        level, index = tiles.split_key(k)
        width = tiles.width_at(tree_size, level, index)
        if len(blob) != tiles.size_of(width):
            raise LogCorrupt(f"tile {level}/{index} would hold {len(blob)} bytes for {width} entries")
        if k in before:
            grown.append((width, bytes(blob), k, len(before[k])))
        else:
            new.append((k, width, bytes(blob)))
    with connection.cursor() as cursor:
        if new:
            cursor.executemany(f"INSERT INTO {table} (key, width, hashes) VALUES (%s, %s, %s)", new)  # noqa: S608
        for row in grown:
            cursor.execute(
                f"UPDATE {table} SET width = %s, hashes = %s WHERE key = %s AND length(hashes) = %s",  # noqa: S608
                row,
            )
            if cursor.rowcount != 1:
                raise LogCorrupt(f"tile {tiles.split_key(row[2])} changed while the log held the writer lock")


def append(head: Head, leaf_hashes: Sequence[bytes], *, at: dt.datetime | None = None) -> Appended:
    """Append one batch of leaf hashes and sign one checkpoint for it; ``head`` is the locked row
    from ``writing()``. Refuses (LogCorrupt) if the stored border disagrees with the last checkpoint."""
    if not leaf_hashes:
        raise ValueError("a batch has at least one leaf")
    if any(len(h) != merkle.HASH_SIZE for h in leaf_hashes):
        raise ValueError("leaf hashes are 32 bytes")
    n = head.size
    latest = Checkpoint.objects.order_by("-size").values_list("size", "root").first()
    latest_size, latest_root = (int(latest[0]), bytes(latest[1])) if latest else (0, merkle.EMPTY_ROOT)
    if latest_size != n:
        raise LogCorrupt(f"the head says {n} leaves, the last checkpoint {latest_size}")
    widths = {tiles.key(level, index): width for level, index, width in tiles.partial_tiles(n)}
    partial = _tiles(widths)
    if any(len(partial.get(k, b"")) != tiles.size_of(w) for k, w in widths.items()):
        raise LogCorrupt(
            f"the partial tiles of the stored tree are not those of size {n}; run `onegrid ledger check`"
        )
    border = merkle.CompactRange(n, _border_of(n, partial))
    if border.root() != latest_root:
        raise LogCorrupt(f"the stored tree no longer matches checkpoint {n}; run `onegrid ledger check`")
    writer = tiles.Writer(partial)
    writer.add(border.append(leaf_hashes))
    _store(writer.tiles, partial, border.size)
    signer = keys.signer()
    body = CheckpointBody(signer.name, border.size, border.root())
    checkpoint = Checkpoint(
        size=border.size, root=body.root, note=signer.sign_note(body.text()), at=at or timezone.now()
    )
    checkpoint.save(force_insert=True)
    head.size = border.size
    head.save(update_fields=["size"])
    return Appended(n, checkpoint)


def _resolve(plan: merkle.Plan) -> list[bytes]:
    """The hashes of a proof plan: one query for the tiles it names, then slices and right-border folds."""
    locate = tiles.locate
    located = [[locate(level, index) for level, index in nodes] for nodes in plan]
    stored = _tiles({k for nodes in located for k, _ in nodes})
    out = []
    for nodes in located:
        hashes = []
        for k, position in nodes:
            value = stored.get(k, b"")[32 * position : 32 * position + 32]
            if len(value) != merkle.HASH_SIZE:
                raise LogCorrupt(f"the stored tree lacks a complete node of tile {tiles.split_key(k)}")
            hashes.append(value)
        out.append(hashes[0] if len(hashes) == 1 else merkle.fold(hashes))
    return out


def inclusion_proof(index: int, tree_size: int) -> list[bytes]:
    """PATH(index, D[0:tree_size]) from the stored tree (the caller checked tree_size is stored)."""
    return _resolve(merkle.inclusion_plan(index, tree_size))


def consistency_proof(size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[0:size2]) from the stored tree."""
    return _resolve(merkle.consistency_plan(size1, size2))


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
