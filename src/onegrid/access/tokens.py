"""API tokens: ``og_<prefix>_<secret>``; only the prefix and a SHA-256 digest are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX_LENGTH = 10


@dataclass(frozen=True, slots=True)
class IssuedToken:
    prefix: str
    secret: str
    digest: str

    @property
    def text(self) -> str:
        return f"og_{self.prefix}_{self.secret}"


def issue() -> IssuedToken:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    return IssuedToken(prefix, secret, digest_of(prefix, secret))


def digest_of(prefix: str, secret: str) -> str:
    return hashlib.sha256(f"{prefix}.{secret}".encode()).hexdigest()


def split(text: str) -> tuple[str, str] | None:
    """The (prefix, secret) of a token string, or None if it is not shaped like one of ours."""
    parts = text.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "og" or len(parts[1]) != PREFIX_LENGTH or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(stored_digest: str, prefix: str, secret: str) -> bool:
    return hmac.compare_digest(stored_digest, digest_of(prefix, secret))
