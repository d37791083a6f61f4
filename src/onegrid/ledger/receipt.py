"""Receipts (存证回执) in the ``c2sp.org/tlog-proof@v1`` form, and their offline verification.

::

    c2sp.org/tlog-proof@v1
    extra <base64 leaf data>          (this log always sends the leaf itself)
    index <0-based decimal>
    <base64 hash>                     (inclusion proof, leaf sibling first, root child last)

    <the checkpoint, verbatim, with the log's signature and any witness cosignatures>

Verification follows tlog-proof.md: compute the leaf hash (here SHA-256(0x00 ‖ extra)), check that the
origin is the expected one and that the log key signed the checkpoint, check the witnesses' cosignatures
against a k-of-n policy, then check the inclusion proof against the checkpoint's root. Every failure
is a ReceiptError naming the check. Domain-free, no Django: ``onegrid ledger verify`` runs it offline.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from onegrid.ledger import leaves, merkle, note
from onegrid.ledger.checkpoint import Checkpoint, CheckpointError, parse_checkpoint

__all__ = [
    "MAGIC",
    "Receipt",
    "ReceiptError",
    "Verified",
    "check_document",
    "parse_receipt",
    "verify_receipt",
]

MAGIC = "c2sp.org/tlog-proof@v1"
MAX_RECEIPT_BYTES = 1 << 20
MAX_PROOF_HASHES = 64
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class ReceiptError(ValueError):
    """A receipt that does not verify. ``check`` names the step that failed: format, checkpoint, origin,
    signature, cosignature, witnesses, inclusion or document."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"{check}: {message}")
        self.check = check
        self.message = message


@dataclass(frozen=True)
class Receipt:
    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def text(self) -> str:
        lines = [MAGIC]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.proof)
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_receipt(data: str | bytes) -> Receipt:
    """Read a receipt strictly; any deviation is a ReceiptError("format", ...)."""
    if isinstance(data, bytes):
        if len(data) > MAX_RECEIPT_BYTES:
            raise ReceiptError("format", f"the receipt is larger than {MAX_RECEIPT_BYTES} bytes")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReceiptError("format", "the receipt is not valid UTF-8") from exc
    if len(data) > MAX_RECEIPT_BYTES:
        raise ReceiptError("format", f"the receipt is larger than {MAX_RECEIPT_BYTES} bytes")
    head, sep, checkpoint = data.partition("\n\n")
    if not sep:
        raise ReceiptError("format", "no blank line between the proof and the checkpoint")
    lines = head.split("\n")
    if lines[0] != MAGIC:
        raise ReceiptError("format", f"the first line is not {MAGIC}")
    at = 1
    extra = None
    if at < len(lines) and lines[at].startswith("extra "):
        try:
            extra = note.b64decode(lines[at][6:], "extra data")
        except note.NoteError as exc:
            raise ReceiptError("format", str(exc)) from exc
        at += 1
    if at >= len(lines) or not lines[at].startswith("index "):
        raise ReceiptError("format", "no 'index' line")
    digits = lines[at][6:]
    if not _DECIMAL.fullmatch(digits) or int(digits) > merkle.MAX_SIZE:
        raise ReceiptError("format", f"index {digits!r} is not a decimal number without leading zeros")
    index = int(digits)
    proof_lines = lines[at + 1 :]
    if len(proof_lines) > MAX_PROOF_HASHES:
        raise ReceiptError("format", f"more than {MAX_PROOF_HASHES} proof hashes")
    proof: list[bytes] = []
    for i, line in enumerate(proof_lines):
        try:
            h = note.b64decode(line, f"proof hash {i}")
        except note.NoteError as exc:
            raise ReceiptError("format", str(exc)) from exc
        if len(h) != merkle.HASH_SIZE:
            raise ReceiptError("format", f"proof hash {i} is {len(h)} bytes, not {merkle.HASH_SIZE}")
        proof.append(h)
    if not checkpoint:
        raise ReceiptError("format", "no checkpoint after the proof")
    return Receipt(index, tuple(proof), checkpoint, extra)


