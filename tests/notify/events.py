"""The events the notify tests publish (an imaginary "drill" app), registered on import."""

from __future__ import annotations

from onegrid.notify.catalog import INBOX, SMS, Spec, register_events

register_events(
    "drill",
    {
        "dispatched": Spec("A matter was dispatched to you", (INBOX, SMS)),
        "overdue": "A matter is overdue",
        "rated": "A resident rated the handling",
    },
)
