"""Chinese identifiers, validated with reasons a person can act on.

Each validator takes the raw text, normalises it (Unicode NFKC, so full-width digits and letters
become ASCII; surrounding whitespace removed) and returns the canonical form, or raises
`IdentifierError` naming the field and saying what is wrong in one English sentence.

- `resident_id`: 18-character citizen identity number (公民身份号码), GB 11643-1999.
- `mobile`: mainland mobile number (手机号码), 11 digits.
- `credit_code`: unified social credit code (统一社会信用代码), GB 32100-2015.
- `email`: an e-mail address (RFC 5321 sizes, Django's address rules), lower-cased.

The check-character functions are public so that factories can build valid identifiers.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Final

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

DIGITS: Final = "0123456789"

# GB/T 2260 province-level codes: the first two digits of every area code.
PROVINCE_CODES: Final = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip

# GB 11643-1999 (ISO 7064 MOD 11-2): weight 2**(17 - i) mod 11 for character i, 0-based.
RESIDENT_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARS: Final = "10X98765432"  # indexed by the weighted sum mod 11
EARLIEST_BIRTH_DATE: Final = dt.date(1900, 1, 1)
CHINA_TIME: Final = dt.timezone(dt.timedelta(hours=8))  # China Standard Time; no DST since 1991

# GB 32100-2015: 31 characters, without I, O, Z, S and V; weight 3**i mod 31 for character i.
CREDIT_CODE_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
# Registration authorities (登记管理部门): 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游,
# 7 宗教, 8 工会, 9 工商, A 中央军委改革和编制办公室, N 农业, Y 其他.
REGISTRATION_AUTHORITIES: Final = "123456789ANY"

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-]+")


class IdentifierError(ValueError):
    """An identifier that does not validate. ``str()`` is ``"<field>: <reason>"``."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def _normalised(value: str, field: str) -> str:
    if not isinstance(value, str):
        raise IdentifierError(field, f"must be text, not {type(value).__name__}")
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise IdentifierError(field, "must not be empty")
    return text


def _ascii_upper(text: str) -> str:
    """`text` with a-z upper-cased and nothing else touched (str.upper() turns "ß" into "SS")."""
    return "".join(character.upper() if "a" <= character <= "z" else character for character in text)


def _first_outside(text: str, allowed: str, start: int = 0) -> tuple[int, str] | None:
    """The 1-based position and the character of the first character of `text` not in `allowed`."""
    for position, character in enumerate(text, start=start + 1):
        if character not in allowed:
            return position, character
    return None


# --- citizen identity number (公民身份号码) -------------------------------------------------------


