"""/api/v1/matters: intake, the queue, a matter with its timeline, and every lifecycle step."""

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import content_disposition_header
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from onegrid.access.auth import require
from onegrid.access.models import Organisation
from onegrid.kit import scope
from onegrid.kit.answers import answer
from onegrid.kit.crypto import mask_email, mask_name, mask_phone
from onegrid.kit.errors import Forbidden, Invalid, NotFound
from onegrid.kit.pagination import LimitOffset
from onegrid.kit.prepared import PreparedModels
from onegrid.matters import attachments, feedback, intake, selectors, steps, supervision
from onegrid.matters.lifecycle import OPEN, Step
from onegrid.matters.lifecycle import Status as MatterStatus
from onegrid.matters.listing import Listing
from onegrid.matters.models import Event, Matter
from onegrid.matters.schemas import (
    Ack,
    DecisionIn,
    ExtensionIn,
    FollowUpIn,
    MatterBatchIn,
    MatterBatchOut,
    MatterDetail,
    MatterIn,
    MatterOut,
    MergeIn,
    OrganisationRef,
    Problem,
    RatingIn,
    ReplyIn,
    StepIn,
    SuperviseIn,
)
from onegrid.matters.stats_api import router as stats_router

router = Router()
ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _code(path: str) -> str:
    return path.strip("/").rsplit("/", 1)[-1]


# what ``summary`` reads: a listing loads only these columns (a matter row has some fifty)
SUMMARY_FIELDS = (
    *("number", "channel", "title", "status", "priority", "area_path", "received_at"),
    *("stage", "due_at", "warn_at", "category__code", "category__name", "area__name", "owner__code"),
)


def _flags(status: str, due_at: Any, warn_at: Any, now: dt.datetime) -> tuple[bool, bool]:
    """(overdue, warning) of an open matter at ``now``."""
    open_ = MatterStatus(status) in OPEN
    return (
        bool(open_ and due_at and due_at < now),
        bool(open_ and warn_at and due_at and warn_at <= now <= due_at),
    )


def summary(m: Matter) -> dict[str, Any]:
    overdue, warning = _flags(m.status, m.due_at, m.warn_at, timezone.now())
    return {
        "number": m.number,
        "channel": m.channel,
        "category": m.category.code,
        "category_name": m.category.name,
        "title": m.title,
        "status": m.status,
        "priority": m.priority,
        "area_code": _code(m.area_path),
        "area_name": m.area.name,
        "area_path": m.area_path,
        "owner": m.owner.code if m.owner else None,
        "received_at": m.received_at,
        "stage": m.stage,
        "due_at": m.due_at,
        "overdue": overdue,
        "warning": warning,
    }


def summary_row(row: tuple[Any, ...]) -> dict[str, Any]:
    """``summary`` of a row of ``SUMMARY_FIELDS`` (a queue page reads rows, not model instances)."""
    (number, channel, title, status, priority, path, received_at) = row[:7]
    (stage, due_at, warn_at, category, category_name, area_name, owner) = row[7:]
    overdue, warning = _flags(status, due_at, warn_at, timezone.now())
    return {
        "number": number,
        "channel": channel,
        "category": category,
        "category_name": category_name,
        "title": title,
        "status": status,
        "priority": priority,
        "area_code": _code(path),
        "area_name": area_name,
        "area_path": path,
        "owner": owner,
        "received_at": received_at,
        "stage": stage,
        "due_at": due_at,
        "overdue": overdue,
        "warning": warning,
    }


