"""Personal data at rest (个人信息加密存储): encrypted tokens, blind indexes and display masks.

`PiiCipher` encrypts identifiers such as ID numbers and phone numbers with AES-256-GCM into tokens
that fit a text column::

    v1.<kid>.<base64url(nonce ‖ ciphertext ‖ tag)>        (base64url without padding)

- ``kid`` names the key in the key ring that encrypted the token, so keys can be rotated: new
  tokens use the current key, old tokens stay readable while their key stays in the ring.
- The nonce is 96 random bits per encryption. Under one key, keep below 2**32 encryptions (NIST
  SP 800-38D's bound for random nonces); rotate the current key long before.
- The token version, the kid and the caller's ``context`` (e.g. ``"access.User.phone"``) are bound
  as associated data: a token copied to another column, or relabelled with another kid, fails to
  decrypt.

`PiiCipher.blind_index` gives a keyed hash for exact-match search over encrypted values, and the
``mask_*`` functions hide most of an identifier for display.

This module knows nothing of Django: the caller passes the keys (settings' ``PII_KEYS`` and
``PII_CURRENT_KEY``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Mapping
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_VERSION: Final = "v1"  # noqa: S105 - a format tag, not a secret
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
BLIND_INDEX_INFO: Final = b"onegrid blind index"
BLIND_INDEX_HEX_CHARS: Final = 32

_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_PURPOSE = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_AAD_PREFIX: Final = b"onegrid pii " + TOKEN_VERSION.encode() + b"\x00"


class PiiError(Exception):
    """A token that cannot be read. The message never contains plaintext or key material."""


class MalformedTokenError(PiiError):
    """The text is not a well-formed ``v1.<kid>.<payload>`` token."""


class UnknownKeyError(PiiError):
    """The token names a key that is not in the key ring."""


class AuthenticationError(PiiError):
    """The token was altered, or it belongs to another context."""


class PiiCipher:
    """AES-256-GCM encryption of personal identifiers under a ring of named keys.

    `keys` maps key ids (1–32 characters from ``A-Z a-z 0-9 _ -``) to 32-byte keys; `current` names
    the key new tokens are encrypted with. Invalid configuration raises `ValueError`.

    Blind indexes are keyed by a key derived (HKDF-SHA256, info ``b"onegrid blind index"``) from the
    key listed **last** in `keys`, or from `index_key_id` when given. Settings list keys newest
    first, so the last is the oldest and stays put when a new current key is added in front:
    rotating the encryption key leaves every index unchanged. Removing that key, or reordering the
    ring, changes every index; keep it in the ring for as long as indexes exist (it may be a key
    that encrypts nothing).
    """

    def __init__(self, keys: Mapping[str, bytes], current: str, *, index_key_id: str | None = None) -> None:
        if not keys:
            raise ValueError("the key ring is empty")
        for kid, key in keys.items():
            if not isinstance(kid, str) or not _KID.fullmatch(kid):
                raise ValueError(f"key id {kid!r} must be 1-32 characters from A-Z a-z 0-9 _ -")
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                size = len(key) if isinstance(key, bytes) else type(key).__name__
                raise ValueError(f"key {kid!r} must be {KEY_BYTES} bytes, not {size}")
        if current not in keys:
            raise ValueError(f"the current key {current!r} is not in the key ring")
        index_kid = list(keys)[-1] if index_key_id is None else index_key_id
        if index_kid not in keys:
            raise ValueError(f"the blind-index key {index_kid!r} is not in the key ring")
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self._current = current
        self._index_key_id = index_kid
        self._index_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=BLIND_INDEX_INFO).derive(
            keys[index_kid]
        )

    def __repr__(self) -> str:
        return f"PiiCipher(keys={list(self._ciphers)!r}, current={self._current!r})"

    @property
    def current_key_id(self) -> str:
        """The id of the key new tokens are encrypted with."""
        return self._current

    @property
    def index_key_id(self) -> str:
        """The id of the key blind indexes are derived from."""
        return self._index_key_id

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """A new token for `plaintext` under the current key, bound to `context`.

        Every call draws a fresh nonce, so equal plaintexts give different tokens (use
        `blind_index` to search). `context` names where the token will live, e.g.
        ``"access.User.phone"``; the same context must be passed to `decrypt`.
        """
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._current].encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(self._current, context)
        )
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{TOKEN_VERSION}.{self._current}.{payload}"

    def decrypt(self, token: str, *, context: str) -> str:
        """The plaintext of `token`, or `PiiError`.

        Raises `MalformedTokenError` if `token` is not a canonical v1 token, `UnknownKeyError` if its
        key is not in the ring, and `AuthenticationError` if it was altered in any way or was
        encrypted for another `context`.
        """
        kid, blob = _parse(token)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnknownKeyError(f"token was encrypted with key {kid!r}, which is not in the key ring")
        try:
            plaintext = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _associated_data(kid, context))
        except InvalidTag:
            raise AuthenticationError(
                f"token did not authenticate: it was altered, or it does not belong to context {context!r}"
            ) from None
        return plaintext.decode("utf-8")

    def key_id(self, token: str) -> str:
        """The id of the key that encrypted `token` (not checked against the ring, nothing decrypted).

        Raises `MalformedTokenError` if `token` is not a well-formed v1 token.
        """
        return _parse(token)[0]

    def needs_rotation(self, token: str) -> bool:
        """Whether `token` was encrypted with a key other than the current one."""
        return self.key_id(token) != self._current

    def rotate(self, token: str, *, context: str) -> str:
        """`token` re-encrypted under the current key; `token` itself if it already uses it.

        The token is authenticated either way, so this raises what `decrypt` raises.
        """
        plaintext = self.decrypt(token, context=context)
        if not self.needs_rotation(token):
            return token
        return self.encrypt(plaintext, context=context)

    def blind_index(self, value: str, *, purpose: str) -> str:
        """A 32-hex-character keyed hash of `value` for exact-match lookups.

        `value` is normalised with NFKC and stripped of surrounding whitespace, nothing more: the
        caller normalises further (e.g. upper-case ID numbers, digits-only phone numbers) before
        indexing and before searching. `purpose` (1–100 characters from ``A-Z a-z 0-9 _ . : -``,
        e.g. ``"resident_id"``) separates indexes, so equal values in two columns get unrelated
        indexes. Deterministic: equal inputs under the same index key give equal outputs.
        """
        if not _PURPOSE.fullmatch(purpose):
            raise ValueError(f"purpose {purpose!r} must be 1-100 characters from A-Z a-z 0-9 _ . : -")
        normalised = unicodedata.normalize("NFKC", value).strip()
        message = len(purpose).to_bytes(1, "big") + purpose.encode("ascii") + normalised.encode("utf-8")
        digest = hmac.new(self._index_key, message, hashlib.sha256).hexdigest()
        return digest[:BLIND_INDEX_HEX_CHARS]


def _associated_data(kid: str, context: str) -> bytes:
    return _AAD_PREFIX + kid.encode("ascii") + b"\x00" + context.encode("utf-8")


def _parse(token: str) -> tuple[str, bytes]:
    """The kid and the decoded ``nonce ‖ ciphertext ‖ tag`` of a canonical v1 token."""
    if not isinstance(token, str):
        raise MalformedTokenError(f"a token is text, not {type(token).__name__}")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedTokenError("a token has three dot-separated parts: version, key id, payload")
    version, kid, payload = parts
    if version != TOKEN_VERSION:
        raise MalformedTokenError(f"unsupported token version {version[:8]!r}; expected {TOKEN_VERSION!r}")
    if not _KID.fullmatch(kid):
        raise MalformedTokenError("the key id part of the token is malformed")
    if not _BASE64URL.fullmatch(payload):
        raise MalformedTokenError("the payload is not unpadded base64url")
    try:
        blob = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        raise MalformedTokenError("the payload is not unpadded base64url") from None
    # Reject non-canonical encodings (spare low bits set in the last character), so that every
    # change to the text of a token is detected, not only changes to the bytes it decodes to.
    if base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii") != payload:
        raise MalformedTokenError("the payload is not canonical base64url")
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise MalformedTokenError("the payload is too short to hold a nonce and a tag")
    return kid, blob


# --- display masks --------------------------------------------------------------------------------
#
# Each mask strips surrounding whitespace, keeps the length and replaces hidden characters with "*".
# For input of the identifier's usual length the customary Chinese display applies (138****5678,
# 110101********4514); for anything shorter, at most half of the characters are shown.


def mask_generic(value: str) -> str:
    """Show the first and last quarter (rounded down) of `value`; all stars below 4 characters."""
    text = value.strip()
    keep = len(text) // 4
    if keep == 0:
        return "*" * len(text)
    return text[:keep] + "*" * (len(text) - 2 * keep) + text[-keep:]


def mask_phone(value: str) -> str:
    """``"13812345678"`` → ``"138****5678"``: first 3 and last 4 shown from 11 characters on."""
    text = value.strip()
    if len(text) < 11:
        return mask_generic(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_resident_id(value: str) -> str:
    """``"110101199003074514"`` → ``"110101********4514"``: first 6 and last 4 from 18 characters on."""
    text = value.strip()
    if len(text) < 18:
        return mask_generic(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_email(value: str) -> str:
    """``"zhangsan@example.com"`` → ``"z*******@example.com"``: the first character of the name and the
    domain shown; without an ``@``, as `mask_generic`."""
    text = value.strip()
    name, at, domain = text.rpartition("@")
    if not at or not name:
        return mask_generic(text)
    return name[0] + "*" * (len(name) - 1) + "@" + domain


def mask_name(value: str) -> str:
    """``"张三丰"`` → ``"张**"``: the first character shown, from 2 characters on."""
    text = value.strip()
    if len(text) < 2:
        return "*" * len(text)
    return text[0] + "*" * (len(text) - 1)
