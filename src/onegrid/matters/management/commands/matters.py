"""``onegrid matters generate --count N [--seed S] [--days 365] | rebuild-stats``"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onegrid.kit import progress
from onegrid.matters import generate, rollup


class Command(BaseCommand):
    help = "Generate synthetic matters, or rebuild the statistics rollup from the matters."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="bulk-load synthetic matters on the loaded area net")
        gen.add_argument("--count", type=int, required=True)
        gen.add_argument("--seed", type=int, default=1)
        gen.add_argument("--days", type=int, default=365)
        gen.add_argument("--chunk", type=int, default=200_000, help="matters per transaction step")
        gen.add_argument("--no-progress", action="store_true")
        sub.add_parser("rebuild-stats", help="recompute the statistics rollup from the matters")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["action"] == "rebuild-stats":
            n = rollup.rebuild()
            self.stdout.write(f"counted {n} matters in {time.perf_counter() - started:.1f} s")
            return
        count = options["count"]
        with progress.bar(not options["no_progress"]) as tick:
            done = 0

            def step(n: int) -> None:
                nonlocal done
                done += n
                tick("matters", done, count)

            try:
                made = generate.generate(
                    count=count,
                    seed=options["seed"],
                    days=options["days"],
                    chunk=options["chunk"],
                    progress=step,
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        took = time.perf_counter() - started
        self.stdout.write(
            f"generated {made.matters} matters, {made.ratings} ratings, {made.calls} follow-up calls, "
            f"{made.tally_rows} rollup rows ({made.organisations_created} command centres created) "
            f"in {took:.1f} s ({made.matters / max(took, 1e-9):,.0f} matters/s)"
        )
