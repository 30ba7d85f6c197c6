"""Giving a chosen set of people their codes, for the pages that choose them.

The invitations page picks people of the official's area; a class page picks the class's people
(:mod:`lms.classes.views`). Both end here: e-mail and SMS are queued and sent once the codes are
committed, and a sheet comes back as the file to print.
"""

from __future__ import annotations

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from lms import periods
from lms.auth import access
from lms.auth.models import CodeChannel, User
from lms.auth.sheet import sheet_pdf, sheet_xlsx
from lms.collation import vi_name_key, vi_sort_key
from lms.exports import download
from lms.extensions import db
from lms.messages import services as messages


def send_invitations(
    people: list[User], channel: str, *, by: User, back: str, title: str, fmt: str
) -> ResponseReturnValue:
    """Issue the codes; a sheet comes back as the file, e-mail and SMS are sent after commit."""
    issued, skipped = access.issue_invitations(people, channel, by=by)
    if not issued:
        db.session.rollback()
        flash(
            _("Nobody chosen can get a code this way (already activated, or no contact)."), "error"
        )
        return redirect(back)
    db.session.commit()
    if channel == CodeChannel.sheet:
        # Ward by ward, each in the order the ward reads its lists (lms.collation), never by
        # code points ("Đồ Sơn" after "Hải An", "Đỗ Thị Ánh" after "Vũ Thị Dung").
        issued.sort(
            key=lambda item: (
                vi_sort_key(item.user.unit.name if item.user.unit else ""),
                vi_name_key(item.user.full_name),
            )
        )
        stamp = periods.today().isoformat()
        if fmt == "xlsx":
            return download(sheet_xlsx(issued), f"ma-kich-hoat-{stamp}.xlsx", "xlsx")
        return download(sheet_pdf(issued, title=title), f"ma-kich-hoat-{stamp}.pdf", "pdf")
    messages.dispatch()
    flash(
        _(
            "%(n)s invitations sent; %(skipped)s people skipped (already activated or no contact).",
            n=len(issued),
            skipped=len(skipped),
        ),
        "success",
    )
    return redirect(back)
