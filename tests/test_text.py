"""The one fold of the code base: what a diacritic-insensitive search compares."""

from __future__ import annotations

import unicodedata

import pytest

from lms.text import fold, squeeze, strip_marks


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Nguyễn Thị Hoa", "nguyen thi hoa"),
        ("Kỹ Năng SỐ", "ky nang so"),
        ("Đăng ký  dịch vụ công", "dang ky dich vu cong"),
        ("ĐẶNG  Đức   Việt", "dang duc viet"),
        ("đường", "duong"),
        ("Thuỳ  Thủy", "thuy thuy"),
        ("  Hà\tNội\n\u00a0 ", "ha noi"),
        ("HP-HONGBANG", "hp-hongbang"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_drops_diacritics_case_and_extra_whitespace(raw: str | None, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize("text", ["Nguyễn Văn Đức", "Kỹ năng số", "Phường Lê Lợi"])
def test_precomposed_and_decomposed_input_fold_alike(text: str) -> None:
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert nfc != nfd
    assert fold(nfc) == fold(nfd)
    assert fold(fold(nfd)) == fold(nfd)


def test_strip_marks_keeps_case_and_spacing_and_answers_nfc() -> None:
    assert strip_marks("Đường  Lê Lợi") == "Duong  Le Loi"
    assert strip_marks(unicodedata.normalize("NFD", "Ấp Đông")) == "Ap Dong"


def test_squeeze_only_touches_whitespace() -> None:
    assert squeeze("  Kỹ\t\tnăng \n số ") == "Kỹ năng số"
