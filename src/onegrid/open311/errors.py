"""Errors in the spec's shape: a list of ``(code, description)`` carried with the HTTP status.

GeoReport v2 §Errors: 404 for resources that do not exist (a service code, a request, a token), 403 for a
missing or wrong ``api_key``, 400 for everything else. The body may hold several errors; the code in the
body is the HTTP status unless something more specific helps.
"""

from __future__ import annotations

from onegrid.kit.errors import DomainError


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.errors: list[tuple[int, str]] = [(status, d) for d in descriptions]


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def forbidden(description: str) -> Open311Error:
    return Open311Error(403, description)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


# Where a matters field name differs from the Open311 parameter the client sent.
PARAMETERS = {
    "category": "service_code",
    "location": "lat/long",
    "lon": "long",
    "lat": "lat",
    "reporter_phone": "phone",
    "reporter_email": "email",
    "reporter_name": "first_name/last_name",
    "address": "address_string",
    "area_code": "address_id",
    "title": "description",
    "idempotency_key": "idempotency_key",
}


def from_domain(exc: DomainError) -> Open311Error:
    """A matters or kit error in Open311's terms: 403 and 404 stay, everything else is a 400 naming the
    Open311 parameter. (A location outside the api_key's area is a matters 404; the caller turns that
    into a 403 before it gets here.)"""
    if exc.status in (403, 404):
        return Open311Error(exc.status, exc.message)
    if exc.field:
        return bad_request(f"{PARAMETERS.get(exc.field, exc.field)}: {exc.message}")
    return bad_request(exc.message)
