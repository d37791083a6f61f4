"""The catalog of events that can be published, named ``<app>.<event>`` (e.g. ``matters.dispatched``).

Business apps register theirs from ``AppConfig.ready`` so that subscriptions and webhook endpoints can
be checked against it; publishing an event that is not registered is a programming error. An entry
also says which channels its *direct* recipients (the users a publisher names, such as the handler a
matter was dispatched to) are reached on; subscribers choose their own channels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.functional import Promise

INBOX, EMAIL, SMS, WEBHOOK = "inbox", "email", "sms", "webhook"
PERSONAL_CHANNELS: tuple[str, ...] = (INBOX, EMAIL, SMS)
"""The channels a user can be reached on (webhooks go to endpoints, not to users)."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Event:
    """A registered event: its full name, what it means, and the channels of its direct recipients."""

    name: str
    description: Promise | str
    channels: tuple[str, ...] = (INBOX,)


@dataclass(frozen=True, slots=True)
class Spec:
    """How an app describes one of its events when registering it."""

    description: Promise | str
    channels: tuple[str, ...] = (INBOX,)


_events: dict[str, Event] = {}


class UnknownEvent(LookupError):
    """Publishing an event nobody registered: a bug in the publisher, not a user error."""


def register_events(app: str, events: Mapping[str, Spec | Promise | str]) -> None:
    """Register ``app``'s events: ``{"dispatched": _("..."), "overdue": Spec(_("..."), (INBOX, SMS))}``.
    Registering the same name again replaces it (apps are set up once per process)."""
    if not _NAME.match(app):
        raise ValueError(f"app label {app!r} must be a lower-case word")
    for action, entry in events.items():
        if not _NAME.match(action):
            raise ValueError(f"event {action!r} must be a lower-case word without dots")
        spec = entry if isinstance(entry, Spec) else Spec(entry)
        unknown = [c for c in spec.channels if c not in PERSONAL_CHANNELS]
        if unknown or not spec.channels:
            raise ValueError(f"event {app}.{action}: channels must be among {', '.join(PERSONAL_CHANNELS)}")
        _events[f"{app}.{action}"] = Event(f"{app}.{action}", spec.description, tuple(spec.channels))


def get(name: str) -> Event:
    try:
        return _events[name]
    except KeyError:
        raise UnknownEvent(f"event {name!r} is not registered; call notify.catalog.register_events") from None


def exists(name: str) -> bool:
    return name in _events


def events() -> list[Event]:
    return [_events[name] for name in sorted(_events)]


def unknown(names: Iterable[str]) -> list[str]:
    """The names among ``names`` that are not registered, in the order given."""
    return [n for n in names if n not in _events]
