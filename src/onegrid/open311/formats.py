"""Open311 documents as XML and JSON (GeoReport v2 §Format Support).

A document is built once as plain Python (dicts in the spec's field order, lists, scalars) and written in
either format. XML: a declaration with ``encoding="UTF-8"``, no namespace, the spec's element names, every
list wrapped in its plural element with one singular element per item (``<services><service>``), every
value escaped by ElementTree, and characters XML 1.0 cannot carry replaced by U+FFFD so the document stays
well-formed whatever was stored. JSON: the Spark convention as in the spec's examples: lists are bare
arrays, ``None`` is ``null``, and ``<``, ``>``, ``&`` are written as ``\\u003c``... so that no text ever
reads as markup, even if a browser is tricked into rendering the body (the parsed value is unchanged).
In XML a ``None`` value is left out rather than written as an empty element, which Perl's XML::Simple
(FixMyStreet) would read as a hash instead of an absent value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
MIME_TYPES = ("text/xml", "application/json")

# The singular element of each plural one (the JSON side has a bare array instead).
ITEMS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_JSON_MARKUP = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def w3c(moment: dt.datetime) -> str:
    """``2026-11-22T09:30:00+08:00``: the W3C profile of ISO 8601 with the offset the spec requires, in
    the installation's display time zone."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return w3c(value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3c(value)
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for name, child in value.items():
            if child is None:
                continue
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        item = ITEMS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root: str, document: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, document)
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_jsonable(v) for v in value]
    return _scalar(value)


def to_json(document: Any) -> bytes:
    text = json.dumps(_jsonable(document), ensure_ascii=False, allow_nan=False)
    return text.translate(_JSON_MARKUP).encode("utf-8")


def render(fmt: str, root: str, document: Any, *, status: int = 200) -> HttpResponse:
    """``document`` under the XML element ``root`` (a list becomes one ``ITEMS[root]`` element per item),
    or as JSON."""
    body = to_xml(root, document) if fmt == "xml" else to_json(document)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(fmt: str, status: int, errors: Sequence[tuple[int, str]]) -> HttpResponse:
    document = [{"code": code, "description": description} for code, description in errors]
    return render(fmt, "errors", document, status=status)
