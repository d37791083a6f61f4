"""``onegrid areas import FILE | export [CODE] [-o FILE] | generate --scale county|city|province``"""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onegrid.areas import exchange, generate, services
from onegrid.areas.models import Area
from onegrid.kit import progress


class Command(BaseCommand):
    help = "Import, export or generate the area net."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a GeoJSON FeatureCollection (all or nothing)")
        imp.add_argument("file", type=Path)
        exp = sub.add_parser("export", help="export areas as GeoJSON (standard output by default)")
        exp.add_argument("code", nargs="?", help="only this area and its subtree")
        exp.add_argument("-o", "--output", type=Path, help="write to this file")
        gen = sub.add_parser("generate", help="generate the synthetic Zhejiang net for demos and benchmarks")
        gen.add_argument("--scale", choices=["county", "city", "province"], default="county")
        gen.add_argument("--micro", action="store_true", help="also micro-grids (province: ~450,000)")
        gen.add_argument("--seed", type=int, default=20261122)
        gen.add_argument("--county", default="330122")
        gen.add_argument("--city", default="330100")
        for p in (imp, gen):
            p.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"])(options)

    def _report(self, result: services.ImportResult, started: float) -> None:
        if result.errors:
            for e in result.errors[:200]:
                self.stderr.write(f"feature {e.index} ({e.code or '?'}): {e.field}: {e.reason}")
            more = len(result.errors) - 200
            if more > 0:
                self.stderr.write(f"... and {more} more")
            raise CommandError(f"{len(result.errors)} features are invalid; nothing was written")
        took = time.perf_counter() - started
        self.stdout.write(f"created {result.created}, updated {result.updated} areas in {took:.1f} s")

    def _import(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        with progress.bar(not options["no_progress"]) as tick:
            result = exchange.import_file(actor=None, path=options["file"], progress=tick)
        self._report(result, started)

    def _export(self, options: dict[str, Any]) -> None:
        qs = Area.objects.order_by("level", "path")
        if options["code"]:
            root = Area.objects.filter(code=options["code"]).first()
            if root is None:
                raise CommandError(f"no area with code {options['code']}")
            qs = qs.filter(path__startswith=root.path)
        out = options["output"].open("w", encoding="utf-8") if options["output"] else sys.stdout
        try:
            for chunk in exchange.stream_collection(qs.iterator(chunk_size=2000)):
                out.write(chunk)
        finally:
            if options["output"]:
                out.close()

    def _generate(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        drafts = generate.generate(
            options["scale"],
            micro=options["micro"],
            seed=options["seed"],
            county=options["county"],
            city=options["city"],
        )
        inputs = [d.as_input() for d in drafts]
        self.stdout.write(f"generated {len(inputs)} areas in {time.perf_counter() - started:.1f} s")
        with progress.bar(not options["no_progress"]) as tick:
            result = services.write_batch(actor=None, inputs=inputs, permission="areas.import", progress=tick)
        self._report(result, started)
