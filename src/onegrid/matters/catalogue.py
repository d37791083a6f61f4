"""The intake's configuration held in each process: categories, routing rules and deadline policies.

Intake reads the same few dozen rows for every matter. They are loaded once per process and reused
until they change: every save or delete of a category, routing rule, deadline policy or organisation
writes a new random token into ``CatalogueRevision`` (in the transaction of the change), and each use
compares the process's token with the stored one — one primary-key read instead of four to six queries.
A token rather than a counter, so that a change rolled back and another made after it can never be
mistaken for the state already cached. Changes made around the ORM (``QuerySet.update``, raw SQL) must
call ``bump()`` themselves.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save

from onegrid.access.models import Organisation
from onegrid.kit import revisions
from onegrid.matters.models import CatalogueRevision, Category, DeadlinePolicy, RoutingRule


@dataclass(frozen=True, slots=True)
class Catalogue:
    token: str
    categories: dict[str, Category]  # active categories by code, each with its parent loaded
    groups: frozenset[int]  # ids of categories that have active children (not a leaf: not fileable)
    policies: tuple[DeadlinePolicy, ...]
    rules: tuple[RoutingRule, ...]  # active rules with their organisation loaded


_lock = threading.Lock()
_current: Catalogue | None = None
_pinned: contextvars.ContextVar[Catalogue | None] = contextvars.ContextVar("catalogue_pinned", default=None)


def _stored_token() -> str:
    table = CatalogueRevision._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {table} WHERE id = 1")  # noqa: S608  (table name from the model)
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def _load(token: str) -> Catalogue:
    categories = {c.code: c for c in Category.objects.select_related("parent").filter(is_active=True)}
    groups = frozenset(c.parent_id for c in categories.values() if c.parent_id is not None)
    policies = tuple(DeadlinePolicy.objects.all())
    rules = tuple(RoutingRule.objects.filter(is_active=True).select_related("organisation"))
    return Catalogue(token, categories, groups, policies, rules)


def current() -> Catalogue:
    """The configuration as stored now (reloaded when it changed since this process last looked)."""
    global _current
    held = _pinned.get()
    if held is not None:
        return held
    token = _stored_token()
    cached = _current
    if cached is not None and cached.token == token:
        return cached
    with _lock:
        if _current is None or _current.token != token:
            _current = _load(token)
        return _current


@contextmanager
def pinned(known: Catalogue) -> Iterator[Catalogue]:
    """Within the block, ``current()`` answers ``known`` without asking the database again: intake
    checks the token once per request (or per batch) and routing and deadlines reuse what it read."""
    reset = _pinned.set(known)
    try:
        yield known
    finally:
        _pinned.reset(reset)


def bump(**_: Any) -> None:
    """Mark the configuration changed for every process (call inside the transaction of the change)."""
    global _current
    _current = None
    if not CatalogueRevision.objects.filter(id=1).update(token=uuid.uuid4().hex):
        CatalogueRevision.objects.create(id=1, token=uuid.uuid4().hex)


revisions.follow_area_moves(bump)  # routing rules keep their area's path
for _model in (Category, RoutingRule, DeadlinePolicy, Organisation):
    post_save.connect(bump, sender=_model, dispatch_uid=f"matters.catalogue.{_model.__name__}.saved")
    post_delete.connect(bump, sender=_model, dispatch_uid=f"matters.catalogue.{_model.__name__}.deleted")
