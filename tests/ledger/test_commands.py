"""The ``onegrid ledger`` and ``onegrid audit`` commands as an operator, a witness and a citizen with a
receipt use them. ``ledger verify`` needs neither server nor database: it is run in a fresh process
whose data directory is empty and where no database was ever created."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.factories import Net

from onegrid.audit.models import AuditRecord
from onegrid.ledger import keys, note, selectors, services
from onegrid.ledger.models import Checkpoint

REPO = Path(__file__).resolve().parents[2]
DOC = b"%PDF-1.7 a contract"
ROOT = type("Root", (), {"is_authenticated": True, "is_active": True, "is_superuser": True})()


def offline(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``onegrid ...`` in a new process with an empty data directory and no database at all."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["ONEGRID_DATA_DIR"] = str(data_dir)
    env.pop("ONEGRID_LEDGER_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "onegrid.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def receipt_file(db: Any, tmp_path: Path) -> Path:
    item = services.DepositInput(hashlib.sha256(DOC).hexdigest(), "合同", "application/pdf", len(DOC))
    services.deposit(actor=None, area_path="/330000/", items=[item])
    services.deposit(actor=None, area_path="/330000/", items=[services.DepositInput("0" * 64)])
    receipt, _, _ = selectors.receipt(ROOT, 0)
    path = tmp_path / "contract.tlog-proof"
    path.write_text(receipt.text(), encoding="utf-8")
    (tmp_path / "contract.pdf").write_bytes(DOC)
    (tmp_path / "log.vkey").write_text(keys.verifier().vkey + "\n")
    return path


def test_a_receipt_verifies_offline_without_any_database(receipt_file: Path, tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    tampered = tmp_path / "tampered.tlog-proof"
    tampered.write_text(receipt_file.read_text().replace("index 0", "index 1"))
    other_doc = tmp_path / "other.pdf"
    other_doc.write_bytes(DOC + b" amended")
    stranger = note.Signer(keys.origin(), bytes(32)).verifier.vkey
    script = [
        (
            "ledger",
            "verify",
            str(receipt_file),
            "--key",
            str(tmp_path / "log.vkey"),
            "--doc",
            str(tmp_path / "contract.pdf"),
        ),
        ("ledger", "verify", str(tampered), "--key", keys.verifier().vkey),
        ("ledger", "verify", str(receipt_file), "--key", stranger),
        ("ledger", "verify", str(receipt_file), "--key", keys.verifier().vkey, "--doc", str(other_doc)),
    ]
    # one process runs the four checks so the suite pays for one interpreter start, not four
    code = (
        f"import sys\nfrom onegrid.cli import main\nfor args in {script!r}:\n"
        "    try:\n        main(['onegrid', *args])\n        print('EXIT 0')\n"
        "    except SystemExit as e:\n        print('EXIT', e.code)\n    sys.stdout.flush()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ONEGRID_LEDGER_KEY")}
    env["ONEGRID_DATA_DIR"] = str(empty)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    out, err = done.stdout, done.stderr
    runs = out.split("EXIT")
    assert "OK: entry 0 is in onegrid.localhost/ledger at size 2" in runs[0], (out, err)
    assert "document " in runs[0]
    assert "matches" in runs[0]
    assert runs[1].strip().startswith("0")
    assert err.count("receipt rejected") == 3, err
    assert "inclusion check failed" in err
    assert "signature check failed" in err
    assert "document check failed" in err
    assert out.count("EXIT 1") == 3
    assert not (empty / "onegrid.sqlite3").exists()


def test_a_missing_or_unreadable_receipt_or_key_is_an_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read the receipt"):
        call_command("ledger", "verify", str(tmp_path / "absent"), "--key", keys.verifier().vkey)
    (tmp_path / "r").write_bytes(b"\x00\xff garbage")
    with pytest.raises(CommandError, match="format check failed"):
        call_command("ledger", "verify", str(tmp_path / "r"), "--key", keys.verifier().vkey)
    with pytest.raises(CommandError, match="key: "):
        call_command("ledger", "verify", str(tmp_path / "r"), "--key", "not-a-key")


def test_a_witness_cosigns_from_the_command_line(receipt_file: Path, tmp_path: Path) -> None:
    out = StringIO()
    call_command("ledger", "keygen", "--witness", "court.example.cn/w", stdout=out)
    lines = out.getvalue().splitlines()
    seed = lines[0].rsplit(" ", 1)[1]
    vkey = lines[1].rsplit(" ", 1)[1]
    services.add_witness(actor=None, vkey=vkey, institution="法院")
    checkpoint = Checkpoint.objects.get(size=2)
    (tmp_path / "cp").write_text(selectors.signed_note(checkpoint))
    out = StringIO()
    call_command(
        "ledger", "cosign", str(tmp_path / "cp"), "--key", seed, "--name", "court.example.cn/w", stdout=out
    )
    services.cosign(actor=None, checkpoint=checkpoint, line=out.getvalue())
    receipt, _, _ = selectors.receipt(ROOT, 0)
    receipt_file.write_text(receipt.text())
    out = StringIO()
    call_command(
        "ledger",
        "verify",
        str(receipt_file),
        "--key",
        keys.verifier().vkey,
        "--witness",
        vkey,
        "--quorum",
        "1",
        stdout=out,
    )
    assert "cosigned by court.example.cn/w" in out.getvalue()


def test_keygen_makes_a_log_key_that_settings_accept() -> None:
    out = StringIO()
    call_command("ledger", "keygen", stdout=out)
    first = out.getvalue().splitlines()[0]
    assert first.startswith("ONEGRID_LEDGER_KEY=")
    assert len(base64.b64decode(first.split("=", 1)[1])) == 32


@pytest.mark.django_db
def test_anchor_check_and_audit_verify_report_what_they_did(net: Net) -> None:
    out = StringIO()
    records = AuditRecord.objects.count()
    call_command("ledger", "anchor", stdout=out)
    assert out.getvalue().startswith(f"anchored {records} audit records")
    out = StringIO()
    call_command("ledger", "check", stdout=out)
    assert "every stored hash, checkpoint and signature checks" in out.getvalue()
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert f"{records} records logged; 0 changed" in out.getvalue()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("audit", "verify", "--checkpoint", "/nonexistent")
    out = StringIO()
    call_command("ledger", "key", stdout=out)
    assert out.getvalue().strip() == keys.verifier().vkey
