"""The audit trail is anchored in the ledger, and `onegrid audit verify` catches anyone with database
rights who changes, deletes or slips in audit records afterwards, or rewrites the log itself.

Tampering is done the way an attacker would: SQL straight at the tables, past the append-only triggers
(audit maintenance mode stands in for someone who can drop them)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from tests.factories import Net

from onegrid.audit import services as audit
from onegrid.audit.maintenance import set_maintenance
from onegrid.audit.models import AuditRecord
from onegrid.kit import sweeps
from onegrid.kit.errors import Conflict
from onegrid.ledger import anchoring, keys, log, merkle, note, selectors, tiles, verify
from onegrid.ledger.checkpoint import Checkpoint as CheckpointBody
from onegrid.ledger.models import AuditAnchor, Checkpoint, Tile

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchored(net: Net) -> int:
    """The net's audit records, all anchored; returns how many."""
    count = anchoring.anchor_all()
    assert count == AuditRecord.objects.count() > 10
    return count


@pytest.fixture
def attacker() -> Iterator[None]:
    set_maintenance(True)
    yield
    set_maintenance(False)


def sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def overwrite(level: int, index: int, value: bytes) -> None:
    """Put ``value`` in place of the stored hash of the complete node (level, index)."""
    k, position = tiles.locate(level, index)
    blob = bytes(Tile.objects.get(key=k).hashes)
    sql(
        "UPDATE ledger_tile SET hashes = %s WHERE key = %s",
        [blob[: 32 * position] + value + blob[32 * position + 32 :], k],
    )


def rewrite_tree(leaf_hashes: list[bytes]) -> bytes:
    """Store the tree of these leaves in place of the logged one; returns its root."""
    compact = merkle.CompactRange()
    writer = tiles.Writer()
    writer.add(compact.append(leaf_hashes))
    for k, blob in writer.tiles.items():
        sql("UPDATE ledger_tile SET hashes = %s WHERE key = %s", [bytes(blob), k])
    return compact.root()


def audit_verify() -> tuple[str, bool]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError:
        return out.getvalue(), False
    return out.getvalue(), True


def test_every_audit_record_is_anchored_in_id_order(anchored: int) -> None:
    ids = list(AuditRecord.objects.order_by("id").values_list("id", flat=True))
    anchors = list(AuditAnchor.objects.order_by("audit_id").values_list("audit_id", "index"))
    assert [a for a, _ in anchors] == ids
    assert [i for _, i in anchors] == sorted(i for _, i in anchors)
    first = AuditRecord.objects.order_by("id").first()
    assert first is not None
    data = anchoring.leaf_data(anchoring.rows(pk=first.pk).get())
    assert log.leaf_hash(anchors[0][1]) == merkle.leaf_hash(data)
    assert b'"type":"onegrid/audit@v1"' in data


def test_anchoring_again_anchors_only_what_is_new(anchored: int, net: Net) -> None:
    assert anchoring.anchor_all() == 0
    with transaction.atomic():
        audit.record(None, "test.touch", net.grid_a1)
    assert anchoring.anchor_all() == 1
    assert AuditAnchor.objects.count() == anchored + 1


def test_the_worker_sweep_anchors_the_trail(net: Net) -> None:
    sweep = next(s for s in sweeps.registered() if s.name == "ledger.anchor-audit")
    assert sweep.run() == AuditRecord.objects.count()
    assert sweep.run() == 0


def test_an_untouched_trail_verifies(anchored: int) -> None:
    output, ok = audit_verify()
    assert ok, output
    assert f"{anchored} records logged; 0 changed, 0 deleted, 0 inserted out of order" in output
    assert "the audit trail matches the ledger" in output


def test_a_changed_record_is_reported(anchored: int, attacker: None) -> None:
    victim = AuditRecord.objects.order_by("id")[3]
    sql("UPDATE audit_auditrecord SET actor_label = 'someone else' WHERE id = %s", [victim.pk])
    output, ok = audit_verify()
    assert not ok
    assert f"CHANGED audit record {victim.pk}" in output
    assert "1 changed, 0 deleted, 0 inserted out of order" in output


def test_a_change_inside_the_json_is_reported(anchored: int, attacker: None) -> None:
    victim = AuditRecord.objects.filter(after__isnull=False).order_by("id").first()
    assert victim is not None
    report_before = verify.check_audit()
    assert report_before.ok
    after = dict(victim.after)
    after["population"] = 999999
    sql("UPDATE audit_auditrecord SET after = %s WHERE id = %s", [json.dumps(after), victim.pk])
    report = verify.check_audit()
    assert [a for a, _ in report.changed] == [victim.pk]


def test_a_deleted_record_is_reported(anchored: int, attacker: None) -> None:
    victim = AuditRecord.objects.order_by("id")[5]
    sql("DELETE FROM audit_auditrecord WHERE id = %s", [victim.pk])
    output, ok = audit_verify()
    assert not ok
    assert f"DELETED audit record {victim.pk}" in output


def _insert(record_id: int, at: dt.datetime) -> None:
    sql(
        "INSERT INTO audit_auditrecord (id, at, actor_label, action, object_type, object_id, object_repr,"
        " area_path, note, request_id) VALUES (%s, %s, 'ghost', 'areas.update', 'areas.area', '1', '', '', '', '')",
        [record_id, connection.ops.adapt_datetimefield_value(at)],
    )


