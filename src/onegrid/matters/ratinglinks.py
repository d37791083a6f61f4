"""One-time rating links (评价链接) for reporters without an account: the token is sent once, by SMS or
e-mail when the matter is closed, and only its hash is kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from onegrid.matters.models import Matter, RatingToken

TOKEN_DAYS = 30
PATH = "/r/{token}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(matter: Matter) -> str:
    """Store the hash of a fresh token for ``matter`` and return the token (shown or sent once)."""
    token = secrets.token_urlsafe(24)
    RatingToken.objects.create(
        matter=matter, digest=digest(token), expires_at=timezone.now() + dt.timedelta(days=TOKEN_DAYS)
    )
    return token


def link(token: str) -> str:
    """The link as the reporter receives it: absolute when ``ONEGRID_SITE_URL`` is set."""
    return f"{settings.NOTIFY_SITE_URL}{PATH.format(token=token)}"


def invitation(matter: Matter, token: str) -> str:
    """The text that invites the reporter to rate, in the site's language (residents read the
    language of the place, not of the operator who closed the matter)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "Your report %(number)s has been dealt with. Please rate the outcome: %(link)s "
            "(valid for %(days)d days)."
        ) % {"number": matter.number, "link": link(token), "days": TOKEN_DAYS}
