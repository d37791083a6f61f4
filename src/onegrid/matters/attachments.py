"""Photos and files on a matter: type checked from the bytes (not the name), size limited, stored
through Django's storage API under a generated name; the original name is kept for display only."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from onegrid.audit import services as audit
from onegrid.kit import scope
from onegrid.kit.errors import Forbidden, Invalid, TooLarge
from onegrid.matters.models import Attachment, Event, Matter
from onegrid.matters.steps import member_of

SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
MAX_FILES_PER_MATTER = 20


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def display_name(name: str) -> str:
    """The file name without any directory part, control characters or leading dots."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:200] or "file"


def check(data: bytes) -> tuple[str, str]:
    """(content type, extension) of an acceptable file; Invalid or TooLarge naming ``file`` otherwise.
    Callers that take a file together with other input check it first, so nothing is written."""
    limit: int = getattr(settings, "MATTERS_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
    if len(data) > limit:
        raise TooLarge(f"the file has {len(data)} bytes; the limit is {limit}", field="file")
    if not data:
        raise Invalid("the file is empty", field="file")
    kind = sniff(data[:16])
    if kind is None:
        raise Invalid("only JPEG, PNG, GIF, WebP images and PDF documents are accepted", field="file")
    return kind


def check_image(data: bytes) -> tuple[str, str]:
    """As ``check``, for a photo: PDF documents are refused as well."""
    try:
        content_type, ext = check(data)
    except (Invalid, TooLarge) as exc:
        exc.field = "photo"
        raise
    if not content_type.startswith("image/"):
        raise Invalid("the photo must be a JPEG, PNG, GIF or WebP image", field="photo")
    return content_type, ext


def add(*, actor: Any, matter: Matter, name: str, data: bytes, event: Event | None = None) -> Attachment:
    """Add a file for someone working on the matter or for its reporter; ``event`` ties it to the
    timeline step it documents (a photo taken when verifying on site)."""
    if not (
        scope.covers(actor, "matters.view", matter.area_path)
        or member_of(actor, matter.owner_id)
        or (matter.reporter_id is not None and matter.reporter_id == getattr(actor, "pk", None))
    ):
        raise Forbidden("only people working on the matter, or its reporter, add files")
    return _store(actor=actor, matter=matter, name=name, data=data, event=event)


def add_at_intake(*, actor: Any, matter: Matter, name: str, data: bytes) -> Attachment:
    """The reporter's own photo sent with the report, signed in or not. Only for the matter the same
    request has just taken in (``reports.submit`` calls it inside the intake's transaction)."""
    return _store(actor=actor, matter=matter, name=name, data=data, event=None)


def _store(*, actor: Any, matter: Matter, name: str, data: bytes, event: Event | None) -> Attachment:
    content_type, ext = check(data)
    if matter.attachments.count() >= MAX_FILES_PER_MATTER:
        raise Invalid(f"a matter holds at most {MAX_FILES_PER_MATTER} files", field="file")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        row = Attachment(
            matter=matter,
            event=event,
            original_name=display_name(name),
            content_type=content_type,
            size=len(data),
            sha256=digest,
            uploaded_by=user,
        )
        row.file.save(f"{digest[:32]}{ext}", ContentFile(data), save=False)
        row.save()
        Event.objects.create(
            matter=matter,
            actor=user,
            actor_label=user.get_username() if user is not None else "public",
            action="attach",
            from_status=matter.status,
            to_status=matter.status,
            note=row.original_name,
            data={"attachment": row.pk, "sha256": digest},
        )
        audit.record(user, "matters.attach", row, area_path=matter.area_path)
    return row


def path_of(row: Attachment) -> str:
    return os.fspath(row.file.name or "")
