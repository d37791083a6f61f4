"""Two workers sweeping the same outbox at the same time send every delivery exactly once.

On PostgreSQL two threads of this process sweep the test database, each on its own connection (claims
use SELECT ... FOR UPDATE SKIP LOCKED). SQLite's in-memory test database is shared-cache, where a second
writer fails at once instead of waiting, so there the same race runs in a separate process on a file
database configured as in production (WAL, IMMEDIATE transactions, busy timeout)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from tests.factories import Net
from tests.notify.conftest import Receiver

from onegrid.notify import delivery, services, webhooks
from onegrid.notify.models import Delivery, Status

REPO = Path(__file__).resolve().parents[2]
MESSAGES = 60


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_on_postgresql_never_send_a_delivery_twice(
    people: dict[str, Any], net: Net, receiver: Receiver
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass; on SQLite see the file-database test below")
    receiver.secret = services.create_endpoint(
        actor=people["admin"], name="hotline", url=receiver.url, area=net.county
    )[1]
    with transaction.atomic():
        for n in range(MESSAGES):
            services.publish(
                event="drill.overdue", title=f"M{n}", body="", area_path=net.grid_a1.path, payload={"n": n}
            )
    start = threading.Barrier(2)
    attempted: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        start.wait()
        try:
            while count := delivery.deliver_due(limit=7):
                attempted.append(count)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sum(attempted) == MESSAGES
    ids = sorted(str(pk) for pk in Delivery.objects.values_list("pk", flat=True))
    assert sorted(receiver.deliveries()) == ids
    assert all(hit.verified for hit in receiver.hits)
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_concurrent_sweeps_on_a_sqlite_file_never_send_a_delivery_twice(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.secret = webhooks.new_secret()
    env = {
        **os.environ,
        "ONEGRID_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.notify.sqlite_workers", receiver.url, receiver.secret, str(MESSAGES)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert sum(report["attempted"].values()) == MESSAGES
    assert all(report["attempted"].values()), "both workers should have taken part"
    assert sorted(receiver.deliveries()) == sorted(str(pk) for pk, _, _ in report["rows"])
    assert all(hit.verified for hit in receiver.hits)
    assert {(status, attempts) for _, status, attempts in report["rows"]} == {("sent", 1)}
