"""``onegrid audit verify [--key VKEY] [--checkpoint FILE]... [--skew SECONDS]``

Lives in the ledger app because the audit trail does not know the ledger exists: the ledger anchors
the trail by reading it. Exits non-zero if any audit record was changed, deleted or inserted out of
order since it was logged, or if the stored log itself does not check.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onegrid.ledger import note, verify


class Command(BaseCommand):
    help = "Check the audit trail against the evidence ledger it is anchored in."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "verify", help="report audit records changed, deleted or inserted out of order"
        )
        check.add_argument("--key", help="the log's vkey to check signatures with (default: this server's)")
        check.add_argument(
            "--checkpoint", action="append", default=[], help="a signed checkpoint kept elsewhere (repeat)"
        )
        check.add_argument(
            "--skew", type=float, default=60.0, help="clock difference tolerated between writers (seconds)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key = None
        if options["key"]:
            try:
                key = note.Verifier.parse(options["key"])
            except note.NoteError as exc:
                raise CommandError(f"key: {exc}") from exc
        external = []
        for path in options["checkpoint"]:
            try:
                external.append((path, Path(path).read_text(encoding="utf-8", errors="replace")))
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        log = verify.check_log(log_key=key, external=external)
        audit = verify.check_audit(skew=dt.timedelta(seconds=options["skew"]))
        out = self.stdout.write
        out(
            f"log: {log.size:,} leaves, {log.checkpoints:,} checkpoints, {log.cosignatures:,} cosignatures"
            + (f", {log.external} outside checkpoints" if log.external else "")
            + (": every hash and signature checks" if not log.problems else f": {len(log.problems)} problems")
        )
        for problem in log.problems:
            out(f"  LOG {problem.kind}: {problem.message}")
        out(
            f"audit: {audit.anchored:,} records logged; {len(audit.changed)} changed, {len(audit.deleted)} "
            f"deleted, {len(audit.out_of_order)} inserted out of order; {audit.pending:,} newer records "
            "not yet logged"
        )
        for audit_id, index in audit.changed:
            out(f"  CHANGED audit record {audit_id} (logged as entry {index})")
        for audit_id, index in audit.deleted:
            out(f"  DELETED audit record {audit_id} (logged as entry {index})")
        for audit_id, reason in audit.out_of_order:
            out(f"  OUT OF ORDER audit record {audit_id}: {reason}")
        problems = len(log.problems) + len(audit.changed) + len(audit.deleted) + len(audit.out_of_order)
        if problems:
            raise CommandError(f"the audit trail does not match the ledger: {problems} problems")
        out("the audit trail matches the ledger")
