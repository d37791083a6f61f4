"""Every step of a matter's lifecycle, one transaction each, with its timeline event and audit record.

The caller fetched the matter through ``selectors.get_for`` (scope) — out of scope is 404 before
anything here runs. Here: the permission for the step over the matter's area (403), the organisation
rules (only the responsible organisation signs for and handles), the transition table (409 with the
row locked, so two operators doing the same step at once get one success and one conflict), the new
deadline, the event, the audit record and the notifications after commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from onegrid.access.models import Membership, Organisation
from onegrid.audit import registry as audit_registry
from onegrid.audit import services as audit
from onegrid.kit import scope
from onegrid.kit.errors import Conflict, Forbidden, Invalid
from onegrid.kit.fields import BlindIndexField
from onegrid.kit.prepared import Prepared, PreparedModels
from onegrid.matters import deadlines, notices, rollup, routing
from onegrid.matters.lifecycle import (
    DONE,
    PUBLIC_WORDS,
    STAGE_OF,
    TRANSITIONS,
    IllegalStep,
    Status,
    Step,
    target,
)
from onegrid.matters.models import Event, Matter

HANDLING = {Step.ACCEPT, Step.START, Step.RETURN, Step.SUSPEND, Step.RESUME, Step.RESOLVE}
REASON_REQUIRED = {Step.REJECT, Step.RETURN, Step.SUSPEND, Step.REOPEN, Step.ESCALATE, Step.TRANSFER}


@dataclass(slots=True)
class StepInput:
    note: str = ""
    public_note: str | None = None
    organisation: Organisation | None = None
    override_reason: str = ""


_MEMBER = Prepared(
    lambda user_id, organisation_id: Membership.objects.filter(
        user_id=user_id, organisation_id=organisation_id, organisation__is_active=True
    ).values_list("pk")[:1],
    (int, int),
)
# the matter a step locks, with what the step reads beside it (asked once per step, compiled once)
_LOCKED = PreparedModels(
    lambda pk: (
        Matter.objects.select_for_update(of=("self",)).select_related("category", "owner").filter(pk=pk)
    ),
    (int,),
)


def member_of(user: Any, organisation_id: int | None) -> bool:
    if organisation_id is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(_MEMBER.rows(user.pk, organisation_id))


def may(user: Any, step: Step, matter: Matter, *, member: bool | None = None) -> bool:
    """Whether ``user`` may take ``step`` on ``matter`` (ignoring the current status). ``member``:
    whether the user belongs to the responsible organisation, when the caller knows already."""

    def belongs() -> bool:
        return member if member is not None else member_of(user, matter.owner_id)

    permission = TRANSITIONS[step].permission
    if not scope.covers(user, permission, matter.area_path) and not (
        step in HANDLING and scope.has_permission(user, permission) and belongs()
    ):
        return False
    if step in HANDLING and not getattr(user, "is_superuser", False):
        return belongs()
    return True


def available(user: Any, matter: Matter) -> list[Step]:
    """The steps this user can take now: allowed by the table from the current status, and permitted
    (the membership in the responsible organisation is looked up once, not once per step)."""
    status = Status(matter.status)
    candidates = [s for s, t in TRANSITIONS.items() if status in t.sources]
    member = member_of(user, matter.owner_id) if HANDLING.intersection(candidates) else False
    return [s for s in candidates if may(user, s, matter, member=member)]


def _check(user: Any, step: Step, matter: Matter) -> None:
    if user is None:  # the system itself: policies (a low rating reopens), sweeps (escalation when overdue)
        return
    permission = TRANSITIONS[step].permission
    if not scope.has_permission(user, permission):
        raise Forbidden(f"this needs the permission {permission}")
    if not may(user, step, matter):
        raise Forbidden(
            f"only the responsible organisation may {step.value}"
            if step in HANDLING
            else f"you hold {permission} elsewhere, not over this matter's area"
        )


def _parent_command_centre(matter: Matter) -> Organisation:
    """The command centre of the nearest ancestor level above the current owner's."""
    codes = [c for c in matter.area_path.strip("/").split("/") if c]
    owner = matter.owner if matter.owner_id else None
    current = owner.area_path if owner is not None else matter.area_path
    depth = current.count("/") - 1
    # A department or office escalates to the command centre of its own level; a centre to the one above.
    start = depth if owner is not None and owner.kind != "command_centre" else depth - 1
    for level in range(min(start, len(codes)), 0, -1):
        path = "/" + "/".join(codes[:level]) + "/"
        centre = Organisation.objects.filter(kind="command_centre", area_path=path, is_active=True).first()
        if centre is not None:
            return centre
    raise Conflict("there is no command centre above this level to escalate to")


