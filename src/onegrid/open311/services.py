"""POST requests: an Open311 service request taken in as a matter (channel ``open311``), in one transaction.

What is kept:
- the category (``service_code``), the description, the place (``lat``/``long`` located to its grid;
  or ``address_id`` naming an area; or, for ``address_string`` alone, the area the api_key is limited
  to) and ``address_string`` as the address;
- the reporter's name (``first_name``/``last_name``), mobile number (``phone``) and e-mail address
  (``email``) in the matter's encrypted fields;
- the answers to the service definition (``attribute[CODE]``) in the matter's ``extra``, checked
  against the definition; they and the ``media_url``\\ s are also on an ``open311`` timeline event
  (its staff note lists the answers), with the prefix of the api_key that sent them.

What is not kept: ``device_id`` and ``account_id``. Matters have no encrypted field for them, and
personal data is only stored encrypted; they only feed the retry key below (as a keyed hash).

Retries (the spec has no idempotency): a client that sends ``Idempotency-Key`` (header) or
``idempotency_key`` gets the matter first created with that key back, whatever else changed. Otherwise,
when the request identifies its reporter (``email``, ``device_id`` or ``account_id``), a key is derived
from everything it sent (service, place, description, answers, media, contact) and the local date: the
same report sent again by the same api_key's owner on the same day returns the same matter. FixMyStreet
puts the report's own URL in the description, so two of its reports never share a key, and a send it
retries after a lost answer is not taken in twice. Without any of these, every POST is a new matter.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from onegrid.access.models import User
from onegrid.kit import scope, validators
from onegrid.kit.errors import DomainError, NotFound
from onegrid.kit.fields import cipher
from onegrid.matters import definitions, intake
from onegrid.matters import selectors as matter_selectors
from onegrid.matters.models import Channel, Event, Matter
from onegrid.open311 import selectors
from onegrid.open311.errors import Open311Error, bad_request, forbidden, from_domain, not_found
from onegrid.open311.params import Params

NOT_PINPOINTED = "#NOTPINPOINTED#"  # FixMyStreet's address_id for a report placed without the map
MEDIA_LIMIT = 10
URL_LIMIT = 500
KEY_LIMIT = 80
TITLE_LIMIT = 80
NAME_LIMIT = 100
SUBMIT_PERMISSIONS = ("matters.report", "matters.create")
_TITLE_LABEL = re.compile(r"^(title|标题)\s*[:：]\s*", re.IGNORECASE)
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\u00b7]+$")
_http = URLValidator(schemes=["http", "https"])


@dataclass(slots=True)
class Submission:
    """The parameters of ``POST requests`` (GeoReport v2 §POST Service Request)."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    media_urls: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    device_id: str = ""
    account_id: str = ""
    idempotency_key: str = ""

    @classmethod
    def read(cls, params: Params, idempotency_header: str = "") -> Submission:
        return cls(
            service_code=params.get("service_code"),
            lat=params.get("lat"),
            long=params.get("long") or params.get("lon"),
            address_string=params.get("address_string"),
            address_id=params.get("address_id"),
            description=params.get("description"),
            media_urls=params.getlist("media_url"),
            attributes=params.attributes,
            email=params.get("email"),
            phone=params.get("phone"),
            first_name=params.get("first_name"),
            last_name=params.get("last_name"),
            device_id=params.get("device_id") or params.get("deviceid"),  # FixMyStreet sends ``deviceid``
            account_id=params.get("account_id"),
            idempotency_key=idempotency_header.strip() or params.get("idempotency_key"),
        )


