import base64
import hashlib
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onegrid.kit import crypto
from onegrid.kit.crypto import (
    AuthenticationError,
    MalformedTokenError,
    PiiCipher,
    PiiError,
    UnknownKeyError,
)

OLD_KEY = bytes(range(32))
NEW_KEY = bytes(range(100, 132))
PHONE = "access.User.phone"
ID_NUMBER = "access.User.id_number"


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher({"k1": OLD_KEY}, current="k1")


@pytest.fixture
def rotated() -> PiiCipher:
    """The ring after rotation: the new key in front (current), the old one kept behind it."""
    return PiiCipher({"k2": NEW_KEY, "k1": OLD_KEY}, current="k2")


def payload_bytes(token: str) -> bytes:
    payload = token.split(".")[2]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))


# --- encryption -----------------------------------------------------------------------------------


@given(plaintext=st.text(max_size=200), context=st.text(max_size=50))
def test_what_is_encrypted_decrypts_to_the_same_text(plaintext: str, context: str) -> None:
    cipher = PiiCipher({"k1": OLD_KEY}, current="k1")
    assert cipher.decrypt(cipher.encrypt(plaintext, context=context), context=context) == plaintext


def test_the_token_is_versioned_names_its_key_and_is_text_safe(cipher: PiiCipher) -> None:
    token = cipher.encrypt("13812345678", context=PHONE)
    assert re.fullmatch(r"v1\.k1\.[A-Za-z0-9_-]+", token)
    # 12-byte nonce, 11 bytes of ciphertext, 16-byte tag
    assert len(payload_bytes(token)) == 12 + 11 + 16
    assert "13812345678" not in token


def test_equal_plaintexts_give_different_tokens(cipher: PiiCipher) -> None:
    tokens = {cipher.encrypt("13812345678", context=PHONE) for _ in range(50)}
    assert len(tokens) == 50
    assert len({payload_bytes(token)[:12] for token in tokens}) == 50  # fresh nonce each time


def test_any_flipped_bit_anywhere_in_the_token_is_rejected(cipher: PiiCipher) -> None:
    token = cipher.encrypt("110101199003074514", context=ID_NUMBER)
    for position, character in enumerate(token):
        for bit in range(8):
            tampered = token[:position] + chr(ord(character) ^ (1 << bit)) + token[position + 1 :]
            with pytest.raises(PiiError):
                cipher.decrypt(tampered, context=ID_NUMBER)


