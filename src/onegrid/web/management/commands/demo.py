"""``onegrid demo``: migrate, load the demo county and its accounts, print them, then serve."""

from __future__ import annotations

import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from onegrid.areas.locator import locator
from onegrid.kit import progress, sweeps
from onegrid.web import demo


class Command(BaseCommand):
    help = "Set up and serve the demo (development only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up and exit")
        parser.add_argument(
            "--sample",
            type=int,
            default=demo.SAMPLE_MATTERS,
            help="generated sample matters over the past year on a demo without matters (0: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("the demo is for development; unset ONEGRID_ENV=production")
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        with progress.bar() as tick:
            created = demo.load_net(tick)
        accounts = demo.load_people()
        rules = demo.load_routing()
        sample = demo.load_sample(options["sample"])
        locator.snapshot()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            f"\nOneGrid demo ready in {time.perf_counter() - started:.1f} s"
            f"{f' ({created} areas created)' if created else ''}"
            f"{f', {rules} routing rules' if rules else ''}"
            f"{f', {sample} generated sample matters (numbers G…)' if sample else ''}."
        )
        self.stdout.write(f"\n  Open {url}\n\n  Accounts (password: {demo.DEMO_PASSWORD}):")
        for a in accounts:
            self.stdout.write(f"    {a.username:<12} {a.role:<20} {a.display_name}")
        self.stdout.write("")
        if options["no_serve"]:
            return
        threading.Thread(target=sweeps.run, args=(threading.Event(),), daemon=True, name="worker").start()
        call_command("serve", host=options["host"], port=options["port"])
