"""C2SP signed notes (``c2sp.org/signed-note``) with Ed25519 (type 0x01) and timestamped Ed25519
witness cosignatures (type 0x04, ``c2sp.org/tlog-cosignature``). Domain-free, no Django.

A note is text ending in a newline, a blank line, then one or more lines
``— <key name> <base64(key ID[4] ‖ signature)>``. The text is split from the signatures at the *last*
blank line. Verifier keys travel as vkeys ``<name>+<hex key ID>+<base64(type ‖ public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "COSIGNATURE",
    "ED25519",
    "Cosigner",
    "NoteError",
    "NoteSignature",
    "ParsedNote",
    "Signer",
    "Verifier",
    "b64decode",
    "cosigned_message",
    "key_id",
    "open_note",
    "parse_note",
    "parse_signature_line",
]

ED25519 = 0x01
COSIGNATURE = 0x04
DASH = "\u2014 "
MAX_SIGNATURES = 100  # the format asks verifiers to accept at least 16
MAX_NOTE_BYTES = 1 << 20
MAX_TIMESTAMP = 2**63 - 1


class NoteError(ValueError):
    """A note, signature or key that does not check; the message says which check failed."""


def b64decode(text: str, what: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4): no whitespace, padding required."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def check_key_name(name: str) -> None:
    if not name:
        raise NoteError("key name is empty")
    if any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"key name {name!r} contains a space or '+'")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise NoteError(f"key name {name!r} contains a control character")


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """``SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]``, the recommended key ID."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosigner signs: ``cosignature/v1\\ntime <t>\\n`` and the checkpoint text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode("utf-8")


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key name, the key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{DASH}{self.name} {b64encode(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class ParsedNote:
    text: str
    signatures: tuple[NoteSignature, ...]


@dataclass(frozen=True)
class Verifier:
    """A public key that verifies note signatures: the log's (type 0x01) or a witness's (type 0x04)."""

    name: str
    sig_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.sig_type not in (ED25519, COSIGNATURE):
            raise NoteError(f"signature type 0x{self.sig_type:02x} is not supported (0x01 or 0x04)")
        if len(self.public_key) != 32:
            raise NoteError(f"an Ed25519 public key is 32 bytes, not {len(self.public_key)}")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64encode(bytes([self.sig_type]) + self.public_key)}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Read ``<name>+<hex key ID>+<base64(type ‖ key)>``; the key ID must match the key."""
        vkey = vkey.strip()
        parts = vkey.split("+", 2)  # base64 may itself contain '+'
        if len(parts) != 3:
            raise NoteError("a verifier key has the form <name>+<hex key id>+<base64 key>")
        name, hex_id, b64 = parts
        check_key_name(name)
        if len(hex_id) != 8:
            raise NoteError("the key id of a verifier key is 8 hex digits")
        try:
            wanted = bytes.fromhex(hex_id)
        except ValueError as exc:
            raise NoteError("the key id of a verifier key is not hex") from exc
        raw = b64decode(b64, "verifier key")
        if len(raw) < 2:
            raise NoteError("verifier key has no key material")
        verifier = cls(name, raw[0], raw[1:])
        if verifier.key_id != wanted:
            raise NoteError(f"verifier key id {hex_id} does not match its name and key")
        return verifier

    def _ed25519(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    def verify(self, text: str, signature: bytes) -> int | None:
        """Check a signature (without the key ID) over ``text``; returns the cosignature's timestamp
        (type 0x04) or None (type 0x01). Raises NoteError if it does not verify."""
        if self.sig_type == ED25519:
            if len(signature) != 64:
                raise NoteError(f"signature by {self.name} is {len(signature)} bytes, not 64")
            message = text.encode("utf-8")
            timestamp = None
        else:
            if len(signature) != 72:
                raise NoteError(f"cosignature by {self.name} is {len(signature)} bytes, not 8 + 64")
            (timestamp,) = struct.unpack(">Q", signature[:8])
            if timestamp > MAX_TIMESTAMP:
                raise NoteError(f"cosignature by {self.name} has a timestamp beyond 2^63-1")
            message, signature = cosigned_message(text, timestamp), signature[8:]
        try:
            self._ed25519().verify(signature, message)
        except InvalidSignature as exc:
            raise NoteError(f"signature by {self.name} ({self.key_id.hex()}) does not verify") from exc
        return timestamp


class Signer:
    """An Ed25519 note signer (type 0x01) from a 32-byte private key seed."""

    sig_type = ED25519

    def __init__(self, name: str, seed: bytes) -> None:
        check_key_name(name)
        if len(seed) != 32:
            raise NoteError(f"an Ed25519 private key is 32 bytes, not {len(seed)}")
        self.name = name
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._key.public_key().public_bytes_raw()

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.sig_type, self.public_key)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key)

    def sign(self, text: str) -> NoteSignature:
        check_text(text)
        return NoteSignature(self.name, self.key_id, self._key.sign(text.encode("utf-8")))

    def sign_note(self, text: str) -> str:
        """The signed note: text, blank line, signature line."""
        return text + "\n" + self.sign(text).line()


class Cosigner(Signer):
    """A witness's timestamped Ed25519 cosigner (type 0x04)."""

    sig_type = COSIGNATURE

    def cosign(self, text: str, timestamp: int) -> NoteSignature:
        check_text(text)
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise NoteError("a cosignature timestamp lies between 0 and 2^63-1")
        stamp = struct.pack(">Q", timestamp)
        return NoteSignature(
            self.name, self.key_id, stamp + self._key.sign(cosigned_message(text, timestamp))
        )


def check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_characters(text)


def _check_characters(text: str) -> None:
    for c in text:
        if c < " " and c != "\n":
            raise NoteError(f"note contains the control character U+{ord(c):04X}")


def parse_signature_line(line: str) -> NoteSignature:
    """``— <name> <base64(key ID ‖ signature)>`` (with or without the final newline)."""
    line = line.removesuffix("\n")
    if not line.startswith(DASH):
        raise NoteError("a signature line starts with an em dash (U+2014) and a space")
    fields = line[len(DASH) :].split(" ")
    if len(fields) != 2:
        raise NoteError("a signature line is '— <key name> <base64 signature>'")
    name, b64 = fields
    check_key_name(name)
    raw = b64decode(b64, f"signature by {name}")
    if len(raw) < 5:
        raise NoteError(f"signature by {name} is too short to hold a key id")
    return NoteSignature(name, raw[:4], raw[4:])


def parse_note(note: str | bytes) -> ParsedNote:
    """Split a signed note into its text and signature lines, checking the format strictly."""
    if isinstance(note, bytes):
        if len(note) > MAX_NOTE_BYTES:
            raise NoteError(f"note is larger than {MAX_NOTE_BYTES} bytes")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("note is not valid UTF-8") from exc
    if len(note) > MAX_NOTE_BYTES:
        raise NoteError(f"note is larger than {MAX_NOTE_BYTES} bytes")
    _check_characters(note)
    if not note.endswith("\n"):
        raise NoteError("note must end with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("note has no blank line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise NoteError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return ParsedNote(text, tuple(parse_signature_line(line) for line in lines))


@dataclass(frozen=True)
class Opened:
    """A note whose signatures were checked: the text, and every known key that signed it (with the
    cosignature timestamp, None for plain signatures)."""

    text: str
    signed_by: tuple[tuple[Verifier, int | None], ...]

    def signed(self, verifier: Verifier) -> bool:
        return any(v == verifier for v, _ in self.signed_by)


def open_note(note: str | bytes | ParsedNote, verifiers: Sequence[Verifier]) -> Opened:
    """Verify every signature from a known key (name *and* key ID match); ignore unknown keys; reject the
    note if a known key's signature fails or if no known key signed it."""
    parsed = note if isinstance(note, ParsedNote) else parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    good: list[tuple[Verifier, int | None]] = []
    for sig in parsed.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        good.append((verifier, verifier.verify(parsed.text, sig.signature)))
    if not good:
        names = ", ".join(sorted({v.name for v in verifiers})) or "none"
        raise NoteError(f"no signature from a known key (known: {names})")
    return Opened(parsed.text, tuple(good))


def signature_lines(signatures: Iterable[NoteSignature]) -> str:
    return "".join(s.line() for s in signatures)