@given(st.data())
def test_any_flipped_bit_in_the_sealed_bytes_fails_authentication(data: st.DataObject) -> None:
    cipher = PiiCipher({"k1": OLD_KEY}, current="k1")
    token = cipher.encrypt(data.draw(st.text(max_size=40)), context=PHONE)
    blob = bytearray(payload_bytes(token))
    bit = data.draw(st.integers(0, len(blob) * 8 - 1))
    blob[bit // 8] ^= 1 << (bit % 8)
    forged = "v1.k1." + base64.urlsafe_b64encode(bytes(blob)).rstrip(b"=").decode()
    with pytest.raises(AuthenticationError):
        cipher.decrypt(forged, context=PHONE)


def test_non_canonical_base64_is_rejected_even_when_it_decodes_to_the_same_bytes(cipher: PiiCipher) -> None:
    token = cipher.encrypt("x", context=PHONE)  # 29 bytes: the last character carries 4 spare bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    twin = token[:-1] + alphabet[last | 1]
    assert twin != token
    assert payload_bytes(twin) == payload_bytes(token)
    with pytest.raises(MalformedTokenError, match="canonical"):
        cipher.decrypt(twin, context=PHONE)


def test_a_token_moved_to_another_column_does_not_decrypt(cipher: PiiCipher) -> None:
    token = cipher.encrypt("13812345678", context=PHONE)
    with pytest.raises(AuthenticationError, match=re.escape(ID_NUMBER)):
        cipher.decrypt(token, context=ID_NUMBER)
    with pytest.raises(AuthenticationError):
        cipher.decrypt(token, context="")


def test_a_token_relabelled_with_another_key_id_does_not_decrypt() -> None:
    same_key_twice = PiiCipher({"a": OLD_KEY, "b": OLD_KEY}, current="a")
    token = same_key_twice.encrypt("13812345678", context=PHONE)
    with pytest.raises(AuthenticationError):
        same_key_twice.decrypt("v1.b." + token.split(".")[2], context=PHONE)


def test_a_token_from_a_key_not_in_the_ring_is_refused_by_name(rotated: PiiCipher, cipher: PiiCipher) -> None:
    token = rotated.encrypt("13812345678", context=PHONE)
    with pytest.raises(UnknownKeyError, match="'k2'"):
        cipher.decrypt(token, context=PHONE)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "three dot-separated parts"),
        ("13812345678", "three dot-separated parts"),
        ("v1.k1", "three dot-separated parts"),
        ("v1.k1.AAAA.AAAA", "three dot-separated parts"),
        ("v2.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "unsupported token version 'v2'"),
        ("v1..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "key id part"),
        ("v1.k 1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "key id part"),
        ("v1.k1.", "not unpadded base64url"),
        ("v1.k1.AAAA+AAA", "not unpadded base64url"),
        ("v1.k1.AAAAAAAA==", "not unpadded base64url"),
        ("v1.k1.A", "not unpadded base64url"),
        ("v1.k1." + "A" * 36, "too short"),
    ],
)
def test_malformed_tokens_are_refused_with_a_reason(cipher: PiiCipher, token: str, reason: str) -> None:
    with pytest.raises(MalformedTokenError, match=re.escape(reason)):
        cipher.decrypt(token, context=PHONE)


def test_errors_never_echo_the_plaintext(cipher: PiiCipher) -> None:
    token = cipher.encrypt("13812345678", context=PHONE)
    with pytest.raises(PiiError) as error:
        cipher.decrypt(token, context=ID_NUMBER)
    assert "13812345678" not in str(error.value)
    assert "13812345678" not in repr(cipher)
    assert OLD_KEY.hex() not in repr(cipher)


def test_not_a_string_is_malformed(cipher: PiiCipher) -> None:
    with pytest.raises(MalformedTokenError):
        cipher.decrypt(b"v1.k1.AAAA", context=PHONE)  # type: ignore[arg-type]


# --- rotation -------------------------------------------------------------------------------------


def test_key_id_and_needs_rotation(cipher: PiiCipher, rotated: PiiCipher) -> None:
    old_token = cipher.encrypt("13812345678", context=PHONE)
    new_token = rotated.encrypt("13812345678", context=PHONE)
    assert rotated.key_id(old_token) == "k1"
    assert rotated.key_id(new_token) == "k2"
    assert rotated.needs_rotation(old_token)
    assert not rotated.needs_rotation(new_token)
    assert rotated.current_key_id == "k2"


def test_key_id_refuses_malformed_tokens(cipher: PiiCipher) -> None:
    with pytest.raises(MalformedTokenError):
        cipher.key_id("plain text")


def test_old_tokens_stay_readable_and_rotate_to_the_current_key(
    cipher: PiiCipher, rotated: PiiCipher
) -> None:
    old_token = cipher.encrypt("110101199003074514", context=ID_NUMBER)
    assert rotated.decrypt(old_token, context=ID_NUMBER) == "110101199003074514"
    new_token = rotated.rotate(old_token, context=ID_NUMBER)
    assert rotated.key_id(new_token) == "k2"
    assert not rotated.needs_rotation(new_token)
    assert rotated.decrypt(new_token, context=ID_NUMBER) == "110101199003074514"
    with pytest.raises(UnknownKeyError):
        cipher.decrypt(new_token, context=ID_NUMBER)


def test_rotating_a_current_token_returns_it_unchanged(rotated: PiiCipher) -> None:
    token = rotated.encrypt("13812345678", context=PHONE)
    assert rotated.rotate(token, context=PHONE) == token


def test_rotate_authenticates_before_anything_else(cipher: PiiCipher, rotated: PiiCipher) -> None:
    with pytest.raises(AuthenticationError):
        rotated.rotate(cipher.encrypt("13812345678", context=PHONE), context=ID_NUMBER)
    with pytest.raises(AuthenticationError):
        rotated.rotate(rotated.encrypt("13812345678", context=PHONE), context=ID_NUMBER)


# --- blind index ----------------------------------------------------------------------------------


def test_blind_index_is_32_hex_characters_and_deterministic(cipher: PiiCipher) -> None:
    index = cipher.blind_index("110101199003074514", purpose="resident_id")
    assert re.fullmatch(r"[0-9a-f]{32}", index)
    assert PiiCipher({"k1": OLD_KEY}, "k1").blind_index("110101199003074514", purpose="resident_id") == index


def test_blind_index_survives_rotation_of_the_encryption_key(cipher: PiiCipher, rotated: PiiCipher) -> None:
    assert rotated.index_key_id == cipher.index_key_id == "k1"
    for value, purpose in [("110101199003074514", "resident_id"), ("13812345678", "mobile")]:
        assert rotated.blind_index(value, purpose=purpose) == cipher.blind_index(value, purpose=purpose)


def test_blind_index_key_can_be_named(rotated: PiiCipher) -> None:
    named = PiiCipher({"k2": NEW_KEY, "k1": OLD_KEY}, current="k2", index_key_id="k2")
    assert named.index_key_id == "k2"
    assert named.blind_index("13812345678", purpose="mobile") != rotated.blind_index(
        "13812345678", purpose="mobile"
    )


def test_blind_index_is_not_a_plain_hash_of_the_key_or_value(cipher: PiiCipher) -> None:
    index = cipher.blind_index("13812345678", purpose="mobile")
    other_ring = PiiCipher({"k1": NEW_KEY}, current="k1")
    assert other_ring.blind_index("13812345678", purpose="mobile") != index
    assert hashlib.sha256(b"13812345678").hexdigest()[:32] != index


def test_blind_index_differs_per_purpose_and_per_value(cipher: PiiCipher) -> None:
    indexes = {
        cipher.blind_index("13812345678", purpose="mobile"),
        cipher.blind_index("13812345678", purpose="landline"),
        cipher.blind_index("13812345679", purpose="mobile"),
        # length-prefixed purpose: "ab" + "c" is not "a" + "bc"
        cipher.blind_index("c", purpose="ab"),
        cipher.blind_index("bc", purpose="a"),
    }
    assert len(indexes) == 5


def test_blind_index_normalises_with_nfkc_and_strips(cipher: PiiCipher) -> None:
    plain = cipher.blind_index("13812345678", purpose="mobile")
    assert cipher.blind_index(" １３８１２３４５６７８\n", purpose="mobile") == plain
    # case is the caller's business
    assert cipher.blind_index("11010519491231002x", purpose="resident_id") != cipher.blind_index(
        "11010519491231002X", purpose="resident_id"
    )


@pytest.mark.parametrize("purpose", ["", "has space", "x" * 101, "身份证"])
def test_blind_index_refuses_odd_purposes(cipher: PiiCipher, purpose: str) -> None:
    with pytest.raises(ValueError, match="purpose"):
        cipher.blind_index("13812345678", purpose=purpose)


# --- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "current", "message"),
    [
        ({}, "k1", "key ring is empty"),
        ({"k1": OLD_KEY}, "k2", "current key 'k2' is not in the key ring"),
        ({"k1": OLD_KEY[:16]}, "k1", "key 'k1' must be 32 bytes, not 16"),
        ({"k1": "x" * 32}, "k1", "key 'k1' must be 32 bytes, not str"),
        ({"k.1": OLD_KEY}, "k.1", "key id 'k.1' must be"),
        ({"": OLD_KEY}, "", "key id '' must be"),
    ],
)
def test_bad_key_rings_are_refused(keys: dict[str, bytes], current: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        PiiCipher(keys, current)


def test_an_unknown_index_key_is_refused() -> None:
    with pytest.raises(ValueError, match="blind-index key 'k9'"):
        PiiCipher({"k1": OLD_KEY}, "k1", index_key_id="k9")


# --- masks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "value", "masked"),
    [
        (crypto.mask_phone, "13812345678", "138****5678"),
        (crypto.mask_phone, " 13812345678 ", "138****5678"),
        (crypto.mask_phone, "+8613812345678", "+86*******5678"),
        (crypto.mask_phone, "12345", "1***5"),
        (crypto.mask_phone, "123", "***"),
        (crypto.mask_phone, "", ""),
        (crypto.mask_resident_id, "110101199003074514", "110101********4514"),
        (crypto.mask_resident_id, "11010519491231002X", "110105********002X"),
        (crypto.mask_resident_id, "110101900307451", "110*********451"),
        (crypto.mask_resident_id, "1101", "1**1"),
        (crypto.mask_resident_id, "", ""),
        (crypto.mask_name, "张三丰", "张**"),
        (crypto.mask_name, "欧阳娜娜", "欧***"),
        (crypto.mask_name, "张三", "张*"),
        (crypto.mask_name, "张", "*"),
        (crypto.mask_name, "  ", ""),
        (crypto.mask_generic, "ABCDEFGH", "AB****GH"),
        (crypto.mask_generic, "abcd", "a**d"),
        (crypto.mask_generic, "abc", "***"),
        (crypto.mask_generic, "", ""),
    ],
)
def test_masks(mask: Callable[[str], str], value: str, masked: str) -> None:
    assert mask(value) == masked


MASKS = [crypto.mask_generic, crypto.mask_phone, crypto.mask_resident_id, crypto.mask_name]


@given(st.text(alphabet=st.characters(blacklist_characters="*"), max_size=17), st.sampled_from(MASKS))
def test_short_input_never_shows_more_than_half(value: str, mask: Callable[[str], str]) -> None:
    stripped = value.strip()
    if mask is crypto.mask_phone and len(stripped) >= 11:
        return  # the customary 138****5678 applies from 11 characters on
    masked = mask(value)
    assert len(masked) == len(stripped)
    shown = sum(1 for character in masked if character != "*")
    assert shown <= len(stripped) / 2
