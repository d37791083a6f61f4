"""The grid worker's forms: a report on behalf of a resident, a patrol check-in, an on-site check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onegrid.areas.models import Area
from onegrid.web.portal.forms import PHOTO_ATTRS, LocatedReportForm, PhoneForm
from onegrid.web.widgets import LongSelect


class FieldReportForm(LocatedReportForm):
    resident_name = forms.CharField(label=_("Resident's name (optional)"), required=False, max_length=100)
    resident_phone = forms.CharField(
        label=_("Resident's mobile number (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    idempotency_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)


class PatrolForm(PhoneForm):
    """A check-in for one of ``grids`` (the worker's own)."""

    grid = forms.ChoiceField(label=_("Grid"), widget=LongSelect)
    note = forms.CharField(
        label=_("What did you see? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"), required=False, widget=forms.ClearableFileInput(attrs=PHOTO_ATTRS)
    )

    def __init__(self, *args: Any, grids: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grid = self.fields["grid"]
        assert isinstance(grid, forms.ChoiceField)
        grid.choices = [(g.code, g.name) for g in grids]


class VerifyForm(PhoneForm):
    photo = forms.FileField(label=_("Photo of the site"), widget=forms.ClearableFileInput(attrs=PHOTO_ATTRS))
    note = forms.CharField(
        label=_("What you found (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
