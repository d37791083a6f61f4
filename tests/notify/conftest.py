"""Fixtures of the notify tests: registered events, a recording SMS gateway and a real HTTP receiver on
127.0.0.1 that checks the signature of what it gets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.notify import events  # noqa: F401  (registers the drill.* events)
from tests.notify.gateways import Recording

from onegrid.notify import webhooks


@dataclass
class Hit:
    headers: HTTPMessage  # names are case-insensitive, as in HTTP
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 answering every POST with ``status`` and keeping what it got."""

    url: str
    status: int = 200
    secret: str = ""
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliveries(self) -> list[str]:
        return [h.headers["X-OneGrid-Delivery"] for h in self.hits]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = webhooks.verify(
                receiver.secret,
                self.headers.get("X-OneGrid-Timestamp", ""),
                body,
                self.headers.get("X-OneGrid-Signature", ""),
            )
            with receiver.lock:
                receiver.hits.append(Hit(self.headers, body, ok))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(url="")))
    target = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/onegrid")
    server.RequestHandlerClass = _handler(target)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield target
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def refused_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/nothing-here"


@pytest.fixture
def texts(settings: Any) -> Iterator[list[tuple[str, str]]]:
    settings.NOTIFY_SMS_GATEWAY = "tests.notify.gateways.Recording"
    Recording.sent.clear()
    yield Recording.sent
    Recording.sent.clear()
