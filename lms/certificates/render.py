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
RENDER_VERSION = 1

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
    #: The parent of the issuing unit, printed above it as Vietnamese letterheads do.
    issuing_parent_name: str | None = None
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


def _draw_header(canvas: Canvas, data: CertificateData, primary: Color) -> None:
    left_x, right_x, top = 205, PAGE_WIDTH - 205, PAGE_HEIGHT - 62
    canvas.setFillColor(HexColor("#222222"))
    y = top
    if data.issuing_parent_name:
        parent = _nfc(data.issuing_parent_name).upper()
        _centred(
            canvas, parent, "CertRegular", _fit_size(parent, "CertRegular", 10, 300), left_x, y
        )
        y -= 14
    lines, size = _fit_lines(_nfc(data.issuing_unit_name).upper(), "CertBold", 10.5, 300, 2)
    for line in lines:
        _centred(canvas, line, "CertBold", size, left_x, y)
        y -= size + 3
    canvas.setStrokeColor(HexColor("#222222"))
    canvas.setLineWidth(0.6)
    canvas.line(left_x - 40, y + 4, left_x + 40, y + 4)

    _centred(canvas, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CertBold", 10.5, right_x, top)
    _centred(canvas, "Độc lập - Tự do - Hạnh phúc", "CertBold", 10.5, right_x, top - 15)
    motto = pdfmetrics.stringWidth("Độc lập - Tự do - Hạnh phúc", "CertBold", 10.5)
    canvas.line(right_x - motto / 2, top - 19, right_x + motto / 2, top - 19)

    if data.template.logo:
        logo = ImageReader(io.BytesIO(data.template.logo))
        canvas.drawImage(
            logo, PAGE_WIDTH / 2 - 30, top - 44, 60, 60, preserveAspectRatio=True, mask="auto"
        )


def _draw_body(canvas: Canvas, data: CertificateData, primary: Color, accent: Color) -> None:
    mid = PAGE_WIDTH / 2
    style = data.template
    course_lines, course_size = _fit_lines(_nfc(data.course_title), "CertBold", 19, 660, 2)
    # A two-line course title lifts the whole block so nothing reaches the signature.
    lift = (course_size + 4) * (len(course_lines) - 1)
    title = _nfc(style.title) or "GIẤY CHỨNG NHẬN"
    canvas.setFillColor(primary)
    size = _fit_size(title, "CertBold", 34, 640)
    _centred(canvas, title, "CertBold", size, mid, 418 + lift)
    canvas.setFillColor(accent)
    title_en = _nfc(style.title_en)
    if title_en:
        canvas.setFont("CertBold", 11)
        canvas.drawCentredString(mid, 398 + lift, title_en, charSpace=2)

    canvas.setFillColor(HexColor("#333333"))
    _centred(canvas, "Chứng nhận ông/bà", "CertRegular", 13, mid, 364 + lift)
    _centred(canvas, "This is to certify that", "CertItalic", 9, mid, 351 + lift)

    name = _nfc(data.holder_name)
    canvas.setFillColor(primary)
    _centred(canvas, name, "CertBold", _fit_size(name, "CertBold", 30, 640, 12), mid, 314 + lift)

    canvas.setFillColor(HexColor("#333333"))
    _centred(canvas, "đã hoàn thành khóa học", "CertRegular", 13, mid, 288 + lift)
    _centred(canvas, "has completed the course", "CertItalic", 9, mid, 275 + lift)

    y = 250.0 + lift
    canvas.setFillColor(HexColor("#111111"))
    for line in course_lines:
        _centred(canvas, line, "CertBold", course_size, mid, y)
        y -= course_size + 4
    if data.course_title_en:
        en = _nfc(data.course_title_en)
        canvas.setFillColor(HexColor("#555555"))
        _centred(canvas, en, "CertItalic", _fit_size(en, "CertItalic", 10, 660), mid, y + 1)
        y -= 14

    parts = [f"Thời lượng / Hours: {format_hours(data.hours)} giờ"]
    if data.score is not None:
        parts.append(f"Kết quả / Score: {round(data.score * 100)}%")
    canvas.setFillColor(HexColor("#333333"))
    _centred(canvas, "   ·   ".join(parts), "CertRegular", 11, mid, y - 8)


def _draw_footer(canvas: Canvas, data: CertificateData, primary: Color) -> None:
    qr_size = 96.0
    _draw_qr(canvas, data.verify_url, 52, 44, qr_size)
    text_x = 52 + qr_size + 10
    canvas.setFillColor(HexColor("#333333"))
    canvas.setFont("CertRegular", 8.5)
    canvas.drawString(text_x, 122, "Số hiệu / Serial No.")
    canvas.setFillColor(primary)
    canvas.setFont("CertBold", 13)
    canvas.drawString(text_x, 106, data.serial)
    canvas.setFillColor(HexColor("#333333"))
    canvas.setFont("CertRegular", 8.5)
    canvas.drawString(text_x, 88, "Quét mã QR để kiểm tra / Scan to verify:")
    url = data.verify_url
    canvas.setFont("CertRegular", _fit_size(url, "CertRegular", 8, 230, 5))
    canvas.drawString(text_x, 77, url)
    canvas.setFont("CertItalic", 7)
    canvas.drawString(text_x, 52, "Được ký số (Ed25519) · Digitally signed")

    sign_x = PAGE_WIDTH - 210
    place = _nfc(data.place) or None
    dated = vietnamese_date(data.issued_on, place)
    canvas.setFillColor(HexColor("#333333"))
    _centred(canvas, dated, "CertItalic", _fit_size(dated, "CertItalic", 11, 300), sign_x, 170)
    signer_title = _nfc(data.signer_title).upper()
    lines, size = _fit_lines(signer_title, "CertBold", 11, 300, 2)
    y = 153.0
    for line in lines:
        _centred(canvas, line, "CertBold", size, sign_x, y)
        y -= size + 3
    signer = _nfc(data.signer_name)
    canvas.setFillColor(primary)
    _centred(canvas, signer, "CertBold", _fit_size(signer, "CertBold", 14, 300), sign_x, 62)


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
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
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
    _draw_header(canvas, data, primary)
    _draw_body(canvas, data, primary, accent)
    _draw_footer(canvas, data, primary)
    if data.revoked_on is not None:
        _draw_revoked(canvas, data.revoked_on)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
