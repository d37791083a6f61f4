"""LongSelect draws exactly what Django's Select draws, without a template per option."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html

from onegrid.web.widgets import LongSelect

CHOICES: list[tuple[Any, Any]] = [
    ("", "All <categories>"),
    ("a&b", '— 井盖 "破损"'),
    ("c", "<script>alert(1)</script>"),
    (3, "three"),
]


def _flat(html: str) -> Any:
    """The markup as a tree, as assertHTMLEqual compares it (attribute order and spacing aside)."""
    return parse_html(html)


@pytest.mark.parametrize("value", ["", "a&b", "c", "3", 3, None, "not a choice"])
def test_same_markup_as_djangos_select(value: Any) -> None:
    attrs = {"id": "id_category", "aria-invalid": "true", "required": True}
    expected = forms.Select(choices=CHOICES).render("category", value, attrs)
    drawn = LongSelect(choices=CHOICES).render("category", value, attrs)
    assert _flat(drawn) == _flat(expected)
    assert "<script>" not in drawn
    assert drawn.count(" selected") == (0 if value == "not a choice" else 1)


def test_option_groups_are_left_to_django() -> None:
    grouped = [("Roads", [("pothole", "Pothole"), ("light", "Street light")]), ("", "Other")]
    assert _flat(LongSelect(choices=grouped).render("c", "light")) == _flat(
        forms.Select(choices=grouped).render("c", "light")
    )
