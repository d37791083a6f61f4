"""Signed notes and checkpoints read and write exactly the C2SP formats.

Vectors (encoded here by hand, see shared/reference/evidence-anchors.md §2.5):
- C2SP/C2SP signed-note.md: the example.com/foo note;
- golang/mod sumdb/note/note.go @ a410e2daa716f879ede62862a0351cad3606d11b: the PeterNeumann signer,
  verifier and signature (Ed25519 is deterministic, so signing must reproduce it byte for byte);
- transparency-dev/formats log/checkpoint_test.go @ 7a6ef700ee5660b2580c9da92063af300820fdee.
"""

from __future__ import annotations

import base64
import re

import pytest

from onegrid.ledger import note
from onegrid.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint, parse_checkpoint
from onegrid.ledger.note import Cosigner, NoteError, Signer, Verifier, open_note, parse_note

C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
PN_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PN_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PN_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PN_LINE = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def peter() -> Signer:
    *_, name, _, key = PN_SIGNER.split("+", 4)
    raw = base64.b64decode(key)
    assert raw[0] == note.ED25519
    return Signer(name, raw[1:])


def test_the_c2sp_example_note_verifies() -> None:
    verifier = Verifier.parse(C2SP_VKEY)
    assert verifier.key_id.hex() == "530d903a"
    opened = open_note(C2SP_NOTE, [verifier])
    assert opened.text == "This is an example message.\n"
    assert opened.signed(verifier)


def test_signing_reproduces_the_go_reference_signature_byte_for_byte() -> None:
    signer = peter()
    assert signer.verifier.vkey == PN_VKEY
    assert signer.sign(PN_TEXT).line() == PN_LINE
    assert signer.sign_note(PN_TEXT) == PN_TEXT + "\n" + PN_LINE
    assert open_note(PN_TEXT + "\n" + PN_LINE, [Verifier.parse(PN_VKEY)]).text == PN_TEXT


def test_unknown_keys_are_ignored_but_a_note_needs_one_known_signature() -> None:
    other = Signer("other.example/key", bytes(range(32)))
    signed = PN_TEXT + "\n" + PN_LINE + other.sign(PN_TEXT).line()
    assert open_note(signed, [Verifier.parse(PN_VKEY)]).text == PN_TEXT
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(PN_TEXT + "\n" + other.sign(PN_TEXT).line(), [Verifier.parse(PN_VKEY)])


def test_a_key_with_the_same_name_but_another_id_is_unknown_not_wrong() -> None:
    impostor = Signer("PeterNeumann", bytes(32))
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(PN_TEXT + "\n" + impostor.sign(PN_TEXT).line(), [Verifier.parse(PN_VKEY)])


