"""Reading certificates: lookups, who may see what, lists and a class's overview."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from lms.auth.models import Role, User
from lms.auth.permissions import can_manage_class, teaches_class, unit_in_scope
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.services import completion_status, counting_clause
from lms.classes.models import Enrollment, EnrollmentStatus, class_trainers
from lms.errors import Forbidden, NotFound
from lms.extensions import db
from lms.org.models import Unit
from lms.org.services import get_unit

if TYPE_CHECKING:
    from lms.classes.models import Class


def find_certificate(serial: str) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(Certificate.serial == serial.strip().upper())
    )


def get_certificate(serial: str) -> Certificate:
    cert = find_certificate(serial)
    if cert is None:
        raise NotFound(_("Certificate %(serial)s not found.", serial=serial))
    return cert


def _trained_by(user: User) -> Any:
    return Certificate.enrollment_id.in_(
        select(Enrollment.id)
        .join(class_trainers, class_trainers.c.class_id == Enrollment.class_id)
        .where(class_trainers.c.user_id == user.id)
    )


def can_view(user: User, cert: Certificate) -> bool:
    """The holder, the class's trainers (while they hold the role), officials of the issuing
    or holder's unit, admins."""
    if user.is_admin or cert.user_id == user.id:
        return True
    if Role.official in user.roles:
        for unit in (cert.issuing_unit, cert.holder_unit):
            if unit is not None and unit_in_scope(user, unit):
                return True
    enrollment = cert.enrollment
    if enrollment is not None and enrollment.klass is not None:
        return teaches_class(user, enrollment.klass)
    return False


def get_visible(serial: str, user: User) -> Certificate:
    """The certificate if ``user`` may see it; 404 otherwise, as if it did not exist."""
    cert = find_certificate(serial)
    if cert is None or not can_view(user, cert):
        raise NotFound(_("Certificate %(serial)s not found.", serial=serial))
    return cert


def certificate_query(
    user: User,
    *,
    user_id: int | None = None,
    course: str | None = None,
    unit: str | None = None,
    year: int | None = None,
    status: str | None = None,
) -> Select[Certificate]:
    """Certificates ``user`` may see, newest first, filtered as ``GET /certificates`` asks."""
    issuing = aliased(Unit)
    holder = aliased(Unit)
    stmt = (
        select(Certificate)
        .outerjoin(issuing, issuing.id == Certificate.issuing_unit_id)
        .outerjoin(holder, holder.id == Certificate.holder_unit_id)
    )
    if not user.is_admin:
        visible = [Certificate.user_id == user.id]
        if Role.official in user.roles and user.unit is not None:
            path = user.unit.path
            visible += [
                issuing.path.startswith(path, autoescape=True),
                holder.path.startswith(path, autoescape=True),
            ]
        if Role.trainer in user.roles:
            visible.append(_trained_by(user))
        stmt = stmt.where(or_(*visible))
    if user_id is not None:
        stmt = stmt.where(Certificate.user_id == user_id)
    if course:
        stmt = stmt.where(Certificate.course_slug == course)
    if unit:
        path = get_unit(unit).path
        stmt = stmt.where(
            or_(
                issuing.path.startswith(path, autoescape=True),
                holder.path.startswith(path, autoescape=True),
            )
        )
    if year is not None:
        stmt = stmt.where(Certificate.year == year)
    if status:
        stmt = stmt.where(Certificate.status == CertificateStatus(status))
    return stmt.order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def certificates_of(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def count_valid_on(day: date) -> int:
    """How many certificates count on ``day`` (a convenience for dashboards and tests)."""
    return db.session.scalar(select(func.count()).where(counting_clause(day))) or 0


def class_overview(klass: Class, *, by: User) -> list[dict[str, Any]]:
    """Each live enrollment of ``klass`` with its completion rule and certificate, for the
    trainer deciding whom to issue to."""

    if not can_manage_class(by, klass):
        raise Forbidden(_("You do not run this class."))
    enrollments = db.session.scalars(
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.class_id == klass.id, Enrollment.status != EnrollmentStatus.withdrawn)
        .order_by(User.sort_name, Enrollment.id)  # a roster: Vietnamese order (lms.collation)
    ).all()
    certs = {
        c.enrollment_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.enrollment_id.in_([e.id for e in enrollments]))
        )
    }
    rows = []
    for enrollment in enrollments:
        cert = certs.get(enrollment.id)
        rows.append(
            {
                "enrollment_id": enrollment.id,
                "user_id": enrollment.user_id,
                "full_name": enrollment.user.full_name,
                "enrollment_status": enrollment.status.value,
                "completion": completion_status(enrollment),
                "certificate": cert.serial if cert is not None else None,
                "certificate_status": cert.status.value if cert is not None else None,
                # Issued although the rule was not met: the trainer's written reason stays shown.
                "override_reason": cert.override_reason if cert is not None else None,
            }
        )
    return rows
