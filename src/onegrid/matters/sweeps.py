"""The deadline sweep run by ``onegrid worker``: a yellow warning and a red overdue mark per stage,
each emitted exactly once even with several workers sweeping at the same time, and escalation of
overdue matters where the deadline policy says so."""

from __future__ import annotations

import contextlib

from django.db import transaction
from django.utils import timezone

from onegrid.kit.errors import Conflict
from onegrid.matters import deadlines, notices
from onegrid.matters.lifecycle import Step
from onegrid.matters.models import SWEEP_OVERDUE, SWEEP_WARNING, SWEPT, Event, Matter
from onegrid.matters.steps import StepInput, take

BATCH = 500


def _claim(pk: int, column: str, stage: str) -> bool:
    """Mark ``column`` = ``stage`` only if it is not marked yet; the UPDATE's row count makes exactly one
    sweeper the winner, whatever runs concurrently."""
    return Matter.objects.filter(pk=pk, stage=stage).exclude(**{column: stage}).update(**{column: stage}) == 1


def sweep() -> int:
    """One pass; returns how many warnings and overdue marks it emitted. Its two work lists read the
    partial indexes ``matter_warning_due`` and ``matter_overdue_due``, which hold only the open
    matters whose mark for the running stage is still to be emitted: the cost follows the matters
    falling due, not the size of the table."""
    now = timezone.now()
    emitted = 0
    warn = (
        Matter.objects.filter(SWEEP_WARNING, status__in=SWEPT, warn_at__lte=now)
        .order_by("warn_at")
        .values_list("pk", "stage")[:BATCH]
    )
    for pk, stage in list(warn):
        with transaction.atomic():
            if _claim(pk, "warned_stage", stage):
                matter = Matter.objects.get(pk=pk)
                Event.objects.create(
                    matter=matter,
                    actor_label="system",
                    action="deadline_warning",
                    from_status=matter.status,
                    to_status=matter.status,
                    note=f"the {stage} deadline is near",
                    data={"stage": stage, "due_at": str(matter.due_at)},
                )
                notices.announce(matter, "warning", to="owner", note=f"the {stage} deadline is near")
                emitted += 1
    late = (
        Matter.objects.filter(SWEEP_OVERDUE, status__in=SWEPT, due_at__lt=now)
        .order_by("due_at")
        .values_list("pk", "stage")[:BATCH]
    )
    for pk, stage in list(late):
        with transaction.atomic():
            if not _claim(pk, "overdue_stage", stage):
                continue
            matter = Matter.objects.select_related("category").get(pk=pk)
            Event.objects.create(
                matter=matter,
                actor_label="system",
                action="overdue",
                from_status=matter.status,
                to_status=matter.status,
                note=f"the {stage} deadline has passed",
                data={"stage": stage, "due_at": str(matter.due_at)},
            )
            notices.announce(matter, "overdue", to="owner", note=f"the {stage} deadline has passed")
            emitted += 1
        policy = deadlines.policy_for(matter, stage)
        if policy is not None and policy.escalate_when_overdue:
            # no command centre above, or the matter moved on meanwhile: the overdue mark stands
            with contextlib.suppress(Conflict):
                take(
                    actor=None,
                    matter=matter,
                    step=Step.ESCALATE,
                    data=StepInput(note=f"escalated by policy: {stage} overdue"),
                )
    return emitted
