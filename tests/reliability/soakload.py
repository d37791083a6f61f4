"""The soak's load generator, a process of its own: ``python tests/reliability/soakload.py < plan.json``.

Open loop: request ``i`` is due at ``start + i / rate`` whatever happened to the ones before it, and its
latency is measured from that moment, so a slow server shows up as latency (and a lower achieved rate)
instead of as fewer requests sent (no coordinated omission). Requests go over a fixed pool of
keep-alive HTTP/1.1 connections; when every connection is busy a due request waits for one, and the
wait counts. Standard library only (asyncio streams), so it costs little of the machine it measures.

The mix, in every cycle of 20 due requests (shuffled within the cycle): 10 reads (5 queue lists with
filters, 5 single matters with their timeline), 4 intakes (POST with an idempotency key), 3 lifecycle
steps (register → dispatch → accept → resolve, each on a matter this generator took in, and never a
step on a matter whose previous step has not answered yet: every matter is moved by one logical
client, so a 409 is a real error), 3 dashboards (statistics summary, figures per child area, and the
command centre's queue page over a signed-in session).

Prints ``{"event": "measuring", ...}`` when the warm-up ends and the measured part begins, then one
JSON document with the results. Every answer that is not the expected 2xx is an error.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import random
import re
import sys
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from typing import Any

CYCLE = ["list"] * 5 + ["get"] * 5 + ["intake"] * 4 + ["step"] * 3 + ["summary", "children", "centre"]
STEPS = ["register", "dispatch", "accept", "resolve"]
TIMEOUT = 30.0
MAX_SAMPLES = 20
# A request still waiting for a connection this long after it was due is not sent (and counts as an
# error): a server that cannot keep up fails the run in about a minute instead of draining a backlog.
MAX_LAG = 15.0
DUE: contextvars.ContextVar[float] = contextvars.ContextVar("due", default=0.0)


class HttpFailure(Exception):
    """The connection broke, the answer was not HTTP, or not the expected one."""


class NotSent(Exception):
    """Not sent: the server was too far behind (``MAX_LAG``), or there was no matter to move because the
    intakes before were not sent. Counted apart from wrong answers, and fails the run as well."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)


