"""The base of every request body: parsed JSON validated by pydantic once.

django-ninja's ``Schema`` validates each object twice when it forbids extra fields: once as given, then
again through a getter meant for ORM objects (attributes, ``resolve_*`` methods) that a JSON body never
holds. A batch of 500 matters went through that pass twice per item, about a fifth of the batch intake's
CPU. ``Incoming`` keeps ``Schema`` (for the OpenAPI description) and validates a dictionary directly;
anything else (an object given in code) still goes through ``Schema``'s path. Bodies are strict and
refuse unknown fields unless a subclass says otherwise.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, ModelWrapValidatorHandler, ValidationInfo, model_validator


class Incoming(Schema):
    model_config = ConfigDict(strict=True, extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        if isinstance(values, dict):
            return handler(values)
        handler(values)  # extra fields are forbidden: checked on the object itself
        return handler(DjangoGetter(values, cls, info.context))
