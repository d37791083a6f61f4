"""Feedback: the reporter's rating (满意度) by one-time link or in the app, and follow-up calls (回访).
A low rating can reopen the matter (policy in settings: MATTERS_REOPEN_AT_OR_BELOW)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onegrid.audit import services as audit
from onegrid.kit import scope
from onegrid.kit.errors import Conflict, Forbidden, Invalid, NotFound
from onegrid.matters import ratinglinks, rollup
from onegrid.matters.lifecycle import DONE, Status, Step
from onegrid.matters.models import Event, FollowUpCall, Matter, Rating, RatingToken
from onegrid.matters.steps import StepInput, take


def issue_token(matter: Matter) -> str:
    """A one-time rating link token for the reporter (sent by SMS or e-mail when the matter closes)."""
    return ratinglinks.issue(matter)


def _check_score(score: Any, comment: str) -> None:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Invalid("score must be a whole number from 1 to 5", field="score")
    if len(comment) > 2000:
        raise Invalid("comment is longer than 2000 characters", field="comment")


def _record(matter: Matter, score: int, comment: str, via: str, actor: Any) -> Rating:
    if Status(matter.status) not in DONE:
        raise Conflict("a matter is rated once it is resolved")
    try:
        with transaction.atomic():
            rating = Rating.objects.create(matter=matter, score=score, comment=comment.strip(), via=via)
            rollup.rated(matter, score)
            Event.objects.create(
                matter=matter,
                actor=actor if via == "app" else None,
                actor_label="reporter",
                action="rate",
                from_status=matter.status,
                to_status=matter.status,
                note=comment.strip(),
                public_note=f"You rated the outcome {score} of 5.",
                data={"score": score, "via": via},
            )
            audit.record(actor, "matters.rate", rating, area_path=matter.area_path)
    except IntegrityError as exc:
        raise Conflict("this matter has been rated already") from exc
    threshold = getattr(settings, "MATTERS_REOPEN_AT_OR_BELOW", 2)
    if score <= threshold and matter.status == Status.CLOSED:
        take(
            actor=None,
            matter=matter,
            step=Step.REOPEN,
            data=StepInput(
                note=f"reopened by policy: rated {score}",
                public_note="Your report has been reopened because of your rating.",
            ),
        )
    return rating


def rate_with_token(*, token: str, score: Any, comment: str = "") -> Rating:
    """Rate through the one-time link: no account needed; a used, expired or unknown token is refused."""
    _check_score(score, comment)
    with transaction.atomic():
        row = (
            RatingToken.objects.select_for_update()
            .select_related("matter")
            .filter(digest=ratinglinks.digest(token))
            .first()
        )
        if row is None:
            raise NotFound("this rating link is not valid")
        if row.used_at is not None:
            raise Conflict("this rating link has been used")
        if row.expires_at < timezone.now():
            raise Conflict("this rating link has expired")
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        return _record(row.matter, score, comment, "link", None)


def rate_in_app(*, actor: Any, matter: Matter, score: Any, comment: str = "") -> Rating:
    _check_score(score, comment)
    if matter.reporter_id is None or matter.reporter_id != getattr(actor, "pk", None):
        raise Forbidden("only the person who reported the matter rates it")
    return _record(matter, score, comment, "app", actor)


def follow_up(
    *, actor: Any, matter: Matter, reached: bool, solved: bool | None, satisfaction: str, note: str = ""
) -> FollowUpCall:
    if not scope.covers(actor, "matters.follow_up", matter.area_path):
        raise Forbidden("this needs the permission matters.follow_up over the matter's area")
    if satisfaction and satisfaction not in FollowUpCall.Satisfaction.values:
        raise Invalid(
            f"satisfaction must be one of {', '.join(FollowUpCall.Satisfaction.values)}", field="satisfaction"
        )
    if reached and (solved is None or not satisfaction):
        raise Invalid("record whether it is solved and how satisfied the caller is", field="satisfaction")
    with transaction.atomic():
        call = FollowUpCall.objects.create(
            matter=matter,
            called_by=actor,
            reached=reached,
            solved=solved if reached else None,
            satisfaction=satisfaction if reached else "",
            note=note,
        )
        rollup.called(matter, call)
        Event.objects.create(
            matter=matter,
            actor=actor,
            actor_label=actor.get_username(),
            action="follow_up",
            from_status=matter.status,
            to_status=matter.status,
            note=note,
            data={"reached": reached, "solved": solved, "satisfaction": satisfaction},
        )
        audit.record(actor, "matters.follow_up", call, area_path=matter.area_path)
    return call
