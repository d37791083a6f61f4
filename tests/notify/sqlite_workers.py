"""Run in its own process by test_concurrency: a file SQLite database set up as in production (WAL,
IMMEDIATE transactions, busy timeout), an outbox of webhook deliveries, and two threads sweeping it at
once, each on its own connection. Prints what each thread attempted as JSON.

Usage: python -m tests.notify.sqlite_workers RECEIVER_URL SECRET MESSAGES
(ONEGRID_DATA_DIR and DATABASE_URL must point at a scratch directory.)
"""

from __future__ import annotations

import json
import os
import sys
import threading


def main(url: str, secret: str, messages: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from tests.factories import build_net
    from tests.notify import events  # noqa: F401

    from onegrid.notify import delivery, services
    from onegrid.notify.models import Delivery, WebhookEndpoint

    call_command("migrate", verbosity=0)
    net = build_net()
    endpoint, _ = services.create_endpoint(actor=None, name="hotline", url=url, area=net.county)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret)
    with transaction.atomic():
        for n in range(messages):
            services.publish(
                event="drill.overdue", title=f"M{n}", body="", area_path=net.grid_a1.path, payload={"n": n}
            )
    connection.close()

    start = threading.Barrier(2)
    attempted: dict[str, int] = {}

    def sweep(name: str) -> None:
        start.wait()
        total = 0
        try:
            while count := delivery.deliver_due(limit=7):
                total += count
        finally:
            connection.close()
        attempted[name] = total

    threads = [threading.Thread(target=sweep, args=(f"worker-{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    rows = list(Delivery.objects.values_list("pk", "status", "attempts"))
    sys.stdout.write(json.dumps({"attempted": attempted, "rows": rows}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
