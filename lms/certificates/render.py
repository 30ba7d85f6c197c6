"""The certificate PDF: A4 landscape, Vietnamese first, with a QR code to the public check.

:func:`render_certificate` is pure: it reads nothing but its argument and the fonts shipped by
the ``fontpkg-be-vietnam-pro`` package (Be Vietnam Pro, drawn for Vietnamese, every stacked
diacritic included), and it writes nothing. The same data gives the same bytes (reportlab's
``invariant`` mode: no creation date, no random document id), which is what lets the service
cache a rendering by the hash of its input and recognise an untouched download later.

reportlab embeds only the glyphs a document uses (a subset per font), which keeps a
certificate around 40 KB.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import astuple, dataclass, field, fields
from datetime import date
from functools import cache

from fontpkg_be_vietnam_pro import ROOT as FONT_ROOT
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from lms.certificates.qr import QUIET, qr_matrix, runs

#: Bumped whenever the layout changes, so cached renderings are redrawn.
RENDER_VERSION = 2

#: Marker for the signed credential inside the PDF's metadata (``Keywords``), so an uploaded
#: PDF can be checked: ``lms146-vc:<JWT>``.
CREDENTIAL_MARKER = "lms146-vc:"
SERIAL_MARKER = "lms146-serial:"

_FONTS = {
    "CertRegular": "BeVietnamPro-Regular.ttf",
    "CertBold": "BeVietnamPro-Bold.ttf",
    "CertItalic": "BeVietnamPro-Italic.ttf",
}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)


@dataclass(frozen=True)
class TemplateStyle:
    """How a certificate looks: per course or unit (``CertificateTemplate``) or the default."""

    title: str = "GIẤY CHỨNG NHẬN"
    title_en: str = "CERTIFICATE OF COMPLETION"
    primary_color: str = "#0b4f8a"
    accent_color: str = "#b8860b"
    #: PNG or JPEG bytes, drawn at the top centre; None draws no logo.
    logo: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on one certificate; the service gathers it from the database."""

    serial: str
    holder_name: str
    course_title: str
    hours: float
    issued_on: date
    issuing_unit_name: str
    signer_name: str
    signer_title: str
    verify_url: str
    course_title_en: str | None = None
    #: 0..1, printed as a percentage; None when the course has no graded part.
    score: float | None = None
    #: The governing body, printed above the issuing body as Decree 30/2020/NĐ-CP lays out
    #: ("UBND THÀNH PHỐ HẢI PHÒNG" above "SỞ KHOA HỌC VÀ CÔNG NGHỆ").
    issuing_parent_name: str | None = None
    #: The signer's authority line ("KT. GIÁM ĐỐC", "TL. GIÁM ĐỐC"); None when signing as self.
    signer_authority: str | None = None
    #: The holder's date of birth, printed when known (two people may share a name).
    holder_birth_date: date | None = None
    #: Where it was signed ("Hải Phòng"), printed before the date.
    place: str | None = None
    template: TemplateStyle = field(default_factory=TemplateStyle)
    #: The signed credential (VC-JWT), kept in the PDF's metadata for offline checks.
    credential_jwt: str | None = None
    #: Set when revoked: the copy served from then on carries the revocation mark and date.
    revoked_on: date | None = None

    def content_hash(self) -> str:
        """A stable hash of everything that changes the rendering (the cache key)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        logo = self.template.logo
        logo_hash = hashlib.sha256(logo).hexdigest() if logo else None
        values["template"] = (*astuple(self.template)[:-1], logo_hash)
        raw = repr((RENDER_VERSION, sorted(values.items()))).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()


@cache
def _register_fonts() -> None:
    for name, filename in _FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_ROOT / "files" / filename)))


def _colour(value: str, default: str) -> Color:
    return HexColor(value if _HEX.match(value or "") else default)


def _nfc(text: str | None) -> str:
    """Vietnamese typed on some keyboards arrives decomposed; the font wants composed."""
    return unicodedata.normalize("NFC", text or "").strip()


def _fit_size(text: str, font: str, size: float, width: float, minimum: float = 8) -> float:
    while size > minimum and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and pdfmetrics.stringWidth(candidate, font, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def _fit_lines(
    text: str, font: str, size: float, width: float, max_lines: int
) -> tuple[list[str], float]:
    """Wrap ``text`` into at most ``max_lines`` lines, shrinking the font until it fits."""
    while True:
        lines = _wrap(text, font, size, width)
        widest = max(pdfmetrics.stringWidth(line, font, size) for line in lines)
        if (len(lines) <= max_lines and widest <= width) or size <= 8:
            return lines[:max_lines], size
        size -= 0.5


def _centred(canvas: Canvas, text: str, font: str, size: float, x: float, y: float) -> None:
    canvas.setFont(font, size)
    canvas.drawCentredString(x, y, text)


def format_percent(score: float) -> str:
    """``0.85`` -> ``85%``, ``0.4667`` -> ``46,7%`` (Vietnamese decimal comma)."""
    value = round(score * 100, 1)
    text = str(int(value)) if value.is_integer() else f"{value:.1f}".replace(".", ",")
    return f"{text}%"


def format_hours(hours: float) -> str:
    """``4`` for whole hours, ``1,5`` (Vietnamese decimal comma) otherwise."""
    if float(hours).is_integer():
        return str(int(hours))
    return f"{hours:.1f}".replace(".", ",")


def vietnamese_date(day: date, place: str | None = None) -> str:
    """``Hải Phòng, ngày 05 tháng 03 năm 2026`` as Vietnamese documents date themselves."""
    text = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as one path of merged runs, in module units: small, sharp and fast."""
    matrix = qr_matrix(data)
    cell = size / (len(matrix) + 2 * QUIET)
    canvas.setFillColor(HexColor("#ffffff"))
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(HexColor("#000000"))
    canvas.saveState()
    canvas.translate(x + QUIET * cell, y + size - QUIET * cell)
    canvas.scale(cell, -cell)
    path = canvas.beginPath()
    for row, start, length in runs(matrix):
        path.rect(start, row, length, 1)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _draw_frame(canvas: Canvas, primary: Color, accent: Color) -> None:
    canvas.setStrokeColor(primary)
    canvas.setLineWidth(3)
    canvas.rect(18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36)
    canvas.setStrokeColor(accent)
    canvas.setLineWidth(0.8)
    canvas.rect(26, 26, PAGE_WIDTH - 52, PAGE_HEIGHT - 52)
    canvas.setFillColor(accent)
    for cx, cy in ((26, 26), (PAGE_WIDTH - 26, 26), (26, PAGE_HEIGHT - 26)):
        canvas.rect(cx - 4, cy - 4, 8, 8, stroke=0, fill=1)
    canvas.rect(PAGE_WIDTH - 30, PAGE_HEIGHT - 30, 8, 8, stroke=0, fill=1)


