"""kit.answers: a dictionary rendered as it is, and checked against its schema in the test suite."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import override_settings
from ninja import Schema

from onegrid.kit.answers import answer


class Entry(Schema):
    at: dt.datetime
    note: str | None


class Thing(Schema):
    number: str
    lon: float | None
    entries: list[Entry]


GOOD = {
    "number": "N-1",
    "lon": 119.5,
    "entries": [{"at": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC), "note": None}],
}


def test_renders_as_ninja_renders_the_validated_answer() -> None:
    drawn = answer(GOOD, Thing, 201)
    assert drawn.status_code == 201
    assert drawn["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(drawn.content) == {
        "number": "N-1",
        "lon": 119.5,
        "entries": [{"at": "2026-01-02T03:04:05.678Z", "note": None}],
    }


@pytest.mark.parametrize(
    "bad",
    [
        {k: v for k, v in GOOD.items() if k != "lon"},  # a field missing
        GOOD | {"lon": "119.5"},  # coerced by the schema: rendered differently
        GOOD | {"entries": [{"at": "not a time", "note": None}]},
    ],
)
def test_a_dictionary_that_drifts_from_its_schema_fails_when_checked(bad: dict[str, Any]) -> None:
    with override_settings(CHECK_ANSWERS=True), pytest.raises((AssertionError, ValueError)):
        answer(bad, Thing)
    with override_settings(CHECK_ANSWERS=False):
        assert answer(bad, Thing).status_code == 200  # unchecked in production: rendered as given
