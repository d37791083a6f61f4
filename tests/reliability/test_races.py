"""Races on a real server with two worker processes, on the database the suite runs on: two operators
registering or dispatching the same matter at the same instant (one wins, the other gets a 409 and
nothing is done twice), and two deadline sweepers running at once (every warning and overdue mark is
emitted exactly once)."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
from collections import Counter
from typing import Any

import pytest
from tests.reliability.livesite import ONEGRID, LiveSite

pytestmark = [pytest.mark.slow]

MATTERS = 40

SETUP = """
import json
from shapely.geometry import shape
from onegrid.access.models import Organisation
from onegrid.areas.models import Area
grid = Area.objects.filter(level=6).order_by("path").first()
p = shape(grid.geometry).representative_point()
department = Organisation.objects.filter(kind="department").order_by("code").first()
print(json.dumps({"point": [p.x, p.y], "department": department.code}))
"""

DUE = """
import datetime as dt, json
from django.utils import timezone
from onegrid.matters.models import Matter
past = timezone.now() - dt.timedelta(minutes=5)
n = Matter.objects.filter(status="dispatched").update(warn_at=past, due_at=past)
print(json.dumps(n))
"""

SWEEP = """
import json
from onegrid.matters import sweeps
total = 0
while (n := sweeps.sweep()):
    total += n
print(json.dumps(total))
"""

EVENTS = """
import json
from django.db.models import Count
from onegrid.matters.models import Event
rows = Event.objects.values("matter_id", "action").annotate(n=Count("id"))
print(json.dumps([[r["matter_id"], r["action"], r["n"]] for r in rows]))
"""


def call(site: LiveSite, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request(method, path, payload, headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def at_once(site: LiveSite, tokens: list[str], path: str, body: dict[str, Any]) -> list[int]:
    """POST ``body`` to ``path`` from each token at the same instant; the status codes."""
    start = threading.Barrier(len(tokens))
    statuses: list[int] = []

    def go(token: str) -> None:
        start.wait()
        statuses.append(call(site, token, "POST", path, body)[0])

    threads = [threading.Thread(target=go, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return sorted(statuses)


def test_racing_operators_and_sweepers_never_do_anything_twice(site: LiveSite) -> None:
    steps = ("matters.view", "matters.register", "matters.dispatch")
    first = site.set_up("matters.create", *steps)
    second = site.token("admin", *steps)
    facts = site.python(SETUP)
    site.start(workers=2)
    numbers = []
    for i in range(MATTERS):
        status, out = call(
            site,
            first,
            "POST",
            "/api/v1/matters/",
            {
                "channel": "hotline_12345",
                "category": "garbage",
                "title": f"并发 {i}",
                "lon": facts["point"][0],
                "lat": facts["point"][1],
            },
        )
        assert status == 201, out
        numbers.append(out["number"])

    outcomes: Counter[tuple[int, ...]] = Counter()
    for number in numbers:
        outcomes[tuple(at_once(site, [first, second], f"/api/v1/matters/{number}/register", {}))] += 1
        dispatch = {"organisation": facts["department"], "override_reason": "演练"}
        outcomes[tuple(at_once(site, [first, second], f"/api/v1/matters/{number}/dispatch", dispatch))] += 1
    assert outcomes == {(200, 409): 2 * MATTERS}

    assert site.python(DUE) == MATTERS
    sweepers = [
        subprocess.Popen([*ONEGRID, "shell", "-c", SWEEP], env=site.env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    emitted = [int(p.communicate(timeout=300)[0].strip().splitlines()[-1]) for p in sweepers]
    assert sum(emitted) == 2 * MATTERS  # one warning and one overdue mark per matter, between them

    counts = Counter((action, n) for _matter, action, n in site.python(EVENTS))
    for action in ("register", "dispatch", "deadline_warning", "overdue"):
        assert counts[(action, 1)] == MATTERS, action
        assert not any(a == action and n > 1 for a, n in counts), action
