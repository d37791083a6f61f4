"""Paginate a queryset first, then serialise only the page (ninja's paginators slice what we return)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class SerialisedPage(Generic[T]):
    def __init__(self, queryset: Any, serialise: Callable[[T], dict[str, Any]]) -> None:
        self.queryset = queryset
        self.serialise = serialise

    def __len__(self) -> int:
        return int(self.queryset.count())

    def count(self) -> int:
        return len(self)

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return [self.serialise(item) for item in self.queryset[key]]
