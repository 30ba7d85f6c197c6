"""The annual report a unit sends each December: its data, as PDF and as XLSX.

:func:`annual_report_data` gathers the figures (a JSON-ready dict, which is also what a
closed year keeps as its snapshot); :func:`render_pdf` and :func:`render_xlsx` are pure.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import cache, partial
from html import escape
from typing import Any

from fontpkg_be_vietnam_pro import ROOT as FONT_ROOT
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import func, or_, select

from lms import formatting
from lms.catalog.models import Course
from lms.certificates import pades
from lms.classes.models import Class, Enrollment
from lms.constants import TARGET_GROUP_LABELS
from lms.exports import xlsx_bytes
from lms.extensions import db
from lms.org.models import Unit
from lms.stats import queries, reporting

REGULAR, BOLD = "LMSReport", "LMSReport-Bold"
ITALIC, BOLD_ITALIC = "LMSReport-Italic", "LMSReport-BoldItalic"


def annual_report_data(
    unit: Unit, year: int, *, today: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The report's content, and its document header as of ``now`` (unnumbered: a number is
    given when the report is sent)."""
    moment = reporting.local_now(now)
    today = today or moment.date()
    figures = queries.indicator_figures(unit, year, today=today)
    return {
        "unit": {"code": unit.code, "name": unit.name, "kind": str(unit.kind)},
        "year": year,
        "generated_at": moment.isoformat(timespec="seconds"),
        "deadline": reporting.deadline(unit, year).isoformat(),
        "document": reporting.document(unit, day=today),
        "indicators": [f.as_dict() for f in figures],
        "by_unit": [_row(r) for r in queries.breakdown(unit, year, "unit")],
        "by_target_group": [_row(r) for r in queries.breakdown(unit, year, "target_group")],
        "by_course": [_row(r) for r in queries.breakdown(unit, year, "course")],
        "by_month": [_row(r) for r in queries.breakdown(unit, year, "month")],
        "funnel": queries.funnel(unit, year),
        "classes": _classes(unit, year),
        "units_against_targets": _units_against_targets(unit, year),
        "submissions": _submissions(unit, year, now=now),
    }


def _submissions(unit: Unit, year: int, *, now: datetime | None) -> list[dict[str, Any]]:
    """The units reporting to ``unit``: where each stands, and the figures each one sent
    (what the province's report is compiled from)."""
    rows = []
    for row in reporting.submissions(unit, year, now=now):
        item = row.as_dict()
        sent = (row.snapshot.payload or {}).get("indicators", []) if row.snapshot else []
        item["indicators"] = {
            i["code"]: {k: i.get(k) for k in ("numerator", "denominator", "value")} for i in sent
        }
        rows.append(item)
    return rows


def _units_against_targets(unit: Unit, year: int) -> dict[str, Any]:
    indicators, rows = queries.children_figures(unit, year)
    return {
        "indicators": [
            {"code": i.code, "title": i.title, "target": i.target_for(year)} for i in indicators
        ],
        "units": [
            {"code": r.code, "name": r.name, "values": r.values, "behind": r.behind} for r in rows
        ],
    }


def _row(row: queries.BreakdownRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "completions": row.completions,
        "certificates": row.certificates,
    }


def _classes(unit: Unit, year: int) -> list[dict[str, Any]]:
    counts = (
        select(Enrollment.class_id, func.count(Enrollment.id).label("n"))
        .group_by(Enrollment.class_id)
        .subquery()
    )
    stmt = (
        select(Class.code, Course.title, Class.starts_on, Class.ends_on, counts.c.n)
        .join(Course, Course.id == Class.course_id)
        .outerjoin(counts, counts.c.class_id == Class.id)
        .where(
            Class.unit_id.in_(queries.subtree(unit, year)),
            or_(Class.starts_on.is_(None), Class.starts_on <= date(year, 12, 31)),
            or_(Class.ends_on.is_(None), Class.ends_on >= date(year, 1, 1)),
        )
        .order_by(Class.starts_on, Class.code)
    )
    return [
        {
            "code": code,
            "course": title,
            "starts_on": starts.isoformat() if starts else None,
            "ends_on": ends.isoformat() if ends else None,
            "enrolled": int(n or 0),
        }
        for code, title, starts, ends, n in db.session.execute(stmt)
    ]


