"""One writer at a time, whatever the callers do: concurrent deposits get contiguous leaves and one
consistent history; an audit record whose transaction commits late is anchored in its place, not
skipped. These need a server database (PostgreSQL): SQLite's test database lives in one process's
memory, where writers simply queue on the database's write lock (BEGIN IMMEDIATE)."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone

from onegrid.audit.models import AuditRecord
from onegrid.ledger import anchoring, keys, log, merkle, services
from onegrid.ledger.checkpoint import open_checkpoint
from onegrid.ledger.models import AuditAnchor, Checkpoint, Deposit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _server_database() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (run with DATABASE_URL); SQLite serialises writers with BEGIN IMMEDIATE"
        )


def test_concurrent_deposits_get_contiguous_leaves_and_consistent_checkpoints() -> None:
    errors: list[BaseException] = []

    def depositor(worker: int) -> None:
        try:
            for batch in range(5):
                items = [
                    services.DepositInput(f"{worker:02x}{batch:02x}{k:02x}".ljust(64, "0"))
                    for k in range(1 + worker)
                ]
                services.deposit(actor=None, area_path="/330000/", items=items)
        except BaseException as exc:  # reported below, in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=depositor, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    total = 5 * (1 + 2 + 3 + 4)
    assert sorted(Deposit.objects.values_list("index", flat=True)) == list(range(total))
    sizes = sorted(Checkpoint.objects.values_list("size", flat=True))
    assert len(sizes) == 20
    assert sizes[-1] == total
    reference = merkle.MemoryTree.from_leaf_hashes(
        [merkle.leaf_hash(bytes(d.leaf)) for d in Deposit.objects.order_by("index")]
    )
    for cp in Checkpoint.objects.all():
        assert open_checkpoint(cp.note, keys.verifier()).checkpoint.root == reference.root(cp.size)
    assert log.consistency_proof(sizes[0], total) == reference.consistency_proof(sizes[0], total)


def _insert_audit(cursor: Any, note: str) -> int:
    cursor.execute(
        "INSERT INTO audit_auditrecord (at, actor_label, action, object_type, object_id, object_repr, area_path,"
        " note, request_id) VALUES (%s, 'x', 'test.late', 't', '1', '', '', %s, '') RETURNING id",
        [timezone.now(), note],
    )
    return int(cursor.fetchone()[0])


def test_a_record_that_commits_after_a_later_one_is_anchored_in_its_place() -> None:
    anchoring.anchor_all()  # what the database already holds (the standard roles' records)
    settings = connection.settings_dict
    slow = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or None,
    )
    try:
        with slow.cursor() as cursor:
            early = _insert_audit(cursor, "drew its id first, commits last")  # transaction left open
        with connection.cursor() as cursor:
            later = _insert_audit(cursor, "drew its id second, committed at once")
        assert early < later
        assert anchoring.anchor_all() == 0  # the early one may still commit: wait
        assert anchoring.anchor_all() == 0
        slow.commit()
    finally:
        slow.close()
    assert anchoring.anchor_all() == 2
    anchored = list(AuditAnchor.objects.order_by("index").values_list("audit_id", flat=True))
    assert anchored == sorted(AuditRecord.objects.values_list("id", flat=True))
