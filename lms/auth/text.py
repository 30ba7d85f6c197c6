"""Normalising what people type: phone numbers, emails, and a user's search text.

Each user row carries a folded copy of its name, email and phone (``users.search_text``), folded
by :func:`lms.text.fold` as the query is.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers

from lms import periods
from lms.text import fold

_PHONE_PUNCT = re.compile(r"[\s.\-()/'\u00a0]")
VN_COUNTRY_CODE = 84
_DIGITS = re.compile(r"^\+?\d{6,17}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def search_text(full_name: str | None, email: str | None, phone: str | None) -> str:
    """The folded text a user is found by; kept in ``users.search_text``."""
    return " ".join(part for part in (fold(full_name), fold(email), phone or "") if part)[:600]


def normalise_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


#: The 2018 move of 11-digit mobile numbers to 10 digits: old prefix -> new prefix. Old
#: spreadsheets and old accounts still hold them; the number is the same subscriber.
_OLD_MOBILE_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip
_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def _parse(value: str) -> phonenumbers.PhoneNumber | None:
    digits = _PHONE_PUNCT.sub("", value)
    if not _DIGITS.match(digits):
        return None  # phonenumbers would read letters as a keypad's (1-800-FLOWERS)
    national = digits
    for prefix in ("+84", "0084", "84"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 10:
            national = "0" + digits[len(prefix) :]
            break
    if len(national) == 11 and national[:4] in _OLD_MOBILE_PREFIXES:
        digits = _OLD_MOBILE_PREFIXES[national[:4]] + national[4:]
    try:
        number = phonenumbers.parse(digits, "VN")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _stored_form(number: phonenumbers.PhoneNumber) -> str:
    """Vietnamese numbers as people write them (``0912345678``), others in E.164."""
    if number.country_code == VN_COUNTRY_CODE:
        return "0" + str(number.national_number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(value: str | None) -> str | None:
    """The one stored form of a phone number, whatever way it was typed.

    People and spreadsheets write the same number as ``0912 345 678``, ``0912.345.678``,
    ``+84 912-345-678``, ``84912345678`` or ``912345678`` (a spreadsheet drops the leading
    zero), and old 11-digit mobiles (``0168…``) as they were before 2018; ``phonenumbers``
    (region VN) reads them all, and they are stored as ``0912345678``. Foreign numbers keep
    their ``+`` (E.164). Text that is no valid number comes back only stripped of spaces and
    punctuation, so :func:`is_valid_phone` refuses it and a partial number still searches.
    This is the one rule: registration, login, every import, the API and the migration that
    rewrote the stored numbers all call it.
    """
    value = (value or "").strip()
    if not value:
        return None
    number = _parse(value)
    return _stored_form(number) if number is not None else _PHONE_PUNCT.sub("", value)


def is_valid_phone(value: str | None) -> bool:
    """A mobile number (10 digits with a current prefix in Viet Nam): one that takes an SMS.

    Landlines are real numbers but cannot receive an activation or reset code, so an account
    cannot use one as its contact.
    """
    number = _parse((value or "").strip()) if value else None
    return number is not None and phonenumbers.number_type(number) in _MOBILE_TYPES


def phone_e164(value: str) -> str:
    """``+84912345678`` for an SMS gateway; ``value`` is a stored (valid) number."""
    number = _parse(value)
    if number is None:
        raise ValueError(f"not a phone number: {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_valid_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.match(value))


def looks_like_email(login: str) -> bool:
    return "@" in login


#: Dates of birth as people type them: ``dd/mm/yyyy`` (``d/m/yyyy``, with ``-`` or ``.`` too),
#: or ISO ``yyyy-mm-dd`` (an API, or a spreadsheet's date cell as :mod:`lms.tabular` reads it).
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
#: No one alive was born before this; an earlier year is a typing mistake.
EARLIEST_BIRTH = date(1900, 1, 1)


class NotABirthDate(ValueError):
    """What was typed or given cannot be a person's date of birth."""


def parse_birth_date(value: str | None) -> date | None:
    """The date of birth in ``value`` (None when empty); NotABirthDate when it is not one.

    Day first, as Vietnamese documents write dates: ``03/04/1990`` is 3 April, never March.
    """
    value = (value or "").strip()
    if not value:
        return None
    if match := _DAY_FIRST.match(value):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DAY.match(value):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise NotABirthDate(value)
    try:
        born = date(year, month, day)
    except ValueError:  # 31/02
        raise NotABirthDate(value) from None
    check_birth_date(born)
    return born


def check_birth_date(born: date) -> None:
    """NotABirthDate unless ``born`` is a possible one (not in the future, not before 1900)."""
    if not EARLIEST_BIRTH <= born <= periods.today():
        raise NotABirthDate(born.isoformat())
