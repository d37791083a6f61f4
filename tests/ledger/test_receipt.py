"""Receipts (c2sp.org/tlog-proof@v1) verify offline, and every bad one is refused with the check that
failed, never with a crash."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onegrid.ledger import leaves, merkle, note
from onegrid.ledger.checkpoint import Checkpoint
from onegrid.ledger.receipt import MAGIC, Receipt, ReceiptError, check_document, parse_receipt, verify_receipt

LOG = note.Signer("ledger.example.cn/tonglu", bytes(range(32)))
COURT = note.Cosigner("court.example.cn/witness", bytes(range(1, 33)))
PROCURATORATE = note.Cosigner("procuratorate.example.cn/witness", bytes(range(2, 34)))


def deposit_leaf(i: int) -> leaves.DepositLeaf:
    return leaves.DepositLeaf(
        hashlib.sha256(b"contract %d" % i).hexdigest(),
        f"借款合同 {i}",
        "application/pdf",
        1000 + i,
        {"lender": "某小贷公司", "n": i},
        "/330000/330100/330122/",
        "county",
        "2026-11-22T08:00:00.000000Z",
    )


def make_receipt(index: int = 5, size: int = 13, *, cosigners: tuple[note.Cosigner, ...] = (COURT,)) -> str:
    datas = [deposit_leaf(i).data() for i in range(size)]
    tree = merkle.MemoryTree.from_leaf_hashes([merkle.leaf_hash(d) for d in datas])
    body = Checkpoint(LOG.name, size, tree.root()).text()
    signed = LOG.sign_note(body) + "".join(c.cosign(body, 1_790_000_000).line() for c in cosigners)
    return Receipt(index, tuple(tree.inclusion_proof(index)), signed, datas[index]).text()


def test_a_receipt_reads_as_the_c2sp_format() -> None:
    text = make_receipt()
    lines = text.split("\n")
    assert lines[0] == MAGIC
    assert lines[1].startswith("extra ")
    assert lines[2] == "index 5"
    assert lines[7] == ""
    assert lines[8] == LOG.name
    assert lines[9] == "13"
    assert parse_receipt(text).text() == text


def test_a_good_receipt_verifies_with_its_witnesses_and_its_document() -> None:
    verified = verify_receipt(
        make_receipt(cosigners=(COURT, PROCURATORATE)),
        LOG.verifier,
        witnesses=[COURT.verifier, PROCURATORATE.verifier],
        quorum=2,
    )
    assert (verified.index, verified.checkpoint.size) == (5, 13)
    assert [name for name, _ in verified.cosigned_by] == [COURT.name, PROCURATORATE.name]
    leaf = check_document(verified, hashlib.sha256(b"contract 5").digest())
    assert leaf.title == "借款合同 5"


def test_a_receipt_for_one_document_does_not_vouch_for_another() -> None:
    verified = verify_receipt(make_receipt(), LOG.verifier)
    with pytest.raises(ReceiptError, match="document: the document's SHA-256") as caught:
        check_document(verified, hashlib.sha256(b"contract 6").digest())
    assert caught.value.check == "document"


def test_the_first_and_the_last_leaf_and_a_single_leaf_log_verify() -> None:
    for index, size in [(0, 13), (12, 13), (0, 1)]:
        assert verify_receipt(make_receipt(index, size), LOG.verifier).index == index


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda t: t.replace(MAGIC, "c2sp.org/tlog-proof@v2"), "format"),
        (lambda t: t.replace("index 5", "index 05"), "format"),
        (lambda t: t.replace("index 5", "index -5"), "format"),
        (lambda t: t.replace("index 5\n", ""), "format"),
        (lambda t: t.replace("\n\n", "\n", 1), "format"),
        (lambda t: t.split("\n\n")[0] + "\n\n", "format"),
        (lambda t: t.replace("extra ", "extra !"), "format"),
        (lambda t: _line(t, 3, lambda s: s[:-4] + "AA=="), "format"),  # 31 bytes
        (lambda t: _line(t, 3, lambda s: s[:-1]), "format"),  # not base64 any more
        (lambda t: _line(t, 3, lambda s: s + "AAAA"), "format"),  # 35 bytes
        (lambda t: _drop_line(t, 6), "inclusion"),  # truncated proof
        (lambda t: t.replace("index 5", "index 4"), "inclusion"),
        (lambda t: t.replace("index 5", "index 13"), "inclusion"),
        (lambda t: t.replace("\n13\n", "\n14\n"), "signature"),
        (lambda t: t.replace("\n13\n", "\n013\n"), "checkpoint"),
        (lambda t: t.replace(LOG.name + "\n", "ledger.example.cn/other\n", 1), "origin"),
        (lambda t: t.replace("— " + LOG.name, "— someone.else"), "signature"),
    ],
)
def test_a_bad_receipt_is_refused_with_the_check_that_failed(change, check: str) -> None:  # type: ignore[no-untyped-def]
    bad = change(make_receipt())
    with pytest.raises(ReceiptError) as caught:
        verify_receipt(bad, LOG.verifier)
    assert caught.value.check == check, caught.value


def _line(text: str, n: int, edit) -> str:  # type: ignore[no-untyped-def]
    lines = text.split("\n")
    lines[n] = edit(lines[n])
    return "\n".join(lines)


def _drop_line(text: str, n: int) -> str:
    lines = text.split("\n")
    del lines[n]
    return "\n".join(lines)


def test_a_wrong_key_is_told_apart_from_a_wrong_signature() -> None:
    stranger = note.Signer(LOG.name, bytes(32))
    with pytest.raises(ReceiptError, match="no signature by the log key") as caught:
        verify_receipt(make_receipt(), stranger.verifier)
    assert caught.value.check == "signature"


def test_an_unknown_origin_is_refused() -> None:
    with pytest.raises(
        ReceiptError, match=re.escape("origin: the checkpoint is from the log 'ledger.example.cn/tonglu'")
    ):
        verify_receipt(make_receipt(), LOG.verifier, origin="ledger.example.cn/hangzhou")


def test_too_few_witnesses_fail_the_policy_and_a_forged_cosignature_fails_outright() -> None:
    receipt = make_receipt(cosigners=(COURT,))
    with pytest.raises(ReceiptError, match="witnesses: 1 of the 2 known witnesses cosigned; 2 needed"):
        verify_receipt(receipt, LOG.verifier, witnesses=[COURT.verifier, PROCURATORATE.verifier], quorum=2)
    impostor = note.Cosigner(COURT.name, bytes(range(3, 35)))
    lines = receipt.split("\n")
    body = "\n".join(lines[8:11]) + "\n"
    forged_sig = note.NoteSignature(COURT.name, COURT.key_id, impostor.cosign(body, 1_790_000_000).signature)
    lines[-2] = forged_sig.line().rstrip("\n")
    with pytest.raises(
        ReceiptError, match=re.escape("cosignature: signature by court.example.cn/witness")
    ) as caught:
        verify_receipt("\n".join(lines), LOG.verifier, witnesses=[COURT.verifier], quorum=1)
    assert caught.value.check == "cosignature"


def test_a_receipt_without_leaf_data_needs_the_leaf_hash() -> None:
    text = make_receipt()
    plain = "\n".join(line for line in text.split("\n") if not line.startswith("extra "))
    with pytest.raises(ReceiptError, match="no leaf data"):
        verify_receipt(plain, LOG.verifier)
    leaf = merkle.leaf_hash(deposit_leaf(5).data())
    assert verify_receipt(plain, LOG.verifier, leaf_hash=leaf).index == 5


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe",
        MAGIC.encode(),
        b"\x00" * 100,
        b"c2sp.org/tlog-proof@v1\nindex 1\n\n\n",
        b"x" * (2 << 20),
    ],
)
def test_garbage_is_refused_as_format(data: bytes) -> None:
    with pytest.raises(ReceiptError) as caught:
        verify_receipt(data, LOG.verifier)
    assert caught.value.check == "format"


GOOD = make_receipt()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(GOOD.encode()) - 1), st.binary(min_size=1, max_size=3))
def test_any_corruption_of_a_receipt_is_refused_and_never_crashes(at: int, junk: bytes) -> None:
    data = GOOD.encode()
    corrupted = data[:at] + junk + data[at + len(junk) :]
    try:
        verified = verify_receipt(corrupted, LOG.verifier)
    except ReceiptError:
        return
    # the few changes that keep a receipt valid leave what it proves untouched (e.g. base64 slack bits)
    assert verified.index == 5
    assert verified.leaf_hash == merkle.leaf_hash(deposit_leaf(5).data())
