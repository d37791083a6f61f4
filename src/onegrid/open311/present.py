"""Matters as Open311 service requests, and timeline events as request updates (mySociety's extension).

Status: ``open`` while the matter is open in the lifecycle (received, registered, dispatched, accepted,
in progress, suspended); ``closed`` once it is resolved, verified, closed or rejected (the spec: "closed:
it has been resolved"). A reopened matter is open again. ``status_notes`` explains the latest status
step: what staff wrote for the reporter (key holders reading in full) or the standard wording of the
step (everyone else). ``agency_responsible`` is the responsible organisation, or while none is set the one
the routing rules would send it to. ``expected_datetime`` is the deadline of the resolve stage while it
runs, else the deadline of the stage now running; closed requests have none. ``updated_datetime`` is the
last change of the matter, which for a closed request is when it was resolved or closed.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from onegrid.access.models import User
from onegrid.kit.errors import Conflict
from onegrid.matters import routing
from onegrid.matters.lifecycle import OPEN, PUBLIC_WORDS
from onegrid.matters.models import Event, Matter, RoutingRule
from onegrid.open311 import selectors

WORDS: dict[str, str] = {
    "receive": "We have received your report.",
    **{step.value: words for step, words in PUBLIC_WORDS.items()},
    "merge": "Your report was joined with an earlier report of the same problem; both are handled together.",
}
PUBLIC_DECIMALS = 3  # about 100 m


def open_or_closed(status: str) -> str:
    return "open" if status in OPEN else "closed"


def localised(name: str, name_en: str) -> str:
    """The English name when the request is answered in English and one is set."""
    language = translation.get_language() or ""
    return name_en if name_en and language.startswith("en") else name


def area_code(path: str) -> str:
    return path.strip("/").rsplit("/", 1)[-1]


class Presenter:
    """Writes the matters of one response; the lookups they share are made once, in a few queries."""

    def __init__(self, request: HttpRequest, user: User | None, matters: list[Matter]) -> None:
        self.request = request
        self.matters = matters
        self.full = selectors.fully_readable(user, [m.pk for m in matters])

    @cached_property
    def names(self) -> dict[str, str]:
        found = selectors.area_names(m.area_path for m in self.matters)
        return {code: localised(*names) for code, names in found.items()}

    @cached_property
    def media(self) -> dict[int, str | int]:
        return selectors.media(self.full)

    @cached_property
    def rules(self) -> list[RoutingRule]:
        return selectors.routing_rules()

    def _address(self, m: Matter, full: bool) -> str:
        codes = [c for c in m.area_path.strip("/").split("/") if c]
        chain = ", ".join(self.names[c] for c in reversed(codes) if c in self.names)
        if full and m.address:
            return f"{m.address}, {chain}" if chain else m.address
        return chain

    def _agency(self, m: Matter) -> str | None:
        if m.owner is not None:
            return localised(m.owner.name, m.owner.name_en)
        if m.status not in OPEN:
            return None
        case = routing.Case(m.category_id, m.category.parent_id, m.area_path, m.priority, m.channel)
        try:
            rule = routing.best(self.rules, case)
        except Conflict:
            return None
        return localised(rule.organisation.name, rule.organisation.name_en) if rule else None

    def _media_url(self, m: Matter) -> str | None:
        found = self.media.get(m.pk)
        if found is None:
            return None
        if isinstance(found, str):
            return found
        path = reverse("api-v1:get_attachment", kwargs={"number": m.number, "attachment_id": found})
        return self.request.build_absolute_uri(path)

    @staticmethod
    def _expected(m: Matter) -> Any:
        if m.status not in OPEN:
            return None
        return m.due_at

    def _notes(self, action: str | None, note: str | None, full: bool) -> str | None:
        if full and note:
            return note
        return WORDS.get(action or "")

    def request_document(self, m: Matter) -> dict[str, Any]:
        """One ``request`` with the spec's fields in the spec's order."""
        full = m.pk in self.full
        lat, lon = m.lat, m.lon
        if not full and lat is not None and lon is not None:
            lat, lon = round(lat, PUBLIC_DECIMALS), round(lon, PUBLIC_DECIMALS)
        return {
            "service_request_id": m.number,
            "status": open_or_closed(m.status),
            "status_notes": self._notes(getattr(m, "o311_action", None), getattr(m, "o311_note", None), full),
            "service_name": localised(m.category.name, m.category.name_en),
            "service_code": m.category.code,
            "description": m.description if full else None,
            "agency_responsible": self._agency(m),
            "service_notice": None,
            "requested_datetime": m.received_at,
            "updated_datetime": m.updated_at,
            "expected_datetime": self._expected(m),
            "address": self._address(m, full) or None,
            "address_id": area_code(m.area_path),
            "zipcode": None,
            "lat": lat,
            "long": lon,
            "media_url": self._media_url(m) if full else None,
        }

    def update_document(self, event: Event) -> dict[str, Any]:
        """One ``request_update`` of mySociety's extension; ``external_status_code`` is our own status."""
        full = event.matter_id in self.full
        return {
            "update_id": str(event.pk),
            "service_request_id": event.matter.number,
            "status": open_or_closed(event.to_status or event.matter.status),
            "updated_datetime": event.at,
            "description": self._notes(event.action, event.public_note, full),
            "external_status_code": event.to_status or event.matter.status,
        }
