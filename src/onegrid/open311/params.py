"""Reading what a client sends: query string, form body (urlencoded or multipart) or a JSON object, and
the spec's ``attribute[CODE]`` / ``attribute[CODE][]`` answers; W3C dates and comma-delimited lists.

Tolerances, each seen in a real client or the spec's own text:
- values may come in the query string or the body (PyPI ``open311`` 1.1 posts ``api_key`` and
  ``jurisdiction_id`` in the query string and the rest in the form);
- an optional argument sent empty is the same as one not sent (the spec's "Optional Arguments");
- a JSON body may carry numbers where the spec has strings, ``"attribute": {"CODE": value-or-list}`` or
  flat ``"attribute[CODE]"`` keys;
- dates may be a bare date, lack the offset (read in the display time zone) or have their ``+`` turned
  into a space by a client that did not encode the query string.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from onegrid.open311.errors import bad_request

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")
_SPACED_OFFSET = re.compile(r" (\d{2}(?::?\d{2})?)$")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return str(value).strip()


class Params:
    """Every parameter of one request, body first, then the query string."""

    def __init__(self, request: HttpRequest) -> None:
        self._sources: list[QueryDict | dict[str, Any]] = []
        self.attributes: dict[str, list[str]] = {}
        if request.method == "POST":
            if request.content_type == "application/json":
                self._sources.append(self._json(request.body))
            else:
                self._sources.append(request.POST)
        self._sources.append(request.GET)
        for source in reversed(self._sources):  # the body wins over the query string
            self._collect_attributes(source)

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError) as exc:
            raise bad_request("the body is not valid UTF-8 JSON") from exc
        if not isinstance(data, dict):
            raise bad_request("a JSON body must be an object of parameters")
        return data

    def _collect_attributes(self, source: QueryDict | dict[str, Any]) -> None:
        for key in source:
            match = _ATTRIBUTE.match(key)
            if match is not None:
                self.attributes[match.group(1)] = self._values(source, key)
            elif key == "attribute" and isinstance(source, dict) and isinstance(nested := source[key], dict):
                for code, value in nested.items():
                    items = value if isinstance(value, list) else [value]
                    self.attributes[str(code)] = [t for t in map(_text, items) if t]

    @staticmethod
    def _values(source: QueryDict | dict[str, Any], key: str) -> list[str]:
        if isinstance(source, QueryDict):
            items: list[Any] = source.getlist(key)
        else:
            raw = source[key]
            items = raw if isinstance(raw, list) else [raw]
        return [t for t in map(_text, items) if t]

    def get(self, name: str) -> str:
        """The first non-empty value of ``name``, stripped; ``""`` when absent or empty."""
        for source in self._sources:
            if name in source:
                values = self._values(source, name)
                if values:
                    return values[0]
        return ""

    def getlist(self, name: str) -> list[str]:
        for source in self._sources:
            if name in source:
                values = self._values(source, name)
                if values:
                    return values
        return []


def comma_list(value: str) -> list[str]:
    """``"a, b,,a"`` → ``["a", "b"]``: trimmed, empties dropped, first occurrence kept."""
    seen: dict[str, None] = {}
    for item in value.split(","):
        item = item.strip()
        if item:
            seen.setdefault(item, None)
    return list(seen)


def moment(value: str, name: str) -> dt.datetime:
    """A W3C date or date-time (offset ``Z`` or ``±HH:MM``); 400 naming ``name`` otherwise."""
    text = _SPACED_OFFSET.sub(r"+\1", value.strip()) if "T" in value else value.strip()
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text)
            if day is not None:
                parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise bad_request(f"{name} must be a W3C date-time such as 2010-01-01T00:00:00Z, not {value!r}")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed
