"""What a receiver checks: the signature over timestamp and raw body, and the timestamp's age."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from onegrid.notify import webhooks

SECRET = "whsec_test-secret"
BODY = b'{"event":"drill.overdue","id":"x"}'
NOW = 1_750_000_000


def signed(body: bytes = BODY, at: int = NOW, secret: str = SECRET) -> tuple[str, str]:
    headers = webhooks.headers_for(secret=secret, event="drill.overdue", delivery_id=7, body=body, now=at)
    return headers["X-OneGrid-Timestamp"], headers["X-OneGrid-Signature"]


def test_a_genuine_request_verifies() -> None:
    timestamp, signature = signed()
    assert webhooks.verify(SECRET, timestamp, BODY, signature, now=NOW + 10)
    assert webhooks.verify(SECRET, timestamp, BODY.decode(), signature, now=NOW - 10)


@pytest.mark.parametrize(
    ("secret", "body", "age"),
    [
        ("whsec_other", BODY, 0),
        (SECRET, BODY.replace(b"overdue", b"rated"), 0),
        (SECRET, BODY + b" ", 0),
        (SECRET, BODY, 301),
        (SECRET, BODY, -301),
    ],
)
def test_a_forged_altered_or_stale_request_does_not(secret: str, body: bytes, age: int) -> None:
    timestamp, signature = signed()
    assert not webhooks.verify(secret, timestamp, body, signature, now=NOW + age)


def test_the_signature_covers_the_timestamp() -> None:
    _, signature = signed()
    assert not webhooks.verify(SECRET, str(NOW + 1), BODY, signature, now=NOW)
    assert not webhooks.verify(SECRET, "soon", BODY, signature, now=NOW)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    timestamp, signature = signed()
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"


def test_a_longer_tolerance_accepts_older_requests() -> None:
    timestamp, signature = signed()
    assert webhooks.verify(SECRET, timestamp, BODY, signature, tolerance=3600, now=NOW + 3000)
