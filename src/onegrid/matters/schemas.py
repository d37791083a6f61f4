"""API shapes of matters."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from onegrid.kit.incoming import Incoming

CrsName = Literal["wgs84", "gcj02", "bd09"]


class Problem(Schema):
    code: str
    detail: str
    field: str | None = None


class MatterIn(Incoming):
    channel: str
    category: str
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    crs: CrsName = "wgs84"
    area_code: str | None = Field(None, max_length=18)
    address: str = Field("", max_length=300)
    priority: str | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    reporter_name: str = Field("", max_length=100)
    reporter_phone: str = Field("", max_length=32)
    reporter_email: str = Field("", max_length=254)
    anonymous: bool = False
    idempotency_key: str = Field("", max_length=100)
    extra: dict[str, str | int | float | list[str | int | float]] = Field(
        default_factory=dict,
        max_length=50,
        description="answers to the category's questions (its Open311 attributes), by attribute code",
    )


class MatterBatchIn(Incoming):
    items: list[MatterIn] = Field(
        min_length=1,
        max_length=500,
        description="1 to 500 matters, each as for POST /api/v1/matters/ (its own idempotency_key)",
    )


class BatchItemOut(Schema):
    index: int
    number: str
    created: bool = Field(description="false: an earlier matter with this item's idempotency key")
    status: str
    category: str
    area_path: str
    due_at: dt.datetime | None


class MatterBatchOut(Schema):
    created: int
    items: list[BatchItemOut]


class StepIn(Incoming):
    note: str = Field("", max_length=5000)
    public_note: str | None = Field(None, max_length=2000)
    organisation: str | None = Field(None, max_length=64)
    override_reason: str = Field("", max_length=500)


class EventOut(Schema):
    at: dt.datetime
    action: str
    from_status: str
    to_status: str
    actor: str | None
    organisation: str | None
    note: str | None
    public_note: str


class MatterOut(Schema):
    number: str
    channel: str
    category: str
    category_name: str
    title: str
    status: str
    priority: str
    area_code: str
    area_name: str
    area_path: str
    owner: str | None
    received_at: dt.datetime
    stage: str
    due_at: dt.datetime | None
    overdue: bool
    warning: bool


class MatterDetail(MatterOut):
    description: str
    address: str
    lon: float | None
    lat: float | None
    tags: list[str]
    reporter_name: str
    reporter_phone: str
    reporter_email: str
    extra: dict[str, Any]
    anonymous: bool
    merged_into: str | None
    resolved_at_intake: bool
    due_provisional: bool
    timeline: list[EventOut]
    steps: list[str]
    attachments: list[dict[str, Any]]
    rating: int | None


class SuperviseIn(Incoming):
    instruction: str = Field(min_length=1, max_length=2000)
    working_days: int = Field(3, ge=1, le=60)
    listed: bool = False


class ReplyIn(Incoming):
    reply: str = Field(min_length=1, max_length=5000)


class ExtensionIn(Incoming):
    working_days: int = Field(ge=1, le=30)
    reason: str = Field(min_length=1, max_length=2000)


class DecisionIn(Incoming):
    grant: bool
    note: str = Field("", max_length=2000)


class OrganisationRef(Incoming):
    organisation: str
    note: str = Field("", max_length=2000)


class MergeIn(Incoming):
    into: str
    note: str = Field("", max_length=2000)


class RatingIn(Incoming):
    score: int
    comment: str = Field("", max_length=2000)


class FollowUpIn(Incoming):
    reached: bool
    solved: bool | None = None
    satisfaction: str = ""
    note: str = Field("", max_length=2000)


class Ack(Schema):
    ok: bool
    id: int | None = None
