"""The annual report a unit sends each December: its data, as PDF and as XLSX.

:func:`annual_report_data` gathers the figures (a JSON-ready dict, which is also what a
closed year keeps as its snapshot); :func:`render_pdf` and :func:`render_xlsx` are pure.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from fontpkg_be_vietnam_pro import ROOT as FONT_ROOT
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import func, or_, select

from lms.catalog.models import Course
from lms.classes.models import Class, Enrollment
from lms.constants import TARGET_GROUP_LABELS
from lms.exports import xlsx_bytes
from lms.extensions import db
from lms.org.models import Unit
from lms.stats import queries

REGULAR, BOLD = "LMSReport", "LMSReport-Bold"


def annual_report_data(unit: Unit, year: int, *, today: date | None = None) -> dict[str, Any]:
    figures = queries.indicator_figures(unit, year, today=today)
    return {
        "unit": {"code": unit.code, "name": unit.name, "kind": str(unit.kind)},
        "year": year,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "deadline": queries.report_deadline(unit, year).isoformat(),
        "indicators": [f.as_dict() for f in figures],
        "by_unit": [_row(r) for r in queries.breakdown(unit, year, "unit")],
        "by_target_group": [_row(r) for r in queries.breakdown(unit, year, "target_group")],
        "by_course": [_row(r) for r in queries.breakdown(unit, year, "course")],
        "by_month": [_row(r) for r in queries.breakdown(unit, year, "month")],
        "funnel": queries.funnel(unit, year),
        "classes": _classes(unit, year),
        "units_against_targets": _units_against_targets(unit, year),
    }


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


@cache
def _fonts() -> None:
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_ROOT / "files" / "BeVietnamPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_ROOT / "files" / "BeVietnamPro-Bold.ttf")))


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}{suffix}".replace(".", ",")
    return f"{value:,}".replace(",", ".") + suffix


def _figure_row(item: dict[str, Any]) -> list[str]:
    share = item["kind"] != "count_people"
    pct = "%" if share else ""
    status = "—" if item["on_track"] is None else ("Đạt tiến độ" if item["on_track"] else "Chậm")
    return [
        item["title"],
        _fmt(item["numerator"]),
        _fmt(item["denominator"]) if share else "—",
        _fmt(item["value"], pct),
        _fmt(item["target"], pct),
        _fmt(item["forecast"], pct),
        status,
    ]


def render_pdf(data: dict[str, Any], *, closed: dict[str, Any] | None = None) -> bytes:
    """The report as an A4 PDF in Vietnamese, with an embedded Vietnamese font."""
    _fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Báo cáo năm {data['year']} - {data['unit']['name']}",
        author="LMS 146",
    )
    h1 = ParagraphStyle("h1", fontName=BOLD, fontSize=15, leading=19, spaceAfter=6)
    h2 = ParagraphStyle(
        "h2", fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=4
    )
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=13)
    cell = ParagraphStyle("cell", fontName=REGULAR, fontSize=8.5, leading=11)
    story: list[Any] = [
        Paragraph(
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", ParagraphStyle("c", parent=h2, alignment=1)
        ),
        Paragraph("Độc lập - Tự do - Hạnh phúc", ParagraphStyle("c2", parent=body, alignment=1)),
        Spacer(1, 6 * mm),
        Paragraph(
            f"BÁO CÁO KẾT QUẢ THỰC HIỆN ĐỀ ÁN 146 NĂM {data['year']}",
            ParagraphStyle("t", parent=h1, alignment=1),
        ),
        Paragraph(
            f"Đơn vị: {data['unit']['name']} ({data['unit']['code']}) · Hạn báo cáo: "
            f"{_vn_date(data['deadline'])} · Lập lúc: {_stamp(data['generated_at'])}",
            ParagraphStyle("s", parent=body, alignment=1),
        ),
    ]
    if closed:
        story.append(
            Paragraph(
                f"Số liệu đã chốt ngày {closed['closed_at'][:10]} (bản đã gửi).",
                ParagraphStyle("s2", parent=body, alignment=1, textColor=colors.darkred),
            )
        )
    story += [
        Paragraph("1. Các chỉ tiêu của Kế hoạch", h2),
        _table(
            ["Chỉ tiêu", "Đạt", "Tổng số", "Tỷ lệ", "Mục tiêu", "Dự báo", "Đánh giá"],
            [_figure_row(i) for i in data["indicators"]],
            cell,
            [62 * mm, 16 * mm, 18 * mm, 16 * mm, 18 * mm, 16 * mm, 20 * mm],
        ),
        *_against_targets(data, h2, cell),
        Paragraph("2. Kết quả theo đơn vị trực thuộc", h2),
        _table(
            ["Đơn vị", "Hoàn thành khoá học", "Chứng chỉ cấp"],
            [[r["label"], _fmt(r["completions"]), _fmt(r["certificates"])] for r in data["by_unit"]]
            or [["—", "0", "0"]],
            cell,
            [100 * mm, 40 * mm, 40 * mm],
        ),
        Paragraph("3. Kết quả theo đối tượng", h2),
        _table(
            ["Đối tượng", "Hoàn thành khoá học", "Chứng chỉ cấp"],
            [
                [_tg(r["key"], r["label"]), _fmt(r["completions"]), _fmt(r["certificates"])]
                for r in data["by_target_group"]
            ]
            or [["—", "0", "0"]],
            cell,
            [100 * mm, 40 * mm, 40 * mm],
        ),
        Paragraph("4. Các khoá học đã triển khai", h2),
        _table(
            ["Khoá học", "Hoàn thành", "Chứng chỉ"],
            [
                [r["label"], _fmt(r["completions"]), _fmt(r["certificates"])]
                for r in data["by_course"]
            ]
            or [["—", "0", "0"]],
            cell,
            [120 * mm, 30 * mm, 30 * mm],
        ),
        Paragraph("5. Các lớp học đã tổ chức", h2),
        _table(
            ["Mã lớp", "Khoá học", "Thời gian", "Học viên"],
            [
                [
                    c["code"],
                    c["course"],
                    f"{_vn_date(c['starts_on'])} - {_vn_date(c['ends_on'])}",
                    _fmt(c["enrolled"]),
                ]
                for c in data["classes"]
            ]
            or [["—", "—", "—", "0"]],
            cell,
            [30 * mm, 85 * mm, 45 * mm, 20 * mm],
        ),
        Paragraph("6. Tình hình học tập trong năm", h2),
        Paragraph(
            "Đăng ký: {enrolled} · Đang học: {in_progress} · Hoàn thành: {completed} · "
            "Được cấp chứng chỉ: {certified}".format(
                **{k: _fmt(v) for k, v in data["funnel"].items()}
            ),
            body,
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


def _against_targets(data: dict[str, Any], h2: ParagraphStyle, cell: ParagraphStyle) -> list:
    part = data.get("units_against_targets") or {}
    indicators, units = part.get("indicators") or [], part.get("units") or []
    if not indicators or not units:
        return []
    header = ["Đơn vị"] + [f"{i['title']} (mục tiêu {_fmt(i['target'], '%')})" for i in indicators]
    rows = []
    for u in units:
        marks = [
            _fmt(u["values"].get(i["code"]), "%") + (" (chậm)" if i["code"] in u["behind"] else "")
            for i in indicators
        ]
        rows.append([u["name"], *marks])
    width = 180 * mm
    first = 40 * mm
    other = (width - first) / len(indicators)
    return [
        Paragraph("1b. Các đơn vị so với mục tiêu năm", h2),
        _table(header, rows, cell, [first] + [other] * len(indicators)),
    ]


def _tg(key: str, label: str) -> str:
    pair = TARGET_GROUP_LABELS.get(key)
    return pair[0] if pair else ("Chưa xác định" if key == "unassigned" else label)


def _stamp(value: str) -> str:
    return value[:16].replace("T", " ")


def _vn_date(value: str | None) -> str:
    if not value:
        return "—"
    y, m, d = value[:10].split("-")
    return f"{d}/{m}/{y}"


def _table(header: list[str], rows: list[list[str]], style: ParagraphStyle, widths: list) -> Table:
    head_style = ParagraphStyle("head", parent=style, fontName=BOLD)
    data = [[Paragraph(h, head_style) for h in header]]
    data += [[Paragraph(str(v), style) for v in row] for row in rows]
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


def render_xlsx(data: dict[str, Any]) -> bytes:
    indicators = [
        [
            i["code"],
            i["title"],
            i["numerator"],
            i["denominator"],
            i["value"],
            i["target"],
            i["forecast"],
            i["on_track"],
            i["unassigned"],
        ]
        for i in data["indicators"]
    ]
    breakdown_header = ["key", "label", "completions", "certificates"]

    def rows(name: str) -> list[list[Any]]:
        return [[r["key"], r["label"], r["completions"], r["certificates"]] for r in data[name]]

    return xlsx_bytes(
        [
            (
                "Chỉ tiêu",
                [
                    "code",
                    "title",
                    "numerator",
                    "denominator",
                    "value",
                    "target",
                    "forecast",
                    "on_track",
                    "unassigned",
                ],
                indicators,
            ),
            ("Theo đơn vị", breakdown_header, rows("by_unit")),
            ("Theo đối tượng", breakdown_header, rows("by_target_group")),
            ("Theo khoá học", breakdown_header, rows("by_course")),
            ("Theo tháng", breakdown_header, rows("by_month")),
            (
                "Lớp học",
                ["code", "course", "starts_on", "ends_on", "enrolled"],
                [
                    [c["code"], c["course"], c["starts_on"], c["ends_on"], c["enrolled"]]
                    for c in data["classes"]
                ],
            ),
            ("Tổng hợp", ["stage", "count"], [[k, v] for k, v in data["funnel"].items()]),
        ]
    )
