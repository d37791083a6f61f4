"""``onegrid roles sync [--dry-run]``: bring the standard roles up to this release (it also runs after
every ``migrate``); ``--dry-run`` shows what would change and changes nothing."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from onegrid.access import roles


class Command(BaseCommand):
    help = "Bring the standard roles up to this release, keeping administrators' changes."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="add what this release introduces, remove what it withdraws")
        sync.add_argument("--dry-run", action="store_true", help="show the changes without making them")

    def handle(self, *args: Any, **options: Any) -> None:
        changes = roles.sync_standard_roles(dry_run=options["dry_run"])
        verb = "would" if options["dry_run"] else "did"
        if not changes:
            self.stdout.write("the standard roles are up to date")
        for change in changes:
            if change.created:
                self.stdout.write(f"{change.code}: {verb} create with {len(change.added)} permissions")
                continue
            for name in change.added:
                self.stdout.write(f"{change.code}: {verb} add {name}")
            for name in change.removed:
                self.stdout.write(f"{change.code}: {verb} remove {name}")
