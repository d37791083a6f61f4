"""The resident's report form and the follow-up lookup."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from onegrid.matters.models import Category
from onegrid.web.widgets import LongSelect

PHOTO_ATTRS = {"accept": "image/*", "capture": "environment"}


def category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Leaf categories grouped under their parent, named in the current language."""
    english = (get_language() or "").startswith("en")
    groups: dict[int | None, list[tuple[str, str]]] = {}
    names: dict[int | None, str] = {}
    for c in Category.objects.filter(is_active=True).select_related("parent").order_by("position", "code"):
        if c.parent_id is None:
            names[c.pk] = (c.name_en or c.name) if english else c.name
            continue
        groups.setdefault(c.parent_id, []).append((c.code, (c.name_en or c.name) if english else c.name))
    return [(names.get(parent, ""), leaves) for parent, leaves in groups.items() if leaves]


class PhoneForm(forms.Form):
    """Labels without a trailing colon: they sit above their inputs on a phone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LocatedReportForm(PhoneForm):
    """What both the resident and the grid worker fill in: what, where, a photo."""

    category = forms.ChoiceField(label=_("Kind of problem"), widget=LongSelect)
    title = forms.CharField(label=_("What is the problem?"), max_length=200)
    description = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    address = forms.CharField(label=_("Address or landmark (optional)"), required=False, max_length=300)
    photo = forms.FileField(
        label=_("Photo"), required=False, widget=forms.ClearableFileInput(attrs=PHOTO_ATTRS)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("Choose…")), *category_choices()]
        for name in ("lon", "lat"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and (data.get("lon") is None or data.get("lat") is None):
            raise forms.ValidationError(
                _("Give the place: use your location or put a pin on the map."), code="location"
            )
        return data


class ReportForm(LocatedReportForm):
    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=100)
    phone = forms.CharField(
        label=_("Mobile number (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)


class FollowForm(PhoneForm):
    number = forms.CharField(label=_("Tracking number"), max_length=32)
    code = forms.CharField(
        label=_("Tracking code"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class RatingForm(PhoneForm):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the outcome?"),
        coerce=int,
        choices=[
            (5, _("5 — very satisfied")),
            (4, _("4 — satisfied")),
            (3, _("3 — neither")),
            (2, _("2 — dissatisfied")),
            (1, _("1 — very dissatisfied")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
