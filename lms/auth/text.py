"""Normalising what people type: phone numbers, emails, and a user's search text.

Each user row carries a folded copy of its name, email and phone (``users.search_text``), folded
by :func:`lms.text.fold` as the query is.
"""

from __future__ import annotations

import re

from lms.text import fold

_PHONE_PUNCT = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"^\+?\d{8,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def search_text(full_name: str | None, email: str | None, phone: str | None) -> str:
    """The folded text a user is found by; kept in ``users.search_text``."""
    return " ".join(part for part in (fold(full_name), fold(email), phone or "") if part)[:600]


def normalise_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


def normalise_phone(value: str | None) -> str | None:
    """Drop spaces and punctuation; write Vietnamese ``+84``/``84`` numbers as ``0…``.

    People type the same number as ``0912 345 678``, ``+84 912-345-678`` or ``84912345678``;
    storing one form keeps the unique constraint and the login lookup honest.
    """
    value = _PHONE_PUNCT.sub("", (value or "").strip())
    if not value:
        return None
    if value.startswith("+84"):
        value = "0" + value[3:]
    elif value.startswith("84") and len(value) == 11:
        value = "0" + value[2:]
    return value


def is_valid_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.match(value))


def is_valid_phone(value: str) -> bool:
    return len(value) <= 20 and bool(_PHONE.match(value))


def looks_like_email(login: str) -> bool:
    return "@" in login
