"""Issuing, revoking, finding and verifying certificates.

Issuing is idempotent: one certificate per enrollment (a completion), guarded by a unique
constraint, so a completion reported twice (an xAPI batch resent, a trainer clicking twice)
never makes two. Serials come from a counter row per prefix and year, incremented by one
atomic upsert, so concurrent issuers never share a number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from lms import periods
from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth.models import Role, User
from lms.auth.permissions import can_manage_class, class_reach, unit_in_scope, user_in_scope
from lms.bulk_insert import insert_objects
from lms.catalog.models import Course
from lms.certificates import content, crypto, keys, statuslist
from lms.certificates.constants import CONTENT_VERSION, DEFAULT_SERIAL_PREFIX
from lms.certificates.models import (
    Certificate,
    CertificateStatus,
    SerialCounter,
)
from lms.certificates.statements import issued_statement, record_issued, record_revoked
from lms.certificates.templates import Signer, find_signer
from lms.classes.completion import completion_status as rule_status
from lms.classes.completion import unit_at
from lms.classes.models import Class, Enrollment, EnrollmentStatus
from lms.db import utcnow
from lms.errors import Conflict, Forbidden, Invalid
from lms.events import certificate_issued, certificate_revoked, certificates_issued
from lms.extensions import db
from lms.locks import lock, lock_rows
from lms.org.models import Unit
from lms.org.services import province_of
from lms.xapi import services as lrs

logger = logging.getLogger(__name__)

#: The job kind of a class's bulk issue (:func:`run_issue_class`), as ``lms.JOB_HANDLERS`` names it.
JOB_KIND = "certificates.issue_class"
#: The job kind that issues what waited for a signer (:func:`run_issue_awaiting`).
AWAITING_JOB_KIND = "certificates.issue_awaiting"
#: Certificates issued between commits when many waited: each commit makes them visible.
_AWAITING_CHUNK = 200


# --- dates ------------------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    """The calendar day in the province (``lms.periods``): what the certificate, its year
    and the counts use."""
    return periods.local_day(moment)


def day_start(day: date) -> datetime:
    return periods.day_start(day)


def counts_on(cert: Certificate, day: date) -> bool:
    """Whether ``cert`` counts toward indicators on ``day``.

    From its issue date on, until the day it is revoked: a revoked certificate stops counting
    from its revocation date, and earlier days keep counting it (closed reports stay true).
    """
    if local_date(cert.issued_at) > day:
        return False
    return cert.revoked_at is None or day < local_date(cert.revoked_at)


def counting_clause(day: date) -> ColumnElement[bool]:
    """:func:`counts_on` as SQL, for aggregates over ``certificates``."""
    end = day_start(day + timedelta(days=1))
    return and_(
        Certificate.issued_at < end,
        or_(Certificate.revoked_at.is_(None), Certificate.revoked_at >= end),
    )


# --- serials ----------------------------------------------------------------------------------


def province_of_unit(unit: Unit) -> Unit:
    """The province a unit belongs to now (its serial prefix, the place on the PDF)."""
    return province_of(unit)


def serial_prefix(unit: Unit | None) -> str:
    """The issuing province's ``serial_prefix`` (or its code); a default without a unit."""
    if unit is None:
        return str(current_app.config.get("CERTIFICATE_SERIAL_PREFIX", DEFAULT_SERIAL_PREFIX))
    province = province_of_unit(unit)
    return (province.serial_prefix or province.code).upper()


def next_serial(prefix: str, year: int) -> str:
    """Take the next number for ``prefix`` and ``year`` with one atomic upsert.

    ``INSERT ... ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value`` locks the
    counter row on PostgreSQL until the transaction ends and runs under SQLite's write lock,
    so two issuers never get the same number; a rolled-back issue takes its number back with
    it, and nobody ever saw that number.
    """
    return next_serials(prefix, year, 1)[0]


