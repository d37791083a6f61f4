"""How each app tells the audit trail what to record of its objects (core is extended by registration)."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile


@dataclass(frozen=True)
class AuditSpec:
    """What to snapshot of a model: ``exclude`` fields are left out (e.g. password hashes); ``masked``
    fields are recorded as changed/unchanged only, never with their value (personal data); ``digest``
    fields are recorded as a SHA-256 of their JSON (large values such as boundaries)."""

    exclude: frozenset[str] = field(default_factory=frozenset)
    masked: frozenset[str] = field(default_factory=frozenset)
    digest: frozenset[str] = field(default_factory=frozenset)
    area_path: Callable[[Any], str] | None = None


_specs: dict[type[models.Model], AuditSpec] = {}


def register(
    model: type[models.Model],
    *,
    exclude: Iterable[str] = (),
    masked: Iterable[str] = (),
    digest: Iterable[str] = (),
    area_path: Callable[[Any], str] | None = None,
) -> None:
    _specs[model] = AuditSpec(frozenset(exclude), frozenset(masked), frozenset(digest), area_path)


def spec_for(model: type[models.Model]) -> AuditSpec:
    for klass in model.__mro__:
        if klass in _specs:
            return _specs[klass]
    return AuditSpec()


def _plain(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool, float):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def digest(value: Any) -> str:
    """The recorded form of a large value: SHA-256 of its bytes, or of its canonical JSON."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if not isinstance(value, bytes):
        value = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        ).encode()
    return "sha256:" + hashlib.sha256(value).hexdigest()


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The audit-relevant state of ``obj`` as JSON-safe values (concrete fields, FKs as ids)."""
    spec = spec_for(type(obj))
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in spec.exclude:
            continue
        value = getattr(obj, f.attname)
        if f.name in spec.masked:
            out[f.name] = "<set>" if value else ""
            continue
        if f.name in spec.digest:
            out[f.name] = digest(value)
            continue
        out[f.name] = _plain(value)
    return out


def area_path_of(obj: models.Model) -> str:
    spec = spec_for(type(obj))
    if spec.area_path is not None:
        return spec.area_path(obj)
    for name in ("area_path", "path"):
        value = getattr(obj, name, None)
        if isinstance(value, str):
            return value
    return ""
