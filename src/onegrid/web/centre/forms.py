"""The command centre's forms: the queue's filters and one form per action on a matter. Each form only
reads and checks its input; the domain services decide, and their errors are put back on the form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from onegrid.access.models import Organisation
from onegrid.areas import selectors as area_selectors
from onegrid.areas.levels import Level
from onegrid.areas.models import Area
from onegrid.kit import scope
from onegrid.kit.errors import DomainError
from onegrid.matters import catalogue, stats
from onegrid.matters.models import Channel
from onegrid.web.centre.labels import STATUS
from onegrid.web.widgets import LongSelect, checkboxes

TEXT_LIMIT = 100  # the queue's text search: a number prefix, or words of the title or address


def localised(name: str, name_en: str) -> str:
    """The English name on English pages when there is one; the Chinese name otherwise."""
    return name_en if name_en and (get_language() or "").startswith("en") else name


# The area choices of a scope by (net revision, subtrees, language): the same few hundred areas on every
# page of the queue, read again when the net changes (a process keeps the last few scopes it served).
_AREA_CHOICES: dict[tuple[int, tuple[str, ...], str], list[tuple[str, Any]]] = {}
_CATEGORY_CHOICES: dict[tuple[str, str], list[tuple[str, Any]]] = {}
AREA_CHOICES_KEPT = 64


def _area_choices(actor: Any) -> list[tuple[str, Any]]:
    paths = scope.paths_for(actor, "matters.view")
    key = (area_selectors.net_revision(), paths, get_language() or "")
    found = _AREA_CHOICES.get(key)
    if found is None:
        areas = (
            Area.objects.restrict(actor, "matters.view", paths=paths)
            .filter(level__in=[Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE])
            .order_by("path")
            .values_list("code", "name", "name_en", "level")[:500]
        )
        found = [("", _("Whole jurisdiction"))] + [
            (code, "— " * max(0, level - Level.COUNTY) + localised(name, name_en))
            for code, name, name_en, level in areas
        ]
        if len(_AREA_CHOICES) >= AREA_CHOICES_KEPT:
            _AREA_CHOICES.clear()
        _AREA_CHOICES[key] = found
    return found


def _category_choices() -> list[tuple[str, Any]]:
    """The active categories as the process holds them (catalogue: one token read when unchanged)."""
    known = catalogue.current()
    key = (known.token, get_language() or "")
    found = _CATEGORY_CHOICES.get(key)
    if found is None:
        categories = sorted(known.categories.values(), key=lambda c: (c.position, c.code))
        found = [("", _("All categories"))] + [
            (c.code, ("— " if c.parent_id else "") + localised(c.name, c.name_en)) for c in categories
        ]
        if len(_CATEGORY_CHOICES) >= AREA_CHOICES_KEPT:
            _CATEGORY_CHOICES.clear()
        _CATEGORY_CHOICES[key] = found
    return found


class QueueFilter(forms.Form):
    """What the queue shows: every field is optional and narrows the queue."""

    status = forms.MultipleChoiceField(
        label=_("Status"), required=False, choices=list(STATUS.items()), widget=forms.CheckboxSelectMultiple
    )
    due = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[("", _("Any")), ("overdue", _("Overdue")), ("warning", _("Due soon"))],
        widget=LongSelect,
    )
    category = forms.ChoiceField(label=_("Category"), required=False, widget=LongSelect)
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels")), *Channel.choices],
        widget=LongSelect,
    )
    area = forms.ChoiceField(label=_("Area"), required=False, widget=LongSelect)
    since = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Received to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, title or address")}),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("category", _category_choices())
        self._choices("area", _area_choices(actor))

    def status_boxes(self) -> SafeString:
        """The status boxes, drawn in Python (``widgets.checkboxes``)."""
        return checkboxes(self["status"])

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end of the period comes before its start."))
        return data


class ActionForm(forms.Form):
    """Base of the action forms: a domain error is shown on the field it names (or above the form)."""

    def show(self, error: DomainError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class StepForm(ActionForm):
    note = forms.CharField(
        label=_("Note for staff"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    public_note = forms.CharField(
        label=_("Note for the reporter"),
        required=False,
        max_length=1000,
        help_text=_("Leave empty for the standard wording."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RoutedStepForm(StepForm):
    """Dispatch and transfer: to which organisation, and why when overriding the routing rules."""

    organisation = forms.ChoiceField(label=_("Organisation"), required=False, widget=LongSelect)
    override_reason = forms.CharField(
        label=_("Reason to override the routing rules"), required=False, max_length=500
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {o.code: o for o in organisations}
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("As the routing rules say"))] + [
            (o.code, localised(o.name, o.name_en)) for o in organisations
        ]

    def clean_organisation(self) -> Organisation | None:
        code = self.cleaned_data.get("organisation") or ""
        return self.organisations.get(code)


class SuperviseForm(ActionForm):
    instruction = forms.CharField(
        label=_("Instruction"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    working_days = forms.IntegerField(
        label=_("Reply due in working days"), min_value=1, max_value=60, initial=3
    )
    listed = forms.BooleanField(label=_("Listed supervision (major matter)"), required=False)


class ExtensionRequestForm(ActionForm):
    working_days = forms.IntegerField(label=_("Extra working days"), min_value=1, max_value=30, initial=3)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(ActionForm):
    grant = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Grant")), ("no", _("Refuse"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class MergeForm(ActionForm):
    into = forms.CharField(
        label=_("Number of the matter to merge into"),
        max_length=32,
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", _("Enter a matter number."))],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class ReplyForm(ActionForm):
    reply = forms.CharField(label=_("Reply"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


def period(value: dt.date | None, *, end: bool = False) -> dt.datetime | None:
    """The start of a day in the display time zone (the next day's start for the end of a period)."""
    if value is None:
        return None
    day = value + dt.timedelta(days=1) if end else value
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


PERIODS = {7: _("Last 7 days"), 30: _("Last 30 days"), 365: _("Last 365 days")}


class DashboardPeriod(forms.Form):
    """The dashboard's period: one of the quick choices (the last 7, 30 or 365 days up to today) or
    from ``since`` to ``until`` (whole days, both included; a missing end is today, a missing start
    is 30 days before the end)."""

    days = forms.TypedChoiceField(
        label=_("Period"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(str(days), label) for days, label in PERIODS.items()],
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if self.errors or (since is None and until is None):
            return data
        until = until or timezone.localdate()
        since = since or until - dt.timedelta(days=29)
        if until < since:
            self.add_error("until", _("The end of the period comes before its start."))
        elif (until - since).days >= stats.MAX_DAYS:
            self.add_error("since", _("Choose a period of at most ten years."))
        data["since"], data["until"] = since, until
        return data
