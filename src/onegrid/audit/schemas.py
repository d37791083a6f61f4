from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    area_path: str
    before: Any
    after: Any
    note: str
    request_id: str
    ip: str | None
