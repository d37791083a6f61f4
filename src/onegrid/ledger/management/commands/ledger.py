"""``onegrid ledger verify RECEIPT --key PUB [--doc FILE]`` (offline, no database) | ``anchor`` | ``check``
| ``key`` | ``keygen [--witness NAME]`` | ``cosign CHECKPOINT --key PRIVATE --name NAME`` | ``hasher``"""

from __future__ import annotations

import base64
import secrets
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onegrid.ledger import anchoring, checkpoint, keys, merkle, note, receipt, verify


def _read(path: str, what: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read the {what} {path}: {exc.strerror}") from exc


def _vkey(value: str) -> note.Verifier:
    """A vkey given as text, or the name of a file holding one."""
    text = value
    if "+" not in value and Path(value).is_file():
        text = Path(value).read_text(encoding="utf-8", errors="replace").strip()
    try:
        return note.Verifier.parse(text)
    except note.NoteError as exc:
        raise CommandError(f"key: {exc}") from exc


class Command(BaseCommand):
    help = "The evidence ledger: verify receipts offline, anchor the audit trail, check the stored log."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="verify a receipt (.tlog-proof) offline: no server, no database"
        )
        verify.add_argument("receipt", help="the receipt file ('-' for standard input)")
        verify.add_argument("--key", required=True, help="the log's verifier key (vkey text or a file)")
        verify.add_argument("--doc", help="also check that the receipt is for this document")
        verify.add_argument("--origin", help="the expected log origin (default: the key's name)")
        verify.add_argument("--witness", action="append", default=[], help="a witness vkey (repeat)")
        verify.add_argument("--quorum", type=int, default=0, help="how many witnesses must have cosigned")
        sub.add_parser("anchor", help="deposit every audit record not yet in the ledger, now")
        check = sub.add_parser("check", help="recompute the stored tree and check every checkpoint")
        check.add_argument("--key", help="the log's vkey to check signatures with (default: this server's)")
        check.add_argument(
            "--checkpoint", action="append", default=[], help="a signed checkpoint kept elsewhere (repeat)"
        )
        sub.add_parser("key", help="print this log's verifier key (vkey)")
        keygen = sub.add_parser("keygen", help="make a new log key, or a witness cosigner key with --witness")
        keygen.add_argument("--witness", metavar="NAME", help="make a cosigner key for the witness NAME")
        cosign = sub.add_parser("cosign", help="cosign a checkpoint as a witness; prints the signature line")
        cosign.add_argument("checkpoint", help="the signed checkpoint file ('-' for standard input)")
        cosign.add_argument("--key", required=True, help="the witness's private key (base64 seed)")
        cosign.add_argument("--name", required=True, help="the witness's key name")
        cosign.add_argument("--time", type=int, help="the cosignature's Unix time (default: now)")
        sub.add_parser("hasher", help="say which batch hasher appends use: the compiled one or pure Python")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"])(options)

    def _verify(self, options: dict[str, Any]) -> None:
        log_key = _vkey(options["key"])
        witnesses = [_vkey(w) for w in options["witness"]]
        data = _read(options["receipt"], "receipt")
        try:
            verified = receipt.verify_receipt(
                data, log_key, origin=options["origin"], witnesses=witnesses, quorum=options["quorum"]
            )
            document = None
            if options["doc"]:
                try:
                    digest = receipt.sha256_file(options["doc"])
                except OSError as exc:
                    raise CommandError(f"cannot read the document {options['doc']}: {exc.strerror}") from exc
                document = receipt.check_document(verified, digest)
        except receipt.ReceiptError as exc:
            raise CommandError(f"receipt rejected: {exc.check} check failed: {exc.message}") from exc
        cp = verified.checkpoint
        self.stdout.write(f"OK: entry {verified.index} is in {cp.origin} at size {cp.size}")
        self.stdout.write(
            f"  root {note.b64encode(cp.root)}, signed by {log_key.name} ({log_key.key_id.hex()})"
        )
        for name, ts in verified.cosigned_by:
            self.stdout.write(
                f"  cosigned by {name} at {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(ts))}"
            )
        if document is not None:
            self.stdout.write(f"  document {options['doc']} matches: sha256 {document.sha256}")
            self.stdout.write(f"  deposited by {document.by} at {document.at} in {document.area}")

    def _anchor(self, options: dict[str, Any]) -> None:
        count = anchoring.anchor_all(wait=10.0)
        self.stdout.write(f"anchored {count} audit records")

    def _check(self, options: dict[str, Any]) -> None:
        external = [(p, _read(p, "checkpoint").decode("utf-8", "replace")) for p in options["checkpoint"]]
        key = _vkey(options["key"]) if options["key"] else None
        report = verify.check_log(log_key=key, external=external)
        self.stdout.write(
            f"log: {report.size:,} leaves, {report.nodes:,} stored hashes, {report.checkpoints:,} checkpoints, "
            f"{report.cosignatures:,} cosignatures, {report.external} outside checkpoints"
        )
        for problem in report.problems:
            self.stdout.write(f"PROBLEM {problem.kind}: {problem.message}")
        if report.problems:
            raise CommandError(f"the stored log does not check: {len(report.problems)} problems")
        self.stdout.write("every stored hash, checkpoint and signature checks")

    def _hasher(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"batch hasher: {merkle.HASHER}")

    def _key(self, options: dict[str, Any]) -> None:
        self.stdout.write(keys.verifier().vkey)

    def _keygen(self, options: dict[str, Any]) -> None:
        seed = secrets.token_bytes(32)
        if options["witness"]:
            try:
                cosigner = note.Cosigner(options["witness"], seed)
            except note.NoteError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"private key (keep it with the witness): {base64.b64encode(seed).decode()}")
            self.stdout.write(
                f"vkey (register it with POST /api/v1/ledger/witnesses): {cosigner.verifier.vkey}"
            )
            return
        signer = note.Signer(keys.origin(), seed)
        self.stdout.write(f"ONEGRID_LEDGER_KEY={base64.b64encode(seed).decode()}")
        self.stdout.write(f"vkey for ONEGRID_LEDGER_ORIGIN={keys.origin()}: {signer.verifier.vkey}")

    def _cosign(self, options: dict[str, Any]) -> None:
        try:
            seed = base64.b64decode(options["key"], validate=True)
            cosigner = note.Cosigner(options["name"], seed)
            parsed = note.parse_note(_read(options["checkpoint"], "checkpoint"))
            checkpoint.parse_checkpoint(parsed.text)
            stamp = options["time"] if options["time"] is not None else int(time.time())
            self.stdout.write(cosigner.cosign(parsed.text, stamp).line(), ending="")
        except (ValueError, note.NoteError, checkpoint.CheckpointError) as exc:
            raise CommandError(f"cannot cosign: {exc}") from exc
