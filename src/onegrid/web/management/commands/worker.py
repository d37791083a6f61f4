"""``onegrid worker``: runs the periodic sweeps the apps registered, until stopped."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from onegrid.kit import sweeps


class Command(BaseCommand):
    help = "Run background sweeps (and, as apps add them, queued jobs)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every sweep once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        sweeps.run(stop, once=options["once"], log=self.stdout.write)
