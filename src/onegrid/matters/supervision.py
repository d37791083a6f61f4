"""Supervision (督办), extensions (延期), assistance (协办) and merging: actions beside the lifecycle."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from onegrid.access.models import Organisation
from onegrid.audit import registry as audit_registry
from onegrid.audit import services as audit
from onegrid.kit import scope
from onegrid.kit.calendars import calendar_for
from onegrid.kit.errors import Conflict, Forbidden, Invalid
from onegrid.matters import notices, rollup
from onegrid.matters.lifecycle import OPEN, Status
from onegrid.matters.models import Assist, Event, ExtensionRequest, Matter, SupervisionOrder
from onegrid.matters.steps import member_of


def _need(actor: Any, permission: str, matter: Matter) -> None:
    if not scope.covers(actor, permission, matter.area_path):
        raise Forbidden(f"this needs the permission {permission} over the matter's area")


def _event(matter: Matter, actor: Any, action: str, note: str, public_note: str = "", **data: Any) -> None:
    Event.objects.create(
        matter=matter,
        actor=actor,
        actor_label=actor.get_username() if actor else "system",
        action=action,
        from_status=matter.status,
        to_status=matter.status,
        note=note,
        public_note=public_note,
        data=data,
    )


def supervise(
    *, actor: Any, matter: Matter, instruction: str, working_days: int, listed: bool = False
) -> SupervisionOrder:
    """A leader's supervision order with its own deadline; listed (挂牌) orders mark major matters."""
    _need(actor, "matters.supervise", matter)
    instruction = instruction.strip()
    if not instruction:
        raise Invalid("write the instruction", field="instruction")
    if not 1 <= working_days <= 60:
        raise Invalid("the reply is due in 1 to 60 working days", field="working_days")
    if Status(matter.status) not in OPEN:
        raise Conflict("only open matters are supervised")
    due = calendar_for("cn").add(timezone.now(), working_days=working_days).at
    with transaction.atomic():
        order = SupervisionOrder.objects.create(
            matter=matter, issued_by=actor, instruction=instruction, due_at=due, listed=listed
        )
        _event(matter, actor, "supervise", instruction, order_id=order.pk, listed=listed)
        audit.record(actor, "matters.supervise", order, area_path=matter.area_path)
        notices.announce(matter, "supervised", to="owner", actor=actor, note=instruction)
    return order


def reply(*, actor: Any, order: SupervisionOrder, text: str) -> SupervisionOrder:
    """The responsible organisation answers a supervision order (once)."""
    matter = order.matter
    if not (member_of(actor, matter.owner_id) or scope.covers(actor, "matters.dispatch", matter.area_path)):
        raise Forbidden("the responsible organisation replies to supervision orders")
    if not text.strip():
        raise Invalid("write the reply", field="reply")
    with transaction.atomic():
        locked = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
        if locked.replied_at is not None:
            raise Conflict("this order has been answered")
        locked.reply, locked.replied_by, locked.replied_at = text.strip(), actor, timezone.now()
        locked.save()
        _event(matter, actor, "supervision_reply", locked.reply, order_id=locked.pk)
        audit.record(actor, "matters.supervision_reply", locked, area_path=matter.area_path)
    return locked


def request_extension(*, actor: Any, matter: Matter, working_days: int, reason: str) -> ExtensionRequest:
    if not member_of(actor, matter.owner_id):
        raise Forbidden("the responsible organisation asks for extensions")
    if Status(matter.status) not in {Status.ACCEPTED, Status.IN_PROGRESS}:
        raise Conflict("an extension is asked for while the matter is being handled")
    if not 1 <= working_days <= 30:
        raise Invalid("ask for 1 to 30 working days", field="working_days")
    if not reason.strip():
        raise Invalid("say why", field="reason")
    with transaction.atomic():
        if matter.extensions.filter(state=ExtensionRequest.State.PENDING).exists():
            raise Conflict("an extension request is already waiting for a decision")
        request = ExtensionRequest.objects.create(
            matter=matter, requested_by=actor, working_days=working_days, reason=reason.strip()
        )
        _event(matter, actor, "extension_request", reason, working_days=working_days)
        audit.record(actor, "matters.extension_request", request, area_path=matter.area_path)
    return request


def decide_extension(
    *, actor: Any, request: ExtensionRequest, grant: bool, note: str = ""
) -> ExtensionRequest:
    matter = request.matter
    _need(actor, "matters.extend", matter)
    with transaction.atomic():
        locked = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != ExtensionRequest.State.PENDING:
            raise Conflict("this request has been decided")
        locked.state = ExtensionRequest.State.GRANTED if grant else ExtensionRequest.State.REFUSED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note
        locked.save()
        m = Matter.objects.select_for_update().get(pk=matter.pk)
        if grant and m.due_at is not None:
            before = audit_registry.snapshot(m)
            due = calendar_for("cn").add(m.due_at, working_days=locked.working_days)
            m.due_at, m.due_provisional = due.at, m.due_provisional or due.provisional
            m.warned_stage = m.overdue_stage = ""
            m.warn_at = m.due_at - (m.due_at - (m.stage_started_at or m.due_at)) * 0.2
            m.save()
            audit.record(actor, "matters.extend", m, before=before, note=note)
        _event(
            m,
            actor,
            "extension_granted" if grant else "extension_refused",
            note,
            working_days=locked.working_days,
        )
    return locked


def assist(*, actor: Any, matter: Matter, organisation: Organisation, note: str = "") -> Assist:
    """Ask another organisation to help; the owner stays the lead."""
    _need(actor, "matters.dispatch", matter)
    if organisation.pk == matter.owner_id:
        raise Invalid("the responsible organisation cannot assist itself", field="organisation")
    with transaction.atomic():
        row, created = Assist.objects.get_or_create(
            matter=matter, organisation=organisation, defaults={"note": note}
        )
        if not created:
            raise Conflict(f"{organisation.name} already assists")
        _event(matter, actor, "assist", note, organisation=organisation.code)
        audit.record(actor, "matters.assist", row, area_path=matter.area_path)
    return row


def merge(*, actor: Any, duplicate: Matter, into: Matter, note: str = "") -> Matter:
    """Merge a duplicate into another open matter: it follows that matter's outcome from now on."""
    _need(actor, "matters.merge", duplicate)
    _need(actor, "matters.merge", into)
    if duplicate.pk == into.pk:
        raise Invalid("a matter cannot be merged into itself", field="into")
    if into.merged_into_id is not None:
        raise Invalid(f"{into.number} is itself merged into another matter", field="into")
    if Status(duplicate.status) not in OPEN or Status(into.status) not in OPEN:
        raise Conflict("only open matters are merged")
    with transaction.atomic():
        locked = Matter.objects.select_for_update().get(pk=duplicate.pk)
        if locked.merged_into_id is not None:
            raise Conflict("already merged")
        before = audit_registry.snapshot(locked)
        locked.merged_into = into
        locked.save(update_fields=["merged_into", "updated_at"])
        rollup.restate(locked, before)
        Matter.objects.filter(merged_into=locked).update(merged_into=into)
        _event(
            locked,
            actor,
            "merge",
            note,
            public_note="Your report was joined with an earlier report of "
            "the same problem; both are handled together.",
            into=into.number,
        )
        _event(into, actor, "merged_in", note, duplicate=locked.number)
        audit.record(actor, "matters.merge", locked, before=before, note=note)
    return locked