def test_a_known_key_whose_signature_fails_rejects_the_note() -> None:
    forged = PN_LINE.replace("ZInNIuGU", "ZInNIuGV")
    with pytest.raises(NoteError, match="does not verify"):
        open_note(PN_TEXT + "\n" + forged, [Verifier.parse(PN_VKEY)])
    with pytest.raises(NoteError, match="does not verify"):
        open_note(PN_TEXT.replace("answer", "answers") + "\n" + PN_LINE, [Verifier.parse(PN_VKEY)])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no signatures\n", "no blank line"),
        ("text\n\n", "no signatures"),
        ("text\n\n— PeterNeumann x08go", "end with a newline"),
        ("text\r\n\n" + PN_LINE, r"control character U\+000D"),
        ("text\n\n- PeterNeumann x08go/ZJk=\n", "em dash"),
        ("text\n\n— Peter Neumann abcdefgh\n", "signature line is"),
        ("text\n\n— PeterNeumann not*base64\n", "not valid base64"),
        ("text\n\n— PeterNeumann AAAA\n", "too short"),
        ("text\n\n— Peter+Neumann AAAAAAAA\n", "'\\+'"),
        (b"text\n\n\xff\n", "UTF-8"),
    ],
)
def test_malformed_notes_are_rejected_with_the_reason(text: str | bytes, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_note(text)


def test_the_text_is_split_from_the_signatures_at_the_last_blank_line() -> None:
    text = "first paragraph\n\nsecond paragraph\n"
    signer = peter()
    parsed = parse_note(signer.sign_note(text))
    assert parsed.text == text
    assert len(parsed.signatures) == 1


def test_a_verifier_key_whose_base64_holds_a_plus_sign_is_read_whole() -> None:
    seed = next(bytes([i]) * 32 for i in range(256) if "+" in Signer("k", bytes([i]) * 32).verifier.vkey[11:])
    vkey = Signer("k", seed).verifier.vkey
    assert Verifier.parse(vkey).public_key == Signer("k", seed).public_key


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("PeterNeumann+c74f20a3", "has the form"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+zzzzzzzz+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not hex"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        ("PeterNeumann+c74f20a3+AxpcAQ==", "not supported"),
        ("PeterNeumann+c74f20a3+ARpc", "32 bytes"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "space"),
    ],
)
def test_bad_verifier_keys_are_rejected_with_the_reason(vkey: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Verifier.parse(vkey)


def test_a_witness_cosignature_signs_the_header_the_time_and_the_checkpoint() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert note.cosigned_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    witness = Cosigner("witness.example.com/w1", bytes(range(32)))
    sig = witness.cosign(body, 1679315147)
    assert sig.key_id == note.key_id("witness.example.com/w1", 0x04, witness.public_key)
    assert sig.signature[:8] == (1679315147).to_bytes(8, "big")
    log = Signer("example.com/behind-the-sofa", bytes(32))
    signed = log.sign_note(body) + sig.line()
    opened = open_checkpoint(signed, log.verifier, witnesses=[witness.verifier])
    assert opened.cosigned_by == ((witness.verifier, 1679315147),)
    # the same key read as a plain Ed25519 key (type 0x01) has another key id: it is someone else
    assert note.key_id(witness.name, 0x01, witness.public_key) != sig.key_id


def test_checkpoints_parse_as_transparency_dev_does() -> None:
    assert parse_checkpoint("Log\n123\nYmFuYW5hcw==\n", hash_size=None) == Checkpoint("Log", 123, b"bananas")
    banana = parse_checkpoint(
        "Banana\n9944\ndGhlIHZpZXcgZnJvbSB0aGUgdHJlZSB0b3BzIGlzIGdyZWF0IQ==\n", hash_size=None
    )
    assert (banana.origin, banana.size, banana.root) == (
        "Banana",
        9944,
        b"the view from the tree tops is great!",
    )
    extended = parse_checkpoint("Log\n123\nYmFuYW5hcw==\nrest\nof\nit\n", hash_size=None)
    assert extended.extensions == ("rest", "of", "it")
    assert extended.text() == "Log\n123\nYmFuYW5hcw==\nrest\nof\nit\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Head\n9944\n", "at least three lines"),
        ("\n9944\nYmFuYW5hcw==\n", "origin is empty"),
        ("Log\n123\nYmFuYW5hcw==", "end with a newline"),
        ("Log\nbananas\nYmFuYW5hcw==\n", "not a decimal"),
        ("Log\n-34\nYmFuYW5hcw==\n", "not a decimal"),
        ("Log\n0123\nYmFuYW5hcw==\n", "not a decimal"),
        ("Log\n18446744073709551616\nYmFuYW5hcw==\n", "64 bits"),
        ("Log\n123\nnot base64!\n", "not valid base64"),
        ("Log Two\n123\nYmFuYW5hcw==\n", "space"),
    ],
)
def test_bad_checkpoints_are_rejected_with_the_line_that_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_checkpoint(text, hash_size=None)


def test_the_ledger_wants_32_byte_roots() -> None:
    with pytest.raises(CheckpointError, match="7 bytes, not 32"):
        parse_checkpoint("Log\n123\nYmFuYW5hcw==\n")


def test_a_checkpoint_from_another_origin_is_refused_even_if_signed_by_a_known_key() -> None:
    log = Signer("example.com/log", bytes(32))
    other = Checkpoint("example.com/other", 1, bytes(32))
    with pytest.raises(CheckpointError, match=re.escape("from the log 'example.com/other'")):
        open_checkpoint(log.sign_note(other.text()), log.verifier)
