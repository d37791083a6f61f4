"""SMS gateways for tests, importable by dotted path (settings.NOTIFY_SMS_GATEWAY)."""

from __future__ import annotations

import threading
from typing import ClassVar


class Recording:
    """Keeps every text instead of sending it."""

    sent: ClassVar[list[tuple[str, str]]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            self.sent.append((phone, text))


class Refusing:
    """A provider that is down."""

    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("gateway unavailable")
