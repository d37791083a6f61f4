"""Existing installations: migration 0003 turns the per-leaf rows of the old storage into tiles that
give the same tree, refuses damaged rows without changing anything, and reverses to the same rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from onegrid.audit.maintenance import set_maintenance
from onegrid.ledger import keys, log, merkle, tiles, verify
from onegrid.ledger.checkpoint import Checkpoint as CheckpointBody
from onegrid.ledger.models import Checkpoint, Head, Tile

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("ledger", "0002_append_only")]
AFTER = [("ledger", "0003_tiles")]
SIZE = 65_536 + 3 * 256 + 17  # three tile levels, a partial tile on each


def migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture
def old_storage() -> Iterator[None]:
    migrate(BEFORE)
    try:
        yield
    finally:
        if "ledger_node" in connection.introspection.table_names():
            set_maintenance(True)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM ledger_node")
            finally:
                set_maintenance(False)
        migrate(AFTER)


def leaf(i: int) -> bytes:
    return merkle.leaf_hash(b"old entry %d" % i)


def per_leaf_rows(size: int) -> list[tuple[int, bytes]]:
    return merkle.CompactRange().append(leaf(i) for i in range(size))


def store_old(rows: list[tuple[int, bytes]]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO ledger_node (leaf, hashes) VALUES (%s, %s)", rows)


def test_per_leaf_rows_become_tiles_of_the_same_tree_and_back(old_storage: None) -> None:
    rows = per_leaf_rows(SIZE)
    store_old(rows)
    reference = merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(SIZE)])
    body = CheckpointBody(keys.origin(), SIZE, reference.root())
    Checkpoint(size=SIZE, root=body.root, note=keys.signer().sign_note(body.text()), at=timezone.now()).save()
    Head.objects.create(pk=1, size=SIZE)

    migrate(AFTER)

    widths = dict(Tile.objects.values_list("key", "width"))
    assert widths[tiles.key(0, 259)] == 17
    assert widths[tiles.key(1, 1)] == 3
    assert widths[tiles.key(2, 0)] == 1
    assert len(widths) == 260 + 2 + 1
    assert log.root(SIZE) == reference.root()
    for index in (0, 255, 256, 65_535, 65_536, SIZE - 1):
        assert log.inclusion_proof(index, SIZE) == reference.inclusion_proof(index, SIZE)
    assert log.consistency_proof(60_000, SIZE) == reference.consistency_proof(60_000, SIZE)
    report = verify.check_log()
    assert not report.problems
    assert report.size == SIZE
    with log.writing() as head:  # the log goes on from where the old storage ended
        log.append(head, [leaf(SIZE)])
    assert log.root(SIZE + 1) == merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(SIZE + 1)]).root()

    migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT leaf, hashes FROM ledger_node ORDER BY leaf")
        back = [(int(k), bytes(v)) for k, v in cursor.fetchall()]
    assert back == per_leaf_rows(SIZE + 1)


def test_damaged_rows_are_refused_and_nothing_changes(old_storage: None) -> None:
    rows = per_leaf_rows(600)
    del rows[300]
    store_old(rows)
    with pytest.raises(RuntimeError, match="lacks the hashes of leaves 300 to 300"):
        migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_node")
        assert cursor.fetchone()[0] == 599
    assert "ledger_tile" not in connection.introspection.table_names()
