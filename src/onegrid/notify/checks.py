"""Checks of what callers ask for, returning the canonical value or raising ``Invalid`` naming the field.
Shared by the services and the back office so that both refuse the same things."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from onegrid.kit.errors import Invalid
from onegrid.notify import catalog

CATEGORY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_ITEMS = 100


def _strings(values: Iterable[object], field: str) -> list[str]:
    out: set[str] = set()
    for count, item in enumerate(values, start=1):
        if count > MAX_ITEMS:
            raise Invalid(f"at most {MAX_ITEMS} values", field=field)
        if not isinstance(item, str):
            raise Invalid(f"every value must be text, not {type(item).__name__}", field=field)
        out.add(item)
    return sorted(out)


def events(values: Iterable[object], field: str = "events") -> list[str]:
    """Registered event names, sorted and without repeats; empty means every event."""
    names = _strings(values, field)
    if missing := catalog.unknown(names):
        raise Invalid(f"unknown event {missing[0]!r}", field=field)
    return names


def categories(values: Iterable[object], field: str = "categories") -> list[str]:
    """Category codes (the business apps own them), sorted and without repeats; empty means any."""
    names = _strings(values, field)
    for name in names:
        if not CATEGORY.match(name):
            raise Invalid(f"category {name!r} must be 1-64 letters, digits or _ . : -", field=field)
    return names


def channels(values: Iterable[object], field: str = "channels") -> list[str]:
    """At least one of the channels a person is reached on (inbox, email, sms)."""
    names = _strings(values, field)
    if not names:
        raise Invalid(f"choose at least one of {', '.join(catalog.PERSONAL_CHANNELS)}", field=field)
    for name in names:
        if name not in catalog.PERSONAL_CHANNELS:
            raise Invalid(
                f"unknown channel {name!r}; use {', '.join(catalog.PERSONAL_CHANNELS)}", field=field
            )
    return names


def webhook_url(value: str, field: str = "url") -> str:
    """An absolute http or https URL with a host and without credentials or a fragment."""
    text = value.strip()
    if len(text) > 500:
        raise Invalid("the URL must not exceed 500 characters", field=field)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise Invalid(f"not a valid URL: {exc}", field=field) from None
    if parts.scheme not in ("http", "https"):
        raise Invalid("the URL must start with http:// or https://", field=field)
    if not parts.hostname:
        raise Invalid("the URL must name a host", field=field)
    if parts.username is not None or parts.password is not None:
        raise Invalid("put no credentials in the URL; receivers check the signature instead", field=field)
    if parts.fragment:
        raise Invalid("the URL must not have a #fragment", field=field)
    if port == 0:
        raise Invalid("the URL's port must be between 1 and 65535", field=field)
    if any(ch.isspace() for ch in text):
        raise Invalid("the URL must not contain spaces", field=field)
    return text
