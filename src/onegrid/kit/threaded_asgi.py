"""Serve Django's synchronous handler over ASGI on a fixed pool of threads.

Django's own ASGI handler runs every request's synchronous code (middleware, views, the ORM) on a new
thread of its own. Each such thread opens its own database connection, so a connection cannot be kept
between requests (kept ones pile up, one per dead thread) and every request pays for opening one: a
new server process on PostgreSQL, a WAL checkpoint when SQLite's last connection closes. Measured on
the soak's mixed workload that was about half of all the server's time.

Here an ASGI server (uvicorn) keeps the sockets and HTTP parsing on its event loop, and each request runs
through Django's WSGI handler on one of ``threads`` long-lived threads. The body is read before the
request is handed to a thread (spooled to disk past ``FILE_UPLOAD_MAX_MEMORY_SIZE``, as Django's ASGI
handler does); the response goes back chunk by chunk, each chunk handed to the event loop and waited
for, so a slow client holds its thread instead of filling memory. Closing the response fires Django's
``request_finished`` in the request's own thread, so ``CONN_MAX_AGE`` works as under any WSGI server:
at most ``threads`` connections per process, reused, and checked at each request's start.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import IO, Any

from django.conf import settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ThreadPoolASGI:
    """An ASGI application running the WSGI application ``app`` on ``threads`` threads."""

    def __init__(self, app: WSGIApp, threads: int) -> None:
        self.app = app
        self.threads = threads
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"OneGrid serves HTTP only, not {scope['type']}")
        body = await self._body(receive)
        if body is None:
            return  # the client went away before it finished sending
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.pool, self._respond, loop, scope, body, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.pool.shutdown(wait=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _body(receive: Receive) -> IO[bytes] | None:
        # closed by _respond once the request is done, or below when the client leaves
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                return None
            body.write(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body.seek(0)
        return body

    def _respond(self, loop: asyncio.AbstractEventLoop, scope: Scope, body: IO[bytes], send: Send) -> None:
        """On a pool thread: run the request through Django and hand every message to the event loop."""

        def emit(*messages: Message) -> None:
            asyncio.run_coroutine_threadsafe(_send_all(send, messages), loop).result()

        started: list[Message] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            started[:] = [
                {
                    "type": "http.response.start",
                    "status": int(status.split(" ", 1)[0]),
                    # Django writes each Set-Cookie value with a leading space; HTTP ignores it, h11 refuses it
                    "headers": [
                        (k.lower().encode("latin-1"), v.strip().encode("latin-1")) for k, v in headers
                    ],
                }
            ]

        try:
            result = self.app(environ(scope, body), start_response)
            try:
                # one hand-over per chunk; an ordinary response (one chunk) goes in a single one with its start
                pending: bytes | None = None
                for chunk in result:
                    if pending is not None:
                        emit(
                            *_take(started),
                            {"type": "http.response.body", "body": pending, "more_body": True},
                        )
                    pending = chunk
                final = {"type": "http.response.body", "body": pending or b"", "more_body": False}
                emit(*_take(started), final)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # Django's request_finished: connections closed or kept, per CONN_MAX_AGE
        finally:
            body.close()


def _take(started: list[Message]) -> list[Message]:
    taken = started[:]
    started.clear()
    return taken


async def _send_all(send: Send, messages: Iterable[Message]) -> None:
    for message in messages:
        await send(message)


def environ(scope: Scope, body: IO[bytes]) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP request whose whole body is in ``body``."""
    body.seek(0, 2)
    length = body.tell()
    body.seek(0)
    script_name = scope.get("root_path", "")
    path = scope["path"]
    if script_name and path.startswith(script_name):
        path = path[len(script_name) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    env: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or ""),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(length),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":
            continue  # the length of the body as received (a chunked request has none of its own)
        key = "CONTENT_TYPE" if name == "CONTENT_TYPE" else f"HTTP_{name}"
        if key in env:
            value = env[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        env[key] = value
    return env