def next_serials(prefix: str, year: int, count: int) -> list[str]:
    """Take ``count`` consecutive numbers for ``prefix`` and ``year`` in one round trip (the
    same upsert as :func:`next_serial`, adding ``count``)."""
    table = SerialCounter.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(table).values(prefix=prefix, year=year, value=count)
    stmt = upsert.on_conflict_do_update(
        index_elements=[table.c.prefix, table.c.year], set_={"value": table.c.value + count}
    ).returning(table.c.value)
    last = int(db.session.execute(stmt).scalar_one())
    return [f"{prefix}-{year}-{value:06d}" for value in range(last - count + 1, last + 1)]


# --- issuing units ----------------------------------------------------------------------------


def issuing_unit_for(enrollment: Enrollment) -> Unit | None:
    """The class's organising unit; for online study, the holder's province."""
    if enrollment.klass is not None:
        return enrollment.klass.unit
    if enrollment.user.unit is not None:
        return province_of_unit(enrollment.user.unit)
    return None


# --- issuing ----------------------------------------------------------------------------------


def certificate_for_enrollment(enrollment_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment_id))


def can_issue_for(by: User, enrollment: Enrollment) -> bool:
    """Who may issue by hand: admins; for an enrollment in a class, those who run the class,
    to the members they reach (``class_reach``: members of the class's province); for online
    study, officials of the holder's unit. So a serial (the class's or the holder's province)
    and a count in the figures (the holder's unit) are never another province's to give."""
    if by.is_admin:
        return True
    klass = enrollment.klass
    if klass is not None:
        return can_manage_class(by, klass) and class_reach(by, klass)(enrollment.user)
    return Role.official in by.roles and user_in_scope(by, enrollment.user)


def completion_status(enrollment: Enrollment) -> dict[str, Any]:
    return rule_status(enrollment)


def _is_completed(enrollment: Enrollment) -> bool:
    return enrollment.status == EnrollmentStatus.completed


class AwaitingSigner(Conflict):
    """The issuing unit has no signer configured: no certificate until one is named."""


def signer_or_refuse(course_id: int, unit: Unit | None) -> Signer:
    signer = find_signer(course_id, unit)
    if signer is None:
        raise AwaitingSigner(
            _(
                "%(unit)s has no signer for certificates: an administrator must name who signs "
                "(name, title and authority) on the Certificate signers page "
                "(/certificates/templates) before certificates can be issued.",
                unit=unit.name if unit is not None else "LMS 146",
            )
        )
    return signer


def _build(
    enrollment: Enrollment,
    *,
    by: User | None,
    override_reason: str | None,
    at: datetime,
    signer: Signer,
    unit: Unit | None = None,
    serial: str | None = None,
    status: tuple[int, int] | None = None,
) -> Certificate:
    """The signed certificate; ``unit``, ``serial`` and ``status`` (list, index) when the
    caller allocated them for many at once (:func:`issue_many`)."""
    course, holder = enrollment.course, enrollment.user
    if serial is None:
        unit = issuing_unit_for(enrollment)
    issued_at = at.replace(microsecond=0)
    year = local_date(issued_at).year
    cert = Certificate(
        serial=serial or next_serial(serial_prefix(unit), year),
        user_id=holder.id,
        course_id=course.id,
        enrollment_id=enrollment.id,
        issued_at=issued_at,
        year=year,
        hours=float(course.hours or 0),
        # Stored as signed (0..1, 4 places), so the API shows exactly the signed value.
        score=content.signed_score(enrollment.quiz_score),
        issuing_unit_id=unit.id if unit is not None else None,
        issuing_unit_name=unit.name if unit is not None else "LMS 146",
        signer_name=signer.name,
        signer_title=signer.title,
        signer_authority=signer.authority,
        holder_name=holder.full_name,
        holder_birth_date=holder.birth_date,
        holder_unit_id=unit_at(holder, issued_at),  # where they were then, as completions
        holder_target_group=holder.target_group,
        indicators=sorted(course.indicators or []),
        course_slug=course.slug,
        course_title=course.title,
        course_title_en=course.title_en,
        status=CertificateStatus.valid,
        override_reason=override_reason,
        issued_by_id=by.id if by is not None else None,
        content_version=CONTENT_VERSION,
        holder_salt=crypto.new_salt(),
        subject_id=crypto.pseudonym(str(current_app.config["SECRET_KEY"]), holder.id),
    )
    cert.issuing_unit = unit
    cert.status_list_id, cert.status_index = status or statuslist.allocate(unit)
    content.sign_certificate(cert, keys.active_key())
    return cert


