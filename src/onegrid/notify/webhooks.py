"""Signed webhook requests, and how receivers check them.

Every delivery is an HTTP POST of a JSON body::

    {"id": "<event id>", "event": "matters.dispatched", "occurred_at": "2025-05-01T08:00:00+00:00",
     "area_path": "/330000/330100/330122/", "category": "road" | null, "payload": {...}}

with the headers

- ``X-OneGrid-Event``: the event name;
- ``X-OneGrid-Delivery``: the delivery's id, the same on every retry of it (deduplicate on it: delivery
  is at least once);
- ``X-OneGrid-Timestamp``: Unix seconds when this attempt was signed;
- ``X-OneGrid-Signature``: ``sha256=`` + hex HMAC-SHA256 keyed with the endpoint's secret (the whole
  ``whsec_...`` text as UTF-8) over ``timestamp + "." + raw body``.

A receiver recomputes the HMAC over the raw bytes it received (before parsing the JSON), compares it in
constant time, and refuses timestamps older than a few minutes so that a captured request cannot be
replayed later. ``verify`` below does exactly that and may be copied into a receiver: it needs only the
standard library. Any 2xx answer counts as received; anything else, a redirect included, is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format tag, not a secret
USER_AGENT = "OneGrid-Webhooks/1"
READ_LIMIT = 4096


class SendError(Exception):
    """The receiver did not take the request; the message says why without echoing its answer."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def masked(secret: str) -> str:
    """What is shown of a secret after it was handed out once: only that one is set."""
    return SECRET_PREFIX + "…" if secret else ""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes | str,
    signature_header: str,
    tolerance: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """Whether a received request is authentic: the signature matches ``timestamp + "." + body`` under
    ``secret``, and the timestamp lies within ``tolerance`` seconds of now (either way)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = signature(secret, timestamp, raw)
    return hmac.compare_digest(expected.encode(), signature_header.strip().encode())


def body_of(*, uid: str, event: str, occurred_at: str, area_path: str, category: str, payload: Any) -> bytes:
    document = {
        "id": uid,
        "event": event,
        "occurred_at": occurred_at,
        "area_path": area_path,
        "category": category or None,
        "payload": payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def headers_for(
    *, secret: str, event: str, delivery_id: int, body: bytes, now: float | None = None
) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-OneGrid-Event": event,
        "X-OneGrid-Delivery": str(delivery_id),
        "X-OneGrid-Timestamp": timestamp,
        "X-OneGrid-Signature": signature(secret, timestamp, body),
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: a POST is never re-sent somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxy from the environment and no redirects: the request goes where the endpoint says, or fails.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST ``body`` to ``url``; the HTTP status if it is 2xx, ``SendError`` otherwise."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise SendError("only http and https URLs are called")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked above
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(READ_LIMIT)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise SendError(f"HTTP {exc.code} {exc.reason}".strip()) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise SendError(f"no answer within {timeout:g} s") from None
        raise SendError(f"cannot connect: {reason}") from None
    except TimeoutError:
        raise SendError(f"no answer within {timeout:g} s") from None
    except OSError as exc:
        raise SendError(f"connection failed: {exc.__class__.__name__}") from None
