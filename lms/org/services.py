"""The unit tree: lookups, subtrees, changes and mergers."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from lms.errors import NotFound
from lms.extensions import db
from lms.org.models import Unit


def get_unit(code: str) -> Unit:
    """Return the unit with ``code`` or raise NotFound."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(_("Unit %(code)s not found.", code=code))
    return unit
