from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from onegrid.kit.incoming import Incoming

HEX64 = r"^[0-9a-fA-F]{64}$"


class Problem(Schema):
    code: str
    detail: str
    field: str | None = None


class DepositItem(Incoming):
    sha256: str = Field(pattern=HEX64, description="SHA-256 of the document, hex")
    title: str = Field("", max_length=200)
    media_type: str = Field("", max_length=100)
    size: int | None = Field(None, ge=0, description="size of the document in bytes, if known")
    metadata: dict[str, Any] = Field(default_factory=dict, description="any JSON object, at most 16 KiB")


class DepositIn(DepositItem):
    area_code: str = Field(description="the area the deposit belongs to (decides who may see it)")


class DepositBatchIn(Incoming):
    area_code: str
    items: list[DepositItem] = Field(min_length=1, max_length=1000)


class ReceiptOut(Schema):
    index: int
    size: int = Field(description="size of the checkpoint the proof leads to")
    leaf_hash: str = Field(description="base64")
    root: str = Field(description="base64 root hash of the checkpoint")
    proof: list[str] = Field(description="base64 hashes, leaf sibling first")
    receipt: str = Field(description="c2sp.org/tlog-proof@v1 text; save as .tlog-proof")


class DepositOut(Schema):
    index: int
    sha256: str
    title: str
    media_type: str
    size: int | None
    metadata: dict[str, Any]
    area_path: str
    depositor: str
    at: dt.datetime
    leaf_hash: str
    receipt: ReceiptOut | None = None


class EntryOut(Schema):
    index: int
    leaf_hash: str
    kind: str = Field(description="deposit, audit (an anchored audit record) or leaf")
    audit_id: int | None = None
    deposit: DepositOut | None = None


class InclusionOut(Schema):
    index: int
    size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyOut(Schema):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class CosignerOut(Schema):
    witness: str
    institution: str
    timestamp: int
    time: dt.datetime


class CheckpointOut(Schema):
    origin: str
    size: int
    root: str
    at: dt.datetime
    note: str = Field(description="the signed note: log signature and every witness cosignature")
    cosigned_by: list[CosignerOut]


class CosignatureIn(Incoming):
    signature: str = Field(max_length=2000, description="the note signature line '— <witness name> <base64>'")


class WitnessIn(Incoming):
    vkey: str = Field(max_length=500, description="<name>+<hex key id>+<base64(0x04 ‖ Ed25519 key)>")
    institution: str = Field(min_length=1, max_length=200)


class WitnessOut(Schema):
    name: str
    institution: str
    vkey: str
    is_active: bool
    added_at: dt.datetime
