"""Reports from the resident portal and the grid-worker app: the matter, the reporter's photo and a
tracking secret for following it without an account, all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from onegrid.matters import attachments, intake, tracking
from onegrid.matters.models import Matter


@dataclass(frozen=True, slots=True)
class Photo:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Submitted:
    matter: Matter
    created: bool
    secret: str  # shown once; empty when a repeated idempotency key returned an earlier matter


def submit(*, actor: Any, report: intake.Report, photo: Photo | None = None) -> Submitted:
    """Take in ``report`` with its photo. The photo is checked before anything is written; a repeated
    idempotency key from the same account returns the earlier matter and stores nothing new."""
    if photo is not None:
        attachments.check_image(photo.data)
    with transaction.atomic():
        matter, created = intake.receive(actor=actor, report=report)
        if not created:
            return Submitted(matter=matter, created=False, secret="")
        if photo is not None:
            attachments.add_at_intake(actor=actor, matter=matter, name=photo.name, data=photo.data)
        secret = tracking.issue(matter)
    return Submitted(matter=matter, created=True, secret=secret)
