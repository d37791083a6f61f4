"""The stored log: batches append with one signed checkpoint each, proofs read from the database match
the in-memory tree, and the database refuses to rewrite what was written."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from onegrid.audit.maintenance import set_maintenance
from onegrid.ledger import keys, log, merkle, note, tiles, verify
from onegrid.ledger.checkpoint import open_checkpoint
from onegrid.ledger.models import AppendOnlyError, Checkpoint, Tile

pytestmark = pytest.mark.django_db


def leaf(i: int) -> bytes:
    return merkle.leaf_hash(b"entry %d" % i)


def append(start: int, count: int) -> log.Appended:
    with log.writing() as head:
        return log.append(head, [leaf(i) for i in range(start, start + count)])


def test_each_batch_gets_one_checkpoint_signed_by_the_log_key() -> None:
    sizes = []
    start = 0
    for count in (1, 2, 5, 1, 13, 8):
        appended = append(start, count)
        assert appended.first == start
        start += count
        sizes.append(start)
    assert sorted(Checkpoint.objects.values_list("size", flat=True)) == sizes
    reference = merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(start)])
    for cp in Checkpoint.objects.all():
        signed = open_checkpoint(cp.note, keys.verifier())
        assert signed.checkpoint.size == cp.size
        assert signed.checkpoint.root == bytes(cp.root) == reference.root(cp.size)


def test_proofs_from_the_database_are_the_proofs_of_the_tree() -> None:
    for start, count in ((0, 7), (7, 9), (16, 1), (17, 20)):
        append(start, count)
    size = 37
    reference = merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(size)])
    for tree_size in (1, 7, 16, 17, 37):
        assert log.root(tree_size) == reference.root(tree_size)
        for index in range(tree_size):
            assert log.inclusion_proof(index, tree_size) == reference.inclusion_proof(index, tree_size)
        for first in range(1, tree_size + 1):
            assert log.consistency_proof(first, tree_size) == reference.consistency_proof(first, tree_size)


def test_a_proof_is_one_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    append(0, 1000)
    with django_assert_num_queries(1):
        proof = log.inclusion_proof(517, 1000)
    merkle.verify_inclusion(517, 1000, leaf(517), proof, log.root(1000))


def test_a_batch_writes_whole_tiles_and_extends_the_partial_ones() -> None:
    append(0, 300)
    assert sorted(Tile.objects.values_list("key", "width")) == [(0, 256), (1, 44), (tiles.key(1, 0), 1)]
    full = bytes(Tile.objects.get(key=0).hashes)
    append(300, 1000)
    stored = dict(Tile.objects.values_list("key", "width"))
    assert stored == {0: 256, 1: 256, 2: 256, 3: 256, 4: 256, 5: 20, tiles.key(1, 0): 5}
    assert bytes(Tile.objects.get(key=0).hashes) == full
    reference = merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(1300)])
    for k, width in stored.items():
        blob = bytes(Tile.objects.get(key=k).hashes)
        expected = [reference.node(*n) for n in tiles.nodes_in(k, width)]
        assert [blob[i : i + 32] for i in range(0, len(blob), 32)] == expected  # every complete node, once
    assert sum(len(tiles.nodes_in(k, w)) for k, w in stored.items()) == 2 * 1300 - (1300).bit_count()


def test_a_batch_is_a_handful_of_statements(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    append(0, 5000)
    # the lock, one read of the last checkpoint and the border tiles, the new and the grown tiles (one
    # executemany each), the checkpoint, the head, and COMMIT; on SQLite also BEGIN and the switch to
    # synchronous=FULL and back (three PRAGMAs)
    budget = 11 if connection.vendor == "sqlite" else 8
    with django_assert_max_num_queries(budget), log.writing() as head:
        log.append(head, [leaf(i) for i in range(5000, 6000)])


def test_execute_wrappers_see_the_writers_statements() -> None:
    seen: list[str] = []

    def spy(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return execute(sql, params, many, context)

    append(0, 300)
    with connection.execute_wrapper(spy):
        append(300, 500)
    assert any(sql.startswith("INSERT INTO ledger_checkpoint") for sql in seen)
    assert any(sql.startswith("UPDATE ledger_tile") for sql in seen)
    reference = merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(800)])
    assert log.root(800) == reference.root(800)
    assert log.inclusion_proof(517, 800) == reference.inclusion_proof(517, 800)


def test_the_stored_rows_read_back_leaf_by_leaf_are_the_tree() -> None:
    append(0, 700)
    append(700, 70)
    rows = list(log.leaf_rows())
    assert rows == merkle.CompactRange().append([leaf(i) for i in range(770)])


def test_an_empty_or_malformed_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"), log.writing() as head:
        log.append(head, [])
    with pytest.raises(ValueError, match="32 bytes"), log.writing() as head:
        log.append(head, [b"short"])
    assert Checkpoint.objects.count() == 0


@pytest.mark.parametrize("start", [0, 1, 255])
@pytest.mark.parametrize("where", [0, 1, 2, 6])
def test_a_leaf_hash_of_another_length_anywhere_in_a_batch_is_refused(start: int, where: int) -> None:
    if start:
        append(0, start)
    batch = [leaf(i) for i in range(start, start + 7)]
    batch[where] = batch[where] + b"\x00"
    with pytest.raises(ValueError, match="32 bytes"), log.writing() as head:
        log.append(head, batch)
    assert Checkpoint.objects.count() == (1 if start else 0)
    assert log.size() == start


@pytest.mark.django_db(transaction=True)
def test_a_batch_commits_with_the_wal_synced_and_the_connection_keeps_its_own_mode() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's synchronous setting")

    def mode() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            return int(cursor.fetchone()[0])

    before = mode()
    with log.writing() as head:
        assert mode() == 2  # FULL
        log.append(head, [leaf(0)])
    assert mode() == before


@pytest.mark.django_db(transaction=True)
def test_appending_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside a transaction"):
        log.lock()


def test_the_log_refuses_to_build_on_a_tampered_border() -> None:
    append(0, 6)
    set_maintenance(True)
    try:
        with connection.cursor() as cursor:
            k, _ = tiles.locate(2, 0)
            blob = bytes(Tile.objects.get(key=k).hashes)
            cursor.execute("UPDATE ledger_tile SET hashes = %s WHERE key = %s", [bytes(len(blob)), k])
    finally:
        set_maintenance(False)
    with pytest.raises(log.LogCorrupt, match="no longer matches checkpoint 6"):
        append(6, 1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_tile SET hashes = hashes",
        "UPDATE ledger_tile SET width = width + 1, hashes = hashes || hashes",  # not a tile's length
        "UPDATE ledger_tile SET width = width + 1",
        "DELETE FROM ledger_tile",
        "UPDATE ledger_checkpoint SET note = 'x'",
        "DELETE FROM ledger_checkpoint",
    ],
)
def test_the_database_refuses_to_change_what_the_log_wrote(statement: str) -> None:
    append(0, 3)
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert "append-only" in str(caught.value)


def test_a_partial_tile_can_only_be_replaced_by_a_longer_one_that_starts_with_it() -> None:
    append(0, 3)  # one tile: 3 entries and the node over the first two, 4 hashes
    blob = bytes(Tile.objects.get(key=0).hashes)
    longer = tiles.size_of(4) - len(blob)  # a fourth entry completes two more nodes: 3 hashes

    def replace(width: int, hashes: bytes) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_tile SET width = %s, hashes = %s WHERE key = 0", [width, hashes])

    with pytest.raises(IntegrityError, match="a tile may only be extended"):
        replace(4, bytes(32) + blob[32:] + bytes(longer))  # its first hash changed on the way
    with pytest.raises(IntegrityError, match="a tile may only be extended"):
        replace(2, blob[: tiles.size_of(2)])  # shorter
    replace(
        4, blob + bytes(longer)
    )  # what an append does; whether the hashes are right is for `ledger check`
    assert Tile.objects.get(key=0).width == 4
    assert "is not the hash of its children" in str(verify.check_log().problems)


def test_a_missing_tile_is_named_by_the_check() -> None:
    append(0, 1000)
    set_maintenance(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_tile WHERE key = 1")
    finally:
        set_maintenance(False)
    problems = [p.message for p in verify.check_log().problems]
    assert "tile 0/1 is missing: the hashes of leaves 256 to 511" in problems


def test_the_orm_refuses_too() -> None:
    append(0, 1)
    cp = Checkpoint.objects.get()
    with pytest.raises(AppendOnlyError):
        cp.save()
    with pytest.raises(AppendOnlyError):
        cp.delete()


def test_the_checkpoint_is_a_c2sp_checkpoint_of_the_configured_origin() -> None:
    appended = append(0, 3)
    text = appended.checkpoint.note
    lines = text.split("\n")
    assert lines[:3] == [keys.origin(), "3", note.b64encode(log.root(3))]
    assert lines[3] == ""
    assert lines[4].startswith("— " + keys.origin() + " ")