def issue_certificate(
    enrollment: Enrollment,
    *,
    by: User | None = None,
    override_reason: str | None = None,
    at: datetime | None = None,
) -> tuple[Certificate, bool]:
    """Issue the certificate of ``enrollment``; returns ``(certificate, created)``.

    ``by`` None is the automatic path (the enrollment just completed). A person issuing
    (``by``) must be allowed to, and needs ``override_reason`` when the completion rule is not
    met; the reason is kept on the certificate.
    """
    # The enrollment is what is decided on: parallel issuers wait here, and all but the first
    # find its certificate.
    lock(enrollment)
    existing = certificate_for_enrollment(enrollment.id)
    if existing is not None:
        return existing, False
    if by is not None and not can_issue_for(by, enrollment):
        raise Forbidden(_("You may not issue certificates for this enrollment."))
    if not enrollment.course.gives_certificate:
        raise Conflict(_("This course does not give certificates."))
    if enrollment.status == EnrollmentStatus.withdrawn:
        raise Conflict(_("This enrollment was withdrawn."))
    override_reason = (override_reason or "").strip() or None
    if _is_completed(enrollment):
        override_reason = None
    elif by is None:
        raise Conflict(_("The enrollment is not completed."))
    elif completion_status(enrollment)["met"]:
        override_reason = None
    elif override_reason is None:
        raise Invalid(
            _("The completion rule is not met: give a written reason to issue anyway."),
            errors={"override_reason": [_("Required when the completion rule is not met.")]},
        )
    signer = signer_or_refuse(enrollment.course_id, issuing_unit_for(enrollment))
    try:
        with db.session.begin_nested():
            cert = _build(
                enrollment,
                by=by,
                override_reason=override_reason,
                at=at or utcnow(),
                signer=signer,
            )
            db.session.add(cert)
            db.session.flush()
    except IntegrityError:
        # Someone issued it at the same moment: theirs stands.
        existing = certificate_for_enrollment(enrollment.id)
        if existing is None:
            raise
        return existing, False
    logger.info(
        "Issued certificate %s to user %s for enrollment %s (by %s)",
        cert.serial,
        cert.user_id,
        enrollment.id,
        by.id if by is not None else "rule",
    )
    if override_reason is not None:
        audit.record(
            AuditAction.certificate_issued_override, cert, actor=by, reason=override_reason
        )
    record_issued(cert, enrollment)
    certificate_issued.send(cert)
    return cert, True


