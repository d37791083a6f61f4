"""Paginate a queryset first, then serialise only the page (ninja's paginators slice what we return).

Counts stop at ``COUNT_LIMIT``: counting every matter in a province's scope reads every one of them
(tens of millions), to print a number nobody pages through. Past the limit ``count`` is the limit and
``count_exact`` is false, as search engines answer "more than 10,000"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

T = TypeVar("T")
MAX_OFFSET = 2**31 - 1
COUNT_LIMIT = 10_000


class SerialisedPage(Generic[T]):
    """A page of ``queryset`` serialised item by item. ``counted``: the same rows as a queryset that is
    cheaper to count (e.g. only the primary keys of a listing that selects joined columns)."""

    def __init__(
        self, queryset: Any, serialise: Callable[[T], dict[str, Any]], *, counted: Any = None
    ) -> None:
        self.queryset = queryset
        self.serialise = serialise
        self.counted = queryset if counted is None else counted

    def __len__(self) -> int:
        return int(self.counted.count())

    def count(self) -> int:
        return len(self)

    def count_upto(self, limit: int) -> int:
        """The count when it is at most ``limit``, else ``limit + 1`` (reads at most that many rows)."""
        return int(self.counted.order_by()[: limit + 1].count())

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return [self.serialise(item) for item in self.queryset[key]]


class LimitOffset(LimitOffsetPagination):
    """ninja's limit/offset pagination with both ends bounded: ``limit`` from 1 to
    ``NINJA_PAGINATION_MAX_LIMIT`` and an ``offset`` no database integer overflows on (422 beyond)."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        items: list[Any]
        count: int = Field(description=f"how many there are, up to {COUNT_LIMIT:,}")
        count_exact: bool = Field(
            description=f"false when there are more than {COUNT_LIMIT:,}: count stopped there"
        )

    def paginate_queryset(self, queryset: Any, pagination: Any, request: Any, **params: Any) -> Any:
        offset = pagination.offset
        limit: int = min(pagination.limit, self.max_limit)
        if hasattr(queryset, "count_upto"):  # a SerialisedPage or a page source of its kind
            counted = queryset.count_upto(COUNT_LIMIT)
        else:
            counted = min(self._items_count(queryset), COUNT_LIMIT + 1)
        return {
            self.items_attribute: queryset[offset : offset + limit],
            "count": min(counted, COUNT_LIMIT),
            "count_exact": counted <= COUNT_LIMIT,
        }