def test_a_record_slipped_in_below_the_anchored_ones_is_reported_and_never_anchored(
    anchored: int, attacker: None
) -> None:
    first = AuditRecord.objects.order_by("id").values_list("id", "at").first()
    assert first is not None
    _insert(0, first[1])
    assert anchoring.anchor_all() == 0
    output, ok = audit_verify()
    assert not ok
    assert "OUT OF ORDER audit record 0: never logged" in output


def test_a_backdated_record_is_reported_even_before_it_is_anchored(anchored: int, attacker: None) -> None:
    last = AuditRecord.objects.order_by("-id").values_list("id", "at").first()
    assert last is not None
    _insert(last[0] + 1, last[1] - dt.timedelta(days=30))
    report = verify.check_audit()
    assert [a for a, _ in report.out_of_order] == [last[0] + 1]
    assert "dated" in report.out_of_order[0][1]
    assert report.pending == 1


def test_new_records_not_yet_anchored_are_not_problems(anchored: int, net: Net) -> None:
    with transaction.atomic():
        audit.record(None, "test.touch", net.grid_a1)
    report = verify.check_audit()
    assert report.ok
    assert report.pending == 1


def test_a_rewritten_leaf_hash_in_the_log_is_caught_even_when_the_row_matches_it(
    anchored: int, attacker: None
) -> None:
    victim = AuditRecord.objects.order_by("id")[2]
    index = AuditAnchor.objects.get(audit_id=victim.pk).index
    sql("UPDATE audit_auditrecord SET note = 'quietly changed' WHERE id = %s", [victim.pk])
    forged = merkle.leaf_hash(anchoring.leaf_data(anchoring.rows(pk=victim.pk).get()))
    overwrite(0, index, forged)
    assert verify.check_audit().ok  # the row and the forged leaf agree...
    output, ok = audit_verify()
    assert not ok  # ...but the tree above the leaf does not
    assert "is not the hash of its children" in output


def test_a_log_rebuilt_to_match_is_caught_by_the_signed_checkpoints(anchored: int, attacker: None) -> None:
    """The attacker recomputes the whole stored tree over a changed leaf; without the log key they
    cannot re-sign the checkpoints, whose roots now differ."""
    victim = AuditRecord.objects.order_by("id")[2]
    index = AuditAnchor.objects.get(audit_id=victim.pk).index
    sql("UPDATE audit_auditrecord SET note = 'quietly changed' WHERE id = %s", [victim.pk])
    size = log.size()
    leaves_now = [log.leaf_hash(i) for i in range(size)]
    leaves_now[index] = merkle.leaf_hash(anchoring.leaf_data(anchoring.rows(pk=victim.pk).get()))
    rewrite_tree([h for h in leaves_now if h is not None])
    report = verify.check_log()
    assert any(p.kind == "root" for p in report.problems)
    assert not any(p.kind == "node" for p in report.problems)


def test_a_rewritten_and_re_signed_log_is_caught_by_a_checkpoint_kept_elsewhere(
    anchored: int, attacker: None, tmp_path: object
) -> None:
    """Even someone holding the log key is caught by a checkpoint a witness or auditor kept."""
    kept = Checkpoint.objects.order_by("-size").first()
    assert kept is not None
    kept_note = kept.note
    victim = AuditRecord.objects.order_by("id")[2]
    index = AuditAnchor.objects.get(audit_id=victim.pk).index
    size = log.size()
    leaves_now = [log.leaf_hash(i) or b"" for i in range(size)]
    leaves_now[index] = merkle.leaf_hash(b"forged")
    root = rewrite_tree(leaves_now)
    body = CheckpointBody(keys.origin(), size, root)
    sql(
        "UPDATE ledger_checkpoint SET root = %s, note = %s WHERE size = %s",
        [root, keys.signer().sign_note(body.text()), size],
    )
    sql("DELETE FROM ledger_checkpoint WHERE size < %s", [size])
    assert not verify.check_log().problems  # self-consistent and signed with the real key
    report = verify.check_log(external=[("witness.tlog", kept_note)])
    assert [p.kind for p in report.problems] == ["root"]
    assert "witness.tlog" in report.problems[0].message


def test_a_checkpoint_note_that_was_edited_is_caught(anchored: int, attacker: None) -> None:
    cp = Checkpoint.objects.order_by("size").first()
    assert cp is not None
    sql("UPDATE ledger_checkpoint SET note = %s WHERE size = %s", [cp.note.replace("\n", "\n\n", 1), cp.size])
    report = verify.check_log()
    assert any(p.kind == "signature" for p in report.problems)


def test_missing_stored_hashes_are_caught(anchored: int, attacker: None) -> None:
    sql("DELETE FROM ledger_tile")
    report = verify.check_log()
    assert any(p.kind == "root" and "beyond the stored tree (0 leaves)" in p.message for p in report.problems)
    assert any(p.kind == "head" for p in report.problems)


def test_a_checkpoint_from_another_key_is_not_taken_as_the_logs(anchored: int) -> None:
    stranger = note.Signer(keys.origin(), bytes(32))
    report = verify.check_log(log_key=stranger.verifier)
    assert report.problems
    assert all(p.kind == "signature" for p in report.problems)


def test_a_receipt_for_a_changed_audit_record_is_refused_not_served(anchored: int, attacker: None) -> None:
    victim = AuditRecord.objects.order_by("id")[1]
    index = AuditAnchor.objects.get(audit_id=victim.pk).index
    sql("UPDATE audit_auditrecord SET note = 'x' WHERE id = %s", [victim.pk])
    admin = type("Root", (), {"is_authenticated": True, "is_active": True, "is_superuser": True})()
    with pytest.raises(Conflict, match="changed after it was logged"):
        selectors.receipt(admin, index)
