"""The life of a matter (事件/工单) as a transition table (pure: no Django, no I/O).

received (受理) → registered (立案) or rejected → dispatched (派遣) → accepted (签收) → in progress (处置)
→ resolved (办结) → verified (核查) → closed (结案); reopen from resolved, verified or closed. Side paths:
returned as misrouted (退回), suspended and resumed (挂起), escalated to the parent level (上报),
transferred (转办). Extensions (延期), assistance (协办), supervision (督办) and merging do not change
the status and are recorded on the timeline.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"


class Step(enum.StrEnum):
    """What someone does to a matter. Each step has its permission and its transitions."""

    REGISTER = "register"
    REJECT = "reject"
    RESOLVE_AT_INTAKE = "resolve_at_intake"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    START = "start"
    RETURN = "return"
    TRANSFER = "transfer"
    ESCALATE = "escalate"
    SUSPEND = "suspend"
    RESUME = "resume"
    RESOLVE = "resolve"
    VERIFY = "verify"
    CLOSE = "close"
    REOPEN = "reopen"


OPEN = frozenset(
    {
        Status.RECEIVED,
        Status.REGISTERED,
        Status.DISPATCHED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.SUSPENDED,
    }
)
DONE = frozenset({Status.RESOLVED, Status.VERIFIED, Status.CLOSED})


@dataclass(frozen=True, slots=True)
class Transition:
    step: Step
    sources: frozenset[Status]
    target: Status | None  # None: the target depends on the case (resume, reopen, escalate)
    permission: str


def _t(step: Step, sources: set[Status], target: Status | None, permission: str) -> Transition:
    return Transition(step, frozenset(sources), target, permission)


TRANSITIONS: dict[Step, Transition] = {
    t.step: t
    for t in (
        _t(Step.REGISTER, {Status.RECEIVED}, Status.REGISTERED, "matters.register"),
        _t(Step.REJECT, {Status.RECEIVED, Status.REGISTERED}, Status.REJECTED, "matters.register"),
        _t(Step.RESOLVE_AT_INTAKE, {Status.RECEIVED}, Status.CLOSED, "matters.register"),
        _t(Step.DISPATCH, {Status.REGISTERED}, Status.DISPATCHED, "matters.dispatch"),
        _t(Step.ACCEPT, {Status.DISPATCHED}, Status.ACCEPTED, "matters.handle"),
        _t(Step.START, {Status.ACCEPTED}, Status.IN_PROGRESS, "matters.handle"),
        _t(Step.RETURN, {Status.DISPATCHED, Status.ACCEPTED}, Status.REGISTERED, "matters.handle"),
        _t(
            Step.TRANSFER,
            {Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS},
            Status.DISPATCHED,
            "matters.dispatch",
        ),
        _t(
            Step.ESCALATE,
            {Status.RECEIVED, Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS},
            Status.REGISTERED,
            "matters.escalate",
        ),
        _t(Step.SUSPEND, {Status.ACCEPTED, Status.IN_PROGRESS}, Status.SUSPENDED, "matters.handle"),
        _t(Step.RESUME, {Status.SUSPENDED}, None, "matters.handle"),
        _t(Step.RESOLVE, {Status.ACCEPTED, Status.IN_PROGRESS}, Status.RESOLVED, "matters.handle"),
        _t(Step.VERIFY, {Status.RESOLVED}, Status.VERIFIED, "matters.verify"),
        _t(Step.CLOSE, {Status.RESOLVED, Status.VERIFIED}, Status.CLOSED, "matters.close"),
        _t(
            Step.REOPEN,
            {Status.RESOLVED, Status.VERIFIED, Status.CLOSED},
            Status.DISPATCHED,
            "matters.reopen",
        ),
    )
}


class IllegalStep(Exception):
    """The step is not allowed from the matter's current status (the API answers 409)."""

    def __init__(self, step: Step, status: Status) -> None:
        super().__init__(
            f"cannot {step.value.replace('_', ' ')} a matter that is {status.value.replace('_', ' ')}"
        )
        self.step, self.status = step, status


def target(step: Step, status: Status, *, resume_to: Status | None = None) -> Status:
    """The status after ``step`` from ``status``; IllegalStep if the table forbids it."""
    transition = TRANSITIONS[step]
    if status not in transition.sources:
        raise IllegalStep(step, status)
    if transition.target is not None:
        return transition.target
    return resume_to or Status.IN_PROGRESS


def allowed(status: Status) -> list[Step]:
    """The steps the table allows from ``status`` (permissions and scope decide who may take them)."""
    return [step for step, t in TRANSITIONS.items() if status in t.sources]


# The stage whose deadline runs in each status (None: no clock runs).
STAGE_OF: dict[Status, str | None] = {
    Status.RECEIVED: "register",
    Status.REGISTERED: "dispatch",
    Status.DISPATCHED: "accept",
    Status.ACCEPTED: "resolve",
    Status.IN_PROGRESS: "resolve",
    Status.SUSPENDED: None,
    Status.RESOLVED: "verify",
    Status.VERIFIED: "close",
    Status.REJECTED: None,
    Status.CLOSED: None,
}

# Plain-language wording of each step for the person who raised the matter.
PUBLIC_WORDS: dict[Step, str] = {
    Step.REGISTER: "Your report has been registered.",
    Step.REJECT: "Your report could not be taken up.",
    Step.RESOLVE_AT_INTAKE: "Your question was answered when you raised it.",
    Step.DISPATCH: "Your report has been sent to the office responsible.",
    Step.ACCEPT: "The office responsible has taken on your report.",
    Step.START: "Work on your report has started.",
    Step.RETURN: "Your report is being sent to the right office.",
    Step.TRANSFER: "Your report has been passed to another office.",
    Step.ESCALATE: "Your report has been passed to a higher level.",
    Step.SUSPEND: "Work on your report is paused.",
    Step.RESUME: "Work on your report has resumed.",
    Step.RESOLVE: "The office reports that the problem is solved.",
    Step.VERIFY: "The solution has been checked on site.",
    Step.CLOSE: "Your report is closed. Please rate how it was handled.",
    Step.REOPEN: "Your report has been reopened.",
}
