"""/api/v1/audit: search the append-only trail (auditors)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from onegrid.access.auth import require
from onegrid.audit import selectors
from onegrid.audit.models import AuditRecord
from onegrid.audit.schemas import AuditOut
from onegrid.kit.pagination import LimitOffset, SerialisedPage

router = Router()


def _out(r: AuditRecord) -> dict[str, Any]:
    return {
        "id": r.pk,
        "at": r.at,
        "actor": r.actor_label,
        "action": r.action,
        "object_type": r.object_type,
        "object_id": r.object_id,
        "object_repr": r.object_repr,
        "area_path": r.area_path,
        "before": r.before,
        "after": r.after,
        "note": r.note,
        "request_id": r.request_id,
        "ip": r.ip,
    }


@router.get("/", response=list[AuditOut], summary="Search audit records in scope, newest first")
@paginate(LimitOffset)
def search(
    request: HttpRequest,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    request_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Any:
    caller = require(request, "audit.view")
    qs = selectors.search(
        caller,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_name=actor,
        request_id=request_id,
        since=since,
        until=until,
    )
    return SerialisedPage(qs, _out)
