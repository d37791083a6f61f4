"""The GeoReport v2 endpoints: thin views over ``selectors``, ``services`` and ``present``.

Every resource takes a format suffix, ``.xml`` or ``.json`` (none means XML, the required format); every
error is the spec's ``errors`` document in the requested format with 400, 403 or 404 (405 for a method
the resource does not have). Decisions the spec leaves open:

- **api_key** is an API token (``og_...``; ``onegrid token create``). It is read from the ``api_key``
  parameter (body or query string), the ``X-Api-Key`` header or ``Authorization: Bearer``. Only the key
  counts: a browser session never authorises anything here, which is why these views need no CSRF
  token. A POST without a usable key (missing, wrong, revoked, expired, or its owner deactivated) or
  with a key holding neither ``matters.report`` nor ``matters.create`` is a 403 and writes nothing; so
  is a place outside the area the key is limited to. On a GET a key is optional; a wrong one is a 403
  all the same (the client would otherwise silently get the public view).
- **Reads**: see ``selectors`` for what the public and key holders see.
- **One jurisdiction** per installation: ``jurisdiction_id`` is accepted and ignored.
- **type** is ``realtime``: the matter number comes back at once as ``service_request_id``, never a
  token. ``tokens/{token}`` answers for a service_request_id the reader may see (the token of a
  realtime request is its id), and 404 otherwise.
- **Retries**: see ``services``.
- **GET requests**: ``service_request_id`` (comma-delimited, at most 1000) overrides everything else;
  otherwise ``start_date``/``end_date`` on ``requested_datetime``, defaulting to the last 90 days and
  never spanning more; ``status`` and ``service_code`` comma-delimited (an unknown code is a 400, not an
  empty list, so a typo shows); at most 1000 requests, newest first; ``page``/``page_size`` (the most
  common extension) page through them.
- **servicerequestupdates** (mySociety's extension, read side): the status steps of readable requests
  between ``start_date`` and ``end_date`` (default: the last 24 hours; at most 90 days), oldest first, at
  most 1000.
- Tolerated paths: ``service/{code}`` (PyPI ``open311`` 1.1) and ``request/{id}`` (the v2.1 draft).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from onegrid.access import services as access_services
from onegrid.access.models import User
from onegrid.kit.errors import DomainError
from onegrid.matters import attributes as definitions
from onegrid.matters.lifecycle import OPEN
from onegrid.open311 import formats, present, selectors, services
from onegrid.open311.errors import Open311Error, bad_request, forbidden, from_domain, not_found
from onegrid.open311.params import Params, comma_list, moment

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000
WINDOW = dt.timedelta(days=90)
UPDATES_DEFAULT = dt.timedelta(hours=24)
FIRST_CHANGESET = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CONTACT = "The operator of this OneGrid installation (see the site's home page)."
KEY_SERVICE = (
    "Ask the operator for an API token holding matters.report "
    "(onegrid token create USER --permission matters.report) and send it as api_key."
)

View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[View], View]:
    """Format from the URL, the methods allowed, and every error in the spec's shape."""
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def handle(request: HttpRequest, *args: Any, fmt: str | None = None, **kwargs: Any) -> HttpResponse:
            chosen = (fmt or "xml").lower()
            if chosen not in formats.FORMATS:
                return formats.render_errors("xml", 404, [(404, f"no format {fmt!r}: use .xml or .json")])
            if request.method not in allowed:
                response = formats.render_errors(
                    chosen, 405, [(405, f"{request.method} is not allowed here; use {' or '.join(methods)}")]
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return view(request, chosen, *args, **kwargs)
            except Open311Error as exc:
                return formats.render_errors(chosen, exc.status, exc.errors)
            except DomainError as exc:
                error = from_domain(exc)
                return formats.render_errors(chosen, error.status, error.errors)

        return csrf_exempt(handle)

    return wrap


def _key_text(request: HttpRequest, params: Params) -> str:
    text = params.get("api_key") or request.headers.get("X-Api-Key", "").strip()
    if not text:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            text = credentials.strip()
    return text


def _reader(request: HttpRequest, params: Params, *, required: bool) -> User | None:
    """The owner of the api_key (with ``api_token`` set), None for the public; 403 for a bad key."""
    text = _key_text(request, params)
    if not text:
        if required:
            raise forbidden("api_key is required to submit a request")
        return None
    user = access_services.authenticate_token(text)
    if user is None:
        raise forbidden("invalid api_key: unknown, revoked or expired")
    return user


def _window(params: Params, default: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
    start, end = params.get("start_date"), params.get("end_date")
    since = moment(start, "start_date") if start else None
    until = moment(end, "end_date") if end else None
    if since is not None and until is not None:
        if until < since:
            raise bad_request("end_date is before start_date")
        if until - since > WINDOW:
            raise bad_request("start_date to end_date may not span more than 90 days")
        return since, until
    if since is not None:
        return since, since + WINDOW
    if until is not None:
        return until - WINDOW, until
    now = timezone.now()
    return now - default, now


def _page(params: Params) -> tuple[int, int]:
    try:
        page = int(params.get("page") or 1)
        size = int(params.get("page_size") or MAX_RESULTS)
    except ValueError:
        raise bad_request("page and page_size must be whole numbers") from None
    if page < 1 or not 1 <= size <= MAX_RESULTS:
        raise bad_request(f"page must be 1 or more and page_size from 1 to {MAX_RESULTS}")
    return (page - 1) * size, size


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changed = formats.w3c(selectors.changeset() or FIRST_CHANGESET)
    document = {
        "changeset": changed,
        "contact": CONTACT,
        "key_service": KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri(reverse("open311:root")),
                "changeset": changed,
                "type": "production" if settings.PRODUCTION else "test",
                "formats": list(formats.MIME_TYPES),
            }
        ],
    }
    return formats.render(fmt, "discovery", document)


