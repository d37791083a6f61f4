"""Searching the audit trail, within the caller's ``audit.view`` scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onegrid.audit.models import AuditRecord
from onegrid.kit.scope import ScopedQuerySet


def search(
    actor: Any,
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_name: str | None = None,
    request_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> ScopedQuerySet[AuditRecord]:
    qs = AuditRecord.objects.restrict(actor, "audit.view")
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor_name:
        qs = qs.filter(actor_label=actor_name)
    if request_id:
        qs = qs.filter(request_id=request_id)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-id")
