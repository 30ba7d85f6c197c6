"""What every question type provides, and the helpers the types share.

A type's *definition* is the type-specific part of a question as stored (options with their
``correct`` flags, accepted answers, pairs...): it holds the key. A *presentation* is what one
attempt drew for the question (the order of options, of the right-hand column, of the items to
sort), recorded so that resuming and regrading show and grade exactly the same thing. The
public view built from both never contains the key.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from lms.text import squeeze, strip_marks

#: A path inside a question's fields, e.g. ("options", 2, "text").
FieldPath = tuple[str | int, ...]
DefinitionErrors = list[tuple[FieldPath, str]]

INTERACTION_ACTIVITY = "http://adlnet.gov/expapi/activities/cmi.interaction"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark a message for the catalog; it is translated where it is shown."""
    return message


class AnswerError(ValueError):
    """A learner's answer does not have the shape its question type expects.

    ``message`` is an English msgid with ``%(name)s`` placeholders filled from ``params``, so
    the API can answer in the learner's language.
    """

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class ItemType:
    """One question type. Subclasses are stateless; one instance lives in the registry."""

    key: ClassVar[str]
    #: xAPI interactionType (choice, true-false, fill-in, numeric, matching, sequencing).
    interaction_type: ClassVar[str]
    #: Type-specific fields accepted in a question definition (besides the common ones).
    fields: ClassVar[frozenset[str]]
    #: Human name (English msgid) for the trainer's pages.
    label: ClassVar[str]

    def validate_definition(
        self, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], DefinitionErrors]:
        """Check the type-specific fields; return the normalised definition and the errors."""
        raise NotImplementedError

    def present(self, definition: Mapping[str, Any], rng: random.Random, *, shuffle: bool) -> dict:
        """Draw this attempt's presentation (orders of options/items) with ``rng``."""
        return {}

    def public_view(
        self, definition: Mapping[str, Any], presentation: Mapping[str, Any], lang: str
    ) -> dict[str, Any]:
        """What the learner needs to answer: never the key."""
        return {}

    def key_view(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        """The correct answer, shown on review only."""
        raise NotImplementedError

    def validate_answer(self, definition: Mapping[str, Any], answer: Any) -> Any:
        """Return the normalised answer, or raise :class:`AnswerError`. ``None`` never gets here."""
        raise NotImplementedError

    def score(self, definition: Mapping[str, Any], answer: Any) -> float:
        """The credit for ``answer`` (already validated, or None) as a fraction 0..1."""
        raise NotImplementedError

    def to_xapi_interaction(self, definition: Mapping[str, Any], lang: str) -> dict[str, Any]:
        """The interaction part of the question's xAPI activity definition."""
        raise NotImplementedError

    def xapi_response(self, definition: Mapping[str, Any], answer: Any) -> str:
        """The answer in the xAPI response format of the interaction type."""
        raise NotImplementedError


# --- shared helpers ----------------------------------------------------------------------


def normalise_text(
    value: str, *, case_sensitive: bool = False, ignore_diacritics: bool = False
) -> str:
    """The form in which two short answers are compared: NFC, whitespace squeezed, casefolded.

    Unlike a search (:func:`lms.text.fold`), an answer keeps its diacritics unless the question
    says they do not matter ("Hà Nội" is not "Ha Noi" when spelling is asked), and its case when
    the question is case sensitive. When diacritics are ignored they go by the search's own rule
    (:func:`lms.text.strip_marks`, ``đ`` included). Vietnamese arrives both precomposed and
    decomposed (phone keyboards differ), so NFC first.
    """
    text = squeeze(unicodedata.normalize("NFC", value))
    if ignore_diacritics:
        text = strip_marks(text)
    if not case_sensitive:
        text = text.casefold()
    return text


def to_decimal(value: Any) -> Decimal | None:
    """A number typed by a person ("42,5", " 1 000 ", 42.5) as a Decimal; None if it is not one.

    Absurd magnitudes (``1e999999``) are refused: formatting them would cost megabytes.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, str) and len(value) <= 60:
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or (number != 0 and abs(number.adjusted()) > 30):
        return None
    return number


def lang_map(text: str, text_en: str | None) -> dict[str, str]:
    """An xAPI language map: Vietnamese always, English when the author gave it."""
    out = {"vi-VN": text}
    if text_en:
        out["en-US"] = text_en
    return out


def pick(text: str, text_en: str | None, lang: str) -> str:
    return text_en if lang.startswith("en") and text_en else text


def letter_ids(texts: Sequence[str]) -> list[str]:
    """Ids for texts that say nothing about the correct answer: letters in alphabetical order.

    Position-based ids would give the key away (item "1" first, left "1" to right "1").
    """
    order = sorted(range(len(texts)), key=lambda i: (normalise_text(texts[i]), i))
    ids = [""] * len(texts)
    for rank, index in enumerate(order):
        ids[index] = _letters(rank)
    return ids


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def check_text(raw: Mapping[str, Any], name: str, errors: DefinitionErrors, path: FieldPath) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        errors.append(((*path, name), f"'{name}' must be a non-empty text."))
        return ""
    return value.strip()


def optional_text(
    raw: Mapping[str, Any], name: str, errors: DefinitionErrors, path: FieldPath
) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(((*path, name), f"'{name}' must be a text."))
        return None
    return value.strip() or None


def check_bool(raw: Mapping[str, Any], name: str, default: bool, errors: DefinitionErrors) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        errors.append(((name,), f"'{name}' must be true or false."))
        return default
    return value


def check_scoring(raw: Mapping[str, Any], errors: DefinitionErrors) -> str:
    value = raw.get("scoring", "all_or_nothing")
    if value not in ("all_or_nothing", "partial"):
        errors.append((("scoring",), "'scoring' must be all_or_nothing or partial."))
        return "all_or_nothing"
    return str(value)


def shuffled(
    ids: Sequence[str], rng: random.Random, *, avoid: Sequence[str] | None = None
) -> list[str]:
    """``ids`` in a random order; never equal to ``avoid`` (the correct order) when avoidable."""
    out = list(ids)
    rng.shuffle(out)
    if avoid is not None and len(out) > 1 and out == list(avoid):
        out = out[1:] + out[:1]
    return out