def detail(actor: Any, m: Matter, *, fresh: Event | None = None) -> dict[str, Any]:
    """Staff in scope see the full timeline; a reporter who only participates sees the plain one.
    ``fresh``: the matter was created just now with this one event (no files, no rating yet)."""
    staff = scope.covers(actor, "matters.view", m.area_path) or steps.member_of(actor, m.owner_id)
    events = [fresh] if fresh is not None else selectors.timeline(m)
    timeline = [
        {
            "at": e.at,
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor_label if staff else None,
            "organisation": e.organisation.name if e.organisation else None,
            "note": e.note if staff else None,
            "public_note": e.public_note,
        }
        for e in events
    ]
    return summary(m) | {
        "description": m.description,
        "address": m.address,
        "lon": m.lon,
        "lat": m.lat,
        "tags": m.tags,
        "reporter_name": mask_name(m.reporter_name or "") if staff else "",
        "reporter_phone": mask_phone(m.reporter_phone or "") if staff else "",
        "reporter_email": mask_email(m.reporter_email or "") if staff else "",
        "extra": m.extra if staff else {},
        "anonymous": m.anonymous,
        "merged_into": m.merged_into.number if m.merged_into else None,
        "resolved_at_intake": m.resolved_at_intake,
        "due_provisional": m.due_provisional,
        "timeline": timeline,
        "steps": [s.value for s in steps.available(actor, m)] if staff else [],
        "attachments": [
            {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size}
            for a in ([] if fresh is not None else selectors.attachments_of(m))
        ],
        "rating": None if fresh is not None else selectors.score_of(m),
    }


# A page of the queue: what ``@paginate(LimitOffset)`` publishes for ``list[MatterOut]`` (the same name,
# fields and parameters), declared here so the page is answered from its rows directly (kit.answers).
class PagedMatterOut(LimitOffset.Output):
    items: list[MatterOut]


@router.get("/", response=PagedMatterOut, summary="Matters in scope, newest first")
def list_matters(
    request: HttpRequest,
    status: list[str] = Query(None),  # type: ignore[type-arg]
    overdue: bool | None = None,
    warning: bool | None = None,
    category: str | None = None,
    channel: str | None = None,
    area: str | None = None,
    since: str | None = None,
    until: str | None = None,
    q: str | None = Query(None, max_length=100),  # type: ignore[type-arg]
    mine: bool = False,
    page: LimitOffset.Input = Query(...),  # type: ignore[type-arg]
) -> Any:
    actor = require(request, "matters.view") if not mine else request.user
    bounds = {}
    for name, value in (("since", since), ("until", until)):
        if value:
            parsed = _parse_time(value)
            if parsed is None:
                raise Invalid(f"{name} must be an ISO 8601 date or time", field=name)
            bounds[name] = parsed
    rows = Listing(
        actor,
        SUMMARY_FIELDS,
        summary_row,
        status=status or None,
        overdue=overdue,
        warning=warning,
        category=category,
        channel=channel,
        area=area,
        q=q,
        mine=mine,
        **bounds,
    )
    return answer(LimitOffset().paginate_queryset(rows, page, request), PagedMatterOut)


def _parse_time(value: str) -> Any:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            return None
        moment = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@router.post("/", response={200: MatterDetail, 201: MatterDetail, **ERRORS}, summary="Take in a matter")
def create_matter(request: HttpRequest, body: MatterIn) -> Any:
    actor = request.user
    if not (scope.has_permission(actor, "matters.create") or scope.has_permission(actor, "matters.report")):
        raise Forbidden("reporting matters needs matters.report or matters.create")
    key = body.idempotency_key or request.headers.get("Idempotency-Key", "")
    received = intake.take_in(
        actor=actor, report=intake.Report(**(body.model_dump() | {"idempotency_key": key}))
    )
    matter = received.matter
    if received.event is not None and scope.covers(actor, "matters.view", matter.area_path):
        # Just written and in the caller's scope: answer from what was written, without reading it back.
        return answer(detail(actor, matter, fresh=received.event), MatterDetail, 201)
    out = detail(actor, selectors.get_for(actor, matter.number))
    return answer(out, MatterDetail, 201 if received.created else 200)


