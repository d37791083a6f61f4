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
from onegrid.kit.errors import Invalid
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


def _utc(moment: dt.datetime | None, field: str) -> dt.datetime | None:
    """A moment in UTC (any offset Python accepts, up to ±24 h, is turned into one the database takes);
    a naive one is read as UTC."""
    if moment is None:
        return None
    try:
        return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    except OverflowError as exc:
        raise Invalid(f"{field} is out of range", field=field) from exc


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
    since, until = _utc(since, "since"), _utc(until, "until")
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