def issue_many(enrollments: list[Enrollment]) -> list[Certificate]:
    """Issue, as on completion, the certificates of many completed enrollments at once.

    What :func:`issue_certificate` does for each (``by`` None, dated on the completion), with
    the round trips paid once: the enrollments locked in one statement (parallel issuers
    wait, then find the certificate), the existing certificates read in one, serials and
    status-list indexes taken per prefix and issuer in one upsert each, the rows inserted
    together, the ``earned`` statements recorded as one batch and one ``certificates_issued``
    event. A unit without a signer leaves its certificates waiting (``issue_awaiting``).
    """
    wanted = [e for e in enrollments if e.course.gives_certificate and _is_completed(e)]
    if not wanted:
        return []
    # The serial counters taken below are held to the commit: the LMS's statements a bulk
    # caller has kept so far (lrs.recorded_together) are stored first, not under them.
    lrs.record_kept()
    lock_rows(Enrollment, [e.id for e in wanted])
    issued = set(
        db.session.scalars(
            select(Certificate.enrollment_id).where(
                Certificate.enrollment_id.in_([e.id for e in wanted])
            )
        )
    )
    provinces: dict[int, Unit] = {}
    signers: dict[tuple[int, int | None], Signer | None] = {}
    plan: list[tuple[Enrollment, Unit | None, Signer, datetime, str, int]] = []
    for enrollment in wanted:
        if enrollment.id in issued:
            continue
        issued.add(enrollment.id)
        if enrollment.klass is not None or enrollment.user.unit is None:
            unit = issuing_unit_for(enrollment)
        else:
            home = enrollment.user.unit
            if home.id not in provinces:
                provinces[home.id] = province_of_unit(home)
            unit = provinces[home.id]
        key = (enrollment.course_id, unit.id if unit is not None else None)
        if key not in signers:
            signers[key] = find_signer(enrollment.course_id, unit)
        signer = signers[key]
        if signer is None:
            logger.warning(
                "Certificate of enrollment %s awaits a signer for its issuing unit", enrollment.id
            )
            continue
        at = enrollment.completed_at or utcnow()
        year = local_date(at.replace(microsecond=0)).year
        plan.append((enrollment, unit, signer, at, serial_prefix(unit), year))
    # Counter rows are taken in one order everywhere (sorted), so two batches issuing for
    # several provinces at once never wait on each other in a circle.
    serials: dict[tuple[str, int], list[str]] = {}
    for prefix, year in sorted({(p[4], p[5]) for p in plan}):
        count = sum(1 for p in plan if (p[4], p[5]) == (prefix, year))
        serials[(prefix, year)] = next_serials(prefix, year, count)
    indexes: dict[str, list[tuple[int, int]]] = {}
    for issuer, unit in sorted({statuslist.issuer_key(p[1]): p[1] for p in plan}.items()):
        count = sum(1 for p in plan if statuslist.issuer_key(p[1]) == issuer)
        list_id, first = statuslist.allocate_many(unit, count)
        indexes[issuer] = [(list_id, first + n) for n in range(count)]
    certs = []
    for enrollment, unit, signer, at, prefix, year in plan:
        cert = _build(
            enrollment,
            by=None,
            override_reason=None,
            at=at,
            signer=signer,
            unit=unit,
            serial=serials[(prefix, year)].pop(0),
            status=indexes[statuslist.issuer_key(unit)].pop(0),
        )
        certs.append(cert)
    if not certs:
        return certs
    insert_objects(certs)  # one COPY on PostgreSQL rather than the unit of work's INSERTs
    lrs.record_many([issued_statement(c, e) for c, (e, *_rest) in zip(certs, plan, strict=True)])
    logger.info("Issued %s certificates on completion", len(certs))
    certificates_issued.send(None, certificates=certs)
    return certs


def check_class_issue(klass: Class, *, by: User) -> None:
    """What refuses a bulk issue before it starts (also before a background job is queued)."""
    if not can_manage_class(by, klass):
        raise Forbidden(_("You do not run this class."))
    if not klass.course.gives_certificate:
        raise Conflict(_("This course does not give certificates."))
    signer_or_refuse(klass.course_id, klass.unit)


