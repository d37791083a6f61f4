"""The stored log: one RFC 9162 tree in the database, one writer at a time, one checkpoint per batch.

Storage is one row per leaf holding the leaf hash and the complete subtrees it completes
(``models.Node``), a table that only ever grows at its end; a proof is one primary-key lookup of
O(log n) rows. Appends are serialised by the head row: ``SELECT … FOR UPDATE`` on PostgreSQL, and on
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

from onegrid.kit import bulk
from onegrid.ledger import keys, merkle
from onegrid.ledger.checkpoint import Checkpoint as CheckpointBody
from onegrid.ledger.models import Checkpoint, Head, Node

__all__ = ["Appended", "LogCorrupt", "append", "consistency_proof", "fetch", "inclusion_proof", "writing"]


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


def _rows(leaves: Collection[int]) -> dict[int, bytes]:
    """The stored rows of these leaves, in one query. Proofs are the hot read, so unless queries are
    being logged or wrapped (DEBUG, tests counting queries) this goes straight to the driver, past
    Django's cursor wrapper, which otherwise costs as much as the query itself."""
    if not leaves:
        return {}
    direct = not (connection.queries_logged or connection.execute_wrappers)
    key = (connection.vendor, direct, len(leaves))
    sql = _SELECT.get(key)
    if sql is None:
        table = connection.ops.quote_name(Node._meta.db_table)
        mark = "?" if direct and connection.vendor == "sqlite" else "%s"
        sql = f"SELECT leaf, hashes FROM {table} WHERE leaf IN ({', '.join([mark] * len(leaves))})"  # noqa: S608
        _SELECT[key] = sql
    if direct:
        connection.ensure_connection()
        with connection.wrap_database_errors:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(sql, list(leaves))
                found = cursor.fetchall()
            finally:
                cursor.close()
    else:
        with connection.cursor() as wrapped:
            wrapped.execute(sql, list(leaves))
            found = wrapped.fetchall()
    return {int(leaf): bytes(blob) for leaf, blob in found}


def fetch(nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of these complete nodes (absent ones are left out), in one query."""
    if not nodes:
        return {}
    rows = _rows({((index + 1) << level) - 1 for level, index in nodes})
    found: dict[merkle.Node, bytes] = {}
    for level, index in nodes:
        blob = rows.get(((index + 1) << level) - 1, b"")
        if len(blob) >= 32 * (level + 1):
            found[level, index] = blob[32 * level : 32 * level + 32]
    return found


def size() -> int:
    """The size of the latest checkpoint (0 for an empty log)."""
    latest = Checkpoint.objects.order_by("-size").values_list("size", flat=True).first()
    return int(latest or 0)


def root(tree_size: int) -> bytes:
    """The root of the first ``tree_size`` leaves, from the stored complete subtrees."""
    return merkle.fold(_border(tree_size))


def _border(tree_size: int) -> list[bytes]:
    nodes = merkle.decompose(0, tree_size)
    found = fetch(nodes)
    if len(found) != len(nodes):
        raise LogCorrupt(f"the stored tree lacks hashes of the tree of size {tree_size}")
    return [found[n] for n in nodes]


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
    border = merkle.CompactRange(n, _border(n))
    if border.root() != latest_root:
        raise LogCorrupt(f"the stored tree no longer matches checkpoint {n}; run `onegrid ledger check`")
    bulk.insert(Node, ("leaf", "hashes"), border.append(leaf_hashes))
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
    """The hashes of a proof plan: one query for the rows it names, then slices and right-border folds."""
    rows = _rows({((index + 1) << level) - 1 for nodes in plan for level, index in nodes})

    def node(level: int, index: int) -> bytes:
        blob = rows.get(((index + 1) << level) - 1, b"")
        if len(blob) < 32 * (level + 1):
            raise LogCorrupt(f"the stored tree lacks the complete node (level {level}, index {index})")
        return blob[32 * level : 32 * level + 32]

    return [node(*nodes[0]) if len(nodes) == 1 else merkle.fold([node(*n) for n in nodes]) for nodes in plan]


def inclusion_proof(index: int, tree_size: int) -> list[bytes]:
    """PATH(index, D[0:tree_size]) from the stored tree (the caller checked tree_size is stored)."""
    return _resolve(merkle.inclusion_plan(index, tree_size))


def consistency_proof(size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[0:size2]) from the stored tree."""
    return _resolve(merkle.consistency_plan(size1, size2))


def leaf_hash(index: int) -> bytes | None:
    return fetch([(0, index)]).get((0, index))
