"""The columns of a class roster download; writing the CSV or XLSX file is :mod:`lms.exports`'s.

:mod:`lms.exports` neutralises spreadsheet formulas and sets the content types for every
download, so a roster is as safe to open as the statistics are.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from lms.catalog.labels import STATUS_LABELS
from lms.classes.cohorts import RosterRow
from lms.constants import label
from lms.exports import date_cell, number_cell
from lms.formatting import to_local


def roster_table(rows: list[RosterRow], sessions: int) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Full name"),
        _("Email"),
        _("Phone"),
        _("Unit"),
        _("Status"),
        _("Progress (%)"),
        _("Lessons done"),
        _("Quiz (%)"),
        _("Sessions attended"),
        _("Sessions"),
        _("Enrolled on"),
        _("Completed on"),
    ]
    body = []
    for row in rows:
        e, user = row.enrollment, row.user
        body.append(
            [
                user.full_name,
                (user.email or "") if row.show_contacts else "",
                (user.phone or "") if row.show_contacts else "",
                user.unit.name if user.unit else "",
                label(STATUS_LABELS, str(e.status)),
                number_cell(e.progress),
                number_cell(e.lessons_done),
                number_cell(round(e.quiz_score * 100, 1)) if e.quiz_score is not None else None,
                number_cell(row.sessions_present),
                number_cell(sessions),
                # The day in the province, not in UTC (a 00:30 enrolment is that day's).
                date_cell(to_local(e.enrolled_at).date()),
                date_cell(to_local(e.completed_at).date()) if e.completed_at else None,
            ]
        )
    return header, body
