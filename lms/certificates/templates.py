"""Certificate templates: how certificates look and who signs them, per course or unit."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth.models import Role, User
from lms.auth.permissions import unit_in_scope
from lms.catalog.services import get_course
from lms.certificates.models import CertificateTemplate
from lms.errors import Invalid, NotFound
from lms.extensions import db
from lms.locks import lock_name
from lms.org.models import Unit
from lms.org.services import get_unit

logger = logging.getLogger(__name__)


def _ranked(course_id: int | None, unit: Unit | None) -> list[CertificateTemplate]:
    """Templates that apply, most specific first: course+unit, course, nearest unit, default."""
    chain = ([unit.id, *reversed(unit.ancestor_ids)]) if unit is not None else []
    rows = db.session.scalars(
        select(CertificateTemplate).where(
            or_(
                CertificateTemplate.course_id.is_(None), CertificateTemplate.course_id == course_id
            ),
            or_(CertificateTemplate.unit_id.is_(None), CertificateTemplate.unit_id.in_(chain)),
        )
    ).all()

    def rank(t: CertificateTemplate) -> tuple[int, int]:
        distance = chain.index(t.unit_id) if t.unit_id is not None else len(chain)
        return (0 if t.course_id is not None else 1, distance)

    return sorted(rows, key=rank)


def find_template(course_id: int | None, unit: Unit | None) -> CertificateTemplate | None:
    """The most specific template: course+unit, course, nearest unit up the tree, default."""
    ranked = _ranked(course_id, unit)
    return ranked[0] if ranked else None


@dataclass(frozen=True)
class Signer:
    """Who signs, as Decree 30/2020/NĐ-CP's signature block prints it."""

    name: str
    title: str
    authority: str | None = None


def find_signer(course_id: int | None, unit: Unit | None) -> Signer | None:
    """The signer of the most specific template that names one (name and title); None when no
    template does: the certificate cannot be issued until an administrator names one."""
    for template in _ranked(course_id, unit):
        name, title = (template.signer_name or "").strip(), (template.signer_title or "").strip()
        if name and title:
            return Signer(name, title, (template.signer_authority or "").strip() or None)
    return None


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def save_template(
    *,
    unit_code: str | None,
    course_slug: str | None,
    values: dict[str, Any],
    by: User | None = None,
) -> CertificateTemplate:
    """Create or update the template of (unit, course); both None is the default template.

    Audited: who signs a unit's certificates is a privileged choice (``by`` None: the command
    line or the demo seed)."""
    unit = get_unit(unit_code) if unit_code else None
    course = get_course(course_slug) if course_slug else None
    errors: dict[str, list[str]] = {
        key: [_("Must be a colour like #0b4f8a.")]
        for key in ("primary_color", "accent_color")
        if values.get(key) is not None and not _COLOUR.match(values[key])
    }
    logo = values.get("logo")
    if logo is not None and not (logo.startswith(b"\x89PNG") or logo.startswith(b"\xff\xd8")):
        errors["logo"] = [_("The logo must be a PNG or JPEG image.")]
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)
    # Find-or-create: NULLs are distinct in the (course, unit) unique key, so two first saves
    # of a unit's template at once would both insert without this lock on the pair.
    lock_name(f"certificate-template:{unit.id if unit else '-'}:{course.id if course else '-'}")
    row = db.session.scalar(
        select(CertificateTemplate).where(
            CertificateTemplate.unit_id == unit.id
            if unit
            else CertificateTemplate.unit_id.is_(None),
            CertificateTemplate.course_id == course.id
            if course
            else CertificateTemplate.course_id.is_(None),
        )
    )
    if row is None:
        default_name = " · ".join(x for x in (unit and unit.name, course and course.title) if x)
        row = CertificateTemplate(
            unit_id=unit.id if unit else None,
            course_id=course.id if course else None,
            name=values.get("name") or default_name or "Mặc định",
        )
        db.session.add(row)
    for key, value in values.items():
        if key == "name" and not value:
            continue  # a template keeps a name
        setattr(row, key, value)
    db.session.flush()
    audit.record(
        AuditAction.certificate_template_saved,
        row,
        actor=by,
        details={
            key: value
            for key, value in values.items()
            if key in ("signer_name", "signer_title", "signer_authority") and value
        },
    )
    logger.info("Saved certificate template %s", row.id)
    return row


#: What the template page edits (``logo`` aside, which the CLI sets).
FIELDS = (
    "name",
    "title",
    "title_en",
    "primary_color",
    "accent_color",
    "governing_body",
    "issuing_body",
    "signer_authority",
    "signer_title",
    "signer_name",
)


def can_manage(user: User, unit: Unit | None) -> bool:
    """Admins manage every template; officials those of units in their area (not the default
    and not course-wide ones, which apply across provinces)."""
    if user.is_admin:
        return True
    return unit is not None and Role.official in user.roles and unit_in_scope(user, unit)


def visible_templates(user: User) -> list[CertificateTemplate]:
    rows = db.session.scalars(select(CertificateTemplate).order_by(CertificateTemplate.id)).all()
    return [
        r for r in rows if can_manage(user, db.session.get(Unit, r.unit_id) if r.unit_id else None)
    ]


def get_managed(template_id: int, user: User) -> CertificateTemplate:
    row = db.session.get(CertificateTemplate, template_id)
    unit = db.session.get(Unit, row.unit_id) if row is not None and row.unit_id else None
    if row is None or not can_manage(user, unit):
        raise NotFound(_("Template not found."))
    return row


def clean(form: dict[str, str], *, complete: bool = True) -> dict[str, str | None]:
    """The page's values: trimmed, empty as None, lengths and colours checked at the edge;
    ``complete`` False for the preview, drawn while a signer is half typed."""
    values: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for key in FIELDS:
        value = (form.get(key) or "").strip()
        if len(value) > 200:
            errors[key] = [_("At most 200 characters.")]
        values[key] = value or None
    for key in ("primary_color", "accent_color"):
        if values[key] and not _COLOUR.match(values[key] or ""):
            errors[key] = [_("Must be a colour like #0b4f8a.")]
    if complete and bool(values["signer_name"]) != bool(values["signer_title"]):
        errors["signer_name"] = [_("Give both the signer's full name and title, or neither.")]
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)
    return values
