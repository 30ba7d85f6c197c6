"""Vietnamese alphabetical order: the one sort key for every list of units and people.

Sorting by code points puts "Đồ Sơn" after "Thủy Nguyên" (``Đ`` is U+0110, after every
ASCII letter) and "Kinh Môn" before "Kiến An" (``ế`` is U+1EBF, after ``n``). Officials read
lists in the order of the Vietnamese alphabet::

    a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y

where ``ă â đ ê ô ơ ư`` are letters of their own (first difference), and the tones are a
second difference, in the order ngang, huyền, hỏi, ngã, sắc, nặng (``ma mà mả mã má mạ``).

A library was the first choice. PyICU ships no wheel for this platform (installing it builds
ICU bindings from source, minutes on every CI run), and pyuca implements the untailored
DUCET, whose second level puts the acute before the grave (``má`` before ``mà``) and has no
way to add the Vietnamese tailoring. So this module is the CLDR Vietnamese tailoring written
out, tested against tricky names in ``tests/test_collation.py``.

Beyond CLDR, two choices made for lists people read: a run of digits counts as its number
("Phường 2" before "Phường 10"), and a syllable's tone counts once wherever the mark sits,
so "Thủy" and "Thuỷ" (old and new placement, both in official use) sort together.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

#: The Vietnamese alphabet, with f, j, w, z (foreign names, place names) where Latin puts them.
ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: rank for rank, letter in enumerate(ALPHABET)}

#: The tone marks as combining characters, ranked: ngang (no mark) is 0.
TONES = {
    "\u0300": 1,  # huyền  à
    "\u0309": 2,  # hỏi    ả
    "\u0303": 3,  # ngã    ã
    "\u0301": 4,  # sắc    á
    "\u0323": 5,  # nặng   ạ
}

#: Marks that make a letter of its own (ă â ê ô ơ ư): kept on the base letter.
LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}

# Primary classes: separators sort before numbers, numbers before letters, letters of other
# scripts last (ICU's non-ignorable order).
_SPACE, _DIGITS, _LETTER, _OTHER = 0, 1, 2, 3

Key = tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...], str]


def _units(text: str) -> list[tuple[str, str]]:
    """``text`` as (letter, other marks) pairs, each letter composed with its letter marks."""
    decomposed = unicodedata.normalize("NFD", text)
    out: list[tuple[str, str]] = []
    for ch in decomposed:
        if unicodedata.combining(ch) and out:
            base, marks = out[-1]
            if ch in LETTER_MARKS:
                out[-1] = (unicodedata.normalize("NFC", base + ch), marks)
            else:
                out[-1] = (base, marks + ch)
        else:
            out.append((ch, ""))
    return out


def vi_sort_key(text: str | None) -> Key:
    """The key that sorts ``text`` in Vietnamese alphabetical order.

    Compared level by level, like a collation: letters first, then tones syllable by
    syllable, then case (lower before upper), then the text itself so that the order is
    total.
    """
    text = text or ""
    primary: list[tuple[int, int]] = []
    tones: list[int] = []
    case: list[int] = []
    syllable_tone: int | None = None
    digits = ""

    def end_syllable() -> None:
        nonlocal syllable_tone
        if syllable_tone is not None:
            tones.append(syllable_tone)
            syllable_tone = None

    def end_number() -> None:
        nonlocal digits
        if digits:
            primary.append((_DIGITS, int(digits)))
            digits = ""

    for letter, marks in _units(text):
        if letter.isdigit() and letter.isascii():
            end_syllable()
            digits += letter
            continue
        end_number()
        lower = letter.lower()
        if lower in _RANK or letter.isalpha():
            if syllable_tone is None:
                syllable_tone = 0
            tone = next((TONES[m] for m in marks if m in TONES), 0)
            syllable_tone = syllable_tone or tone
            other = sum(ord(m) for m in marks if m not in TONES)
            if lower in _RANK:
                primary.append((_LETTER, _RANK[lower]))
            else:
                primary.append((_OTHER, ord(lower)))
            if other:
                tones.append(6 + other)
            case.append(0 if letter == lower else 1)
        else:
            end_syllable()
            if not letter.isspace() or (primary and primary[-1] != (_SPACE, 0)):
                # Runs of spaces count as one; punctuation keeps its own weight.
                primary.append((_SPACE, 0 if letter.isspace() else ord(letter)))
    end_number()
    end_syllable()
    while primary and primary[-1] == (_SPACE, 0):
        primary.pop()
    return tuple(primary), tuple(tones), tuple(case), unicodedata.normalize("NFC", text)


def vi_name_key(full_name: str | None) -> tuple[Key, Key]:
    """The order of Vietnamese lists of people: by given name, then the whole name.

    A class roster or an attendance sheet is read by given name (the last word: "An" of
    "Trần Văn An"), then by family and middle names, as schools and offices list people.
    """
    words = (full_name or "").split()
    return vi_sort_key(words[-1] if words else ""), vi_sort_key(full_name)


#: The longest stored sort string; names longer than this are ordered by their start.
SORT_STRING_LENGTH = 255


def _encode(key: Key) -> str:
    """``key`` as text whose plain byte order is the key's order.

    Only ``0-9a-f`` are used, so the database orders it the same under any collation
    (SQLite's binary one, PostgreSQL's ``C`` or ``en_US.UTF-8``). ``0`` separates the levels
    and is lower than any weight, so a shorter text sorts before a longer one that starts
    like it ("An" before "An Lão" before "Anh").
    """
    primary, tones, case, _text = key
    parts: list[str] = []
    for kind, value in primary:
        if kind == _DIGITS:
            digits = f"{value:x}"[:15]
            parts.append(f"2{len(digits):x}{digits}")
        elif kind == _LETTER:
            parts.append(f"3{value:02x}")
        else:  # separators and other scripts: the code point
            parts.append(f"{1 if kind == _SPACE else 4}{min(value, 0xFFFFFF):06x}")
    second = "".join(f"{min(t + 1, 15):x}" for t in tones)
    third = "".join("2" if c else "1" for c in case)
    return "".join(parts) + "0" + second + "0" + third


def vi_sort_string(text: str | None) -> str:
    """:func:`vi_sort_key` as a string a database can ``ORDER BY`` (see :func:`_encode`)."""
    return _encode(vi_sort_key(text))[:SORT_STRING_LENGTH]


def vi_name_sort_string(full_name: str | None) -> str:
    """:func:`vi_name_key` as a string a database can ``ORDER BY``: paged lists of people."""
    given, whole = vi_name_key(full_name)
    return (_encode(given) + "0" + _encode(whole))[:SORT_STRING_LENGTH]


def sorted_vi(items: Iterable[T], key: Callable[[T], str | None]) -> list[T]:
    """``items`` in Vietnamese alphabetical order of ``key(item)``."""
    return sorted(items, key=lambda item: vi_sort_key(key(item)))


def sorted_people(items: Iterable[T], key: Callable[[T], str | None]) -> list[T]:
    """``items`` in the order of a Vietnamese list of people (:func:`vi_name_key`)."""
    return sorted(items, key=lambda item: vi_name_key(key(item)))
