"""The columns of a class roster download; writing the CSV or XLSX file is :mod:`lms.exports`'s.

:mod:`lms.exports` neutralises spreadsheet formulas and sets the content types for every
download, so a roster is as safe to open as the statistics are.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from lms.classes.cohorts import RosterRow


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
                user.unit.code if user.unit else "",
                str(e.status),
                e.progress,
                e.lessons_done,
                round(e.quiz_score * 100, 1) if e.quiz_score is not None else "",
                row.sessions_present,
                sessions,
                e.enrolled_at.date().isoformat(),
                e.completed_at.date().isoformat() if e.completed_at else "",
            ]
        )
    return header, body
