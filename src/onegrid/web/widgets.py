"""Widgets for long choice lists.

Django draws each ``<option>`` of a select through the template engine (an include per option, some
twenty microseconds each); the command centre's category and area lists have hundreds of options on
every page. ``LongSelect`` writes the same markup in Python.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class LongSelect(forms.Select):
    """A single-choice select of flat choices, drawn without a template per option."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _, label in choices):  # option groups: Django's way
            return super().render(name, value, attrs, renderer)
        chosen = self.format_value(value)
        first = chosen[0] if chosen else None
        parts = []
        for key, label in choices:
            text = "" if key is None else str(key)
            shown = label.__html__() if hasattr(label, "__html__") else escape(str(label))
            parts.append(
                f'<option value="{escape(text)}"{" selected" if text == first else ""}>{shown}</option>'
            )
        options = mark_safe("".join(parts))  # noqa: S308 (every part escaped above)
        final = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), options)


def checkboxes(field: forms.BoundField, label_class: str = "check") -> SafeString:
    """A multiple-choice field's boxes, each ``<label class="check"><input type="checkbox" ...> text</label>``:
    the markup of ``{% for box in field %}<label class="check">{{ box.tag }} {{ box.choice_label }}</label>``
    without a template per box (the command centre's queue draws it on every page)."""
    value = field.value()
    chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v is not None}
    widget = field.field.widget
    assert isinstance(widget, forms.CheckboxSelectMultiple)
    base = field.auto_id
    name = escape(field.html_name)
    parts = []
    for i, (key, label) in enumerate(widget.choices):
        text = "" if key is None else str(key)
        box_id = f' id="{escape(base)}_{i}"' if base else ""
        checked = " checked" if text in chosen else ""
        shown = label.__html__() if hasattr(label, "__html__") else escape(str(label))
        parts.append(
            f'<label class="{escape(label_class)}"><input type="checkbox" name="{name}" value="{escape(text)}"'
            f"{box_id}{checked}> {shown}</label>"
        )
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)