def issue_for_class(
    klass: Class,
    *,
    by: User,
    override_reasons: dict[int, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Issue to everyone in ``klass`` who met the completion rule (or has an override reason).

    Returns ``{"issued": [...], "skipped": [...]}``, each skipped row with its reason.
    ``progress(done, total)`` is told after each person (a background job commits there, so
    each certificate is kept as it is issued).
    """
    check_class_issue(klass, by=by)
    reasons = {int(k): v for k, v in (override_reasons or {}).items() if (v or "").strip()}
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.class_id == klass.id, Enrollment.status != EnrollmentStatus.withdrawn)
        .order_by(Enrollment.id)
    ).all()
    unknown = set(reasons) - {e.id for e in enrollments}
    if unknown:
        raise Invalid(
            _("Some override reasons name enrollments that are not in this class."),
            errors={
                f"override_reasons.{i}": [_("Not an enrollment of this class.")]
                for i in sorted(unknown)
            },
        )
    issued: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for done, enrollment in enumerate(enrollments):
        if progress is not None:
            progress(done, len(enrollments))
        row = {
            "enrollment_id": enrollment.id,
            "user_id": enrollment.user_id,
            "full_name": enrollment.user.full_name,
        }
        existing = certificate_for_enrollment(enrollment.id)
        if existing is not None:
            skipped.append(
                row
                | {
                    "reason": "already_issued",
                    "serial": existing.serial,
                    "message": _("A certificate was already issued."),
                }
            )
            continue
        if not can_issue_for(by, enrollment):
            skipped.append(
                row
                | {
                    "reason": "outside_area",
                    "message": _("This person is outside your area."),
                }
            )
            continue
        status = completion_status(enrollment)
        if not (_is_completed(enrollment) or status["met"]) and enrollment.id not in reasons:
            skipped.append(
                row
                | {
                    "reason": "rule_not_met",
                    "rules": status["rules"],
                    "message": _("The completion rule is not met."),
                }
            )
            continue
        cert, created = issue_certificate(
            enrollment, by=by, override_reason=reasons.get(enrollment.id)
        )
        if created:
            issued.append(row | {"serial": cert.serial})
        else:  # issued by a parallel request while this one waited for the lock
            skipped.append(
                row
                | {
                    "reason": "already_issued",
                    "serial": cert.serial,
                    "message": _("A certificate was already issued."),
                }
            )
    if progress is not None:
        progress(len(enrollments), len(enrollments))
    logger.info(
        "Bulk issue for class %s by user %s: %s issued, %s skipped",
        klass.code,
        by.id,
        len(issued),
        len(skipped),
    )
    return {"issued": issued, "skipped": skipped}


# --- revoking ---------------------------------------------------------------------------------


def can_revoke(by: User, cert: Certificate) -> bool:
    if by.is_admin:
        return True
    unit = cert.issuing_unit
    return unit is not None and Role.official in by.roles and unit_in_scope(by, unit)


def revoke_certificate(
    cert: Certificate, *, by: User | None, reason: str, at: datetime | None = None
) -> Certificate:
    """Revoke ``cert``: it stops verifying as valid and stops counting from that day.

    ``by`` None is the system itself (the completion behind the certificate was voided).
    """
    if by is not None and not can_revoke(by, cert):
        raise Forbidden(_("Only administrators and officials of the issuing unit may revoke."))
    lock(cert)
    if cert.status == CertificateStatus.revoked:
        raise Conflict(_("This certificate was already revoked."))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Give a reason."), errors={"reason": [_("Required.")]})
    cert.status = CertificateStatus.revoked
    cert.revoked_at = (at or utcnow()).replace(microsecond=0)
    cert.revoked_reason = reason
    cert.revoked_by_id = by.id if by is not None else None
    db.session.flush()
    logger.info(
        "Revoked certificate %s by %s", cert.serial, by.id if by is not None else "the system"
    )
    audit.record(AuditAction.certificate_revoked, cert, actor=by, reason=reason)
    record_revoked(cert, by)
    certificate_revoked.send(cert)
    return cert


def revoke_for_reopened(enrollment: Enrollment) -> Certificate | None:
    """The completion behind a certificate was withdrawn: the certificate goes with it."""
    cert = certificate_for_enrollment(enrollment.id)
    if cert is None or lock(cert) is None or cert.status == CertificateStatus.revoked:
        return None
    return revoke_certificate(
        cert, by=None, reason="Kết quả hoàn thành khóa học đã bị huỷ (completion voided)."
    )


def on_enrollment_completed(enrollment: Enrollment, **_kwargs: Any) -> None:
    """Receiver of ``enrollment_completed``: a course that gives certificates issues one.

    Without a signer the completion stands and its certificate waits: it is issued when a
    signer is named (``issue_awaiting``).
    """
    if enrollment.course.gives_certificate:
        try:
            # Dated on the completion: a late-reported completion counts in its year.
            issue_certificate(enrollment, at=enrollment.completed_at)
        except AwaitingSigner:
            logger.warning(
                "Certificate of enrollment %s awaits a signer for its issuing unit", enrollment.id
            )


def awaiting_signer(enrollment: Enrollment) -> bool:
    """A completed enrollment whose certificate waits for its issuing unit's signer."""
    return (
        enrollment.course.gives_certificate
        and _is_completed(enrollment)
        and certificate_for_enrollment(enrollment.id) is None
        and find_signer(enrollment.course_id, issuing_unit_for(enrollment)) is None
    )


def _awaiting_ids() -> list[int]:
    """Completed enrollments of certificate-giving courses that have no certificate yet."""
    has_cert = select(Certificate.id).where(Certificate.enrollment_id == Enrollment.id)
    return list(
        db.session.scalars(
            select(Enrollment.id)
            .join(Enrollment.course)
            .where(
                Enrollment.status == EnrollmentStatus.completed,
                Course.gives_certificate.is_(True),
                ~has_cert.exists(),
            )
            .order_by(Enrollment.id)
        )
    )


def count_awaiting() -> int:
    return len(_awaiting_ids())


def issue_awaiting(
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Issue the certificates that waited for a signer, now that one may be named.

    Returns ``(issued, still waiting)``. Each is issued as on completion (dated then), under
    the enrollment's lock, so running this twice or alongside a completion issues once. With
    ``progress`` (a job's), what is issued is committed every few hundred and reported.
    """
    issued = waiting = 0
    ids = _awaiting_ids()
    for done, enrollment_id in enumerate(ids, start=1):
        enrollment = db.session.get(Enrollment, enrollment_id)
        if enrollment is None:
            continue
        try:
            _cert, created = issue_certificate(enrollment, at=enrollment.completed_at)
        except AwaitingSigner:
            waiting += 1
        else:
            issued += int(created)
        if progress is not None and (done % _AWAITING_CHUNK == 0 or done == len(ids)):
            progress(done, len(ids))  # commits
    return issued, waiting


def run_issue_awaiting(
    payload: dict[str, Any], progress: Callable[[int, int], None]
) -> dict[str, Any]:
    """Job handler ``certificates.issue_awaiting``: after a signer is named, in the
    background, since a campaign's completions may have waited by the thousand."""
    issued, waiting = issue_awaiting(progress)
    return {"issued": issued, "waiting": waiting}


def on_enrollments_completed(sender: Any = None, **kwargs: Any) -> None:
    """Receiver of ``enrollments_completed``: :func:`on_enrollment_completed` for a batch."""
    issue_many(list(kwargs.get("enrollments") or ()))


def on_enrollment_reopened(enrollment: Enrollment, **_kwargs: Any) -> None:
    """Receiver of ``enrollment_reopened``: the certificate of a voided completion is revoked."""
    revoke_for_reopened(enrollment)


def run_issue_class(
    payload: dict[str, Any], progress: Callable[[int, int], None]
) -> dict[str, Any]:
    """Job handler ``certificates.issue_class``: a class's bulk issue in the background."""
    klass = db.session.get(Class, payload["class_id"])
    by = db.session.get(User, payload["by_id"])
    if klass is None or by is None:
        raise Conflict(_("The class or the person of this job no longer exists."))
    reasons = {int(k): v for k, v in (payload.get("override_reasons") or {}).items()}
    result = issue_for_class(klass, by=by, override_reasons=reasons, progress=progress)
    return {"class": klass.code, **result}
