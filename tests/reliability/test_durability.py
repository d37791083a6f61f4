"""Nothing acknowledged is lost: clients post 5,000 matters to a real server while it is killed with
SIGKILL at random moments five times and started again (on the database the suite runs on). Every matter that got a 2xx must be there
afterwards, intact, with its audit record. Clients retry what failed with the same idempotency key, as
the API asks, so a retried report is never taken in twice. .ci/run runs it on SQLite and on PostgreSQL."""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
from typing import Any

import pytest
from tests.reliability.livesite import LiveSite

pytestmark = [pytest.mark.slow]

MATTERS = int(os.environ.get("ONEGRID_DURABILITY_MATTERS", "5000"))
KILLS = 5
CLIENTS = 4

POINTS = """
import json, random
from shapely.geometry import shape
from onegrid.areas.models import Area
grids = list(Area.objects.filter(level=6).order_by("path")[:200])
points = []
for grid in grids:
    p = shape(grid.geometry).representative_point()
    points.append([p.x, p.y])
print(json.dumps(points))
"""

FOUND = """
import json
from onegrid.audit.models import AuditRecord
from onegrid.matters.models import Matter
rows = {m.idempotency_key: [m.number, m.title, m.pk] for m in Matter.objects.exclude(idempotency_key="")}
audited = set(AuditRecord.objects.filter(action="matters.receive").values_list("object_id", flat=True))
print(json.dumps({k: [n, t, str(pk) in audited] for k, (n, t, pk) in rows.items()}))
"""


class Client(threading.Thread):
    """Posts its share of the matters; a report is done when it gets a 2xx, retried until then."""

    def __init__(self, site: LiveSite, token: str, keys: list[str], points: list[list[float]]) -> None:
        super().__init__(daemon=True)
        self.site, self.token, self.keys, self.points = site, token, keys, points
        self.acknowledged: dict[str, str] = {}
        self.failures = 0
        self.errors: list[str] = []

    def body(self, key: str) -> bytes:
        lon, lat = random.choice(self.points)
        return json.dumps(
            {
                "channel": "hotline_12345",
                "category": "garbage",
                "title": f"垃圾堆积 {key}",
                "description": "市民来电反映小区门口垃圾三天未清运。",
                "lon": lon,
                "lat": lat,
                "reporter_phone": "13812345678",
                "idempotency_key": key,
            },
            ensure_ascii=False,
        ).encode()

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        conn: http.client.HTTPConnection | None = None
        for key in self.keys:
            while True:
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=30)
                    conn.request("POST", "/api/v1/matters/", self.body(key), headers)
                    response = conn.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException):
                    # refused, reset or cut off mid-answer: not acknowledged, so sent again
                    self.failures += 1
                    if conn is not None:
                        conn.close()
                    conn = None
                    time.sleep(0.05)
                    continue
                if response.status in (200, 201):
                    self.acknowledged[key] = json.loads(payload)["number"]
                    break
                if response.status >= 500 or response.status == 429:
                    self.failures += 1
                    time.sleep(0.05)
                    continue
                self.errors.append(f"{key}: {response.status} {payload[:200]!r}")
                break
        if conn is not None:
            conn.close()


def kill_and_restart(site: LiveSite, clients: list[Client], kills: list[float]) -> None:
    total = MATTERS
    for _ in range(KILLS):
        # kill when a random share of the work is done, so the cuts land mid-stream
        target = random.uniform(0.05, 0.9) * total
        while sum(len(c.acknowledged) for c in clients) < target and any(c.is_alive() for c in clients):
            time.sleep(0.01)
        kills.append(sum(len(c.acknowledged) for c in clients))
        site.kill()
        time.sleep(random.uniform(0.0, 0.5))
        site.start()


def test_every_acknowledged_matter_survives_sigkill(site: LiveSite, record_property: Any) -> None:
    random.seed(os.environ.get("PYTEST_XDIST_WORKER", "0"))
    token = site.set_up()
    points = site.python(POINTS)
    keys = [f"durable-{i:05d}" for i in range(MATTERS)]
    site.start()
    clients = [Client(site, token, keys[i::CLIENTS], points) for i in range(CLIENTS)]
    for c in clients:
        c.start()
    kills: list[float] = []
    killer = threading.Thread(target=kill_and_restart, args=(site, clients, kills), daemon=True)
    killer.start()
    killer.join(timeout=1200)
    for c in clients:
        c.join(timeout=1200)
    site.kill()

    assert [e for c in clients for e in c.errors] == []
    assert len(kills) == KILLS
    acknowledged = {k: n for c in clients for k, n in c.acknowledged.items()}
    assert len(acknowledged) == MATTERS
    stored = site.python(FOUND)
    missing = [k for k in acknowledged if k not in stored]
    assert missing == [], f"{len(missing)} acknowledged matters lost"
    assert len(stored) == MATTERS  # retries with the same key never made a second matter
    wrong = [k for k, n in acknowledged.items() if stored[k][0] != n or not stored[k][1].endswith(k)]
    assert wrong == []
    unaudited = [k for k in acknowledged if not stored[k][2]]
    assert unaudited == []
    retried = sum(c.failures for c in clients)
    record_property("tried", f"{MATTERS} acknowledged, {KILLS} kills at {kills}, {retried} attempts retried")
