"""Folding Vietnamese text for search: what people type on a phone without diacritics."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lowercase, strip diacritics (NFD, drop combining marks), map đ to d, squeeze spaces.

    "Kỹ năng số" and "ky nang so" fold to the same string, so one LIKE finds both.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "d")
    return _SPACES.sub(" ", stripped).strip()


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search box entry (empty words dropped)."""
    return [word for word in fold(query).split(" ") if word]
