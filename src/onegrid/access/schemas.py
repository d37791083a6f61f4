from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from onegrid.kit.incoming import Incoming


class Problem(Schema):
    code: str
    detail: str
    field: str | None = None


class OrganisationOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    area_code: str
    area_path: str
    parent_code: str | None
    is_active: bool


class OrganisationIn(Incoming):
    code: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=120)
    name_en: str = Field("", max_length=160)
    kind: str
    area_code: str
    parent_code: str | None = None


class UserOut(Schema):
    username: str
    display_name: str
    phone: str
    is_active: bool
    organisations: list[str]


class UserIn(Incoming):
    username: str = Field(min_length=2, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    display_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=32)
    password: str | None = Field(None, min_length=8, max_length=128)
    organisation: str | None = None
    title: str = Field("", max_length=80)


class UserPatch(Incoming):
    display_name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=32)
    is_active: bool | None = None


class MembershipIn(Incoming):
    organisation: str
    title: str = Field("", max_length=80)


class RoleOut(Schema):
    code: str
    name: str
    name_en: str
    permissions: list[str]


class RoleIn(Incoming):
    code: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=80)
    name_en: str = Field("", max_length=120)
    permissions: list[str]


class GrantOut(Schema):
    id: int
    role: str
    area_code: str
    area_path: str
    user: str | None
    organisation: str | None


class GrantIn(Incoming):
    role: str
    area_code: str
    user: str | None = None
    organisation: str | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    user: str
    permissions: list[str]
    area_code: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenIn(Incoming):
    name: str = Field(min_length=1, max_length=80)
    permissions: list[str] = Field(min_length=1)
    area_code: str | None = None
    expires_in_days: int | None = Field(90, ge=1, le=3650)
    user: str | None = None


class TokenCreated(TokenOut):
    token: str


class MeOut(Schema):
    username: str
    display_name: str
    permissions: dict[str, list[str]]