def _route(matter: Matter) -> Organisation:
    rule = routing.route(
        routing.Case(
            matter.category_id, matter.category.parent_id, matter.area_path, matter.priority, matter.channel
        )
    )
    if rule is None:
        raise Invalid("no routing rule matches this matter; choose the organisation", field="organisation")
    return rule.organisation


def take(*, actor: Any, matter: Matter, step: Step, data: StepInput | None = None) -> Matter:
    """Take ``step`` on ``matter`` for ``actor``; see the module docstring for what is guaranteed."""
    data = data or StepInput()
    note = (data.note or "").strip()
    if step in REASON_REQUIRED and not note:
        raise Invalid(f"say why ({step.value})", field="note")
    if len(note) > 5000:
        raise Invalid("note is longer than 5000 characters", field="note")
    _check(actor, step, matter)
    now = timezone.now()
    with transaction.atomic():
        found = _LOCKED.objects(matter.pk)
        if not found:
            raise Matter.DoesNotExist(f"matter {matter.pk} is gone")
        locked = found[0]
        loaded = _plain_values(locked)
        status = Status(locked.status)
        try:
            new = target(
                step, status, resume_to=Status(locked.suspended_from) if locked.suspended_from else None
            )
        except IllegalStep as exc:
            raise Conflict(str(exc)) from exc
        before = audit_registry.snapshot(locked)
        organisation = _effects(locked, step, data, now)
        _timestamps(locked, status, new, now)
        locked.status = new
        stage = STAGE_OF[new]
        if stage != locked.stage or step in {Step.DISPATCH, Step.TRANSFER, Step.ESCALATE, Step.REOPEN}:
            deadlines.apply(locked, stage, now)
        locked.save(update_fields=_changed(locked, loaded))
        rollup.restate(locked, before)
        follow_outcome(locked, now)
        Event.objects.create(
            matter=locked,
            actor=actor,
            actor_label=str(actor.get_username()) if actor else "system",
            action=step.value,
            from_status=status,
            to_status=new,
            organisation=organisation,
            note=note,
            public_note=data.public_note if data.public_note is not None else PUBLIC_WORDS[step],
            data={"override_reason": data.override_reason} if data.override_reason else {},
        )
        audit.record(actor, f"matters.{step.value}", locked, before=before, note=note)
        if step.value in notices.STEP_EVENTS:
            event, to = notices.STEP_EVENTS[step.value]
            notices.announce(locked, event, to=to, actor=actor, note=note)
    # ``matter`` as it now is, from the row just written (no read back): its fields and the related
    # objects ``locked`` holds; the area never changes in a step, so the caller's loaded area stays
    for f in Matter._meta.concrete_fields:
        setattr(matter, f.attname, getattr(locked, f.attname))
    for name in ("category", "owner", "merged_into"):
        relation: Any = Matter._meta.get_field(name)
        if relation.is_cached(locked):
            relation.set_cached_value(matter, relation.get_cached_value(locked))
        elif relation.is_cached(matter):
            relation.delete_cached_value(matter)
    return matter


# Values compared to find what a step changed; any other value (JSON lists and objects, which could be
# changed in place) is always written.
_PLAIN = (str, int, float, bool, dt.datetime, dt.date, type(None))


def _plain_values(m: Matter) -> dict[str, Any]:
    return {
        f.attname: value
        for f in Matter._meta.concrete_fields
        if not f.primary_key and isinstance(value := getattr(m, f.attname), _PLAIN)
    }