def _service_document(category: Any) -> dict[str, Any]:
    parent = category.parent
    return {
        "service_code": category.code,
        "service_name": present.localised(category.name, category.name_en),
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": category.keywords,
        "group": present.localised(parent.name, parent.name_en) if parent is not None else "",
    }


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return formats.render(fmt, "services", [_service_document(c) for c in selectors.services()])


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = selectors.service(code)
    if category is None:
        raise not_found(f"service_code {code!r} not found")
    try:
        attributes = definitions.parse(category.attributes)
    except definitions.BadDefinition as exc:
        raise bad_request(
            f"the definition of service {code} is misconfigured; please tell the operator", *exc.problems
        ) from exc
    document = {"service_code": category.code, "attributes": [a.document() for a in attributes]}
    return formats.render(fmt, "service_definition", document)


@endpoint("GET", "POST")
def service_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    params = Params(request)
    if request.method == "POST":
        return _create(request, fmt, params)
    return _search(request, fmt, params)


def _create(request: HttpRequest, fmt: str, params: Params) -> HttpResponse:
    actor = _reader(request, params, required=True)
    assert actor is not None
    submission = services.Submission.read(params, request.headers.get("Idempotency-Key", ""))
    matter, created = services.submit(actor=actor, submission=submission)
    document = [{"service_request_id": matter.number, "service_notice": present.WORDS["receive"]}]
    response = formats.render(fmt, "service_requests", document, status=201 if created else 200)
    if created:
        response["Location"] = request.build_absolute_uri(
            reverse("open311:request", kwargs={"number": matter.number, "fmt": fmt})
        )
    return response


def _search(request: HttpRequest, fmt: str, params: Params) -> HttpResponse:
    user = _reader(request, params, required=False)
    qs = selectors.readable(user)
    numbers = comma_list(params.get("service_request_id"))
    if numbers:
        if len(numbers) > MAX_RESULTS:
            raise bad_request(f"ask for at most {MAX_RESULTS} service_request_id at once")
        qs = qs.filter(number__in=numbers)
    else:
        codes = comma_list(params.get("service_code"))
        if codes:
            unknown = sorted(set(codes) - selectors.known_service_codes(codes))
            if unknown:
                raise bad_request(f"unknown service_code {', '.join(unknown)}")
            qs = qs.filter(category__code__in=codes)
        statuses = {s.lower() for s in comma_list(params.get("status"))}
        if statuses - {"open", "closed"}:
            raise bad_request("status must be open, closed or both (comma-delimited)")
        if statuses == {"open"}:
            qs = qs.filter(status__in=list(OPEN))
        elif statuses == {"closed"}:
            qs = qs.exclude(status__in=list(OPEN))
        since, until = _window(params, WINDOW)
        qs = qs.filter(received_at__gte=since, received_at__lte=until)
    offset, size = _page(params)
    matters = list(selectors.with_status_notes(qs).order_by("-received_at", "-id")[offset : offset + size])
    presenter = present.Presenter(request, user, matters)
    return formats.render(fmt, "service_requests", [presenter.request_document(m) for m in matters])


@endpoint("GET")
def service_request(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    user = _reader(request, Params(request), required=False)
    matter = selectors.with_status_notes(selectors.readable(user)).filter(number=number).first()
    if matter is None:
        raise not_found(f"service_request_id {number!r} not found")
    presenter = present.Presenter(request, user, [matter])
    return formats.render(fmt, "service_requests", [presenter.request_document(matter)])


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    user = _reader(request, Params(request), required=False)
    number = selectors.readable(user).filter(number=token).values_list("number", flat=True).first()
    if number is None:
        raise not_found(f"token {token!r} not found")
    return formats.render(fmt, "service_requests", [{"service_request_id": number, "token": token}])


@endpoint("GET")
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    params = Params(request)
    user = _reader(request, params, required=False)
    since, until = _window(params, UPDATES_DEFAULT)
    events = selectors.updates(selectors.readable(user), since, until, MAX_RESULTS)
    presenter = present.Presenter(request, user, list({e.matter_id: e.matter for e in events}.values()))
    return formats.render(fmt, "service_request_updates", [presenter.update_document(e) for e in events])
