"""Vietnamese alphabetical order, checked against orders written out by hand."""

from __future__ import annotations

import random
import unicodedata

import pytest

from lms.collation import (
    sorted_people,
    sorted_vi,
    vi_name_key,
    vi_name_sort_string,
    vi_sort_key,
    vi_sort_string,
)


def _shuffled_sort(expected: list[str], seed: int = 146) -> list[str]:
    items = list(expected)
    random.Random(seed).shuffle(items)
    return sorted(items, key=vi_sort_key)


def test_hai_phong_districts_in_alphabet_order() -> None:
    # By code points "Đồ Sơn" comes after "Thủy Nguyên" and "Kinh Môn" before "Kiến An".
    expected = [
        "An Dương",
        "An Lão",
        "Bạch Long Vĩ",
        "Cát Hải",
        "Dương Kinh",
        "Đồ Sơn",
        "Hải An",
        "Hồng Bàng",
        "Kiến An",
        "Kiến Thụy",
        "Kinh Môn",
        "Lê Chân",
        "Ngô Quyền",
        "Thủy Nguyên",
        "Tiên Lãng",
        "Vĩnh Bảo",
    ]
    assert _shuffled_sort(expected) == expected
    assert sorted(expected) != expected  # the code-point order really is wrong here


def test_letters_with_marks_are_letters_of_their_own() -> None:
    expected = ["an", "ăn", "ân", "bo", "cơ", "do", "đa", "em", "êm", "ô", "ơ", "u", "ưa", "y"]
    assert _shuffled_sort(expected) == expected
    # The letter decides before any tone: "ắ" (ă with sắc) after every "a" syllable.
    assert _shuffled_sort(["ắt", "át", "ạt", "ât"]) == ["át", "ạt", "ắt", "ât"]


def test_tones_in_order_ngang_huyen_hoi_nga_sac_nang() -> None:
    expected = ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert _shuffled_sort(expected) == expected
    # Tones are a second difference: letters decide first.
    assert _shuffled_sort(["mạ", "mai", "mà"]) == ["mà", "mạ", "mai"]
    # Letters of the whole text first ("Hạ Long" before "Hà Nam"), then the first syllable's
    # tone before the second's.
    assert _shuffled_sort(["Hà Năm", "Hạ Nam", "Hà Nám", "Hạ Long"]) == [
        "Hạ Long",
        "Hà Nám",
        "Hạ Nam",
        "Hà Năm",
    ]


def test_decomposed_and_precomposed_text_sort_together() -> None:
    composed = "Đồ Sơn"
    decomposed = unicodedata.normalize("NFD", composed)
    assert vi_sort_key(composed) == vi_sort_key(decomposed)


def test_tone_placement_does_not_matter() -> None:
    # Old (Thủy) and new (Thuỷ) placement of the tone mark: one syllable, one tone.
    old, new = vi_sort_key("Thủy Nguyên"), vi_sort_key("Thuỷ Nguyên")
    assert old[:3] == new[:3]
    assert _shuffled_sort(["Thụy Nguyên", "Thủy Nguyên", "Thúy Nguyên", "Thuỷ Nguyên"]) == [
        "Thuỷ Nguyên",
        "Thủy Nguyên",
        "Thúy Nguyên",
        "Thụy Nguyên",
    ]


def test_numbers_by_value_and_words_before_longer_words() -> None:
    expected = ["Phường 1", "Phường 2", "Phường 10", "Phường An Hải", "Phường Anh Dũng"]
    assert _shuffled_sort(expected) == expected


def test_case_spaces_and_empty_values() -> None:
    assert _shuffled_sort(["Ba", "ba", "", "  An  "]) == ["", "  An  ", "ba", "Ba"]
    assert vi_sort_key(None) == vi_sort_key("")
    assert vi_sort_key("An  Lão")[0] == vi_sort_key("An Lão")[0]


def test_people_by_given_name_then_family_name() -> None:
    people = ["Trần Văn Bình", "Nguyễn Thị An", "Đỗ Ánh", "Lê Văn An", "Nguyễn Văn Đức", "Bé"]
    assert sorted_people(people, key=lambda n: n) == [
        "Lê Văn An",
        "Nguyễn Thị An",
        "Đỗ Ánh",
        "Bé",
        "Trần Văn Bình",
        "Nguyễn Văn Đức",
    ]
    assert vi_name_key(None) == vi_name_key("")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Dương Kinh", "Đồ Sơn"),
        ("Đồ Sơn", "Hải An"),
        ("Kiến An", "Kinh Môn"),
        ("Ông Ích Khiêm", "Ơn Phúc"),
        ("Ư", "Vân"),
        ("Yên Tử", "Zô"),
    ],
)
def test_pairs(before: str, after: str) -> None:
    assert vi_sort_key(before) < vi_sort_key(after)


def test_sorted_vi_takes_a_key() -> None:
    rows = [{"name": "Đồ Sơn"}, {"name": "Dương Kinh"}, {"name": "Hải An"}]
    assert [r["name"] for r in sorted_vi(rows, key=lambda r: r["name"])] == [
        "Dương Kinh",
        "Đồ Sơn",
        "Hải An",
    ]


def test_sort_strings_order_like_the_keys() -> None:
    names = [
        "An",
        "An Lão",
        "Anh",
        "Phường 2",
        "Phường 10",
        "Đồ Sơn",
        "Dương Kinh",
        "Kiến An",
        "Kinh Môn",
        "ma",
        "mà",
        "Ma",
        "mạ",
        "",
        "Zô",
        "Москва",
    ]
    assert sorted(names, key=vi_sort_string) == sorted(names, key=vi_sort_key)
    people = ["Trần Văn Bình", "Nguyễn Thị An", "Đỗ Ánh", "Lê Văn An", "An", "Nguyễn Văn Đức"]
    assert sorted(people, key=vi_name_sort_string) == sorted(people, key=vi_name_key)
    assert set("".join(map(vi_sort_string, names))) <= set("0123456789abcdef")
