"""Writing to the evidence ledger: deposits, witnesses and their cosignatures. Each call is one
transaction with its audit record inside; appends go through ``log.writing()`` (the single writer)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from onegrid.audit import services as audit
from onegrid.kit.errors import Conflict, Invalid, NotFound
from onegrid.ledger import anchoring, leaves, log, merkle, note
from onegrid.ledger.checkpoint import parse_checkpoint
from onegrid.ledger.models import Checkpoint, Cosignature, Deposit, Witness

MAX_BATCH = 1000
MAX_METADATA_BYTES = 16 * 1024
MAX_FUTURE_SECONDS = 300  # cosignatures dated later than this are refused
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DepositInput:
    """One thing to deposit: the SHA-256 of a document (hex) and what to say about it."""

    sha256: str
    title: str = ""
    media_type: str = ""
    size: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _label(actor: Any) -> str:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return str(actor.get_username())[:150]
    return "system"


def _check(items: Sequence[DepositInput]) -> None:
    if not items:
        raise Invalid("nothing to deposit", field="items")
    if len(items) > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} deposits in one batch", field="items")
    many = len(items) > 1
    for i, item in enumerate(items):
        where = f"items[{i}]." if many else ""
        if not _HEX64.fullmatch(item.sha256):
            raise Invalid("sha256 must be 64 lowercase hex digits", field=where + "sha256")
        if len(item.title) > 200:
            raise Invalid("title is longer than 200 characters", field=where + "title")
        if len(item.media_type) > 100:
            raise Invalid("media_type is longer than 100 characters", field=where + "media_type")
        if item.size is not None and item.size < 0:
            raise Invalid("size is negative", field=where + "size")
        try:
            encoded = leaves.canonical(item.metadata)
        except (TypeError, ValueError) as exc:
            raise Invalid(f"metadata is not plain JSON: {exc}", field=where + "metadata") from exc
        if len(encoded) > MAX_METADATA_BYTES:
            raise Invalid(f"metadata is larger than {MAX_METADATA_BYTES} bytes", field=where + "metadata")


def deposit(*, actor: Any, area_path: str, items: Sequence[DepositInput]) -> list[Deposit]:
    """Deposit documents (by their SHA-256) in the ledger, as one batch with one checkpoint. The caller
    resolved ``area_path`` within its ``ledger.deposit`` scope. Returns the deposits in leaf order."""
    _check(items)
    label = _label(actor)
    with log.writing() as head:
        now = timezone.now()
        stamp = anchoring.timestamp(now)
        datas = [
            leaves.DepositLeaf(
                item.sha256, item.title, item.media_type, item.size, item.metadata, area_path, label, stamp
            ).data()
            for item in items
        ]
        appended = log.append(head, merkle.leaf_hashes(datas), at=now)
        is_user = label != "system" and getattr(actor, "pk", None) is not None
        rows = [
            Deposit(
                index=appended.first + i,
                sha256=item.sha256,
                title=item.title,
                media_type=item.media_type,
                size=item.size,
                metadata=item.metadata,
                area_path=area_path,
                depositor=actor if is_user else None,
                depositor_label=label,
                at=now,
                leaf=data,
            )
            for i, (item, data) in enumerate(zip(items, datas, strict=True))
        ]
        Deposit.objects.bulk_create(rows)
        audit.record_many(
            actor,
            "ledger.deposit",
            (
                (
                    "ledger.deposit",
                    str(d.index),
                    (d.title or d.sha256)[:200],
                    area_path,
                    None,
                    {"index": d.index, "sha256": d.sha256, "title": d.title, "size": d.size},
                )
                for d in rows
            ),
        )
        visible = Deposit.objects.restrict(actor, "ledger.deposit").filter(index__gte=appended.first).count()
        if actor is not None and visible != len(rows):
            raise NotFound("the area is outside your ledger.deposit scope")
    return rows


def add_witness(*, actor: Any, vkey: str, institution: str) -> Witness:
    """Register a witness institution's cosigner key (a type 0x04 vkey)."""
    try:
        verifier = note.Verifier.parse(vkey)
    except note.NoteError as exc:
        raise Invalid(str(exc), field="vkey") from exc
    if verifier.sig_type != note.COSIGNATURE:
        raise Invalid("a witness key is a cosignature key (type 0x04)", field="vkey")
    institution = institution.strip()
    if not institution or len(institution) > 200:
        raise Invalid("institution must be 1 to 200 characters", field="institution")
    with transaction.atomic():
        if Witness.objects.filter(name=verifier.name).exists():
            raise Conflict(f"a witness named {verifier.name} is already registered")
        witness = Witness.objects.create(
            name=verifier.name, public_key=verifier.public_key, institution=institution
        )
        audit.record(actor, "ledger.add_witness", witness, object_repr=str(witness)[:200])
    return witness


def set_witness_active(*, actor: Any, witness: Witness, active: bool) -> Witness:
    with transaction.atomic():
        before = audit.snapshot(witness)
        witness.is_active = active
        witness.save(update_fields=["is_active"])
        audit.record(actor, "ledger.change_witness", witness, before=before)
    return witness


def witness_verifier(witness: Witness) -> note.Verifier:
    return note.Verifier(witness.name, note.COSIGNATURE, bytes(witness.public_key))


def cosign(*, actor: Any, checkpoint: Checkpoint, line: str, now: dt.datetime | None = None) -> Cosignature:
    """Record a witness's cosignature line on ``checkpoint`` after verifying it (tlog-cosignature)."""
    try:
        sig = note.parse_signature_line(line.strip())
    except note.NoteError as exc:
        raise Invalid(str(exc), field="signature") from exc
    witness = Witness.objects.filter(name=sig.name, is_active=True).first()
    if witness is None:
        raise Invalid(f"{sig.name} is not a registered witness", field="signature")
    verifier = witness_verifier(witness)
    if sig.key_id != verifier.key_id:
        raise Invalid(f"key id {sig.key_id.hex()} is not the key of witness {sig.name}", field="signature")
    text = note.parse_note(checkpoint.note).text
    parse_checkpoint(text)  # the log wrote it; a failure here is a bug, not bad input
    try:
        timestamp = verifier.verify(text, sig.signature)
    except note.NoteError as exc:
        raise Invalid(str(exc), field="signature") from exc
    assert timestamp is not None
    now = now or timezone.now()
    if timestamp > now.timestamp() + MAX_FUTURE_SECONDS:
        raise Invalid("the cosignature is dated in the future", field="signature")
    with transaction.atomic():
        existing = Cosignature.objects.filter(checkpoint=checkpoint, witness=witness).first()
        if existing is not None:
            if existing.line == sig.line():
                return existing
            raise Conflict(f"{witness.name} has already cosigned checkpoint {checkpoint.size}")
        cosignature = Cosignature.objects.create(
            checkpoint=checkpoint, witness=witness, timestamp=timestamp, line=sig.line()
        )
        audit.record(
            actor,
            "ledger.cosign",
            cosignature,
            object_repr=f"{witness.name} cosigned {checkpoint.size}",
            after={"checkpoint": checkpoint.size, "witness": witness.name, "timestamp": timestamp},
        )
    return cosignature


def metadata_from_json(text: str, field_name: str = "metadata") -> dict[str, Any]:
    """The metadata form field of a document upload: a JSON object."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"metadata is not JSON: {exc.msg}", field=field_name) from exc
    if not isinstance(value, dict):
        raise Invalid("metadata must be a JSON object", field=field_name)
    return value