# --- rendering (pure) ------------------------------------------------------------------------

#: The summary line under "BÁO CÁO": what the report is about.
SUBJECT = (
    "Kết quả thực hiện Đề án “Nâng cao nhận thức, phổ cập kỹ năng và phát triển nguồn nhân "
    "lực chuyển đổi số quốc gia đến năm 2025, định hướng đến năm 2030” năm {year}"
)
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@cache
def _fonts() -> None:
    files = FONT_ROOT / "files"
    for name, filename in (
        (REGULAR, "BeVietnamPro-Regular.ttf"),
        (BOLD, "BeVietnamPro-Bold.ttf"),
        (ITALIC, "BeVietnamPro-Italic.ttf"),
        (BOLD_ITALIC, "BeVietnamPro-BoldItalic.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(files / filename)))
    pdfmetrics.registerFontFamily(
        REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
    )


def vn_number(value: Any, *, percent: bool = False) -> str:
    """``180.010``, ``14,4%``: the report is a Vietnamese document whoever downloads it, so
    the shared formatter in ``vi`` (:mod:`lms.formatting`)."""
    if percent:
        return formatting.percent(value, lang="vi")
    return formatting.number(value, lang="vi")


def _target(item: dict[str, Any]) -> str:
    if item["target"] is None:
        return "—"
    if item["kind"] == "count_people":
        return f"{vn_number(round(item['target']))} người"
    return vn_number(float(item["target"]), percent=True)


def _figure_row(item: dict[str, Any], *, forecast: bool) -> list[str]:
    share = item["kind"] != "count_people"
    status = "—" if item["on_track"] is None else ("Đạt tiến độ" if item["on_track"] else "Chậm")
    value = vn_number(item["value"], percent=True) if share else vn_number(item["numerator"])
    row = [
        item["title"],
        vn_number(item["numerator"]),
        vn_number(item["denominator"]) if share else "—",
        value,
        _target(item),
    ]
    if forecast:
        row.append(vn_number(item["forecast"], percent=share))
    return [*row, status]


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=11, leading=15)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    return {
        "body": ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, firstLineIndent=10 * mm),
        "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=8.5, leading=11),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=11.5, spaceBefore=8, spaceAfter=4
        ),
        "head_upper": ParagraphStyle("hu", parent=center, fontSize=11.5),
        "head_bold": ParagraphStyle("hb", parent=center, fontName=BOLD, fontSize=11.5),
        "motto": ParagraphStyle("m", parent=center, fontName=BOLD, fontSize=11.5),
        "motto2": ParagraphStyle("m2", parent=center, fontName=BOLD, fontSize=12.5),
        "number": ParagraphStyle("n", parent=center, fontSize=12),
        "date": ParagraphStyle("d", parent=center, fontName=ITALIC, fontSize=12),
        "title": ParagraphStyle(
            "t", parent=center, fontName=BOLD, fontSize=14, leading=18, spaceBefore=8
        ),
        "subject": ParagraphStyle("s", parent=center, fontName=BOLD, fontSize=12, leading=16),
        "recipients_head": ParagraphStyle("rh", parent=base, fontName=BOLD_ITALIC, fontSize=11),
        "recipients": ParagraphStyle("r", parent=base, fontSize=10, leading=13),
        "sign": ParagraphStyle("sg", parent=center, fontName=BOLD, fontSize=12.5, leading=16),
        "note": ParagraphStyle("note", parent=center, fontName=ITALIC, fontSize=9.5),
    }


def _rule(width: float) -> HRFlowable:
    return HRFlowable(width=width, thickness=0.6, color=colors.black, spaceBefore=3, spaceAfter=4)


