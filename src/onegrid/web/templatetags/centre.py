"""Template filters of the command centre: names in the page's language and labels of statuses,
timeline entries and plain notes."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from onegrid.web.centre import labels

register = template.Library()


@register.filter
def named(obj: Any) -> str:
    """An object's English name on English pages when it has one, its Chinese name otherwise."""
    if obj is None:
        return ""
    name_en = getattr(obj, "name_en", "")
    if name_en and (get_language() or "").startswith("en"):
        return str(name_en)
    return str(getattr(obj, "name", obj))


@register.filter
def status_label(value: str) -> str:
    return str(labels.STATUS.get(value, value))


@register.filter
def action_label(value: str) -> str:
    return str(labels.ACTION.get(value, value.replace("_", " ")))


@register.filter
def public_text(value: str) -> str:
    return labels.public(value)


@register.filter
def percent(value: float | None) -> str:
    """A rate (0–1) as a percentage with one decimal; a dash when there is nothing to divide."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def hours(value: float | None) -> str:
    """Hours with one decimal; a dash when nothing was closed."""
    return "—" if value is None else f"{value:.1f}"


@register.filter
def get_rate(row: dict[str, Any], rate: str) -> Any:
    """``row[rate]`` (a rate named by a variable, as in the rankings)."""
    return row.get(rate)
