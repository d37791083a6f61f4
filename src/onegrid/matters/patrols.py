"""Patrol check-ins (巡查打卡): a grid worker records that they patrolled one of their grids."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from onegrid.areas.models import Area
from onegrid.audit import services as audit
from onegrid.kit.errors import Forbidden, Invalid
from onegrid.matters import attachments, selectors, steps
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import Matter, Patrol
from onegrid.matters.reports import Photo

NOTE_LIMIT = 2000


def check_in(*, actor: Any, area: Area, note: str = "", photo: Photo | None = None) -> Patrol:
    """Record ``actor``'s patrol of ``area``, one of their grids (selectors.grids_of)."""
    if not any(grid.pk == area.pk for grid in selectors.grids_of(actor)):
        raise Forbidden("check in for one of your own grids")
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise Invalid(f"note is longer than {NOTE_LIMIT} characters", field="note")
    if "\x00" in note:
        raise Invalid("note contains a NUL character", field="note")
    kind = attachments.check_image(photo.data) if photo is not None else None
    with transaction.atomic():
        patrol = Patrol(worker=actor, area=area, area_path=area.path, note=note)
        if photo is not None and kind is not None:
            digest = hashlib.sha256(photo.data).hexdigest()
            patrol.photo.save(f"{digest[:32]}{kind[1]}", ContentFile(photo.data), save=False)
            patrol.photo_type, patrol.photo_sha256 = kind[0], digest
        patrol.save()
        audit.record(actor, "matters.patrol", patrol, area_path=area.path)
    return patrol


def recent(actor: Any, limit: int = 10) -> list[Patrol]:
    """The worker's own latest check-ins."""
    return list(Patrol.objects.filter(worker=actor).select_related("area")[:limit])


def verify_on_site(*, actor: Any, matter: Matter, photo: Photo | None, note: str = "") -> Matter:
    """核查: the grid worker checks a resolved matter on site and files a photo with the verify step.
    The caller fetched ``matter`` through selectors.get_for; the photo is required and checked
    before anything is written."""
    if photo is None:
        raise Invalid("take a photo of the site", field="photo")
    attachments.check_image(photo.data)
    with transaction.atomic():
        steps.take(actor=actor, matter=matter, step=Step.VERIFY, data=steps.StepInput(note=note))
        event = matter.events.filter(action=Step.VERIFY.value).order_by("-at", "-id").first()
        attachments.add(actor=actor, matter=matter, name=photo.name, data=photo.data, event=event)
    return matter
