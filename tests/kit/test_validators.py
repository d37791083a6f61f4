import contextlib
import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onegrid.kit import validators
from onegrid.kit.validators import IdentifierError

TODAY = dt.date(2025, 6, 1)

# Computed here from the standards' definitions, independently of the module under test.
ID_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
ID_CHECK = "10X98765432"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [3**i % 31 for i in range(17)]
PROVINCES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
]  # fmt: skip


def id_check(body: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def credit_check(body: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def with_id_check(body: str) -> str:
    return body + id_check(body)


def reason_of(validate: Callable[..., str], value: object, **kwargs: object) -> str:
    with pytest.raises(IdentifierError) as error:
        validate(value, **kwargs)
    return error.value.reason


# --- the error ------------------------------------------------------------------------------------


def test_identifier_error_names_the_field_and_the_reason() -> None:
    with pytest.raises(IdentifierError) as error:
        validators.resident_id("11010519491231002X"[:-1] + "3", field="guardian_id", today=TODAY)
    assert error.value.field == "guardian_id"
    assert error.value.reason == "check character should be X, not 3"
    assert str(error.value) == "guardian_id: check character should be X, not 3"
    assert isinstance(error.value, ValueError)


def test_each_validator_has_a_sensible_default_field() -> None:
    for validate, field in [
        (validators.resident_id, "id_number"),
        (validators.mobile, "mobile"),
        (validators.credit_code, "credit_code"),
    ]:
        with pytest.raises(IdentifierError) as error:
            validate("")
        assert str(error.value) == f"{field}: must not be empty"


@given(st.text(max_size=25))
def test_arbitrary_text_either_validates_or_raises_identifier_error(text: str) -> None:
    for validate in (validators.resident_id, validators.mobile, validators.credit_code):
        with contextlib.suppress(IdentifierError):
            assert isinstance(validate(text), str)


@pytest.mark.parametrize("validate", [validators.resident_id, validators.mobile, validators.credit_code])
def test_non_text_is_refused(validate: Callable[..., str]) -> None:
    assert reason_of(validate, 13812345678) == "must be text, not int"


# --- citizen identity number ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the example in GB 11643-1999
        "110101199003074514",
        with_id_check("33010620000229123"),  # a leap day
        with_id_check("82000019000101000"),  # Macau, the earliest accepted date
        with_id_check("71000020250601000"),  # Taiwan, born today
    ],
)
def test_valid_resident_ids(number: str) -> None:
    assert validators.resident_id(number, today=TODAY) == number


def test_resident_id_normalises_case_width_and_whitespace() -> None:
    assert validators.resident_id(" 11010519491231002x\t", today=TODAY) == "11010519491231002X"
    assert validators.resident_id("１１０１０５１９４９１２３１００２Ｘ", today=TODAY) == "11010519491231002X"
    assert validators.resident_id("１１０１０５１９４９１２３１００２ｘ", today=TODAY) == "11010519491231002X"


