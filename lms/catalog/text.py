"""The words of a catalog search, folded as the courses' search text is (:func:`lms.text.fold`)."""

from __future__ import annotations

from lms.text import fold


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search box entry (empty words dropped)."""
    return [word for word in fold(query).split(" ") if word]