def _changed(m: Matter, loaded: dict[str, Any]) -> list[str]:
    """The fields a step wrote: those whose value changed since the row was read, the ones that are
    not plain values, and ``updated_at`` (the encrypted contact details and their blind indexes stay
    as stored instead of being encrypted again on every step)."""
    fields = []
    for f in Matter._meta.concrete_fields:
        if f.primary_key:
            continue
        if (
            f.attname not in loaded
            or getattr(m, f.attname) != loaded[f.attname]
            or getattr(f, "auto_now", False)
        ):
            fields.append(f.attname)
    # a blind index is worked out from its source when saved: written with it
    fields += [
        f.attname
        for f in Matter._meta.concrete_fields
        if isinstance(f, BlindIndexField) and f.source in fields and f.attname not in fields
    ]
    return fields


def _effects(m: Matter, step: Step, data: StepInput, now: dt.datetime) -> Organisation | None:
    """What a step does beyond the status; returns the organisation it concerns."""
    if step in {Step.DISPATCH, Step.TRANSFER, Step.REOPEN}:
        if step == Step.TRANSFER and data.organisation is None:
            raise Invalid("say which organisation takes it over", field="organisation")
        routed = (
            None
            if data.organisation is not None
            else (m.owner if step == Step.REOPEN and m.owner else _route(m))
        )
        org = data.organisation or routed
        assert org is not None
        if data.organisation is not None and step == Step.DISPATCH:
            try:
                suggested = _route(m)
            except Invalid:
                suggested = None
            if suggested is not None and suggested.pk != org.pk and not data.override_reason.strip():
                raise Invalid(
                    "the routing rules send this to another organisation; give a reason to override",
                    field="override_reason",
                )
        if not org.area_path or not (m.area_path.startswith(org.area_path) or org.kind == "department"):
            raise Invalid(f"{org.name} does not work where this matter is", field="organisation")
        m.owner, m.owner_level = org, org.area_path.count("/") - 1
        return org
    if step == Step.ESCALATE:
        centre = _parent_command_centre(m)
        m.owner, m.owner_level = centre, centre.area_path.count("/") - 1
        m.escalation_level += 1
        return centre
    if step == Step.RETURN:
        returned_by = m.owner
        m.owner = None
        return returned_by
    if step == Step.SUSPEND:
        m.suspended_from = m.status
    if step == Step.RESUME:
        m.suspended_from = ""
    if step == Step.RESOLVE_AT_INTAKE:
        m.resolved_at_intake = True
    return None


def _timestamps(m: Matter, old: Status, new: Status, now: dt.datetime) -> None:
    on_time = m.due_at is None or now <= m.due_at
    if new == Status.REGISTERED and m.registered_at is None:
        m.registered_at = now
    if new == Status.DISPATCHED:
        m.dispatched_at = now
    if new == Status.ACCEPTED:
        m.accepted_at = now
        m.accept_on_time = on_time
    if new == Status.RESOLVED:
        m.resolved_at = now
        m.resolve_on_time = on_time
    if new == Status.VERIFIED:
        m.verified_at = now
    if new == Status.CLOSED:
        m.closed_at = now
        if m.resolved_at is None:
            m.resolved_at = now
    if old in DONE and new not in DONE:  # reopened: the outcome no longer stands
        m.resolved_at = m.verified_at = m.closed_at = None
        m.resolve_on_time = None
    if new == Status.REGISTERED and m.owner_id is None and old != Status.RECEIVED:
        m.dispatched_at = m.accepted_at = None


_HAS_MERGED = Prepared(
    lambda primary_id: Matter.objects.filter(merged_into_id=primary_id).order_by().values_list("pk")[:1],
    (int,),
)


def follow_outcome(primary: Matter, at: dt.datetime) -> int:
    """Give merged matters the primary's status and outcome times (called in the primary's transaction;
    most matters have none, which one lookup by the merge index tells)."""
    if not _HAS_MERGED.rows(primary.pk):
        return 0
    return Matter.objects.filter(merged_into=primary).update(
        status=primary.status,
        owner=primary.owner,
        resolved_at=primary.resolved_at,
        closed_at=primary.closed_at,
        verified_at=primary.verified_at,
        due_at=primary.due_at,
        stage=primary.stage,
        updated_at=at,
    )
