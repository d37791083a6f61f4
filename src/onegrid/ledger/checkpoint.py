"""C2SP checkpoints (``c2sp.org/tlog-checkpoint``): the signed statement of a log's size and root.

The note text is the origin, the tree size in decimal without leading zeros, the base64 root hash and
optional extension lines (not recommended; this log writes none). Domain-free, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from onegrid.ledger import note
from onegrid.ledger.merkle import HASH_SIZE, MAX_SIZE

__all__ = ["Checkpoint", "CheckpointError", "check_origin", "parse_checkpoint"]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A checkpoint that does not parse; the message says which line is wrong."""


def check_origin(origin: str) -> None:
    """A log's identity: non-empty, no spaces, no '+', no control characters (a schema-less URL)."""
    if not origin:
        raise CheckpointError("origin is empty")
    if any(c.isspace() for c in origin) or "+" in origin:
        raise CheckpointError(f"origin {origin!r} contains a space or '+'")
    if any(ord(c) < 0x20 for c in origin):
        raise CheckpointError(f"origin {origin!r} contains a control character")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default=())

    def text(self) -> str:
        """The note text that is signed."""
        lines = [self.origin, str(self.size), note.b64encode(self.root), *self.extensions]
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str, *, hash_size: int | None = HASH_SIZE) -> Checkpoint:
    """Parse a checkpoint's note text (not the signatures). ``hash_size`` None accepts any root length,
    as transparency-dev's parser does; the ledger always wants 32 bytes."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has at least three lines: origin, size and root hash")
    origin, size_line, root_line, *rest = lines
    check_origin(origin)
    if not _DECIMAL.fullmatch(size_line):
        raise CheckpointError(f"tree size {size_line!r} is not a decimal number without leading zeros")
    size = int(size_line)
    if size > MAX_SIZE:
        raise CheckpointError("tree size does not fit in 64 bits")
    try:
        root = note.b64decode(root_line, "root hash")
    except note.NoteError as exc:
        raise CheckpointError(str(exc)) from exc
    if hash_size is not None and len(root) != hash_size:
        raise CheckpointError(f"root hash is {len(root)} bytes, not {hash_size}")
    for i, line in enumerate(rest):
        if not line:
            raise CheckpointError(f"extension line {i + 1} is empty")
    return Checkpoint(origin, size, root, tuple(rest))


@dataclass(frozen=True)
class Signed:
    """A checkpoint whose log signature verified, with the witnesses that cosigned it (and when)."""

    checkpoint: Checkpoint
    text: str
    cosigned_by: tuple[tuple[note.Verifier, int], ...]


def open_checkpoint(
    signed_note: str | bytes,
    log_key: note.Verifier,
    *,
    origin: str | None = None,
    witnesses: Sequence[note.Verifier] = (),
) -> Signed:
    """Verify a signed checkpoint: the log key's signature, the origin (``origin``, or else the log
    key's name), and every cosignature from a known witness. Raises NoteError or CheckpointError."""
    parsed = note.parse_note(signed_note)
    try:
        checkpoint = parse_checkpoint(parsed.text)
    except CheckpointError as exc:
        raise CheckpointError(f"checkpoint: {exc}") from exc
    expected = origin if origin is not None else log_key.name
    if checkpoint.origin != expected:
        raise CheckpointError(f"the checkpoint is from the log {checkpoint.origin!r}, not {expected!r}")
    opened = note.open_note(parsed, [log_key, *witnesses])
    if not opened.signed(log_key):
        raise note.NoteError(f"the checkpoint carries no valid signature of the log key {log_key.name}")
    cosigned = tuple((v, ts) for v, ts in opened.signed_by if v != log_key and ts is not None)
    return Signed(checkpoint, parsed.text, cosigned)
