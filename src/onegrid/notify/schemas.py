from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from onegrid.kit.incoming import Incoming


class Problem(Schema):
    code: str
    detail: str
    field: str | None = None


class EventOut(Schema):
    name: str
    description: str
    channels: list[str]


class NotificationOut(Schema):
    id: int
    message: str
    event: str
    title: str
    body: str
    link: str
    payload: dict[str, Any]
    area_path: str
    category: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class SubscriptionOut(Schema):
    id: int
    area_code: str
    area_path: str
    categories: list[str]
    events: list[str]
    channels: list[str]
    created_at: dt.datetime


class SubscriptionIn(Incoming):
    area_code: str = Field(min_length=1, max_length=18)
    categories: list[str] = Field(default_factory=list, max_length=100)
    events: list[str] = Field(default_factory=list, max_length=100)
    channels: list[str] = Field(default_factory=lambda: ["inbox"], max_length=3)


class SubscriptionPatch(Incoming):
    area_code: str | None = Field(None, min_length=1, max_length=18)
    categories: list[str] | None = Field(None, max_length=100)
    events: list[str] | None = Field(None, max_length=100)
    channels: list[str] | None = Field(None, max_length=3)


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    area_code: str
    area_path: str
    events: list[str]
    categories: list[str]
    active: bool
    secret: str = Field(description="masked; the secret itself is shown only at creation and rotation")
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="the signing secret: shown this once, store it now")


class WebhookIn(Incoming):
    name: str = Field(min_length=1, max_length=80)
    url: str = Field(min_length=1, max_length=500)
    area_code: str = Field(min_length=1, max_length=18)
    events: list[str] = Field(default_factory=list, max_length=100)
    categories: list[str] = Field(default_factory=list, max_length=100)
    active: bool = True


class WebhookPatch(Incoming):
    name: str | None = Field(None, min_length=1, max_length=80)
    url: str | None = Field(None, min_length=1, max_length=500)
    area_code: str | None = Field(None, min_length=1, max_length=18)
    events: list[str] | None = Field(None, max_length=100)
    categories: list[str] | None = Field(None, max_length=100)
    active: bool | None = None


class DeliveryOut(Schema):
    id: int
    message: str
    event: str
    channel: str
    target: str
    area_path: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str
    sent_at: dt.datetime | None
    created_at: dt.datetime
