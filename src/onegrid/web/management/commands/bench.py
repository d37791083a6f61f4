"""``onegrid bench NAME [ARGS...]`` runs ``bench/NAME.py``; ``onegrid bench all`` runs every benchmark;
``onegrid bench --list`` lists them. Each benchmark prints its table and appends it to
docs/benchmarks.md with the command that produced it."""

from __future__ import annotations

import subprocess
import sys
from argparse import REMAINDER, ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

REPO = Path(__file__).resolve().parents[5]
BENCH = REPO / "bench"


def available() -> list[str]:
    return sorted(p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_"))


class Command(BaseCommand):
    help = "Run a benchmark from bench/ (or all of them)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", nargs="?", help="benchmark name, or 'all'")
        parser.add_argument("bench_args", nargs=REMAINDER, help="arguments passed to the benchmark")
        parser.add_argument("--list", action="store_true", help="list the benchmarks")

    def handle(self, *args: Any, **options: Any) -> None:
        names = available()
        if options["list"] or not options["name"]:
            self.stdout.write("\n".join(names) if names else "no benchmarks in bench/")
            return
        chosen = names if options["name"] == "all" else [options["name"]]
        for name in chosen:
            if name not in names:
                raise CommandError(f"no benchmark {name!r}; available: {', '.join(names)}")
            self.stdout.write(f"== bench/{name}.py")
            code = subprocess.call(
                [sys.executable, str(BENCH / f"{name}.py"), *options["bench_args"]], cwd=REPO
            )
            if code:
                raise CommandError(f"bench/{name}.py exited with {code}")