def resident_id_check_char(body: str) -> str:
    """The GB 11643 check character ("0"–"9" or "X") of a 17-digit body."""
    if len(body) != 17 or _first_outside(body, DIGITS) is not None:
        raise ValueError(f"the body must be 17 ASCII digits, not {body!r}")
    total = sum(int(digit) * weight for digit, weight in zip(body, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def resident_id(value: str, field: str = "id_number", *, today: dt.date | None = None) -> str:
    """The 18-character citizen identity number in `value`, upper-case, or `IdentifierError`.

    Requires 17 digits and a check character (a digit, or X, given in either case) matching the
    GB 11643 checksum; a province-level code from GB/T 2260 in characters 1–2; and in characters
    7–14 a birth date (YYYYMMDD) that exists, is not before 1900 and not after `today` (default:
    today in China). 15-digit numbers from before 1999 are refused, not upgraded.
    """
    text = _ascii_upper(_normalised(value, field))
    if len(text) == 15 and _first_outside(text, DIGITS) is None:
        raise IdentifierError(
            field, "must have 18 characters; 15-digit numbers (issued before 1999) are not accepted"
        )
    if len(text) != 18:
        raise IdentifierError(field, f"must have 18 characters, not {len(text)}")
    if found := _first_outside(text[:17], DIGITS):
        raise IdentifierError(field, f"character {found[0]} must be a digit, not {found[1]!r}")
    if text[17] not in RESIDENT_ID_CHECK_CHARS:
        raise IdentifierError(field, f"the last character must be a digit or X, not {text[17]!r}")
    if text[:2] not in PROVINCE_CODES:
        raise IdentifierError(
            field, f"starts with {text[:2]}, which is not a province-level code (GB/T 2260)"
        )
    _check_birth_date(text[6:14], field, today)
    expected = resident_id_check_char(text[:17])
    if text[17] != expected:
        raise IdentifierError(field, f"check character should be {expected}, not {text[17]}")
    return text


def _check_birth_date(digits: str, field: str, today: dt.date | None) -> None:
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise IdentifierError(
            field, f"the birth date {digits} (characters 7-14) is not a calendar date"
        ) from None
    if born < EARLIEST_BIRTH_DATE:
        raise IdentifierError(field, f"the birth date {digits} (characters 7-14) is before 1900")
    if born > (today or dt.datetime.now(CHINA_TIME).date()):
        raise IdentifierError(field, f"the birth date {digits} (characters 7-14) is in the future")


# --- mobile number (手机号码) ----------------------------------------------------------------------


def mobile(value: str, field: str = "mobile") -> str:
    """The 11 digits of a mainland mobile number in `value`, or `IdentifierError`.

    Spaces and hyphens are removed, then a country code +86 or 0086 (or 86 before 11 digits).
    What remains must be 11 digits starting with 13 to 19.
    """
    compact = _SEPARATORS.sub("", _normalised(value, field))
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact.removeprefix(prefix)
            break
    else:
        if len(compact) == 13 and compact.startswith("86"):
            compact = compact[2:]
    if compact.startswith("+"):
        raise IdentifierError(field, "only mainland numbers are accepted; the country code must be +86")
    if found := _first_outside(compact, DIGITS):
        raise IdentifierError(field, f"must contain only digits, spaces and hyphens, not {found[1]!r}")
    if len(compact) != 11:
        raise IdentifierError(field, f"must have 11 digits, not {len(compact)}")
    if not _MOBILE.fullmatch(compact):
        raise IdentifierError(field, f"a mainland mobile number starts with 13 to 19, not {compact[:2]}")
    return compact


# --- e-mail address ---------------------------------------------------------------------------------

EMAIL_LIMIT: Final = 254  # RFC 5321: a path is at most 256 octets, two of them the angle brackets
_email_rules = EmailValidator()


def email(value: str, field: str = "email") -> str:
    """`value` as one e-mail address, lower-cased (so one address has one blind index), or
    `IdentifierError`."""
    text = _normalised(value, field).lower()
    if len(text) > EMAIL_LIMIT:
        raise IdentifierError(field, f"must be at most {EMAIL_LIMIT} characters, not {len(text)}")
    try:
        _email_rules(text)
    except ValidationError:
        raise IdentifierError(field, "must be one e-mail address such as name@example.com") from None
    return text


# --- unified social credit code (统一社会信用代码) ---------------------------------------------------


def credit_code_check_char(body: str) -> str:
    """The GB 32100 check character of a 17-character body over `CREDIT_CODE_ALPHABET`."""
    if len(body) != 17 or _first_outside(body, CREDIT_CODE_ALPHABET) is not None:
        raise ValueError(f"the body must be 17 characters of the credit-code alphabet, not {body!r}")
    total = sum(
        CREDIT_CODE_ALPHABET.index(character) * weight
        for character, weight in zip(body, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code(value: str, field: str = "credit_code") -> str:
    """The 18-character unified social credit code in `value`, upper-case, or `IdentifierError`.

    Requires characters from `CREDIT_CODE_ALPHABET` (letters in either case); a registration
    authority from `REGISTRATION_AUTHORITIES` first; an organisation-type digit 1–9 second; a
    6-digit area code in characters 3–8; and a last character matching the GB 32100 checksum.
    Characters 9–17 (the organisation code, GB 11714) are checked only through that checksum.
    """
    text = _ascii_upper(_normalised(value, field))
    if len(text) != 18:
        raise IdentifierError(field, f"must have 18 characters, not {len(text)}")
    if found := _first_outside(text, CREDIT_CODE_ALPHABET):
        position, character = found
        if character in "IOZSV":
            raise IdentifierError(
                field, f"character {position} is {character!r}; credit codes never use I, O, Z, S or V"
            )
        raise IdentifierError(
            field, f"character {position} must be a digit or a capital letter, not {character!r}"
        )
    if text[0] not in REGISTRATION_AUTHORITIES:
        raise IdentifierError(
            field, f"the first character (registration authority) must be 1-9, A, N or Y, not {text[0]!r}"
        )
    if text[1] not in "123456789":
        raise IdentifierError(
            field, f"the second character (organisation type) must be a digit 1-9, not {text[1]!r}"
        )
    if found := _first_outside(text[2:8], DIGITS, start=2):
        raise IdentifierError(
            field, f"characters 3-8 are an area code: character {found[0]} must be a digit, not {found[1]!r}"
        )
    expected = credit_code_check_char(text[:17])
    if text[17] != expected:
        raise IdentifierError(field, f"check character should be {expected}, not {text[17]}")
    return text
