"""Model fields for personal data: encrypted at rest (AES-GCM) with an optional blind index column."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import models

from onegrid.kit.crypto import PiiCipher


@functools.cache
def cipher() -> PiiCipher:
    """The process-wide cipher built from ``settings.PII_KEYS`` (first key is current)."""
    return PiiCipher(settings.PII_KEYS, settings.PII_CURRENT_KEY)


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Holds plaintext in Python and an AES-GCM token in the database, bound to ``context`` so a
    token cannot be moved to another column. Empty strings are stored as empty strings."""

    def __init__(self, *args: Any, context: str, **kwargs: Any) -> None:
        self.context = context
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["context"] = self.context
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return cipher().decrypt(value, context=self.context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return cipher().encrypt(str(value), context=self.context)


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """An HMAC of another field's normalised plaintext, for exact-match search without decrypting.
    Filled on save from ``source``; query it with ``blind_index(value, purpose)``."""

    def __init__(self, *args: Any, source: str, purpose: str, **kwargs: Any) -> None:
        self.source, self.purpose = source, purpose
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose)
        for key in ("max_length", "blank", "editable", "db_index"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        plain = getattr(model_instance, self.source) or ""
        value = blind_index(plain, purpose=self.purpose) if plain else ""
        setattr(model_instance, self.attname, value)
        return value


def blind_index(value: str, *, purpose: str) -> str:
    return cipher().blind_index(value, purpose=purpose)