#: Centres of the two header columns and of the signature block (Decree 30's layout).
_LEFT_X = 215.0
_RIGHT_X = PAGE_WIDTH - 215.0
_TOP = PAGE_HEIGHT - 60


def _draw_header(canvas: Canvas, data: CertificateData) -> None:
    """Left: governing body, issuing body, a rule, "Số: <serial>". Right: the national name,
    the motto with its rule, then place and date in italics."""
    canvas.setFillColor(HexColor("#1a1a1a"))
    canvas.setStrokeColor(HexColor("#1a1a1a"))
    canvas.setLineWidth(0.6)
    y = _TOP
    if data.issuing_parent_name:
        parent = _nfc(data.issuing_parent_name).upper()
        size = _fit_size(parent, "CertRegular", 11, 330)
        _centred(canvas, parent, "CertRegular", size, _LEFT_X, y)
        y -= 15
    lines, size = _fit_lines(_nfc(data.issuing_unit_name).upper(), "CertBold", 11, 330, 2)
    for line in lines:
        _centred(canvas, line, "CertBold", size, _LEFT_X, y)
        y -= size + 4
    canvas.line(_LEFT_X - 45, y + 6, _LEFT_X + 45, y + 6)
    _centred(canvas, f"Số: {data.serial}", "CertRegular", 11, _LEFT_X, y - 12)

    nation = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    motto = "Độc lập - Tự do - Hạnh phúc"
    _centred(canvas, nation, "CertBold", 11, _RIGHT_X, _TOP)
    _centred(canvas, motto, "CertBold", 12, _RIGHT_X, _TOP - 16)
    width = pdfmetrics.stringWidth(motto, "CertBold", 12)
    canvas.line(_RIGHT_X - width / 2, _TOP - 20, _RIGHT_X + width / 2, _TOP - 20)
    dated = vietnamese_date(data.issued_on, _nfc(data.place) or None)
    size = _fit_size(dated, "CertItalic", 11, 330)
    _centred(canvas, dated, "CertItalic", size, _RIGHT_X, _TOP - 42)

    if data.template.logo:
        logo = ImageReader(io.BytesIO(data.template.logo))
        canvas.drawImage(
            logo, PAGE_WIDTH / 2 - 28, _TOP - 48, 56, 56, preserveAspectRatio=True, mask="auto"
        )


