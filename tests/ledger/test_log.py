"""The stored log: batches append with one signed checkpoint each, proofs read from the database match
the in-memory tree, and the database refuses to rewrite what was written."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from onegrid.audit.maintenance import set_maintenance
from onegrid.ledger import keys, log, merkle, note
from onegrid.ledger.checkpoint import open_checkpoint
from onegrid.ledger.models import AppendOnlyError, Checkpoint, Node

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


def test_a_batch_writes_one_row_per_leaf_at_the_end_of_the_table() -> None:
    append(0, 5)
    append(5, 3)
    rows = list(Node.objects.order_by("leaf").values_list("leaf", "hashes"))
    assert [leaf for leaf, _ in rows] == list(range(8))
    assert sum(len(bytes(h)) for _, h in rows) == 32 * (2 * 8 - 1)  # every complete node, once


def test_an_empty_or_malformed_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"), log.writing() as head:
        log.append(head, [])
    with pytest.raises(ValueError, match="32 bytes"), log.writing() as head:
        log.append(head, [b"short"])
    assert Checkpoint.objects.count() == 0


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
            leaf, _ = merkle.address(2, 0)
            cursor.execute("UPDATE ledger_node SET hashes = %s WHERE leaf = %s", [bytes(96), leaf])
    finally:
        set_maintenance(False)
    with pytest.raises(log.LogCorrupt, match="no longer matches checkpoint 6"):
        append(6, 1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_node SET hashes = hashes",
        "DELETE FROM ledger_node",
        "UPDATE ledger_checkpoint SET note = 'x'",
        "DELETE FROM ledger_checkpoint",
    ],
)
def test_the_database_refuses_to_change_what_the_log_wrote(statement: str) -> None:
    append(0, 3)
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert "append-only" in str(caught.value)


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
