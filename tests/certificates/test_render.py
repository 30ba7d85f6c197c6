"""The PDF itself: Vietnamese text, one A4 landscape page, a readable QR code, small size."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from fontpkg_be_vietnam_pro import ROOT as FONT_ROOT
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from lms.certificates.render import (
    CertificateData,
    TemplateStyle,
    format_hours,
    render_certificate,
    vietnamese_date,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

VIETNAMESE = "ắằẳẵặấầẩẫậđếềểễệốồổỗộớờởỡợứừửữựỳỷỹỵ"
DATA = CertificateData(
    serial="HP-2026-000123",
    holder_name="Nguyễn Thị Hồng Hoa",
    course_title="Sử dụng dịch vụ công trực tuyến và các dịch vụ số thiết yếu",
    course_title_en="Using online public services",
    hours=4,
    score=0.85,
    issued_on=date(2026, 3, 5),
    issuing_unit_name="Sở Khoa học và Công nghệ Hải Phòng",
    issuing_parent_name="Thành phố Hải Phòng",
    signer_name="Trần Văn Đức",
    signer_title="Giám đốc",
    place="Hải Phòng",
    verify_url="https://lms146.example.vn/verify/HP-2026-000123",
)


def _text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def _png(pdf: bytes, name: str, scale: float = 2.0) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=scale).to_pil()
    finally:
        document.close()
    path = ARTIFACTS / name
    image.save(path)
    return path


@pytest.mark.parametrize("style", ["Regular", "Bold", "Italic"])
def test_bundled_font_has_every_vietnamese_glyph(style: str) -> None:
    cmap = TTFont(FONT_ROOT / "files" / f"BeVietnamPro-{style}.ttf").getBestCmap()
    wanted = VIETNAMESE + VIETNAMESE.upper() + "ăâêôơưĂÂÊÔƠƯĐ"
    assert [c for c in wanted if ord(c) not in cmap] == []


def test_pdf_is_one_a4_landscape_page() -> None:
    pdf = render_certificate(DATA)
    reader = PdfReader(io.BytesIO(pdf))
    assert pdf.startswith(b"%PDF-")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


def test_pdf_text_contains_the_vietnamese_name_exactly() -> None:
    text = _text(render_certificate(DATA))
    assert "Nguyễn Thị Hồng Hoa" in text
    assert "Sử dụng dịch vụ công trực tuyến" in text
    assert "HP-2026-000123" in text
    assert "Hải Phòng, ngày 05 tháng 03 năm 2026" in text
    assert "GIẤY CHỨNG NHẬN" in text
    assert "Trần Văn Đức" in text
    assert "Sở Khoa học và Công nghệ Hải Phòng".upper() in text
    assert "4 giờ" in text
    assert "85%" in text


def test_every_vietnamese_letter_survives_extraction() -> None:
    name = "Ngô " + VIETNAMESE[:18]
    text = _text(render_certificate(replace(DATA, holder_name=name, course_title=VIETNAMESE)))
    assert name in text
    assert VIETNAMESE in text.replace("\n", "")


def test_decomposed_input_is_printed_composed() -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Lê Thị Ngọc Ánh")
    assert "Lê Thị Ngọc Ánh" in _text(render_certificate(replace(DATA, holder_name=decomposed)))


def test_rendering_is_deterministic_and_small() -> None:
    first = render_certificate(DATA)
    assert render_certificate(DATA) == first
    assert len(first) < 100_000
    assert render_certificate(replace(DATA, serial="HP-2026-000124")) != first


def test_qr_code_decodes_to_the_verification_url() -> None:
    path = _png(render_certificate(DATA), "certificate-render.png")
    from PIL import Image

    with Image.open(path) as image:
        found = [b.text for b in zxingcpp.read_barcodes(image)]
    assert found == ["https://lms146.example.vn/verify/HP-2026-000123"]


def test_long_names_and_titles_still_fit_and_render() -> None:
    data = replace(
        DATA,
        holder_name="Tôn Nữ Thị Phương Thảo Nguyễn Hoàng Bảo Ngọc Trâm Anh",
        course_title="Kỹ năng số cơ bản cho cán bộ, công chức, viên chức cấp xã trong chính "
        "quyền số và chuyển đổi số quốc gia giai đoạn 2025–2030",
        issuing_unit_name="Trung tâm Công nghệ thông tin và Truyền thông thuộc Sở Khoa học và "
        "Công nghệ",
    )
    text = _text(render_certificate(data)).replace("\n", " ")
    assert "Tôn Nữ Thị Phương Thảo Nguyễn Hoàng Bảo Ngọc Trâm Anh" in text
    _png(render_certificate(data), "certificate-long.png", scale=1.0)


def test_template_colours_title_and_logo_are_used() -> None:
    from PIL import Image

    logo = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(logo, format="PNG")
    style = TemplateStyle(
        title="CHỨNG NHẬN HOÀN THÀNH",
        title_en="",
        primary_color="#7a1f1f",
        accent_color="#1f7a3a",
        logo=logo.getvalue(),
    )
    pdf = render_certificate(replace(DATA, template=style))
    text = _text(pdf)
    assert "CHỨNG NHẬN HOÀN THÀNH" in text
    assert "CERTIFICATE OF COMPLETION" not in text
    assert b"/Subtype /Image" in pdf
    assert replace(DATA, template=style).content_hash() != DATA.content_hash()


def test_credential_is_kept_in_the_metadata() -> None:
    pdf = render_certificate(replace(DATA, credential_jwt="aaa.bbb.ccc"))
    keywords = PdfReader(io.BytesIO(pdf)).metadata["/Keywords"]
    assert "lms146-vc:aaa.bbb.ccc" in keywords
    assert "lms146-serial:HP-2026-000123" in keywords


def test_number_and_date_formats() -> None:
    assert format_hours(4) == "4"
    assert format_hours(1.5) == "1,5"
    assert vietnamese_date(date(2026, 1, 9)) == "Ngày 09 tháng 01 năm 2026"


def _fonts(pdf: bytes) -> list[dict[str, object]]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = page["/Resources"]["/Font"]
    return [fonts[name].get_object() for name in fonts]


def test_only_embedded_fonts_with_distinct_subset_tags() -> None:
    pdf = render_certificate(DATA)
    fonts = _fonts(pdf)
    assert b"Helvetica" not in pdf
    names = [str(font["/BaseFont"]) for font in fonts]
    assert len(names) == 3
    for font in fonts:
        descriptor = font["/FontDescriptor"].get_object()  # type: ignore[attr-defined]
        assert "/FontFile2" in descriptor  # the glyphs travel with the file
        assert descriptor["/FontName"] == font["/BaseFont"]
    tags = [name.lstrip("/").split("+")[0] for name in names]
    assert all(len(tag) == 6 and tag.isalpha() and tag.isupper() for tag in tags)
    assert len(set(tags)) == 3, names
    # Same length as reportlab's tags: the cross-reference table still points right.
    assert PdfReader(io.BytesIO(pdf), strict=True).pages[0].extract_text()


def test_the_layout_of_an_administrative_document() -> None:
    data = replace(
        DATA,
        issuing_unit_name="Sở Khoa học và Công nghệ",
        issuing_parent_name="UBND Thành phố Hải Phòng",
        signer_authority="KT. Giám đốc",
        signer_title="Phó Giám đốc",
        holder_birth_date=date(1987, 4, 12),
    )
    text = _text(render_certificate(data))
    lines = [line.strip() for line in text.splitlines()]
    assert lines.index("UBND THÀNH PHỐ HẢI PHÒNG") < lines.index("SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    assert "Số: HP-2026-000123" in lines
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines
    assert "Độc lập - Tự do - Hạnh phúc" in lines
    assert "Hải Phòng, ngày 05 tháng 03 năm 2026" in lines
    assert "CERTIFICATE OF COMPLETION" in text  # letter-spacing no longer splits it
    assert "Ngày sinh / Date of birth: 12/04/1987" in text
    assert lines.index("KT. GIÁM ĐỐC") < lines.index("PHÓ GIÁM ĐỐC") < lines.index("Trần Văn Đức")
    assert "khóa học" in text
    assert "khoá" not in text
    assert "Hệ thống LMS 146" not in text
    assert "Ngày sinh" not in _text(render_certificate(DATA))  # unknown: not printed
