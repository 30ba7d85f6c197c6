"""Demo certificates: templates and signers per province, a few issued ones, one revoked.

Most demo certificates arrive by themselves: every completion the other demos seed issues
one through the ``enrollment_completed`` receiver. This adds the certificate templates of
Hải Phòng and Quảng Trị (their signers), makes sure a few citizens hold verifiable
certificates of the online public services course, and revokes one so the public page shows
both cases. Idempotent: a second run adds nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lms.auth.models import Role, User, UserRole
from lms.catalog.models import Course
from lms.certificates import keys, pades, services
from lms.certificates.models import Certificate, CertificateStatus, CertificateTemplate
from lms.classes.completion import complete_enrollment
from lms.classes.enrollments import enroll, enrollment_for
from lms.classes.models import EnrollmentSource
from lms.extensions import db
from lms.org.models import Unit

DEMO_COURSE = "dich-vu-cong-truc-tuyen"
REVOKE_REASON = "Cấp nhầm người học (bản ghi minh hoạ việc thu hồi)."

#: unit code -> the template: letterhead (Decree 30/2020/NĐ-CP), signature block, colour.
#: The Department of Science and Technology runs Project 146 in each province, so it issues
#: and its director (or a deputy "KT. GIÁM ĐỐC") signs: letterhead and signer agree.
TEMPLATES: dict[str, dict[str, str | None]] = {
    "HP": {
        "name": "Hải Phòng",
        "governing_body": "UBND THÀNH PHỐ HẢI PHÒNG",
        "issuing_body": "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "signer_authority": "KT. GIÁM ĐỐC",
        "signer_title": "PHÓ GIÁM ĐỐC",
        "signer_name": "Trần Văn Đức",
        "primary_color": "#0b4f8a",
    },
    "QT": {
        "name": "Quảng Trị",
        "governing_body": "UBND TỈNH QUẢNG TRỊ",
        "issuing_body": "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "signer_authority": None,
        "signer_title": "GIÁM ĐỐC",
        "signer_name": "Lê Quang Vinh",
        "primary_color": "#7a1f1f",
    },
}
#: unit code -> how many of its citizens get a demo certificate
HOLDERS = {"HP-HONGBANG": 4, "HP-LECHAN": 2, "QT-DONGHOI": 2}


def _unit(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _templates() -> int:
    """Each province's template; fields added since an earlier seed are filled in."""
    added = 0
    for code, values in TEMPLATES.items():
        unit = _unit(code)
        if unit is None:
            continue
        row = db.session.scalar(
            select(CertificateTemplate).where(
                CertificateTemplate.unit_id == unit.id, CertificateTemplate.course_id.is_(None)
            )
        )
        if row is None:
            row = CertificateTemplate(unit_id=unit.id, name=values["name"])
            db.session.add(row)
            added += 1
        for key, value in values.items():
            if getattr(row, key) in (None, ""):
                setattr(row, key, value)
    db.session.flush()
    return added


def _candidates(unit: Unit, count: int) -> list[User]:
    """Learners of ``unit`` without a demo-course certificate, named accounts excluded."""
    staff = select(UserRole.user_id).where(UserRole.role != Role.learner)
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.unit_id == unit.id,
                User.active.is_(True),
                User.password_hash.is_(None),
                User.id.not_in(staff),
            )
            .order_by(User.id)
            .limit(count)
        )
    )


def _issue_some() -> list[Certificate]:
    course = db.session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
    if course is None:
        return []
    issued = []
    for code, count in HOLDERS.items():
        unit = _unit(code)
        if unit is None:
            continue
        for n, person in enumerate(_candidates(unit, count)):
            if person.birth_date is None:  # shown on the certificate when known
                person.birth_date = date(1968 + 7 * n, 1 + (3 * n) % 12, 5 + 4 * n)
            enrollment = enrollment_for(person, course) or enroll(
                person, course, by=None, source=EnrollmentSource.assigned
            )
            complete_enrollment(enrollment)
            cert = services.certificate_for_enrollment(enrollment.id)
            if cert is None:
                cert, _created = services.issue_certificate(enrollment)
            issued.append(cert)
    return issued


def seed() -> list[str]:
    templates = _templates()
    # Completions seeded before the signers were named waited for them.
    waited, still = services.issue_awaiting()
    key = keys.active_key()
    revoked = db.session.scalar(
        select(Certificate).where(Certificate.revoked_reason == REVOKE_REASON)
    )
    ca = pades.ensure_demo_ca()
    lines = [
        f"certificates: {templates} templates added; signing key {key.kid[:12]}…",
        f"certificates: PDFs signed (PAdES) by the DEMO authority {ca}"
        if ca
        else "certificates: PDFs signed (PAdES) with the units' own certificates",
        f"certificates: {waited} issued that awaited a signer, {still} still waiting",
    ]
    if revoked is None:
        issued = _issue_some()
        if issued:
            services.revoke_certificate(issued[-1], by=None, reason=REVOKE_REASON)
            revoked = issued[-1]
        lines.append(f"certificates: {len(issued)} demo certificates issued, 1 revoked")
    total = db.session.scalar(select(db.func.count()).select_from(Certificate)) or 0
    valid = db.session.scalar(
        select(db.func.count())
        .select_from(Certificate)
        .where(Certificate.status == CertificateStatus.valid)
    )
    lines.append(f"certificates: {total} in the database ({valid} valid)")
    sample = db.session.scalar(
        select(Certificate)
        .where(Certificate.status == CertificateStatus.valid)
        .order_by(Certificate.id)
        .limit(1)
    )
    if sample is not None:
        lines.append(f"certificates: check one at /verify/{sample.serial}")
    if revoked is not None:
        lines.append(f"certificates: a revoked one at /verify/{revoked.serial}")
    return lines