class Connection:
    """One keep-alive HTTP/1.1 connection to the site, opened on first use and again after the server
    closed it while idle."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Answer:
        if self.reader is None or self.writer is None or self.reader.at_eof():
            self.close()
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        try:
            return await self._read()
        except BaseException:
            self.close()  # half-read: the connection cannot be reused
            raise

    async def _read(self) -> Answer:
        assert self.reader is not None
        line = await self.reader.readline()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpFailure(f"no status line: {line[:80]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        while True:
            raw = await self.reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readline()).split(b";", 1)[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            body = b"".join(chunks)
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, body, cookies)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    not_sent: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    completed: int = 0
    last_done: float = 0.0

    def error(self, kind: str, text: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"{kind}: {text}")


class Workload:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.port = int(plan["port"])
        self.rng = random.Random(plan.get("seed", 5))
        self.county = {"Authorization": f"Bearer {plan['county_token']}"}
        self.handler = {"Authorization": f"Bearer {plan['handler_token']}"}
        self.pool: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(int(plan.get("connections", 32))):
            self.pool.put_nowait(Connection(self.port))
        self.session = ""
        self.known: list[str] = []  # numbers of matters taken in, for single reads
        self.ready: list[deque[str]] = [deque() for _ in STEPS]  # matters waiting for STEPS[i]
        self.keys = 0
        self.run_id = plan.get("run_id", f"{time.time_ns():x}")
        self.warm = Tally()
        self.measured = Tally()
        self.lateness = 0.0  # how late the generator itself sent anything (it must keep up)

    # ------------------------------------------------------------------ requests of each kind

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, *, expect: tuple[int, ...]
    ) -> Answer:
        data = b""
        headers = dict(headers)
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        connection = await self.pool.get()
        late = asyncio.get_running_loop().time() - DUE.get()
        if DUE.get() and late > MAX_LAG:
            self.pool.put_nowait(connection)
            raise NotSent(f"{method} {path}: the server is {late:.0f} s behind")
        try:
            answer = await asyncio.wait_for(connection.request(method, path, headers, data), TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, HttpFailure, TimeoutError) as exc:
            raise HttpFailure(f"{method} {path}: {type(exc).__name__} {exc}") from exc
        finally:
            self.pool.put_nowait(connection)
        if answer.status not in expect:
            text = answer.body[:200].decode("utf-8", "replace")
            raise HttpFailure(f"{method} {path}: {answer.status} {text}")
        return answer

    async def do(self, kind: str) -> None:
        if kind == "list":
            await self.call(
                "GET", "/api/v1/matters/?" + self.rng.choice(self.list_queries), self.county, expect=(200,)
            )
        elif kind == "get":
            number = self.rng.choice(self.known[-2000:])
            answer = await self.call("GET", f"/api/v1/matters/{number}", self.county, expect=(200,))
            if json.loads(answer.body)["number"] != number:
                raise HttpFailure(f"asked for {number}, got another matter")
        elif kind == "intake":
            await self.intake()
        elif kind == "step":
            await self.step()
        elif kind == "summary":
            await self.call("GET", "/api/v1/matters/stats/summary", self.county, expect=(200,))
        elif kind == "children":
            await self.call("GET", "/api/v1/matters/stats/by/children", self.county, expect=(200,))
        elif kind == "centre":
            query = self.rng.choice(["", "?status=received", "?status=dispatched", "?due=overdue"])
            answer = await self.call("GET", f"/centre/{query}", {"Cookie": self.session}, expect=(200,))
            if b"<html" not in answer.body[:500].lower():
                raise HttpFailure("the queue page is not a page")
        else:
            raise ValueError(kind)

    async def intake(self) -> None:
        self.keys += 1
        lon, lat = self.rng.choice(self.plan["points"])
        body = {
            "channel": self.rng.choice(["hotline_12345", "resident_app", "grid_patrol"]),
            "category": self.rng.choice(self.plan["categories"]),
            "title": f"压力测试 {self.run_id}-{self.keys}",
            "description": "小区门口垃圾堆积，三天未清运，气味很大。",
            "lon": lon,
            "lat": lat,
            "reporter_phone": "13812345678",
            "idempotency_key": f"soak-{self.run_id}-{self.keys}",
        }
        answer = await self.call("POST", "/api/v1/matters/", self.county, body, expect=(201,))
        number = json.loads(answer.body)["number"]
        self.known.append(number)
        self.ready[0].append(number)

    async def step(self) -> None:
        # the most advanced matter first, so lifecycles finish and every status stays in the mix
        stage = next((i for i in reversed(range(len(STEPS))) if self.ready[i]), None)
        if stage is None:
            raise NotSent("step: no matter taken in and ready to move")
        number = self.ready[stage].popleft()
        step = STEPS[stage]
        body: dict[str, Any] = {"note": ""}
        if step == "dispatch":
            body = {"organisation": self.plan["department"], "override_reason": "压力测试固定派往城管"}
        headers = self.county if step in ("register", "dispatch") else self.handler
        answer = await self.call("POST", f"/api/v1/matters/{number}/{step}", headers, body, expect=(200,))
        status = json.loads(answer.body)["status"]
        wanted = {
            "register": "registered",
            "dispatch": "dispatched",
            "accept": "accepted",
            "resolve": "resolved",
        }
        if status != wanted[step]:
            raise HttpFailure(f"{step} {number} left it {status}")
        if stage + 1 < len(STEPS):
            self.ready[stage + 1].append(number)

    async def sign_in(self) -> None:
        """The command centre is a browser page: sign in through the login form, as a person would."""
        page = await self.call("GET", "/login/", {}, expect=(200,))
        csrf = page.cookies.get("csrftoken", "")
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if not csrf or found is None:
            raise HttpFailure("the login page has no CSRF token")
        form = urllib.parse.urlencode(
            {
                "username": "county",
                "password": self.plan["password"],
                "csrfmiddlewaretoken": found.group(1).decode(),
            }
        ).encode()
        connection = await self.pool.get()
        try:
            answer = await connection.request(
                "POST",
                "/login/",
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={csrf}",
                    "Referer": f"http://127.0.0.1:{self.port}/login/",
                },
                form,
            )
        finally:
            self.pool.put_nowait(connection)
        if answer.status != 302 or "sessionid" not in answer.cookies:
            raise HttpFailure(f"signing in failed: {answer.status} {answer.body[:200]!r}")
        self.session = f"sessionid={answer.cookies['sessionid']}; csrftoken={csrf}"

    # ------------------------------------------------------------------ the open-loop schedule

    async def one(self, kind: str, due: float, tally: Tally) -> None:
        loop = asyncio.get_running_loop()
        DUE.set(due)
        try:
            await self.do(kind)
        except HttpFailure as exc:
            tally.error(kind, str(exc))
            return
        except NotSent:
            tally.not_sent += 1
            return
        except Exception as exc:  # a malformed answer (bad JSON, missing field) is an error too
            tally.error(kind, f"{type(exc).__name__}: {exc}")
            return
        done = loop.time()
        tally.latencies.setdefault(kind, []).append(done - due)
        tally.completed += 1
        tally.last_done = done

    async def phase(self, seconds: float, rate: float, tally: Tally) -> float:
        loop = asyncio.get_running_loop()
        total = round(seconds * rate)
        start = loop.time() + 0.05
        tasks: set[asyncio.Task[None]] = set()
        cycle: list[str] = []
        for i in range(total):
            if not cycle:
                cycle = CYCLE[:]
                self.rng.shuffle(cycle)
            kind = cycle.pop()
            due = start + i / rate
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                self.lateness = max(self.lateness, -wait)
            task = asyncio.create_task(self.one(kind, due, tally))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
        return start

    async def run(self) -> dict[str, Any]:
        self.list_queries = [
            "limit=20",
            "limit=20&status=received",
            "limit=20&status=registered&status=dispatched",
            "limit=50&overdue=false",
            "limit=20&channel=hotline_12345",
            f"limit=20&category={self.plan['categories'][0]}",
            f"limit=20&area={self.plan['area']}",
        ]
        await self.sign_in()
        # warm-up: enough matters taken in to read and move, every code path loaded in every worker
        for _ in range(int(self.plan.get("seed_matters", 40))):
            await self.intake()
        await self.phase(float(self.plan["warmup"]), float(self.plan["rate"]), self.warm)
        sys.stdout.write(json.dumps({"event": "measuring", "at": time.time()}) + "\n")
        sys.stdout.flush()
        self.cpu_at_start = time.process_time()
        start = await self.phase(float(self.plan["seconds"]), float(self.plan["rate"]), self.measured)
        m = self.measured
        elapsed = max(m.last_done, start + float(self.plan["seconds"])) - start
        planned = round(float(self.plan["seconds"]) * float(self.plan["rate"]))
        for connection in [self.pool.get_nowait() for _ in range(self.pool.qsize())]:
            connection.close()
        return {
            "event": "done",
            "planned": planned,
            "completed": m.completed,
            "errors": m.errors + self.warm.errors,
            "not_sent": m.not_sent + self.warm.not_sent,
            "error_kinds": m.error_kinds | {f"warm-up {k}": v for k, v in self.warm.error_kinds.items()},
            "error_samples": self.warm.samples + m.samples,
            "seconds": elapsed,
            "rate": m.completed / elapsed,
            "latency_ms": {k: sorted(round(x * 1000, 3) for x in v) for k, v in m.latencies.items()},
            "generator_lateness_ms": round(self.lateness * 1000, 1),
            "matters_taken_in": len(self.known),
            "lifecycles_finished": len(self.known) - sum(len(q) for q in self.ready),
            "warmup_completed": self.warm.completed,
            "cpu_s": time.process_time() - self.cpu_at_start,
        }


def main() -> None:
    plan = json.load(sys.stdin)
    result = asyncio.run(Workload(plan).run())
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
