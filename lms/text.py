"""Folding Vietnamese text so that what people type without diacritics finds what was written.

Phone keyboards make diacritics tedious: a search for "nguyen van a" must find "Nguyễn Văn A",
"ky nang so" must find "Kỹ năng số". Neither SQLite nor a stock PostgreSQL folds diacritics in
a query, so rows keep a folded copy of their searchable text (``users.search_text``,
``units.search_text``, ...) and the query is folded by the same function: one rule, or a search
silently misses.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def strip_marks(text: str) -> str:
    """``text`` without its diacritics, case kept, NFC (``Đường`` -> ``Duong``).

    Vietnamese arrives both precomposed and decomposed (keyboards differ), so everything is
    decomposed before the combining marks go. ``đ`` is a letter of its own, not a d with a
    mark, so Unicode does not decompose it: it is mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def squeeze(text: str) -> str:
    """Runs of whitespace (tabs, newlines, non-breaking spaces) as one space, ends trimmed."""
    return _SPACES.sub(" ", text).strip()


def fold(text: str | None) -> str:
    """The search form of ``text``: no diacritics, lower case, whitespace squeezed.

    ``fold("  Kỹ   Năng Số ") == fold("ky nang so") == "ky nang so"``.
    """
    if not text:
        return ""
    return squeeze(strip_marks(text)).lower()
