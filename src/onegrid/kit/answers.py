"""API answers built as dictionaries in the shape of their declared schema and rendered as they are.

django-ninja validates every answer against the operation's response schema before rendering it: each
value goes through a getter object and pydantic, about half a millisecond for a matter with its timeline
and a millisecond for a page of fifty. The hot operations build their dictionaries field by field from
what they read, already in the schema's shape, so ``answer`` renders them with ninja's own JSON encoder
(the same output) and skips that pass. The declared ``response`` stays what the OpenAPI description
publishes; with ``settings.CHECK_ANSWERS`` (on in the test suite) every answer is still validated against
its schema and must render exactly as the validated one does, so a dictionary that drifts from its
schema fails the tests.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

CONTENT_TYPE = "application/json; charset=utf-8"


def answer(data: Any, schema: type[BaseModel], status: int = 200) -> HttpResponse:
    """``data`` (in the shape of ``schema``) as the JSON answer with ``status``."""
    body = json.dumps(data, cls=NinjaJSONEncoder)
    if getattr(settings, "CHECK_ANSWERS", False):
        checked = json.dumps(schema.model_validate(data).model_dump(), cls=NinjaJSONEncoder)
        if json.loads(checked) != json.loads(body):
            raise AssertionError(f"the answer does not match {schema.__name__}:\n{body}\n{checked}")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE)
