"""The activation sheet: one slip per person (name, unit, code) to cut and hand out.

For people with no e-mail address and no phone that takes SMS, the commune official prints
the sheet (PDF) or opens it as a spreadsheet (XLSX) to mail-merge. The codes exist in clear
only here: printing again issues new codes, and the old slips stop working.
"""

from __future__ import annotations

import io
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from fontpkg_be_vietnam_pro import ROOT as FONT_ROOT
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lms.auth.access import Issued, local_time
from lms.exports import xlsx_bytes

REGULAR, BOLD = "SheetRegular", "SheetBold"


@cache
def _fonts() -> None:
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_ROOT / "files" / "BeVietnamPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_ROOT / "files" / "BeVietnamPro-Bold.ttf")))


def _page() -> str:
    return f"{current_app.config['BASE_URL']}/activate"


def sheet_xlsx(issued: list[Issued]) -> bytes:
    header = [_("Full name"), _("Unit"), _("Activation code"), _("Valid until"), _("Where")]
    rows = [
        [
            item.user.full_name,
            item.user.unit.name if item.user.unit else "",
            item.code,
            local_time(item.row.expires_at),
            _page(),
        ]
        for item in issued
    ]
    return xlsx_bytes([(_("Activation codes"), header, rows)])


def sheet_pdf(issued: list[Issued], *, title: str) -> bytes:
    _fonts()
    text = ParagraphStyle("text", fontName=REGULAR, fontSize=10, leading=13)
    name = ParagraphStyle("name", fontName=BOLD, fontSize=12, leading=15)
    code = ParagraphStyle("code", fontName=BOLD, fontSize=18, leading=22, textColor=colors.black)
    heading = ParagraphStyle("heading", fontName=BOLD, fontSize=14, leading=18)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="LMS 146",
    )
    story: list[object] = [Paragraph(title, heading), Spacer(1, 4 * mm)]
    for item in issued:
        user = item.user
        how = _(
            "Open %(page)s on a phone or computer, type this code and choose your password. "
            "The code works once, until %(when)s.",
            page=_page(),
            when=local_time(item.row.expires_at),
        )
        slip = Table(
            [
                [Paragraph(user.full_name, name)],
                [Paragraph(user.unit.name if user.unit else "", text)],
                [Paragraph(_("Activation code: %(code)s", code=item.code), code)],
                [Paragraph(how, text)],
            ],
            colWidths=[180 * mm],
        )
        slip.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, colors.grey),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5 * mm),
                ]
            )
        )
        story += [KeepTogether(slip), Spacer(1, 5 * mm)]
    document.build(story)
    return buffer.getvalue()
