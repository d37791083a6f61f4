"""Domain errors shown on a form, in the reader's language, next to the field they concern."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from onegrid.kit.errors import DomainError, NotFound, TooLarge


def _field(exc: DomainError) -> str:
    """The field ``exc`` concerns; intake's "outside your jurisdiction" (NotFound) is about the place."""
    return exc.field or ("location" if isinstance(exc, NotFound) else "")


def message(exc: DomainError) -> str:
    field = _field(exc)
    if field in {"photo", "file"}:
        if isinstance(exc, TooLarge):
            limit = getattr(settings, "MATTERS_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
            return _("The photo is too large: at most %(size)s MB.") % {"size": f"{limit / 1024 / 1024:.4g}"}
        return _("The photo must be a JPEG, PNG, GIF or WebP image.")
    if field == "location":
        if isinstance(exc, NotFound):
            return _("This place lies outside your grids.")
        return _("This place lies outside every grid we serve. Choose a place within the net.")
    if field == "category":
        return _("Choose a kind of problem from the list.")
    if field == "reporter_phone":
        return _("This mobile number is not valid.")
    return exc.message


FIELDS = {"location": "lon", "file": "photo", "reporter_phone": "phone", "reporter_name": "name"}


def attach(form: forms.Form, exc: DomainError) -> None:
    """Put ``exc`` on the form field it names (or on the form as a whole)."""
    name = FIELDS.get(_field(exc), _field(exc))
    form.add_error(name if name in form.fields else None, message(exc))
