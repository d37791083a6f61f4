"""Text messages (短信) go out through a gateway: an object with ``send(phone, text)``.

The gateway is named by the dotted path in ``settings.NOTIFY_SMS_GATEWAY`` (``ONEGRID_SMS_GATEWAY``)
and built once per process without arguments; it reads its own credentials from settings. The default,
``ConsoleGateway``, writes each text to standard output (phone masked), as Django's console
e-mail backend does with mail. A real gateway wraps a provider's API, raises on any
failure so that the worker retries, and adds the provider's sender signature (短信签名) if it needs one.
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import Protocol, TextIO, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from onegrid.kit.crypto import mask_phone


@runtime_checkable
class Gateway(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Hand one text to the provider; raise if it was not accepted."""


class ConsoleGateway:
    """Development gateway: writes each text to standard output instead of sending it."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            self.stream.write(f"SMS to {mask_phone(phone)}: {text}\n")
            self.stream.flush()


@functools.cache
def _build(path: str) -> Gateway:
    gateway = import_string(path)()
    if not isinstance(gateway, Gateway):
        raise TypeError(f"{path} has no send(phone, text) method")
    return gateway


def gateway() -> Gateway:
    """The configured gateway (one instance per process and setting)."""
    return _build(settings.NOTIFY_SMS_GATEWAY)
