"""Paginate a queryset first, then serialise only the page (ninja's paginators slice what we return)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

T = TypeVar("T")
MAX_OFFSET = 2**31 - 1


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


class LimitOffset(LimitOffsetPagination):
    """ninja's limit/offset pagination with both ends bounded: ``limit`` from 1 to
    ``NINJA_PAGINATION_MAX_LIMIT`` and an ``offset`` no database integer overflows on (422 beyond)."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
