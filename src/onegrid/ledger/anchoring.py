"""Anchoring the audit trail: every audit record becomes a leaf of the ledger, in id order.

The leaf is the canonical form (leaves.AUDIT) of every column of the row as the database returns it,
so ``onegrid audit verify`` can recompute it later and see any change. Records are anchored strictly
in id order and only past the last anchored id: a row that appears below that frontier was inserted
out of order and is reported, never quietly anchored.

On SQLite the anchoring transaction holds the database's only write lock, so every row it can see is
committed and none can appear below the frontier later. PostgreSQL hands out ids before commit, so a
slow transaction can commit id 10 after id 11 was anchored. There ``horizon`` reads the largest id,
then the writing transactions running in the database; with none, everything up to that id is
committed. Otherwise it notes both and anchors up to that id only once every one of those
transactions has ended. (A transaction that drew its id but had not yet been given a transaction id
when the anchor looked — microseconds inside one INSERT — is not covered.)
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import connection

from onegrid.audit.models import AuditRecord
from onegrid.kit import bulk
from onegrid.ledger import leaves, log, merkle
from onegrid.ledger.models import AuditAnchor, Head

COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "area_path",
    "before",
    "after",
    "note",
    "request_id",
    "ip",
)
BATCH = 5000


def timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_data(row: tuple[Any, ...]) -> bytes:
    """The canonical form of one audit row, given as ``values_list(*COLUMNS)``."""
    values = dict(zip(COLUMNS, row, strict=True))
    values["at"] = timestamp(values["at"])
    values["ip"] = None if values["ip"] is None else str(values["ip"])
    values["type"] = leaves.AUDIT
    return leaves.canonical(values)


def rows(**filters: Any) -> Any:
    return AuditRecord.objects.filter(**filters).order_by("id").values_list(*COLUMNS)


def horizon(head: Head) -> int | None:
    """The largest audit id that is safe to anchor; None for no limit (SQLite). Updates ``head``."""
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608  (first the id, then who is running)
        max_id = int(cursor.fetchone()[0] or 0)
        cursor.execute(
            "SELECT coalesce(array_agg(backend_xid::text), '{}') FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )
        running: list[str] = list(cursor.fetchone()[0])
        seen = [x for x in head.audit_seen_running.split(",") if x]
        if seen:
            cursor.execute(
                "SELECT count(*) FROM unnest(%s::text[]) AS x WHERE pg_xact_status(x::xid8) = 'in progress'",
                [seen],
            )
            if cursor.fetchone()[0]:
                return 0  # a transaction that was running at the last look still is: wait for it
    if not running:
        safe = max_id  # no other writer: every id up to the largest is committed
        head.audit_seen_max, head.audit_seen_running = None, ""
    else:
        safe = int(head.audit_seen_max or 0) if seen else 0
        head.audit_seen_max, head.audit_seen_running = max_id, ",".join(running)
    head.save(update_fields=["audit_seen_max", "audit_seen_running"])
    return safe


def frontier() -> int:
    """The largest anchored audit id (0 before the first)."""
    last = AuditAnchor.objects.order_by("-audit_id").values_list("audit_id", flat=True).first()
    return int(last or 0)


def anchor_batch(limit: int = BATCH) -> int:
    """Anchor up to ``limit`` audit records past the frontier in one batch (one checkpoint)."""
    with log.writing() as head:
        safe = horizon(head)
        qs = rows(id__gt=frontier())
        if safe is not None:
            qs = qs.filter(id__lte=safe)
        batch = list(qs[:limit])
        if not batch:
            return 0
        appended = log.append(head, merkle.leaf_hashes([leaf_data(r) for r in batch]))
        bulk.insert(
            AuditAnchor, ("audit_id", "index"), ((r[0], appended.first + i) for i, r in enumerate(batch))
        )
        return len(batch)


def anchor_all(*, wait: float = 0.0) -> int:
    """Anchor until caught up; returns how many were anchored. With ``wait`` > 0 (PostgreSQL), keep
    trying for that many seconds until every record that existed at the start is anchored."""
    target = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    deadline = time.monotonic() + wait
    total = 0
    while True:
        done = anchor_batch()
        total += done
        if done:
            continue
        if frontier() >= target or time.monotonic() >= deadline:
            return total
        time.sleep(0.05)


def sweep() -> int:
    """The worker's periodic sweep (``ledger.anchor-audit``)."""
    return anchor_all()
