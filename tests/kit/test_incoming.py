"""Request bodies: validated once, strictly, refusing unknown fields, whatever the nesting."""

from __future__ import annotations

from types import SimpleNamespace
from typing import ClassVar

import pytest
from pydantic import Field, ValidationError, field_validator

from onegrid.kit.incoming import Incoming


class Item(Incoming):
    seen: ClassVar[list[str]] = []

    title: str = Field(min_length=1)
    count: int = 0

    @field_validator("title")
    @classmethod
    def _note(cls, value: str) -> str:
        cls.seen.append(value)
        return value


class Batch(Incoming):
    items: list[Item]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    Item.seen.clear()


def test_a_nested_body_is_validated_once_per_item() -> None:
    batch = Batch.model_validate({"items": [{"title": "a"}, {"title": "b", "count": 2}]})
    assert [(i.title, i.count) for i in batch.items] == [("a", 0), ("b", 2)]
    assert Item.seen == ["a", "b"]


def test_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        Batch.model_validate({"items": [{"title": "a", "colour": "red"}]})
    assert caught.value.errors()[0]["loc"] == ("items", 0, "colour")
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


def test_values_are_not_coerced() -> None:
    with pytest.raises(ValidationError) as caught:
        Item.model_validate({"title": "a", "count": "2"})
    assert caught.value.errors()[0]["loc"] == ("count",)


def test_an_object_given_in_code_is_read_by_its_attributes() -> None:
    item = Item.model_validate(SimpleNamespace(title="from code", count=3))
    assert (item.title, item.count) == ("from code", 3)
