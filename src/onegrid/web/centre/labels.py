"""What the command centre calls statuses, steps and timeline entries, in the current language."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from onegrid.matters.lifecycle import PUBLIC_WORDS, Status, Step

STATUS: dict[str, Promise] = {
    Status.RECEIVED: _("Received"),
    Status.REGISTERED: _("Registered"),
    Status.REJECTED: _("Rejected"),
    Status.DISPATCHED: _("Dispatched"),
    Status.ACCEPTED: _("Accepted"),
    Status.IN_PROGRESS: _("In progress"),
    Status.SUSPENDED: _("Suspended"),
    Status.RESOLVED: _("Resolved"),
    Status.VERIFIED: _("Verified"),
    Status.CLOSED: _("Closed"),
}

STEP: dict[str, Promise] = {
    Step.REGISTER: _("Register"),
    Step.REJECT: _("Reject"),
    Step.RESOLVE_AT_INTAKE: _("Answer at intake"),
    Step.DISPATCH: _("Dispatch"),
    Step.ACCEPT: _("Accept"),
    Step.START: _("Start work"),
    Step.RETURN: _("Return as misrouted"),
    Step.TRANSFER: _("Transfer"),
    Step.ESCALATE: _("Escalate"),
    Step.SUSPEND: _("Suspend"),
    Step.RESUME: _("Resume"),
    Step.RESOLVE: _("Resolve"),
    Step.VERIFY: _("Verify"),
    Step.CLOSE: _("Close"),
    Step.REOPEN: _("Reopen"),
}

# Timeline entries that are not lifecycle steps.
ACTION: dict[str, Promise] = {
    **STEP,
    "receive": _("Received"),
    "supervise": _("Supervision order"),
    "supervision_reply": _("Supervision reply"),
    "extension_request": _("Extension asked for"),
    "extension_granted": _("Extension granted"),
    "extension_refused": _("Extension refused"),
    "assist": _("Assistance asked for"),
    "merge": _("Merged"),
    "merged_in": _("Duplicate merged in"),
    "attach": _("File added"),
    "rate": _("Rated"),
    "follow_up": _("Follow-up call"),
    "deadline_warning": _("Deadline near"),
    "overdue": _("Overdue"),
}

# The plain wording residents see, as stored on the timeline (in English), in the current language.
PUBLIC: dict[str, Promise] = {
    PUBLIC_WORDS[Step.REGISTER]: _("Your report has been registered."),
    PUBLIC_WORDS[Step.REJECT]: _("Your report could not be taken up."),
    PUBLIC_WORDS[Step.RESOLVE_AT_INTAKE]: _("Your question was answered when you raised it."),
    PUBLIC_WORDS[Step.DISPATCH]: _("Your report has been sent to the office responsible."),
    PUBLIC_WORDS[Step.ACCEPT]: _("The office responsible has taken on your report."),
    PUBLIC_WORDS[Step.START]: _("Work on your report has started."),
    PUBLIC_WORDS[Step.RETURN]: _("Your report is being sent to the right office."),
    PUBLIC_WORDS[Step.TRANSFER]: _("Your report has been passed to another office."),
    PUBLIC_WORDS[Step.ESCALATE]: _("Your report has been passed to a higher level."),
    PUBLIC_WORDS[Step.SUSPEND]: _("Work on your report is paused."),
    PUBLIC_WORDS[Step.RESUME]: _("Work on your report has resumed."),
    PUBLIC_WORDS[Step.RESOLVE]: _("The office reports that the problem is solved."),
    PUBLIC_WORDS[Step.VERIFY]: _("The solution has been checked on site."),
    PUBLIC_WORDS[Step.CLOSE]: _("Your report is closed. Please rate how it was handled."),
    PUBLIC_WORDS[Step.REOPEN]: _("Your report has been reopened."),
    "We have received your report.": _("We have received your report."),
}


def public(text: str) -> str:
    """A stored plain note in the current language (as written when no translation is known)."""
    known = PUBLIC.get(text)
    return str(known) if known is not None else text
