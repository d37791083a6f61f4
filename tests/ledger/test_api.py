"""/api/v1/ledger as its users meet it: a county office deposits a contract and gets a receipt that
verifies offline; witnesses cosign; everyone sees only what their grants allow."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.factories import Net, make_user

from onegrid.audit.models import AuditRecord
from onegrid.ledger import anchoring, keys, merkle, note, receipt, services
from onegrid.ledger.models import Checkpoint, Cosignature, Deposit, Witness

pytestmark = pytest.mark.django_db
ClientAs = Callable[[str | None], Client]
COURT = note.Cosigner("court.tonglu.example.cn/witness", bytes(range(32)))
DOC = "借款合同 No. 2026-001".encode()
SHA = hashlib.sha256(DOC).hexdigest()


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(f"/api/v1/ledger{path}", body, content_type="application/json")


def deposit(client: Client, area: str = "330122001", sha256: str = SHA, **extra: Any) -> Any:
    return post(client, "/deposits", {"area_code": area, "sha256": sha256, "title": "借款合同", **extra})


@pytest.fixture
def clerk_a(people: dict[str, Any], net: Net) -> Client:
    """A county operator's role granted over township A only: ledger.view and ledger.deposit there."""
    client = Client()
    client.force_login(make_user("clerk_a", role="county_operator", area=net.township_a))
    return client


def test_a_deposit_returns_a_receipt_that_verifies_offline_with_the_published_key(
    client_as: ClientAs,
) -> None:
    response = deposit(client_as("county"), metadata={"lender": "某小贷公司", "amount": 50000})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == SHA
    assert body["depositor"] == "county"
    vkey = Client().get("/.well-known/onegrid-ledger-key").content.decode().strip()
    verified = receipt.verify_receipt(body["receipt"]["receipt"], note.Verifier.parse(vkey))
    assert verified.index == body["index"]
    leaf = receipt.check_document(verified, hashlib.sha256(DOC).digest())
    assert leaf.metadata == {"lender": "某小贷公司", "amount": 50000}
    assert leaf.area.endswith("/330122001/")


def test_a_deposit_is_audited_and_the_audit_record_is_anchored_later(client_as: ClientAs) -> None:
    index = deposit(client_as("county")).json()["index"]
    record = AuditRecord.objects.get(action="ledger.deposit")
    assert (record.actor_label, record.object_id) == ("county", str(index))
    anchoring.anchor_all()
    anchor = anchoring.AuditAnchor.objects.get(audit_id=record.pk)
    entry = client_as("admin").get(f"/api/v1/ledger/entries/{anchor.index}")
    assert entry.json()["kind"] == "audit"
    assert entry.json()["audit_id"] == record.pk


def test_a_document_upload_keeps_only_its_hash(client_as: ClientAs) -> None:
    upload = SimpleUploadedFile("合同.pdf", DOC, content_type="application/pdf")
    response = client_as("county").post(
        "/api/v1/ledger/deposits/document",
        {"file": upload, "area_code": "330122", "metadata": '{"case": "A-1"}'},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["sha256"], body["title"], body["media_type"], body["size"]) == (
        SHA,
        "合同.pdf",
        "application/pdf",
        len(DOC),
    )
    assert body["metadata"] == {"case": "A-1"}


