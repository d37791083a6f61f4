"""kit.threaded_asgi: ASGI requests become WSGI environs on the pool's threads, answers go back chunk by
chunk, the response is closed in the thread that made it, and a client that leaves early costs nothing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings

from onegrid.kit.threaded_asgi import ThreadPoolASGI


class Recorder:
    """A WSGI application that answers with ``chunks`` and remembers what it was given."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.environ: dict[str, Any] = {}
        self.body = b""
        self.threads: set[str] = set()
        self.closed_in = ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.environ = environ
        self.body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        self.threads.add(threading.current_thread().name)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", " a=1; Path=/")])
        recorder = self

        class Answer:
            def __iter__(self) -> Iterator[bytes]:
                return iter(recorder.chunks)

            def close(self) -> None:
                recorder.closed_in = threading.current_thread().name

        return Answer()


def run(coroutine: Any) -> None:
    """Run ``coroutine`` to its end on a thread of its own: the thread running the tests may already
    have an event loop running (the browser tests' Playwright keeps one while a browser is open)."""
    failed: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as exc:  # handed back to the test's thread
            failed.append(exc)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


def call(app: Any, scope: dict[str, Any], body: list[bytes] | None = None) -> list[dict[str, Any]]:
    incoming = [
        {"type": "http.request", "body": part, "more_body": i < len(body or [b""]) - 1}
        for i, part in enumerate(body or [b""])
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run(app(scope, receive, send))
    return sent


def scope(**extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/地区/",
        "root_path": "",
        "query_string": b"q=%E5%9E%83&limit=5",
        "headers": [
            (b"content-type", b"application/json"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"x-request-id", b"abcdefgh1234"),
        ],
        "client": ("127.0.0.9", 5555),
        "server": ("127.0.0.1", 8000),
        **extra,
    }


def test_a_request_becomes_a_wsgi_environ_with_the_whole_body() -> None:
    app = Recorder([b"ok"])
    sent = call(ThreadPoolASGI(app, threads=2), scope(), body=[b'{"a":', b" 1}"])
    env = app.environ
    assert env["REQUEST_METHOD"] == "POST"
    assert env["PATH_INFO"].encode("latin-1").decode("utf-8") == "/api/v1/地区/"
    assert env["QUERY_STRING"] == "q=%E5%9E%83&limit=5"
    assert env["CONTENT_TYPE"] == "application/json"
    assert env["HTTP_COOKIE"] == "a=1; b=2"
    assert env["HTTP_X_REQUEST_ID"] == "abcdefgh1234"
    assert (env["REMOTE_ADDR"], env["SERVER_NAME"], env["SERVER_PORT"]) == ("127.0.0.9", "127.0.0.1", "8000")
    assert app.body == b'{"a": 1}'  # sent in two parts with no Content-Length of its own
    assert env["CONTENT_LENGTH"] == "8"
    start, last = sent
    assert start["status"] == 200
    assert (b"set-cookie", b"a=1; Path=/") in start["headers"]  # Django's leading space is dropped
    assert last == {"type": "http.response.body", "body": b"ok", "more_body": False}


def test_chunks_go_back_in_order_and_the_answer_is_closed_on_its_thread() -> None:
    app = Recorder([b"one", b"two", b"three"])
    sent = call(ThreadPoolASGI(app, threads=1), scope(method="GET"))
    assert [m["type"] for m in sent] == ["http.response.start"] + ["http.response.body"] * 3
    assert [(m["body"], m["more_body"]) for m in sent[1:]] == [
        (b"one", True),
        (b"two", True),
        (b"three", False),
    ]
    assert app.closed_in in app.threads
    assert all(name.startswith("request") for name in app.threads)


def test_requests_share_the_fixed_pool_of_threads() -> None:
    app = Recorder([b"ok"])
    pool = ThreadPoolASGI(app, threads=2)
    for _ in range(6):
        call(pool, scope(method="GET"))
    assert 1 <= len(app.threads) <= 2


def test_a_client_that_leaves_before_its_body_is_complete_gets_nothing_run() -> None:
    app = Recorder([b"ok"])
    incoming = [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run(ThreadPoolASGI(app, threads=1)(scope(), receive, send))
    assert sent == []
    assert app.environ == {}


def test_lifespan_is_acknowledged() -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run(ThreadPoolASGI(Recorder([]), threads=1)({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_other_protocols_are_refused() -> None:
    with pytest.raises(ValueError, match="HTTP only"):
        call(ThreadPoolASGI(Recorder([]), threads=1), {"type": "websocket"})


@override_settings(ALLOWED_HOSTS=["127.0.0.1"])
def test_django_answers_through_it() -> None:
    request = scope(method="GET", path="/api/v1/openapi.json", query_string=b"", headers=[])
    sent = call(ThreadPoolASGI(WSGIHandler(), threads=1), request)
    assert sent[0]["status"] == 200
    assert b'"title": "OneGrid API"' in b"".join(m.get("body", b"") for m in sent[1:])