def test_resident_id_defaults_today_to_the_date_in_china() -> None:
    assert validators.resident_id("110101199003074514") == "110101199003074514"
    far_future = with_id_check("11010130000101000")
    assert reason_of(validators.resident_id, far_future).endswith("is in the future")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        (
            "110105491231002",
            "must have 18 characters; 15-digit numbers (issued before 1999) are not accepted",
        ),
        ("11010519491231002", "must have 18 characters, not 17"),
        ("11010519491231002X0", "must have 18 characters, not 19"),
        ("1101051949123100XX", "character 17 must be a digit, not 'X'"),
        ("11010A19491231002X", "character 6 must be a digit, not 'A'"),
        ("11010519491231002Y", "the last character must be a digit or X, not 'Y'"),
        ("11010519491231002٣", "the last character must be a digit or X, not '٣'"),
        ("١1010519491231002X", "character 1 must be a digit, not '١'"),
        (
            with_id_check("99010519491231002"),
            "starts with 99, which is not a province-level code (GB/T 2260)",
        ),
        (
            with_id_check("83010519491231002"),
            "starts with 83, which is not a province-level code (GB/T 2260)",
        ),
        (
            with_id_check("10010519491231002"),
            "starts with 10, which is not a province-level code (GB/T 2260)",
        ),
        (
            with_id_check("11010520230230002"),
            "the birth date 20230230 (characters 7-14) is not a calendar date",
        ),
        (
            with_id_check("11010519000229002"),
            "the birth date 19000229 (characters 7-14) is not a calendar date",
        ),
        (
            with_id_check("11010519901301002"),
            "the birth date 19901301 (characters 7-14) is not a calendar date",
        ),
        (
            with_id_check("11010519900100002"),
            "the birth date 19900100 (characters 7-14) is not a calendar date",
        ),
        (with_id_check("11010521000101002"), "the birth date 21000101 (characters 7-14) is in the future"),
        (with_id_check("11010520250602002"), "the birth date 20250602 (characters 7-14) is in the future"),
        (
            "440524188001010014",
            "the birth date 18800101 (characters 7-14) is before 1900",
        ),  # GB 11643 example
        (with_id_check("11010518991231002"), "the birth date 18991231 (characters 7-14) is before 1900"),
        ("110105194912310021", "check character should be X, not 1"),
        ("110101199003074515", "check character should be 4, not 5"),
        ("11010119900307451X", "check character should be 4, not X"),
    ],
)
def test_invalid_resident_ids_say_why(number: str, reason: str) -> None:
    assert reason_of(validators.resident_id, number, today=TODAY) == reason


birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)


@st.composite
def resident_id_bodies(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(PROVINCES))
    area = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    born = draw(birth_dates).strftime("%Y%m%d")
    sequence = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return province + area + born + sequence


@given(resident_id_bodies())
def test_every_well_formed_resident_id_validates(body: str) -> None:
    number = with_id_check(body)
    assert validators.resident_id(number, today=TODAY) == number
    assert validators.resident_id(number.lower(), today=TODAY) == number
    assert validators.resident_id_check_char(body) == id_check(body)


@given(resident_id_bodies(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_changing_any_one_character_of_a_resident_id_is_detected(body: str, position: int, new: str) -> None:
    number = with_id_check(body)
    assume(number[position] != new)
    mutated = number[:position] + new + number[position + 1 :]
    with pytest.raises(IdentifierError):
        validators.resident_id(mutated, today=TODAY)


@pytest.mark.parametrize("body", ["", "1101051949123100", "1101051949123100X", "110105194912310021"])
def test_resident_id_check_char_needs_17_digits(body: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        validators.resident_id_check_char(body)


# --- mobile number --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        " 13812345678 ",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "+8613812345678",
        "0086 13812345678",
        "008613812345678",
        "86 138 1234 5678",
        "8613812345678",
        "１３８１２３４５６７８",
        "＋８６　１３８－１２３４－５６７８",
    ],
)
def test_mobile_accepts_the_usual_ways_of_writing_a_number(text: str) -> None:
    assert validators.mobile(text) == "13812345678"


@pytest.mark.parametrize("number", [f"1{second}012345678" for second in "3456789"])
def test_mobile_accepts_every_prefix_from_13_to_19(number: str) -> None:
    assert validators.mobile(number) == number


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must not be empty"),
        ("+86", "must have 11 digits, not 0"),
        ("1381234567", "must have 11 digits, not 10"),
        ("138123456789", "must have 11 digits, not 12"),
        ("0013812345678", "must have 11 digits, not 13"),
        ("12812345678", "a mainland mobile number starts with 13 to 19, not 12"),
        ("23812345678", "a mainland mobile number starts with 13 to 19, not 23"),
        ("86138123456", "a mainland mobile number starts with 13 to 19, not 86"),
        ("+1 415 555 2671", "only mainland numbers are accepted; the country code must be +86"),
        ("+852 6123 4567", "only mainland numbers are accepted; the country code must be +86"),
        ("138.1234.5678", "must contain only digits, spaces and hyphens, not '.'"),
        ("(138)12345678", "must contain only digits, spaces and hyphens, not '('"),
        ("1381234567８a", "must contain only digits, spaces and hyphens, not 'a'"),
        ("١٣٨١٢٣٤٥٦٧٨", "must contain only digits, spaces and hyphens, not '١'"),
    ],
)
def test_invalid_mobiles_say_why(text: str, reason: str) -> None:
    assert reason_of(validators.mobile, text) == reason


