"""Configuration read on every request, held in each process until it changes.

A ``Held`` value is loaded once per process and reused while the stored revision token of its name
(``kit.models.Revision``) is the one it was loaded under; every change to the rows it is made of calls
``bump`` in the transaction of the change (signal handlers do it for saves and deletes), which writes a
new random token. A token rather than a counter, so that a change rolled back and another made after it
can never be mistaken for the state already held. Checking costs one primary-key read.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from onegrid.kit.models import Revision

T = TypeVar("T")


def stored_token(name: str) -> str:
    table = Revision._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {table} WHERE name = %s", [name])  # noqa: S608  (the model's table)
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def bump(name: str) -> None:
    """Mark ``name`` changed for every process (call inside the transaction of the change)."""
    token = uuid.uuid4().hex
    if not Revision.objects.filter(name=name).update(token=token):
        Revision.objects.create(name=name, token=token)


_follow_areas: list[Callable[[], None]] = []


def follow_area_moves(stale: Callable[[], None]) -> None:
    """Call ``stale`` (in the transaction of the move) whenever area paths are rewritten."""
    _follow_areas.append(stale)


def areas_moved() -> None:
    """Area paths were rewritten (an area moved): everything held that keeps paths is stale."""
    for stale in _follow_areas:
        stale()


class Held(Generic[T]):
    """``load()``'s answer, reloaded when the revision ``name`` changed since it was loaded; bumped by
    every save and delete of ``models``, and by area moves when it keeps area paths (``paths``)."""

    def __init__(
        self, name: str, load: Callable[[], T], models: tuple[type[Model], ...], *, paths: bool = False
    ) -> None:
        self.name = name
        if paths:
            follow_area_moves(self.bump)
        self._load = load
        self._lock = threading.Lock()
        self._held: tuple[str, T] | None = None
        for model in models:
            uid = f"kit.revisions.{name}.{model._meta.label}"
            post_save.connect(self._bump, sender=model, dispatch_uid=f"{uid}.saved", weak=False)
            post_delete.connect(self._bump, sender=model, dispatch_uid=f"{uid}.deleted", weak=False)

    def _bump(self, **_: Any) -> None:
        self.bump()

    def bump(self) -> None:
        self._held = None
        bump(self.name)

    def current(self) -> T:
        token = stored_token(self.name)
        held = self._held
        if held is not None and held[0] == token:
            return held[1]
        with self._lock:
            if self._held is None or self._held[0] != token:
                self._held = (token, self._load())
            return self._held[1]
