"""Markup drawn in Python (LongSelect, the status boxes, the queue's rows) is exactly what Django's
templates draw."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.template import Context, Template
from django.test.html import parse_html

from onegrid.web.widgets import LongSelect, checkboxes

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


class Boxes(forms.Form):
    status = forms.MultipleChoiceField(
        required=False,
        choices=[("received", "已受理"), ("a&b", "<b>x</b>"), ("", "空")],
        widget=forms.CheckboxSelectMultiple,
    )


BOXES = Template(
    '{% for box in form.status %}<label class="check">{{ box.tag }} {{ box.choice_label }}</label>{% endfor %}'
)


@pytest.mark.parametrize("data", [None, {}, {"status": ["received"]}, {"status": ["received", "a&b"]}])
@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_status_boxes_as_django_draws_them(data: Any, auto_id: Any) -> None:
    form = Boxes(data, auto_id=auto_id)
    form.is_valid()
    assert str(checkboxes(form["status"])) == BOXES.render(Context({"form": form}))


ROW = Template("""{% load i18n %}<tr id="m-{{ m.number }}" data-id="{{ m.pk }}" class="{% if fresh %}fresh {% endif %}{% if r.overdue %}overdue{% elif r.warning %}warning{% endif %}">
  <td><a href="{% url 'centre:matter' m.number %}">{{ m.number }}</a></td>
  <td class="title">{{ m.title }}</td>
  <td>{{ r.category }}</td>
  <td>{{ r.channel }}</td>
  <td>{{ r.area }}</td>
  <td><span class="status status-{{ m.status }}">{{ r.status }}</span></td>
  <td>{{ r.owner|default:"—" }}</td>
  <td class="time"><time datetime="{{ r.received_iso }}">{{ r.received }}</time></td>
  <td class="time">{% if r.due %}<time datetime="{{ r.due_iso }}">{{ r.due }}</time>{% if r.overdue %} <span class="flag late">{% translate "overdue" %}</span>{% elif r.warning %} <span class="flag soon">{% translate "due soon" %}</span>{% endif %}{% else %}—{% endif %}</td>
</tr>
""")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "flags",
    [
        {"overdue": False, "warning": False, "due": ""},
        {"overdue": True, "warning": False},
        {"overdue": False, "warning": True},
        {"overdue": False, "warning": False},
    ],
)
@pytest.mark.parametrize("fresh", [False, True])
def test_queue_row_as_the_template_drew_it(flags: dict[str, Any], fresh: bool) -> None:
    from onegrid.matters.models import Matter
    from onegrid.web.centre.queue import Row

    matter = Matter(pk=7, number="20260101-0007", title='<script>"x"</script> & 1', status="dispatched")
    values = {
        "category": "市容<环境>",
        "channel": "12345热线",
        "area": "城南 & 街道",
        "status": "已派遣",
        "owner": "",
        "received_iso": "2026-01-01T08:00:00+08:00",
        "received": "01-01 08:00",
        "due_iso": "2026-01-03T08:00:00+08:00",
        "due": "01-03 08:00",
    }
    row = Row(matter, **(values | flags))
    drawn = row.fresh_html() if fresh else row.html()
    assert str(drawn) == ROW.render(Context({"r": row, "m": matter, "fresh": fresh}))