def test_mobile_reports_the_field_name() -> None:
    with pytest.raises(IdentifierError, match=r"^contact_phone: "):
        validators.mobile("123", field="contact_phone")


# --- unified social credit code -------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example in GB 32100-2015
        "115113010833722043",  # 广安区 bodies, from Sichuan's service portal (shared/reference)
        "11511301008778183N",
        "Y1" + "110000" + "ABCDEFGHJ" + credit_check("Y1110000ABCDEFGHJ"),
        "N2" + "330100" + "KLMNPQRTU" + credit_check("N2330100KLMNPQRTU"),
    ],
)
def test_valid_credit_codes(code: str) -> None:
    assert validators.credit_code(code) == code


def test_credit_code_normalises_case_width_and_whitespace() -> None:
    assert validators.credit_code(" 91350100m000100y43\n") == "91350100M000100Y43"
    assert validators.credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "must not be empty"),
        ("91350100M000100Y4", "must have 18 characters, not 17"),
        ("91350100M000100Y430", "must have 18 characters, not 19"),
        ("91350100M00010OY43", "character 15 is 'O'; credit codes never use I, O, Z, S or V"),
        ("91350100I000100Y43", "character 9 is 'I'; credit codes never use I, O, Z, S or V"),
        ("91350100M000100S43", "character 16 is 'S'; credit codes never use I, O, Z, S or V"),
        ("91350100M000100V43", "character 16 is 'V'; credit codes never use I, O, Z, S or V"),
        ("Z1350100M000100Y43", "character 1 is 'Z'; credit codes never use I, O, Z, S or V"),
        ("91350100M000100-43", "character 16 must be a digit or a capital letter, not '-'"),
        ("91350100M000100ß43", "character 16 must be a digit or a capital letter, not 'ß'"),
        (
            "01350100M000100Y43",
            "the first character (registration authority) must be 1-9, A, N or Y, not '0'",
        ),
        (
            "B1350100M000100Y43",
            "the first character (registration authority) must be 1-9, A, N or Y, not 'B'",
        ),
        ("90350100M000100Y43", "the second character (organisation type) must be a digit 1-9, not '0'"),
        ("9A350100M000100Y43", "the second character (organisation type) must be a digit 1-9, not 'A'"),
        ("9135A100M000100Y43", "characters 3-8 are an area code: character 5 must be a digit, not 'A'"),
        ("91350100M000100Y44", "check character should be 3, not 4"),
        ("115113010833722040", "check character should be 3, not 0"),
        ("11511301008778183M", "check character should be N, not M"),
    ],
)
def test_invalid_credit_codes_say_why(code: str, reason: str) -> None:
    assert reason_of(validators.credit_code, code) == reason


@st.composite
def credit_code_bodies(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from("123456789ANY"))
    kind = draw(st.sampled_from("123456789"))
    area = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    organisation = draw(st.text(alphabet=CREDIT_ALPHABET, min_size=9, max_size=9))
    return authority + kind + area + organisation


@given(credit_code_bodies())
def test_every_well_formed_credit_code_validates(body: str) -> None:
    code = body + credit_check(body)
    assert validators.credit_code(code) == code
    assert validators.credit_code(code.lower()) == code
    assert validators.credit_code_check_char(body) == credit_check(body)


@given(credit_code_bodies(), st.integers(0, 17), st.sampled_from(CREDIT_ALPHABET))
def test_changing_any_one_character_of_a_credit_code_is_detected(body: str, position: int, new: str) -> None:
    code = body + credit_check(body)
    assume(code[position] != new)
    with pytest.raises(IdentifierError):
        validators.credit_code(code[:position] + new + code[position + 1 :])


def test_the_credit_code_weights_are_powers_of_three_mod_31() -> None:
    assert validators.CREDIT_CODE_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert list(validators.RESIDENT_ID_WEIGHTS) == ID_WEIGHTS


@pytest.mark.parametrize("body", ["", "91350100M000100Y", "91350100M000100YO", "91350100m000100Y4"])
def test_credit_code_check_char_needs_17_alphabet_characters(body: str) -> None:
    with pytest.raises(ValueError, match="credit-code alphabet"):
        validators.credit_code_check_char(body)