def _header(document: dict[str, Any], st: dict[str, ParagraphStyle]) -> Table:
    """Issuer at the left, the national motto at the right, the number under the issuer and
    the place and date under the motto (Decree 30/2020/NĐ-CP, Appendix I)."""
    left: list[Any] = []
    if document["parent_body"]:
        left.append(Paragraph(escape(document["parent_body"].upper()), st["head_upper"]))
    left += [Paragraph(escape(document["issuer"].upper()), st["head_bold"]), _rule(22 * mm)]
    right = [
        Paragraph(MOTTO[0], st["motto"]),
        Paragraph(MOTTO[1], st["motto2"]),
        _rule(56 * mm),
    ]
    table = Table(
        [
            [left, right],
            [
                Paragraph(escape(document["number_text"]), st["number"]),
                Paragraph(escape(document["date_line"]), st["date"]),
            ],
        ],
        colWidths=[72 * mm, 108 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),  # the rules under the names, centred
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _signature(document: dict[str, Any], st: dict[str, ParagraphStyle]) -> Table:
    """ "Nơi nhận" at the left; at the right the signer's authority, title, room for the
    signature and the seal, and the name."""
    recipients = [Paragraph("Nơi nhận:", st["recipients_head"])]
    lines = list(document["recipients"]) or ["Lưu: VT."]
    for index, line in enumerate(lines):
        text = line if line.startswith("-") else f"- {line}"
        if not text.endswith((";", ".")):
            text += "." if index == len(lines) - 1 else ";"
        recipients.append(Paragraph(escape(text), st["recipients"]))
    sign: list[Any] = []
    if document["signer_authority"]:
        sign.append(Paragraph(escape(document["signer_authority"].upper()), st["sign"]))
    title = document["signer_title"] or "THỦ TRƯỞNG ĐƠN VỊ"
    sign += [
        Paragraph(escape(title.upper()), st["sign"]),
        Spacer(1, 28 * mm),  # signature and seal
        Paragraph(escape(document["signer_name"] or " "), st["sign"]),
    ]
    table = Table([[recipients, sign]], colWidths=[85 * mm, 95 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _document_of(data: dict[str, Any]) -> dict[str, Any]:
    """The header of ``data``; reports closed before reports were numbered have none."""
    document = data.get("document")
    if document:
        return document
    return {
        "parent_body": "",
        "issuer": data["unit"]["name"],
        "symbol": "",
        "number": None,
        "number_text": reporting.number_text(None, ""),
        "date_line": reporting.date_line("", date.fromisoformat(data["generated_at"][:10])),
        "signer_authority": "",
        "signer_title": "",
        "signer_name": "",
        "recipients": [],
    }


def render_pdf(data: dict[str, Any], *, closed: dict[str, Any] | None = None) -> bytes:
    """The report as an A4 administrative document in Vietnamese, fonts embedded.

    ``closed`` (the snapshot) marks the report as sent; without it, it is a draft: its
    number is left blank and the footer says so.
    """
    _fonts()
    document = _document_of(data)
    year = data["year"]
    buffer = io.BytesIO()
    doc = _Document(
        buffer,
        footer=_footer(data, closed),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=10 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"Báo cáo năm {year} - {data['unit']['name']}",
        author=document["issuer"],
    )
    st = _styles()
    cell = st["cell"]
    forecast = closed is None and year == reporting.local_today().year
    figure_header = ["TT", "Chỉ tiêu", "Đạt", "Tổng số", "Kết quả", "Mục tiêu"]
    widths = [10 * mm, 56 * mm, 16 * mm, 18 * mm, 18 * mm, 22 * mm]
    if forecast:
        figure_header.append("Dự báo đến hạn")
        widths.append(18 * mm)
    figure_header.append("Đánh giá")
    widths.append(180 * mm - sum(widths))
    issuer = document["issuer"]
    story: list[Any] = [
        _header(document, st),
        Paragraph("BÁO CÁO", st["title"]),
        Paragraph(escape(SUBJECT.format(year=year)), st["subject"]),
        _rule(40 * mm),
        Spacer(1, 3 * mm),
        Paragraph(
            escape(
                f"Thực hiện Kế hoạch triển khai Đề án 146 và hướng dẫn của cơ quan cấp trên, "
                f"{issuer} báo cáo kết quả thực hiện năm {year} như sau:"
            ),
            st["body"],
        ),
        Paragraph("I. CÁC CHỈ TIÊU CỦA KẾ HOẠCH", st["h2"]),
        _table(
            figure_header,
            [
                [str(n), *_figure_row(i, forecast=forecast)]
                for n, i in enumerate(data["indicators"], start=1)
            ]
            or [["—"] * len(figure_header)],
            cell,
            widths,
        ),
        *_against_targets(data, st["h2"], cell),
        *_compiled(data, st["h2"], cell),
        Paragraph("II. KẾT QUẢ THEO ĐƠN VỊ TRỰC THUỘC", st["h2"]),
        _table(
            ["Đơn vị", "Hoàn thành khoá học", "Chứng chỉ cấp"],
            [
                [r["label"], vn_number(r["completions"]), vn_number(r["certificates"])]
                for r in data["by_unit"]
            ]
            or [["—", "0", "0"]],
            cell,
            [100 * mm, 40 * mm, 40 * mm],
        ),
        Paragraph("III. KẾT QUẢ THEO ĐỐI TƯỢNG", st["h2"]),
        _table(
            ["Đối tượng", "Hoàn thành khoá học", "Chứng chỉ cấp"],
            [
                [
                    _tg(r["key"], r["label"]),
                    vn_number(r["completions"]),
                    vn_number(r["certificates"]),
                ]
                for r in data["by_target_group"]
            ]
            or [["—", "0", "0"]],
            cell,
            [100 * mm, 40 * mm, 40 * mm],
        ),
        Paragraph("IV. CÁC KHOÁ HỌC ĐÃ TRIỂN KHAI", st["h2"]),
        _table(
            ["Khoá học", "Hoàn thành", "Chứng chỉ"],
            [
                [r["label"], vn_number(r["completions"]), vn_number(r["certificates"])]
                for r in data["by_course"]
            ]
            or [["—", "0", "0"]],
            cell,
            [120 * mm, 30 * mm, 30 * mm],
        ),
        Paragraph("V. CÁC LỚP HỌC ĐÃ TỔ CHỨC", st["h2"]),
        _table(
            ["Mã lớp", "Khoá học", "Thời gian", "Học viên"],
            [
                [
                    c["code"],
                    c["course"],
                    f"{_vn_date(c['starts_on'])} - {_vn_date(c['ends_on'])}",
                    vn_number(c["enrolled"]),
                ]
                for c in data["classes"]
            ]
            or [["—", "—", "—", "0"]],
            cell,
            [30 * mm, 85 * mm, 45 * mm, 20 * mm],
        ),
        Paragraph("VI. TÌNH HÌNH HỌC TẬP TRONG NĂM", st["h2"]),
        Paragraph(
            "Đăng ký: {enrolled} · Đang học: {in_progress} · Hoàn thành: {completed} · "
            "Được cấp chứng chỉ: {certified}".format(
                **{k: vn_number(v) for k, v in data["funnel"].items()}
            ),
            st["body"],
        ),
        Spacer(1, 3 * mm),
        Paragraph(
            escape(f"Trên đây là báo cáo kết quả thực hiện năm {year} của {issuer}./."),
            st["body"],
        ),
        Spacer(1, 4 * mm),
        KeepTogether([_signature(document, st)]),
    ]
    # The canvas starts in Helvetica unless told otherwise: a font the PDF would name unembedded.
    doc.build(story, canvasmaker=partial(Canvas, initialFontName=REGULAR))
    return buffer.getvalue()


class _Document(SimpleDocTemplate):
    """Draws each page's foot after its content, so that the text reads in the page's order."""

    def __init__(self, *args: Any, footer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer

    def afterPage(self) -> None:  # noqa: N802 - reportlab's hook
        self._footer(self.canv, self)


def _footer(data: dict[str, Any], closed: dict[str, Any] | None) -> Any:
    """Each page's foot says when the data was read, and whether this is the report as sent."""
    state = (
        f"Bản đã gửi lúc {_stamp(closed['closed_at'])}"
        if closed
        else "Bản dự thảo, chưa gửi (chưa có số văn bản)"
    )
    text = f"Số liệu lập lúc {_stamp(data['generated_at'])} · {state}"

    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(colors.HexColor("#555b66"))
        canvas.drawString(20 * mm, 10 * mm, text)
        if doc.page > 1:  # Decree 30: page numbers from the second page, at the top centre
            canvas.setFont(REGULAR, 11)
            canvas.setFillColor(colors.black)
            canvas.drawCentredString(110 * mm, A4[1] - 9 * mm, str(doc.page))
        canvas.restoreState()

    return draw


def _against_targets(data: dict[str, Any], h2: ParagraphStyle, cell: ParagraphStyle) -> list:
    part = data.get("units_against_targets") or {}
    indicators, units = part.get("indicators") or [], part.get("units") or []
    if not indicators or not units:
        return []
    header = ["Đơn vị"] + [
        f"{i['title']} (mục tiêu {vn_number(i['target'], percent=True)})" for i in indicators
    ]
    rows = []
    for u in units:
        marks = [
            vn_number(u["values"].get(i["code"]), percent=True)
            + (" (chậm)" if i["code"] in u["behind"] else "")
            for i in indicators
        ]
        rows.append([u["name"], *marks])
    width = 180 * mm
    first = 40 * mm
    other = (width - first) / len(indicators)
    return [
        Paragraph("Các đơn vị so với mục tiêu năm", h2),
        _table(header, rows, cell, [first] + [other] * len(indicators)),
    ]


def _compiled(data: dict[str, Any], h2: ParagraphStyle, cell: ParagraphStyle) -> list:
    """Which units reported, when, under which number; and the figures each one sent."""
    rows = data.get("submissions") or []
    if not rows:
        return []
    sent = [r for r in rows if r["status"] in ("on_time", "late")]
    late = [r for r in rows if r["status"] == "late"]
    table = [
        [
            r["name"],
            (r.get("number_text") or "—")
            + (f", ngày {_stamp(r['submitted_at'])[:10]}" if r.get("submitted_at") else ""),
            _vn_date(r["deadline"]),
            reporting.STATUS_LABELS.get(r["status"], r["status"]),
        ]
        for r in rows
    ]
    part = [
        Paragraph(
            f"Tổng hợp báo cáo của các đơn vị: {vn_number(len(sent))}/{vn_number(len(rows))} "
            f"đơn vị đã gửi, {vn_number(len(late))} đơn vị gửi muộn",
            h2,
        ),
        _table(
            ["Đơn vị", "Văn bản", "Hạn gửi", "Tình trạng"],
            table,
            cell,
            [60 * mm, 60 * mm, 25 * mm, 35 * mm],
        ),
    ]
    indicators = [i for i in data["indicators"] if any(i["code"] in r["indicators"] for r in sent)]
    if sent and indicators:
        width = (180 * mm - 45 * mm) / len(indicators)
        values = []
        for r in sent:
            cells = []
            for i in indicators:
                got = r["indicators"].get(i["code"]) or {}
                share = i["kind"] != "count_people"
                shown = got.get("value") if share else got.get("numerator")
                cells.append(vn_number(shown, percent=share))
            values.append([r["name"], *cells])
        numbers = {i["code"]: n for n, i in enumerate(data["indicators"], start=1)}
        part += [
            Paragraph(
                "Số liệu các đơn vị đã gửi (theo báo cáo của đơn vị; chỉ tiêu đánh số như mục I)",
                h2,
            ),
            _table(
                ["Đơn vị", *[f"Chỉ tiêu {numbers[i['code']]}" for i in indicators]],
                values,
                cell,
                [45 * mm] + [width] * len(indicators),
            ),
        ]
    return part


def _tg(key: str, label: str) -> str:
    pair = TARGET_GROUP_LABELS.get(key)
    return pair[0] if pair else ("Chưa xác định" if key == "unassigned" else label)


def _stamp(value: str) -> str:
    """``dd/mm/yyyy HH:MM (GMT+07:00)`` in the province's zone, from an ISO timestamp."""
    return reporting.stamp(datetime.fromisoformat(value))


def _vn_date(value: str | None) -> str:
    if not value:
        return "—"
    y, m, d = value[:10].split("-")
    return f"{d}/{m}/{y}"


def _table(header: list[str], rows: list[list[str]], style: ParagraphStyle, widths: list) -> Table:
    head_style = ParagraphStyle("head", parent=style, fontName=BOLD)
    data = [[Paragraph(escape(h), head_style) for h in header]]
    data += [[Paragraph(escape(str(v)), style) for v in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa3b5")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f7")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _people_target(item: dict[str, Any]) -> Any:
    if item["target"] is None or item["kind"] != "count_people":
        return item["target"]
    return round(item["target"])


def sent_pdf(unit: Unit, data: dict[str, Any], *, closed: dict[str, Any]) -> bytes:
    """The report as sent, signed (PAdES) with the unit's certificate as its certificates are.

    A submitted report is an administrative document, checkable by anyone with Adobe Reader
    or pyHanko; a draft is not one yet and is served unsigned.
    """
    document = _document_of(data)
    reason = f"Báo cáo {document.get('number_text') or ''} năm {data.get('year', '')}".strip()
    return pades.sign_pdf(
        render_pdf(data, closed=closed), unit, reason=reason, location=document.get("place")
    )


def render_xlsx(data: dict[str, Any]) -> bytes:
    """The report's tables with Vietnamese sheet names and headers; units and target groups
    named, numbers left as numbers for the reader's own sums."""
    document = _document_of(data)
    indicators = [
        [
            i["title"],
            _tg(i["target_group"], i["target_group"]) if i.get("target_group") else "",
            "Số người" if i["kind"] == "count_people" else "Tỷ lệ (%)",
            i["numerator"],
            i["denominator"],
            i["value"],
            _people_target(i),
            "" if i["on_track"] is None else ("Đạt tiến độ" if i["on_track"] else "Chậm"),
            i["unassigned"],
        ]
        for i in data["indicators"]
    ]
    breakdown_header = ["Mã", "Tên", "Hoàn thành khoá học", "Chứng chỉ cấp"]

    def rows(name: str, *, groups: bool = False) -> list[list[Any]]:
        return [
            [
                r["key"],
                _tg(r["key"], r["label"]) if groups else r["label"],
                r["completions"],
                r["certificates"],
            ]
            for r in data[name]
        ]

    funnel_labels = {
        "enrolled": "Đăng ký",
        "in_progress": "Đang học",
        "completed": "Hoàn thành",
        "withdrawn": "Rút khỏi lớp",
        "certified": "Được cấp chứng chỉ",
    }
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            "Văn bản",
            ["Mục", "Nội dung"],
            [
                ["Cơ quan chủ quản", document["parent_body"]],
                ["Cơ quan ban hành", document["issuer"]],
                ["Số", document["number_text"]],
                ["Địa danh, ngày tháng", document["date_line"]],
                ["Tên loại, trích yếu", "BÁO CÁO " + SUBJECT.format(year=data["year"])],
                ["Nơi nhận", "; ".join(document["recipients"])],
                [
                    "Người ký",
                    " / ".join(
                        p
                        for p in (
                            document["signer_authority"],
                            document["signer_title"],
                            document["signer_name"],
                        )
                        if p
                    ),
                ],
                ["Số liệu lập lúc", _stamp(data["generated_at"])],
            ],
        ),
        (
            "Chỉ tiêu",
            [
                "Chỉ tiêu",
                "Đối tượng",
                "Đơn vị tính",
                "Đạt",
                "Tổng số",
                "Kết quả",
                "Mục tiêu",
                "Đánh giá",
                "Chưa xác định đơn vị",
            ],
            indicators,
        ),
        ("Theo đơn vị", breakdown_header, rows("by_unit")),
        ("Theo đối tượng", breakdown_header, rows("by_target_group", groups=True)),
        ("Theo khoá học", breakdown_header, rows("by_course")),
        (
            "Theo tháng",
            ["Tháng", "Tháng", "Hoàn thành khoá học", "Chứng chỉ cấp"],
            rows("by_month"),
        ),
        (
            "Lớp học",
            ["Mã lớp", "Khoá học", "Bắt đầu", "Kết thúc", "Học viên"],
            [
                [
                    c["code"],
                    c["course"],
                    _vn_date(c["starts_on"]),
                    _vn_date(c["ends_on"]),
                    c["enrolled"],
                ]
                for c in data["classes"]
            ],
        ),
        (
            "Tình hình học tập",
            ["Giai đoạn", "Số lượt"],
            [[funnel_labels.get(k, k), v] for k, v in data["funnel"].items()],
        ),
    ]
    if data.get("submissions"):
        sheets.append(
            (
                "Báo cáo các đơn vị",
                ["Mã đơn vị", "Đơn vị", "Văn bản", "Gửi lúc", "Hạn gửi", "Tình trạng"],
                [
                    [
                        r["code"],
                        r["name"],
                        r.get("number_text") or "",
                        _stamp(r["submitted_at"]) if r.get("submitted_at") else "",
                        _vn_date(r["deadline"]),
                        reporting.STATUS_LABELS.get(r["status"], r["status"]),
                    ]
                    for r in data["submissions"]
                ],
            )
        )
    return xlsx_bytes(sheets)
