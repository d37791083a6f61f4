"""The deadline sweep run by ``onegrid worker``: a yellow warning and a red overdue mark per stage,
each emitted exactly once even with several workers sweeping at the same time, and escalation of
overdue matters where the deadline policy says so.

A pass claims its marks in batches: one transaction selects up to ``BATCH`` matters falling due from a
partial work-list index, marks them, writes their timeline events and publishes their notices in bulk.
The claim is exact under concurrency: on PostgreSQL the rows are taken ``FOR UPDATE SKIP LOCKED`` (a
second sweeper takes the next matters, never the same ones, and the work-list condition is checked
again on the locked rows); on SQLite the transaction holds the write lock from its start (``BEGIN
IMMEDIATE``), so a second sweeper sees the first one's marks once it gets the lock."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from onegrid.kit.errors import Conflict
from onegrid.matters import catalogue, deadlines, notices
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import SWEEP_OVERDUE, SWEEP_WARNING, SWEPT, Event, Matter
from onegrid.matters.steps import StepInput, take

BATCH = 500
# What a notice and an event need; the rest of a matter (personal data among it) is not read.
FIELDS = ("number", "title", "status", "stage", "area_path", "due_at", "priority", "category", "owner")


@dataclass(frozen=True)
class Mark:
    column: str  # the matter's column remembering the stage this mark was emitted for
    pending: Q  # the work list (the partial index's condition)
    clock: str  # the moment the mark falls due
    reached: str  # the lookup comparing ``clock`` with now
    action: str  # the timeline event's action
    event: str  # the notice (matters.<event>)
    note: str


WARNING = Mark(
    "warned_stage",
    SWEEP_WARNING,
    "warn_at",
    "warn_at__lte",
    "deadline_warning",
    "warning",
    "the {} deadline is near",
)
OVERDUE = Mark(
    "overdue_stage", SWEEP_OVERDUE, "due_at", "due_at__lt", "overdue", "overdue", "the {} deadline has passed"
)


def sweep() -> int:
    """One pass; returns how many warnings and overdue marks it emitted. Its work lists read the
    partial indexes ``matter_warning_due`` and ``matter_overdue_due``, which hold only the open
    matters whose mark for the running stage is still to be emitted: the cost follows the matters
    falling due, not the size of the table."""
    now = timezone.now()
    warned = emit(WARNING, now)
    late = emit(OVERDUE, now)
    with catalogue.pinned(catalogue.current()):
        for matter in late:
            escalate_if_policy(matter)
    return len(warned) + len(late)


def emit(mark: Mark, now: dt.datetime) -> list[Matter]:
    """Claim and emit one batch of ``mark``; the matters it was emitted for (each exactly once)."""
    with transaction.atomic():
        due = list(
            Matter.objects.filter(mark.pending, status__in=SWEPT, **{mark.reached: now})
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("category", "owner")
            .only(*FIELDS, "category__code", "category__parent_id", "owner__code")
            .order_by(mark.clock)[:BATCH]
        )
        if not due:
            return []
        Matter.objects.filter(pk__in=[m.pk for m in due]).update(**{mark.column: F("stage")})
        Event.objects.bulk_create(
            Event(
                matter=m,
                actor_label="system",
                action=mark.action,
                from_status=m.status,
                to_status=m.status,
                note=mark.note.format(m.stage),
                data={"stage": m.stage, "due_at": str(m.due_at)},
            )
            for m in due
        )
        notices.announce_to_owners([(m, mark.note.format(m.stage)) for m in due], mark.event)
    return due


def escalate_if_policy(matter: Matter) -> None:
    """Escalate an overdue matter when its stage's deadline policy says so, as its own step."""
    policy = deadlines.policy_for(matter, matter.stage)
    if policy is None or not policy.escalate_when_overdue:
        return
    # no command centre above, or the matter moved on meanwhile: the overdue mark stands
    with contextlib.suppress(Conflict):
        take(
            actor=None,
            matter=matter,
            step=Step.ESCALATE,
            data=StepInput(note=f"escalated by policy: {matter.stage} overdue"),
        )