@dataclass(frozen=True)
class Verified:
    """What a valid receipt establishes."""

    index: int
    checkpoint: Checkpoint
    leaf_hash: bytes
    extra: bytes | None
    cosigned_by: tuple[tuple[str, int], ...]  # witness name, cosignature time (Unix seconds)


def verify_receipt(
    data: str | bytes,
    log_key: note.Verifier,
    *,
    origin: str | None = None,
    witnesses: Sequence[note.Verifier] = (),
    quorum: int = 0,
    leaf_hash: bytes | None = None,
) -> Verified:
    """Verify a receipt offline against the log's key. ``origin`` defaults to the key's name;
    ``witnesses`` and ``quorum`` give the k-of-n cosigning policy; ``leaf_hash`` overrides the hash of
    the extra data (for receipts without it). Raises ReceiptError naming the failed check."""
    receipt = parse_receipt(data)
    # 1. the leaf hash
    if leaf_hash is None:
        if receipt.extra is None:
            raise ReceiptError("format", "the receipt carries no leaf data and no leaf hash was given")
        leaf_hash = merkle.leaf_hash(receipt.extra)
    # 2. the checkpoint, its origin and the log's signature
    try:
        parsed = note.parse_note(receipt.checkpoint)
        checkpoint = parse_checkpoint(parsed.text)
    except (note.NoteError, CheckpointError) as exc:
        raise ReceiptError("checkpoint", str(exc)) from exc
    expected = origin if origin is not None else log_key.name
    if checkpoint.origin != expected:
        raise ReceiptError(
            "origin", f"the checkpoint is from the log {checkpoint.origin!r}, not {expected!r}"
        )
    log_sigs = [s for s in parsed.signatures if s.name == log_key.name and s.key_id == log_key.key_id]
    if not log_sigs:
        raise ReceiptError(
            "signature", f"no signature by the log key {log_key.name} ({log_key.key_id.hex()})"
        )
    for sig in log_sigs:
        try:
            log_key.verify(parsed.text, sig.signature)
        except note.NoteError as exc:
            raise ReceiptError("signature", str(exc)) from exc
    # 3. the witnesses
    known = {(w.name, w.key_id): w for w in witnesses}
    cosigned: dict[str, int] = {}
    for sig in parsed.signatures:
        witness = known.get((sig.name, sig.key_id))
        if witness is None:
            continue
        try:
            timestamp = witness.verify(parsed.text, sig.signature)
        except note.NoteError as exc:
            raise ReceiptError("cosignature", str(exc)) from exc
        if timestamp is not None:
            cosigned[witness.name] = timestamp
    if len(cosigned) < quorum:
        raise ReceiptError(
            "witnesses", f"{len(cosigned)} of the {len(witnesses)} known witnesses cosigned; {quorum} needed"
        )
    # 4. the inclusion proof
    try:
        merkle.verify_inclusion(receipt.index, checkpoint.size, leaf_hash, receipt.proof, checkpoint.root)
    except merkle.ProofError as exc:
        raise ReceiptError("inclusion", str(exc)) from exc
    return Verified(receipt.index, checkpoint, leaf_hash, receipt.extra, tuple(sorted(cosigned.items())))


def check_document(verified: Verified, document_sha256: bytes) -> leaves.DepositLeaf:
    """The receipt's leaf is a deposit of the document with this SHA-256 (the leaf names the digest)."""
    if verified.extra is None:
        raise ReceiptError("document", "the receipt carries no leaf data to compare the document with")
    try:
        leaf = leaves.parse_deposit(verified.extra)
    except leaves.LeafError as exc:
        raise ReceiptError("document", str(exc)) from exc
    if leaf.sha256 != document_sha256.hex():
        raise ReceiptError(
            "document", f"the document's SHA-256 is {document_sha256.hex()}, the receipt's is {leaf.sha256}"
        )
    return leaf


def sha256_file(path: str) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()