@router.post(
    "/batch",
    response={200: MatterBatchOut, 201: MatterBatchOut, **ERRORS},
    summary="Take in many matters at once",
    description=(
        "For integrators (hotline systems, sensor gateways, aggregators): up to 500 matters in one request, "
        "each taken in exactly as by POST /api/v1/matters/, all in one transaction. All or nothing: when "
        "any item is invalid the answer is 422 and nothing is written; its `errors` list every bad item "
        "(`index`, `field`, `code`, `detail`). An item whose `idempotency_key` the caller used before (in "
        "an earlier request or earlier in the same batch) answers with that matter (`created`: false). "
        "201 when at least one matter was created, 200 when every item was a repeat."
    ),
)
def create_matters(request: HttpRequest, body: MatterBatchIn) -> Any:
    actor = request.user
    if not (scope.has_permission(actor, "matters.create") or scope.has_permission(actor, "matters.report")):
        raise Forbidden("reporting matters needs matters.report or matters.create")
    received = intake.take_in_many(
        actor=actor, reports=[intake.Report(**item.model_dump()) for item in body.items]
    )
    items = [
        {
            "index": i,
            "number": r.matter.number,
            "created": r.created,
            "status": r.matter.status,
            "category": r.matter.category.code,
            "area_path": r.matter.area_path,
            "due_at": r.matter.due_at,
        }
        for i, r in enumerate(received)
    ]
    created = sum(r.created for r in received)
    return answer({"created": created, "items": items}, MatterBatchOut, 201 if created else 200)


@router.get("/{number}", response={200: MatterDetail, **ERRORS}, summary="A matter with its timeline")
def get_matter(request: HttpRequest, number: str) -> Any:
    return answer(detail(request.user, selectors.get_for(request.user, number)), MatterDetail)


_ACTIVE_ORGANISATION = PreparedModels(
    lambda code: Organisation.objects.filter(code=code, is_active=True).order_by("pk")[:1], (str,)
)


def _step_endpoint(step: Step) -> None:
    def handler(request: HttpRequest, number: str, body: StepIn) -> Any:
        actor = request.user
        matter = selectors.get_for(actor, number)
        organisation = None
        if body.organisation:
            found = _ACTIVE_ORGANISATION.objects(body.organisation)
            organisation = found[0] if found else None
            if organisation is None:
                raise Invalid(f"unknown organisation {body.organisation!r}", field="organisation")
        data = steps.StepInput(
            note=body.note,
            public_note=body.public_note,
            organisation=organisation,
            override_reason=body.override_reason,
        )
        return answer(
            detail(actor, steps.take(actor=actor, matter=matter, step=step, data=data)), MatterDetail
        )

    handler.__name__ = f"step_{step.value}"
    router.post(
        f"/{{number}}/{step.value.replace('_', '-')}",
        response={200: MatterDetail, **ERRORS},
        summary=f"{step.value.replace('_', ' ').capitalize()} a matter",
    )(handler)


for _step in Step:
    _step_endpoint(_step)


def _organisation(code: str) -> Organisation:
    organisation = Organisation.objects.filter(code=code, is_active=True).first()
    if organisation is None:
        raise Invalid(f"unknown organisation {code!r}", field="organisation")
    return organisation


@router.post("/{number}/supervise", response={201: Ack, **ERRORS}, summary="Issue a supervision order (督办)")
def supervise(request: HttpRequest, number: str, body: SuperviseIn) -> Any:
    matter = selectors.get_for(request.user, number)
    order = supervision.supervise(
        actor=request.user,
        matter=matter,
        instruction=body.instruction,
        working_days=body.working_days,
        listed=body.listed,
    )
    return Status(201, {"ok": True, "id": order.pk})


@router.post(
    "/{number}/supervision/{order_id}/reply",
    response={200: Ack, **ERRORS},
    summary="Answer a supervision order",
)
def reply(request: HttpRequest, number: str, order_id: int, body: ReplyIn) -> Any:
    matter = selectors.get_for(request.user, number)
    order = matter.supervision_orders.filter(pk=order_id).first()
    if order is None:
        raise NotFound("supervision order not found")
    supervision.reply(actor=request.user, order=order, text=body.reply)
    return {"ok": True, "id": order.pk}


@router.post("/{number}/extensions", response={201: Ack, **ERRORS}, summary="Ask for more time (延期)")
def request_extension(request: HttpRequest, number: str, body: ExtensionIn) -> Any:
    matter = selectors.get_for(request.user, number)
    row = supervision.request_extension(
        actor=request.user, matter=matter, working_days=body.working_days, reason=body.reason
    )
    return Status(201, {"ok": True, "id": row.pk})


