"""What the ledger's leaves contain: canonical JSON that a verifier can read back offline.

A leaf is the UTF-8 of ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
of an object whose ``type`` names its form. Two forms exist:

- ``onegrid/deposit@v1``: a deposited document or hash (存证), with its SHA-256, title, media type,
  size, metadata, area, depositor and time;
- ``onegrid/audit@v1``: one row of the audit trail, every column.

A receipt carries its leaf as the tlog-proof ``extra`` line, so the verifier hashes it into the leaf
hash itself (the extra data is authenticated by the inclusion proof, never trusted as such).
Domain-free, no Django.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["AUDIT", "DEPOSIT", "DepositLeaf", "LeafError", "canonical", "parse_deposit"]

DEPOSIT = "onegrid/deposit@v1"
AUDIT = "onegrid/audit@v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class LeafError(ValueError):
    """Leaf data that is not a leaf this log writes."""


def canonical(value: dict[str, Any]) -> bytes:
    """The one byte form of a JSON object (sorted keys, no spaces, UTF-8, no NaN)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@dataclass(frozen=True)
class DepositLeaf:
    sha256: str
    title: str
    media_type: str
    size: int | None
    metadata: dict[str, Any]
    area: str
    by: str
    at: str

    def data(self) -> bytes:
        return canonical(
            {
                "type": DEPOSIT,
                "sha256": self.sha256,
                "title": self.title,
                "media_type": self.media_type,
                "size": self.size,
                "metadata": self.metadata,
                "area": self.area,
                "by": self.by,
                "at": self.at,
            }
        )


def parse_deposit(data: bytes) -> DepositLeaf:
    """Read a deposit leaf back, checking it is in canonical form."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LeafError("the leaf is not UTF-8 JSON") from exc
    if not isinstance(value, dict) or value.get("type") != DEPOSIT:
        kind = value.get("type") if isinstance(value, dict) else None
        raise LeafError(f"the leaf is not a deposit (type {kind!r})")
    digest = value.get("sha256")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise LeafError("the deposit's sha256 is not 64 lowercase hex digits")
    size = value.get("size")
    metadata = value.get("metadata")
    title, media_type, area, by, at = (value.get(k) for k in ("title", "media_type", "area", "by", "at"))
    if not (
        isinstance(title, str)
        and isinstance(media_type, str)
        and isinstance(area, str)
        and isinstance(by, str)
        and isinstance(at, str)
        and isinstance(metadata, dict)
    ):
        raise LeafError("the deposit leaf lacks a field or has one of the wrong type")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        raise LeafError("the deposit's size is not an integer")
    leaf = DepositLeaf(digest, title, media_type, size, metadata, area, by, at)
    if leaf.data() != data:
        raise LeafError("the deposit leaf is not in canonical form")
    return leaf