def _draw_body(canvas: Canvas, data: CertificateData, primary: Color, accent: Color) -> None:
    mid = PAGE_WIDTH / 2
    style = data.template
    course_lines, course_size = _fit_lines(_nfc(data.course_title), "CertBold", 17, 600, 2)
    # A two-line course title lifts the whole block so nothing reaches the signature.
    lift = (course_size + 4) * (len(course_lines) - 1) + (8 if data.holder_birth_date else 0) - 14
    title = _nfc(style.title) or "GIẤY CHỨNG NHẬN"
    canvas.setFillColor(primary)
    _centred(canvas, title, "CertBold", _fit_size(title, "CertBold", 30, 600), mid, 438 + lift)
    title_en = _nfc(style.title_en)
    if title_en:
        # Plain spacing: letter-spaced text extracts as "C E R T I F I C A T E".
        canvas.setFillColor(accent)
        _centred(canvas, title_en, "CertBold", 11, mid, 420 + lift)

    canvas.setFillColor(HexColor("#333333"))
    _centred(canvas, "Chứng nhận ông/bà / This is to certify that", "CertRegular", 12, mid,
             392 + lift)  # fmt: skip
    name = _nfc(data.holder_name)
    canvas.setFillColor(primary)
    _centred(canvas, name, "CertBold", _fit_size(name, "CertBold", 26, 600, 12), mid, 360 + lift)
    y = 340.0 + lift
    canvas.setFillColor(HexColor("#333333"))
    if data.holder_birth_date is not None:
        born = data.holder_birth_date.strftime("%d/%m/%Y")
        _centred(canvas, f"Ngày sinh / Date of birth: {born}", "CertRegular", 11.5, mid, y)
        y -= 22
    _centred(canvas, "Đã hoàn thành khóa học / has completed the course", "CertRegular", 12,
             mid, y)  # fmt: skip
    y -= 24
    canvas.setFillColor(HexColor("#111111"))
    for line in course_lines:
        _centred(canvas, line, "CertBold", course_size, mid, y)
        y -= course_size + 4
    if data.course_title_en:
        en = _nfc(data.course_title_en)
        canvas.setFillColor(HexColor("#555555"))
        _centred(canvas, en, "CertItalic", _fit_size(en, "CertItalic", 10, 600), mid, y + 1)
        y -= 14
    parts = [f"Thời lượng / Hours: {format_hours(data.hours)} giờ"]
    if data.score is not None:
        parts.append(f"Kết quả / Result: {format_percent(data.score)}")
    canvas.setFillColor(HexColor("#333333"))
    _centred(canvas, "   ·   ".join(parts), "CertRegular", 11, mid, y - 6)


def _draw_footer(canvas: Canvas, data: CertificateData, primary: Color) -> None:
    qr_size = 92.0
    _draw_qr(canvas, data.verify_url, 50, 42, qr_size)
    text_x = 50 + qr_size + 10
    canvas.setFillColor(HexColor("#333333"))
    canvas.setFont("CertRegular", 8.5)
    canvas.drawString(text_x, 112, "Số hiệu / Serial No.")
    canvas.setFillColor(primary)
    canvas.setFont("CertBold", 12)
    canvas.drawString(text_x, 98, data.serial)
    canvas.setFillColor(HexColor("#333333"))
    canvas.setFont("CertRegular", 8)
    canvas.drawString(text_x, 82, "Quét mã QR để kiểm tra / Scan to verify:")
    url = data.verify_url
    canvas.setFont("CertRegular", _fit_size(url, "CertRegular", 8, 220, 5))
    canvas.drawString(text_x, 71, url)
    canvas.setFont("CertItalic", 7)
    canvas.drawString(text_x, 50, "Ký số / Digitally signed (PAdES)")

    # The signature block: authority, title, room for the seal and signature, full name.
    canvas.setFillColor(HexColor("#1a1a1a"))
    y = 190.0
    if data.signer_authority:
        authority = _nfc(data.signer_authority).upper()
        _centred(canvas, authority, "CertBold", _fit_size(authority, "CertBold", 11.5, 300),
                 _RIGHT_X, y)  # fmt: skip
        y -= 16
    lines, size = _fit_lines(_nfc(data.signer_title).upper(), "CertBold", 11.5, 300, 2)
    for line in lines:
        _centred(canvas, line, "CertBold", size, _RIGHT_X, y)
        y -= size + 4
    signer = _nfc(data.signer_name)
    canvas.setFillColor(primary)
    _centred(canvas, signer, "CertBold", _fit_size(signer, "CertBold", 13, 300), _RIGHT_X, 62)