@router.post(
    "/{number}/extensions/{request_id}/decide",
    response={200: Ack, **ERRORS},
    summary="Grant or refuse an extension",
)
def decide_extension(request: HttpRequest, number: str, request_id: int, body: DecisionIn) -> Any:
    matter = selectors.get_for(request.user, number)
    row = matter.extensions.filter(pk=request_id).first()
    if row is None:
        raise NotFound("extension request not found")
    supervision.decide_extension(actor=request.user, request=row, grant=body.grant, note=body.note)
    return {"ok": True, "id": row.pk}


@router.post("/{number}/assists", response={201: Ack, **ERRORS}, summary="Ask another organisation to assist")
def add_assist(request: HttpRequest, number: str, body: OrganisationRef) -> Any:
    matter = selectors.get_for(request.user, number)
    row = supervision.assist(
        actor=request.user, matter=matter, organisation=_organisation(body.organisation), note=body.note
    )
    return Status(201, {"ok": True, "id": row.pk})


@router.post("/{number}/merge", response={200: MatterDetail, **ERRORS}, summary="Merge into another matter")
def merge(request: HttpRequest, number: str, body: MergeIn) -> Any:
    duplicate = selectors.get_for(request.user, number)
    into = selectors.get_for(request.user, body.into)
    supervision.merge(actor=request.user, duplicate=duplicate, into=into, note=body.note)
    return detail(request.user, selectors.get_for(request.user, number))


@router.get(
    "/{number}/duplicates",
    response={200: list[MatterOut], **ERRORS},
    summary="Likely duplicates: same category, nearby, recent, still open",
)
def duplicates(request: HttpRequest, number: str) -> Any:
    matter = selectors.get_for(request.user, number)
    seen = set(selectors.visible(request.user).values_list("pk", flat=True)[:100_000])
    return [summary(m) for m in selectors.likely_duplicates(matter) if m.pk in seen]


@router.post("/{number}/rating", response={201: Ack, **ERRORS}, summary="Rate the outcome (reporter)")
def rate(request: HttpRequest, number: str, body: RatingIn) -> Any:
    matter = selectors.get_for(request.user, number)
    row = feedback.rate_in_app(actor=request.user, matter=matter, score=body.score, comment=body.comment)
    return Status(201, {"ok": True, "id": row.pk})


@router.post(
    "/ratings/{token}",
    auth=None,
    response={201: Ack, **ERRORS},
    summary="Rate through a one-time link (no account)",
)
def rate_with_token(request: HttpRequest, token: str, body: RatingIn) -> Any:
    row = feedback.rate_with_token(token=token, score=body.score, comment=body.comment)
    return Status(201, {"ok": True, "id": row.pk})


@router.post("/{number}/follow-ups", response={201: Ack, **ERRORS}, summary="Record a follow-up call (回访)")
def follow_up(request: HttpRequest, number: str, body: FollowUpIn) -> Any:
    matter = selectors.get_for(request.user, number)
    call = feedback.follow_up(
        actor=request.user,
        matter=matter,
        reached=body.reached,
        solved=body.solved,
        satisfaction=body.satisfaction,
        note=body.note,
    )
    return Status(201, {"ok": True, "id": call.pk})


@router.post("/{number}/attachments", response={201: Ack, **ERRORS}, summary="Add a photo or file")
def add_attachment(request: HttpRequest, number: str, file: UploadedFile = File(...)) -> Any:  # type: ignore[type-arg]  # noqa: B008
    matter = selectors.get_for(request.user, number)
    row = attachments.add(actor=request.user, matter=matter, name=file.name or "", data=file.read())
    return Status(201, {"ok": True, "id": row.pk})


@router.get(
    "/{number}/attachments/{attachment_id}", response={200: None, **ERRORS}, summary="Download a file"
)
def get_attachment(request: HttpRequest, number: str, attachment_id: int) -> Any:
    matter = selectors.get_for(request.user, number)
    row = matter.attachments.filter(pk=attachment_id).first()
    if row is None:
        raise NotFound("file not found")
    response = FileResponse(row.file.open("rb"), content_type=row.content_type)
    response["Content-Disposition"] = content_disposition_header(False, row.original_name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


router.add_router("/stats", stats_router, tags=["statistics"])
