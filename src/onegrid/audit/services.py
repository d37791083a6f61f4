"""Writing the audit trail. Call inside the transaction of the change being recorded."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from onegrid.audit.models import AuditRecord
from onegrid.audit.registry import area_path_of, snapshot
from onegrid.kit import bulk, context

__all__ = ["build", "record", "record_many", "snapshot"]


def _diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[Any, Any]:
    """Keep only the fields that changed, so records stay small and readable."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(actor: Any, action: str, obj: models.Model | None = None, **kwargs: Any) -> AuditRecord:
    """Append one record (see ``build``). Must run inside the transaction of the change, so the
    record commits or rolls back with it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the change")
    entry = build(actor, action, obj, **kwargs)
    entry.save()
    return entry


def build(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
    area_path: str | None = None,
) -> AuditRecord:
    """An unsaved record (for bulk writes). ``after`` defaults to a snapshot of ``obj`` unless the
    action deletes it; only changed fields are kept of ``before``/``after``."""
    if obj is not None:
        if after is None and not action.endswith(".delete"):
            after = snapshot(obj)
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr if object_repr is not None else str(obj)[:200]
        area_path = area_path if area_path is not None else area_path_of(obj)
    before, after = _diff(before, after)
    ctx = context.current()
    is_user = actor is not None and getattr(actor, "is_authenticated", False) and actor.pk is not None
    return AuditRecord(
        actor=actor if is_user else None,
        actor_label=(actor.get_username() if is_user else (str(actor) if actor else "system"))[:150],
        action=action,
        object_type=object_type or "",
        object_id=object_id or "",
        object_repr=(object_repr or "")[:200],
        area_path=area_path or "",
        before=before,
        after=after,
        note=note,
        request_id=ctx.request_id if ctx else "",
        ip=ctx.ip if ctx else None,
    )


def record_many(actor: Any, action: str, entries: Iterable[tuple[str, str, str, str, Any, Any]]) -> int:
    """Append many records at once for a bulk change: each entry is (object_type, object_id,
    object_repr, area_path, before, after), with before/after already JSON-safe. Same transaction
    rule as ``record``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many must be called inside the transaction of the change")
    ctx = context.current()
    is_user = actor is not None and getattr(actor, "is_authenticated", False) and actor.pk is not None
    actor_id = actor.pk if is_user else None
    label = (actor.get_username() if is_user else (str(actor) if actor else "system"))[:150]
    now = timezone.now()
    rows = (
        (
            now,
            actor_id,
            label,
            action,
            object_type,
            object_id,
            object_repr[:200],
            area_path,
            None if before is None else json.dumps(before, ensure_ascii=False),
            None if after is None else json.dumps(after, ensure_ascii=False),
            "",
            ctx.request_id if ctx else "",
            ctx.ip if ctx else None,
        )
        for object_type, object_id, object_repr, area_path, before, after in entries
    )
    return bulk.insert(AuditRecord, _BULK_FIELDS, rows)


_BULK_FIELDS = (
    "at",
    "actor",
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