def test_a_batch_is_one_checkpoint_with_a_receipt_for_each(client_as: ClientAs) -> None:
    items = [{"sha256": hashlib.sha256(b"%d" % i).hexdigest(), "title": f"#{i}"} for i in range(25)]
    response = post(client_as("county"), "/deposits/batch", {"area_code": "330122", "items": items})
    assert response.status_code == 201, response.content
    receipts = [d["receipt"] for d in response.json()]
    assert {r["size"] for r in receipts} == {25}
    assert Checkpoint.objects.count() == 1
    for i, r in enumerate(receipts):
        assert receipt.verify_receipt(r["receipt"], keys.verifier()).index == i


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sha256": "ab"}, "sha256"),
        ({"sha256": "g" * 64}, "sha256"),
        ({"title": "x" * 201}, "title"),
        ({"metadata": {"big": "x" * 20000}}, "metadata"),
        ({"size": -1}, "size"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_deposits_name_the_field_and_write_nothing(
    client_as: ClientAs, body: dict[str, Any], field: str
) -> None:
    response = deposit(client_as("county"), **body)
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert Deposit.objects.count() == 0
    assert Checkpoint.objects.count() == 0


def test_bad_document_metadata_names_the_field(client_as: ClientAs) -> None:
    upload = SimpleUploadedFile("a.txt", b"x")
    response = client_as("county").post(
        "/api/v1/ledger/deposits/document", {"file": upload, "area_code": "330122", "metadata": "[1"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "metadata"
    assert Deposit.objects.count() == 0


# ------------------------------------------------------------------------------------- scope matrix

READS = [
    "/api/v1/ledger/checkpoints/latest",
    "/api/v1/ledger/checkpoints/1",
    "/api/v1/ledger/proofs/inclusion?index=0&size=1",
    "/api/v1/ledger/proofs/consistency?first=1&second=1",
    "/api/v1/ledger/entries/0",
    "/api/v1/ledger/entries/0/receipt",
    "/api/v1/ledger/deposits",
    "/api/v1/ledger/witnesses",
    "/api/v1/ledger/key",
]


def test_reads_need_a_signed_in_caller_holding_ledger_view(client_as: ClientAs) -> None:
    assert deposit(client_as("county"), area="330122").status_code == 201
    anonymous, township, auditor = client_as(None), client_as("township"), client_as("auditor")
    for path in READS:
        assert anonymous.get(path).status_code == 401, path
        assert township.get(path).status_code == 403, path
        assert auditor.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("path", "body", "permission"),
    [
        ("/deposits", {"area_code": "330122", "sha256": SHA}, "ledger.deposit"),
        ("/deposits/batch", {"area_code": "330122", "items": [{"sha256": SHA}]}, "ledger.deposit"),
        ("/witnesses", {"vkey": COURT.verifier.vkey, "institution": "法院"}, "ledger.manage"),
        ("/checkpoints/1/cosignatures", {"signature": "— x AAAAAAAA"}, "ledger.cosign"),
    ],
)
def test_writes_need_their_permission_and_write_nothing_when_refused(
    client_as: ClientAs, path: str, body: dict[str, Any], permission: str
) -> None:
    assert post(client_as(None), path, body).status_code == 401
    refused = post(client_as("auditor"), path, body)
    assert refused.status_code == 403
    assert permission in refused.json()["detail"]
    assert Deposit.objects.count() == 0
    assert Witness.objects.count() == 0


def test_a_deposit_outside_the_callers_area_is_not_found_and_not_written(clerk_a: Client) -> None:
    assert deposit(clerk_a, area="330122002").status_code == 404
    assert deposit(clerk_a, area="330122").status_code == 404
    assert Deposit.objects.count() == 0
    assert deposit(clerk_a, area="330122001001001").status_code == 201


def test_deposits_are_seen_only_within_scope(client_as: ClientAs, clerk_a: Client) -> None:
    admin = client_as("admin")
    in_a = deposit(admin, area="330122001", sha256="a" * 64).json()["index"]
    in_b = deposit(admin, area="330122002", sha256="b" * 64).json()["index"]
    listed = clerk_a.get("/api/v1/ledger/deposits").json()["items"]
    assert [d["index"] for d in listed] == [in_a]
    assert clerk_a.get(f"/api/v1/ledger/entries/{in_a}").status_code == 200
    assert clerk_a.get(f"/api/v1/ledger/entries/{in_b}").status_code == 404
    assert clerk_a.get(f"/api/v1/ledger/entries/{in_b}/receipt").status_code == 404
    assert client_as("county").get(f"/api/v1/ledger/entries/{in_b}").status_code == 200
    found = client_as("county").get("/api/v1/ledger/deposits?sha256=" + "B" * 64).json()["items"]
    assert [d["index"] for d in found] == [in_b]


def test_an_anchored_audit_record_is_seen_within_the_audit_trails_scope(
    client_as: ClientAs, people: dict[str, Any], net: Net
) -> None:
    anchoring.anchor_all()
    anchor_of_township_b = next(
        index
        for audit_id, index in anchoring.AuditAnchor.objects.values_list("audit_id", "index")
        if AuditRecord.objects.get(pk=audit_id).area_path.startswith(net.township_b.path)
    )
    viewer = Client()
    viewer.force_login(make_user("viewer_a", role="county_operator", area=net.township_a))
    assert viewer.get(f"/api/v1/ledger/entries/{anchor_of_township_b}").status_code == 404
    auditor = client_as("auditor").get(f"/api/v1/ledger/entries/{anchor_of_township_b}/receipt")
    assert auditor.status_code == 200
    verified = receipt.verify_receipt(auditor.json()["receipt"], keys.verifier())
    assert b'"type":"onegrid/audit@v1"' in (verified.extra or b"")


# ------------------------------------------------------------------------------------------- proofs


def test_proofs_and_checkpoints_agree_with_each_other(client_as: ClientAs) -> None:
    county = client_as("county")
    for i in range(5):
        deposit(county, sha256=hashlib.sha256(b"%d" % i).hexdigest())
    auditor = client_as("auditor")
    latest = auditor.get("/api/v1/ledger/checkpoints/latest").json()
    assert latest["size"] == 5
    assert latest["origin"] == keys.origin()
    old = auditor.get("/api/v1/ledger/checkpoints/2").json()
    proof = auditor.get("/api/v1/ledger/proofs/consistency?first=2&second=5").json()
    b64 = base64.b64decode
    merkle.verify_consistency(2, 5, b64(old["root"]), b64(latest["root"]), [b64(p) for p in proof["proof"]])
    inclusion = auditor.get("/api/v1/ledger/proofs/inclusion?index=3").json()
    merkle.verify_inclusion(
        3, 5, b64(inclusion["leaf_hash"]), [b64(p) for p in inclusion["proof"]], b64(latest["root"])
    )
    old_receipt = auditor.get("/api/v1/ledger/entries/1/receipt?size=2").json()
    assert receipt.verify_receipt(old_receipt["receipt"], keys.verifier()).checkpoint.size == 2
    text = auditor.get("/api/v1/ledger/entries/1/receipt.tlog-proof")
    assert text["Content-Type"].startswith("text/plain")
    assert receipt.verify_receipt(text.content, keys.verifier()).checkpoint.size == 5


PAST_THE_LOG = [
    ("/proofs/inclusion?index=5&size=5", 422, "index"),
    ("/proofs/inclusion?index=0&size=6", 404, None),
    ("/proofs/consistency?first=0&second=3", 422, "first"),
    ("/proofs/consistency?first=4&second=3", 422, "second"),
    ("/proofs/consistency?first=1&second=9", 404, None),
    ("/checkpoints/4", 404, None),
    ("/entries/5", 404, None),
    ("/entries/-1", 404, None),
    ("/entries/4/receipt?size=2", 404, None),
    ("/entries/4/receipt?size=3", 422, "size"),
]


def test_proof_requests_beyond_the_log_are_told_apart(client_as: ClientAs) -> None:
    county = client_as("county")
    deposit(county, sha256="1" * 64)
    post(
        county,
        "/deposits/batch",
        {"area_code": "330122", "items": [{"sha256": "2" * 64}, {"sha256": "3" * 64}]},
    )
    post(
        county,
        "/deposits/batch",
        {"area_code": "330122", "items": [{"sha256": "4" * 64}, {"sha256": "5" * 64}]},
    )
    auditor = client_as("auditor")
    for path, status, field in PAST_THE_LOG:
        response = auditor.get("/api/v1/ledger" + path)
        assert response.status_code == status, (path, response.content)
        if field:
            assert response.json()["field"] == field, path


def test_an_empty_ledger_has_no_checkpoint_yet(client_as: ClientAs) -> None:
    response = client_as("auditor").get("/api/v1/ledger/checkpoints/latest")
    assert response.status_code == 404
    assert "empty" in response.json()["detail"]


# ---------------------------------------------------------------------------------------- witnesses


@pytest.fixture
def court(client_as: ClientAs, people: dict[str, Any], net: Net) -> Client:
    """The court's service account (role witness) and its registered cosigner key."""
    response = post(
        client_as("admin"), "/witnesses", {"vkey": COURT.verifier.vkey, "institution": "桐庐县人民法院"}
    )
    assert response.status_code == 201, response.content
    client = Client()
    client.force_login(make_user("court", role="witness", area=net.province))
    return client


def test_a_witness_cosigns_and_the_checkpoint_shows_who_cosigned(client_as: ClientAs, court: Client) -> None:
    index = deposit(client_as("county")).json()["index"]
    checkpoint = court.get("/api/v1/ledger/checkpoints/latest").json()
    body = note.parse_note(checkpoint["note"]).text
    stamp = int(time.time())
    response = post(
        court,
        f"/checkpoints/{checkpoint['size']}/cosignatures",
        {"signature": COURT.cosign(body, stamp).line()},
    )
    assert response.status_code == 201, response.content
    shown = response.json()
    assert [(c["witness"], c["institution"], c["timestamp"]) for c in shown["cosigned_by"]] == [
        (COURT.name, "桐庐县人民法院", stamp)
    ]
    again = post(
        court,
        f"/checkpoints/{checkpoint['size']}/cosignatures",
        {"signature": COURT.cosign(body, stamp).line()},
    )
    assert again.status_code == 201
    assert Cosignature.objects.count() == 1
    later = post(
        court,
        f"/checkpoints/{checkpoint['size']}/cosignatures",
        {"signature": COURT.cosign(body, stamp + 1).line()},
    )
    assert later.status_code == 409
    text = client_as("county").get(f"/api/v1/ledger/entries/{index}/receipt").json()["receipt"]
    verified = receipt.verify_receipt(text, keys.verifier(), witnesses=[COURT.verifier], quorum=1)
    assert verified.cosigned_by == ((COURT.name, stamp),)
    assert AuditRecord.objects.filter(action="ledger.cosign").count() == 1


@pytest.mark.parametrize(
    ("signer", "message"),
    [
        (note.Cosigner("court.tonglu.example.cn/witness", bytes(32)), "is not the key of witness"),
        (note.Cosigner("stranger.example.cn/witness", bytes(32)), "not a registered witness"),
    ],
)
def test_a_cosignature_from_the_wrong_key_is_refused(
    client_as: ClientAs, court: Client, signer: note.Cosigner, message: str
) -> None:
    deposit(client_as("county"))
    body = note.parse_note(Checkpoint.objects.get().note).text
    response = post(
        court, "/checkpoints/1/cosignatures", {"signature": signer.cosign(body, int(time.time())).line()}
    )
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert response.json()["field"] == "signature"
    assert Cosignature.objects.count() == 0


def test_a_cosignature_of_another_checkpoint_or_from_the_future_is_refused(
    client_as: ClientAs, court: Client
) -> None:
    deposit(client_as("county"), sha256="1" * 64)
    deposit(client_as("county"), sha256="2" * 64)
    first = note.parse_note(Checkpoint.objects.get(size=1).note).text
    wrong = post(
        court, "/checkpoints/2/cosignatures", {"signature": COURT.cosign(first, int(time.time())).line()}
    )
    assert wrong.status_code == 422
    assert "does not verify" in wrong.json()["detail"]
    future = post(
        court,
        "/checkpoints/1/cosignatures",
        {"signature": COURT.cosign(first, int(time.time()) + 3600).line()},
    )
    assert future.status_code == 422
    assert "future" in future.json()["detail"]
    garbage = post(court, "/checkpoints/1/cosignatures", {"signature": "not a signature line"})
    assert garbage.status_code == 422
    assert garbage.json()["field"] == "signature"
    assert Cosignature.objects.count() == 0


@pytest.mark.parametrize(
    ("vkey", "status", "message"),
    [
        (note.Signer("court.example.cn/log", bytes(32)).verifier.vkey, 422, "type 0x04"),
        ("nonsense", 422, "form"),
        (COURT.verifier.vkey, 409, "already registered"),
    ],
)
def test_a_bad_or_duplicate_witness_key_is_refused(
    client_as: ClientAs, court: Client, vkey: str, status: int, message: str
) -> None:
    response = post(client_as("admin"), "/witnesses", {"vkey": vkey, "institution": "法院"})
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert Witness.objects.count() == 1


def test_witnesses_are_listed_with_their_keys(client_as: ClientAs, court: Client) -> None:
    listed = client_as("auditor").get("/api/v1/ledger/witnesses").json()
    assert listed == [
        {
            "name": COURT.name,
            "institution": "桐庐县人民法院",
            "vkey": COURT.verifier.vkey,
            "is_active": True,
            "added_at": listed[0]["added_at"],
        }
    ]


def test_the_public_key_is_published_without_signing_in() -> None:
    response = Client().get("/.well-known/onegrid-ledger-key")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert note.Verifier.parse(response.content.decode()) == keys.verifier()


def test_the_openapi_document_lists_the_ledger() -> None:
    paths = set(Client().get("/api/v1/openapi.json").json()["paths"])
    assert {
        "/api/v1/ledger/deposits",
        "/api/v1/ledger/entries/{index}/receipt",
        "/api/v1/ledger/checkpoints/latest",
    } <= paths


def test_a_retired_witness_can_no_longer_cosign(client_as: ClientAs, court: Client) -> None:
    deposit(client_as("county"))
    witness = Witness.objects.get()
    services.set_witness_active(actor=None, witness=witness, active=False)
    assert AuditRecord.objects.filter(action="ledger.change_witness").count() == 1
    body = note.parse_note(Checkpoint.objects.get().note).text
    response = post(
        court, "/checkpoints/1/cosignatures", {"signature": COURT.cosign(body, int(time.time())).line()}
    )
    assert response.status_code == 422
    assert "not a registered witness" in response.json()["detail"]