def retry_key(s: Submission) -> str:
    """The idempotency key of this submission ("" for none); see the module docstring."""
    if s.idempotency_key:
        if len(s.idempotency_key) > KEY_LIMIT:
            raise bad_request(f"idempotency_key is longer than {KEY_LIMIT} characters")
        return f"open311:key:{s.idempotency_key}"
    if not (s.email or s.device_id or s.account_id):
        return ""
    content = {
        "service_code": s.service_code,
        "place": [s.lat, s.long, s.address_string, s.address_id],
        "description": s.description.replace("\r\n", "\n"),
        "media_url": sorted(s.media_urls),
        "attributes": {code: sorted(values) for code, values in s.attributes.items()},
        "contact": [s.email.lower(), s.device_id, s.account_id, s.phone, s.first_name, s.last_name],
        "day": timezone.localdate().isoformat(),
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return "open311:" + cipher().blind_index(canonical, purpose="open311.retry")


def title_of(description: str, service_name: str) -> str:
    """A title for the matter: the first line of the description (without a ``title:`` label, which
    FixMyStreet's extended description starts with), shortened; else the service's name."""
    for line in description.splitlines():
        line = _TITLE_LABEL.sub("", line.strip()).strip()
        if line:
            return line if len(line) <= TITLE_LIMIT else line[: TITLE_LIMIT - 1] + "…"
    return service_name


def full_name(first: str, last: str) -> str:
    """``张`` + ``三`` → ``张三`` (family name first, no space, for Chinese names); otherwise
    ``first last``."""
    if first and last and _CJK.match(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _coordinate(value: str, name: str, bound: float, problems: list[str]) -> float | None:
    try:
        number = float(value)
    except ValueError:
        problems.append(f"{name} must be a decimal number in WGS-84, not {value!r}")
        return None
    if not math.isfinite(number) or abs(number) > bound:
        problems.append(f"{name} {value} is outside [-{bound:g}, {bound:g}]")
        return None
    return number


@dataclass(frozen=True, slots=True)
class Place:
    lon: float | None = None
    lat: float | None = None
    area_code: str | None = None


def _place(s: Submission, actor: User, problems: list[str]) -> Place:
    """Where the matter is: a point, or an area code (``address_id``, else the api_key's own area)."""
    if s.lat or s.long:
        if not (s.lat and s.long):
            problems.append("send both lat and long")
            return Place()
        lat = _coordinate(s.lat, "lat", 90.0, problems)
        lon = _coordinate(s.long, "long", 180.0, problems)
        return Place(lon=lon, lat=lat)
    if s.address_id and s.address_id != NOT_PINPOINTED:
        return Place(area_code=s.address_id)
    token = getattr(actor, "api_token", None)
    if s.address_string and token is not None and token.area_path:
        return Place(area_code=token.area_path.strip("/").rsplit("/", 1)[-1])
    if s.address_string:
        problems.append(
            "address_string alone cannot be placed on the grid: send lat and long, "
            "or address_id with the code of the area"
        )
    else:
        problems.append("a location is required: lat and long, address_string or address_id")
    return Place()


def _media(urls: list[str], problems: list[str]) -> list[str]:
    if len(urls) > MEDIA_LIMIT:
        problems.append(f"send at most {MEDIA_LIMIT} media_url")
        return []
    kept = []
    for url in urls:
        try:
            if len(url) > URL_LIMIT:
                raise ValidationError("too long")
            _http(url)
        except ValidationError:
            problems.append(f"media_url must be an http or https URL of at most {URL_LIMIT} characters")
            continue
        kept.append(url)
    return kept


def _phone(value: str, problems: list[str]) -> str:
    if not value:
        return ""
    try:
        return validators.mobile(value, field="phone")
    except validators.IdentifierError as exc:
        problems.append(f"phone: {exc.reason}")
        return ""


def _email(value: str, problems: list[str]) -> str:
    if not value:
        return ""
    try:
        return validators.email(value, field="email")
    except validators.IdentifierError as exc:
        problems.append(f"email: {exc.reason}")
        return ""


def submit(*, actor: User, submission: Submission) -> tuple[Matter, bool]:
    """Take in ``submission`` for ``actor`` (the api_key's owner, with ``api_token`` set): (matter,
    created). Every problem with the request is reported at once; nothing is written unless all is well."""
    if not any(scope.has_permission(actor, p) for p in SUBMIT_PERMISSIONS):
        raise forbidden("this api_key may not submit requests: it needs matters.report or matters.create")
    key = retry_key(submission)
    if key:
        found = matter_selectors.earlier(actor, key)
        if found is not None:
            return found, False
    code = submission.service_code
    if not code:
        raise bad_request("service_code is required")
    category = selectors.service(code)
    if category is None:
        raise not_found(f"service_code {code!r} not found")
    try:
        attributes = definitions.parse(category.attributes)
    except definitions.BadDefinition as exc:
        raise bad_request(
            f"the definition of service {code} is misconfigured; please tell the operator"
        ) from exc
    answers, problems = definitions.answer(attributes, submission.attributes)
    place = _place(submission, actor, problems)
    media = _media(submission.media_urls, problems)
    phone = _phone(submission.phone, problems)
    email = _email(submission.email, problems)
    name = full_name(submission.first_name, submission.last_name)
    if len(name) > NAME_LIMIT:
        problems.append(f"first_name and last_name together are longer than {NAME_LIMIT} characters")
    if problems:
        raise bad_request(*problems)
    report = intake.Report(
        channel=Channel.OPEN311,
        category=category.code,
        title=title_of(submission.description, category.name),
        description=submission.description,
        lon=place.lon,
        lat=place.lat,
        area_code=place.area_code,
        address=submission.address_string,
        reporter_name=name,
        reporter_phone=phone,
        reporter_email=email,
        idempotency_key=key,
        extra=dict(answers),
    )
    try:
        with transaction.atomic():
            matter, created = intake.receive(actor=actor, report=report)
            if created:
                _record(actor, matter, attributes, answers, media)
    except NotFound as exc:  # intake's scope check: the place is outside the api_key's area
        raise forbidden(f"this api_key may not submit requests at this location ({exc.message})") from exc
    except DomainError as exc:
        raise from_domain(exc) from exc
    return matter, created


def _record(
    actor: User,
    matter: Matter,
    attributes: list[definitions.Attribute],
    answers: dict[str, definitions.Answer],
    media: list[str],
) -> None:
    """The Open311 part of the intake on the timeline: the answers (readable in the staff note), the
    media URLs and which api_key sent it. Belongs in ``matters.intake`` as ``Report.extra``."""
    labels = {a.code: a.description for a in attributes}
    lines = [
        f"{labels.get(code, code)}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
        for code, value in answers.items()
    ]
    lines += [f"media_url: {url}" for url in media]
    token = getattr(actor, "api_token", None)
    Event.objects.create(
        matter=matter,
        actor=actor,
        actor_label=actor.get_username(),
        action=selectors.SUBMIT_ACTION,
        from_status=matter.status,
        to_status=matter.status,
        note="\n".join(lines),
        data={
            "attributes": answers,
            "media_url": media,
            "api_token": token.prefix if token is not None else "",
        },
    )


__all__ = ["Open311Error", "Submission", "submit"]