def _draw_revoked(canvas: Canvas, day: date) -> None:
    """A red stamp across the page: nobody can mistake a revoked copy for a valid one."""
    red = HexColor("#c00000")
    canvas.saveState()
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(18)
    canvas.setStrokeColor(red)
    canvas.setFillColor(red)
    canvas.setLineWidth(4)
    canvas.roundRect(-270, -62, 540, 124, 14, stroke=1, fill=0)
    _centred(canvas, "ĐÃ THU HỒI / REVOKED", "CertBold", 40, 0, 8)
    when = f"Ngày thu hồi / Revoked on: {day.strftime('%d/%m/%Y')}"
    _centred(canvas, when, "CertBold", 15, 0, -34)
    canvas.restoreState()


def render_certificate(data: CertificateData) -> bytes:
    """Draw ``data`` as a one-page PDF and return its bytes (deterministic)."""
    _register_fonts()
    buffer = io.BytesIO()
    # The initial font is ours: reportlab's default would add an unembedded Helvetica.
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        initialFontName="CertRegular",
    )
    canvas.setTitle(f"Giấy chứng nhận {data.serial}")
    canvas.setAuthor(_nfc(data.issuing_unit_name))
    canvas.setSubject(_nfc(f"{data.holder_name} — {data.course_title}"))
    canvas.setCreator("LMS 146")
    keywords = f"{SERIAL_MARKER}{data.serial}"
    if data.credential_jwt:
        keywords += f" {CREDENTIAL_MARKER}{data.credential_jwt}"
    canvas.setKeywords(keywords)

    primary = _colour(data.template.primary_color, TemplateStyle.primary_color)
    accent = _colour(data.template.accent_color, TemplateStyle.accent_color)
    _draw_frame(canvas, primary, accent)
    _draw_header(canvas, data)
    _draw_body(canvas, data, primary, accent)
    _draw_footer(canvas, data, primary)
    if data.revoked_on is not None:
        _draw_revoked(canvas, data.revoked_on)
    canvas.showPage()
    canvas.save()
    return _distinct_subset_tags(buffer.getvalue())


_SUBSET = re.compile(rb"/([A-K]{6})\+(BeVietnamPro-[A-Za-z]+)")


def _distinct_subset_tags(pdf: bytes) -> bytes:
    """Give each embedded subset its own tag: reportlab numbers the subsets of every font
    from ``AAAAAA``, so three fonts share one tag, which the PDF spec says should differ.

    The tag is six letters from a hash of the original tag and font name, the same length,
    so the file's cross-reference offsets stay right.
    """

    def tag(match: re.Match[bytes]) -> bytes:
        digest = hashlib.sha256(match.group(1) + b"+" + match.group(2)).digest()
        letters = bytes(65 + b % 26 for b in digest[:6])
        return b"/" + letters + b"+" + match.group(2)

    return _SUBSET.sub(tag, pdf)


def render_png(pdf: bytes, width: int = 900) -> bytes:
    """The first page of ``pdf`` as a PNG ``width`` pixels wide (the template page's preview:
    exactly what the PDF will look like, drawn by PDFium)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        bitmap = page.render(scale=width / page.get_width())
        out = io.BytesIO()
        bitmap.to_pil().save(out, format="PNG", optimize=True)
        page.close()
    finally:
        document.close()
    return out.getvalue()
