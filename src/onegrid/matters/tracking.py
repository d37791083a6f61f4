"""Following a matter without an account: the tracking number plus a short secret shown once at
intake. Failed lookups are counted per number and per address, so guessing numbers gets nowhere."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from onegrid.kit.errors import DomainError, NotFound
from onegrid.kit.fields import blind_index
from onegrid.matters.models import FollowFailure, Matter, TrackingCode

# No 0/O, 1/I/L: the secret is read off a screen and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
PURPOSE = "matters.tracking"


class Throttled(DomainError):
    """Too many failed lookups recently (429)."""

    status = 429
    code = "throttled"


@dataclass(frozen=True, slots=True)
class PublicStep:
    at: dt.datetime
    status: str
    text: str


def normalise(secret: str) -> str:
    return "".join(ch for ch in (secret or "").upper() if ch.isalnum())


def display(secret: str) -> str:
    """``ABCD2345`` as ``ABCD-2345``, easier to copy by hand."""
    plain = normalise(secret)
    return f"{plain[:4]}-{plain[4:]}" if len(plain) == LENGTH else plain


def issue(matter: Matter) -> str:
    """A new secret for ``matter`` (call inside the intake's transaction); only its keyed hash is kept."""
    secret = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    TrackingCode.objects.create(matter=matter, digest=blind_index(secret, purpose=PURPOSE))
    return secret


def _limits() -> tuple[dt.timedelta, int, int]:
    window = dt.timedelta(seconds=getattr(settings, "MATTERS_FOLLOW_FAILURE_WINDOW_SECONDS", 3600))
    return (
        window,
        getattr(settings, "MATTERS_FOLLOW_FAILURES_PER_NUMBER", 5),
        getattr(settings, "MATTERS_FOLLOW_FAILURES_PER_ADDRESS", 20),
    )


def follow(*, number: str, secret: str, ip: str | None) -> Matter:
    """The matter with ``number`` if ``secret`` is its tracking secret. A wrong pair is NotFound,
    whether the number exists or not; after too many recent failures for the number or from the
    address every lookup is Throttled, right or wrong. The failure is written in its own transaction
    (the caller must not roll it back)."""
    number = (number or "").strip()[:32]
    window, per_number, per_address = _limits()
    recent = FollowFailure.objects.filter(at__gte=timezone.now() - window)
    if recent.filter(number=number).count() >= per_number or (
        ip is not None and recent.filter(ip=ip).count() >= per_address
    ):
        raise Throttled("too many failed lookups; try again later")
    row = TrackingCode.objects.select_related("matter").filter(matter__number=number).first()
    given = normalise(secret)
    digest = blind_index(given, purpose=PURPOSE) if given else ""
    if row is None or not digest or not hmac.compare_digest(row.digest, digest):
        FollowFailure.objects.create(number=number, ip=ip)
        raise NotFound("no report matches this number and code")
    return row.matter


def purge_failures() -> int:
    """Forget failed lookups older than the window (a worker sweep)."""
    window, _, _ = _limits()
    deleted, _ = FollowFailure.objects.filter(at__lt=timezone.now() - window).delete()
    return deleted


def timeline(matter: Matter) -> list[PublicStep]:
    """The plain-language timeline the reporter sees: each event's public note, oldest first."""
    return [
        PublicStep(at=e.at, status=e.to_status, text=e.public_note)
        for e in matter.events.exclude(public_note="").order_by("at", "id")
    ]
