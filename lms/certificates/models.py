"""Certificates, their serial counters, signing keys, templates and cached PDFs.

A certificate keeps a snapshot of everything it states (the holder's name, unit and target
group, the course title, hours and indicators, the issuing unit and signer) so that neither
its signature nor the statistics built on it change when a person moves, a course is
renamed or units merge.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.constants import TargetGroup
from lms.db import CreatedAt, IntPK, JSONType, Model, UpdatedAt, UTCDateTime, db

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.catalog.models import Course
    from lms.classes.models import Enrollment
    from lms.org.models import Unit


class CertificateStatus(enum.StrEnum):
    valid = "valid"
    revoked = "revoked"


class Certificate(Model):
    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_course_year", "course_id", "year"),
        Index("ix_certificates_holder_unit_year", "holder_unit_id", "year"),
        Index("ix_certificates_issuing_unit_year", "issuing_unit_id", "year"),
    )

    id: Mapped[IntPK]
    #: ``HP-2026-000123``: issuing province's prefix, year of issue, a counter never reused.
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    #: One certificate per completion: unique, NULL for records without an enrollment.
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="SET NULL"), unique=True
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Year of issue in Vietnam's time zone (the serial's year and the reporting year).
    year: Mapped[int] = mapped_column(Integer)
    hours: Mapped[float] = mapped_column(Float)
    #: Best quiz result, 0..1; None when the course has no quiz.
    score: Mapped[float | None] = mapped_column(Float)
    issuing_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    issuing_unit_name: Mapped[str] = mapped_column(String(300), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    #: "KT. GIÁM ĐỐC" when the signer signs for the head of the unit; None as themselves.
    signer_authority: Mapped[str | None] = mapped_column(String(200))
    holder_name: Mapped[str] = mapped_column(String(200))
    #: Snapshot of the holder's date of birth when known (printed, not signed).
    holder_birth_date: Mapped[date | None] = mapped_column(Date)
    #: Snapshot of the holder's unit when issued: statistics count it there for good.
    holder_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    holder_target_group: Mapped[TargetGroup | None] = mapped_column(
        db.Enum(TargetGroup, native_enum=False, length=30)
    )
    #: Snapshot of the course's indicator codes when issued.
    indicators: Mapped[list[str]] = mapped_column(JSONType, default=list)
    course_slug: Mapped[str] = mapped_column(String(100), default="")
    course_title: Mapped[str] = mapped_column(String(300), default="")
    course_title_en: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[CertificateStatus] = mapped_column(
        db.Enum(CertificateStatus, native_enum=False, length=20),
        default=CertificateStatus.valid,
        index=True,
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Why a trainer issued it although the completion rule was not met (kept for audit).
    override_reason: Mapped[str | None] = mapped_column(Text)
    #: None when issued automatically on completion.
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Key id (JWK thumbprint) and Ed25519 signature (base64url) over the signed content.
    kid: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))
    #: Layout of the signed content (``lms.certificates.content``): rows signed before
    #: version 2 keep 1 and verify by the rule they were signed with.
    content_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: Random salt of the holder's hashed name (Open Badges ``IdentityObject``); version 2 on.
    holder_salt: Mapped[str | None] = mapped_column(String(32))
    #: The holder's pseudonymous ``credentialSubject.id`` (``urn:uuid:...``); version 2 on.
    subject_id: Mapped[str | None] = mapped_column(String(64))
    #: Where its revocation bit lives: the issuer's status list and the index in it.
    status_list_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate_status_lists.id"), index=True
    )
    status_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[CreatedAt]

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    course: Mapped[Course] = relationship()
    enrollment: Mapped[Enrollment | None] = relationship()
    issuing_unit: Mapped[Unit | None] = relationship(foreign_keys=[issuing_unit_id])
    holder_unit: Mapped[Unit | None] = relationship(foreign_keys=[holder_unit_id])

    @property
    def is_revoked(self) -> bool:
        return self.status == CertificateStatus.revoked

    def __repr__(self) -> str:
        return f"<Certificate {self.id} {self.serial} user={self.user_id} {self.status}>"


class SerialCounter(Model):
    """The last number used per serial prefix and year, incremented with one atomic upsert."""

    __tablename__ = "certificate_serial_counters"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class SigningKey(Model):
    """An Ed25519 key pair; the private half encrypted with a key derived from SECRET_KEY.

    The newest key not retired signs; retired keys stay published so that everything they
    signed keeps verifying.
    """

    __tablename__ = "certificate_signing_keys"

    id: Mapped[IntPK]
    #: RFC 7638 JWK thumbprint of the public key.
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    #: Raw 32-byte public key, base64url (the JWK ``x``).
    public_key: Mapped[str] = mapped_column(String(64))
    #: AES-256-GCM(nonce || ciphertext) of the raw private key.
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[CreatedAt]
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SigningKey {self.kid[:12]} retired={self.retired_at is not None}>"


class CertificateTemplate(Model):
    """How certificates of a course, or of a unit's subtree, look and who signs them.

    The most specific template wins: course and unit, then course, then the nearest unit up
    the issuing unit's tree, then the default (no course, no unit), then built-in defaults.
    """

    __tablename__ = "certificate_templates"
    __table_args__ = (UniqueConstraint("course_id", "unit_id"),)

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    primary_color: Mapped[str | None] = mapped_column(String(7))
    accent_color: Mapped[str | None] = mapped_column(String(7))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_title: Mapped[str | None] = mapped_column(String(200))
    #: "KT. GIÁM ĐỐC", "TL. GIÁM ĐỐC"... (Decree 30/2020/NĐ-CP); empty when signing as self.
    signer_authority: Mapped[str | None] = mapped_column(String(200))
    #: The letterhead as printed: the governing body ("UBND THÀNH PHỐ HẢI PHÒNG") and the
    #: issuing body ("SỞ KHOA HỌC VÀ CÔNG NGHỆ"); by default derived from the unit tree.
    governing_body: Mapped[str | None] = mapped_column(String(200))
    issuing_body: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    def __repr__(self) -> str:
        return f"<CertificateTemplate {self.id} course={self.course_id} unit={self.unit_id}>"


class CertificatePdf(Model):
    """A rendered PDF, cached by the hash of what was drawn.

    A new row appears only when the drawn content changes (a template edit, a new layout);
    earlier rows keep their SHA-256 so a PDF downloaded before still verifies.
    """

    __tablename__ = "certificate_pdfs"
    __table_args__ = (UniqueConstraint("certificate_id", "content_hash"),)

    id: Mapped[IntPK]
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), index=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[CreatedAt]


class StatusList(Model):
    """A W3C Bitstring Status List (revocation) of one issuer, and its next free index.

    Its URL (``/credentials/status/<id>``) names the row, not the unit's code, so it stays the
    same when a unit is renamed. The bits are not stored: a bit is set exactly when the
    certificate holding that index is revoked, so the list is drawn from the certificates.
    """

    __tablename__ = "certificate_status_lists"

    id: Mapped[IntPK]
    #: ``unit-<id>`` of the issuing unit, or ``lms`` for certificates issued by no unit.
    issuer: Mapped[str] = mapped_column(String(40), unique=True)
    #: The last index handed out; taken with one atomic upsert, like the serial counters.
    last_index: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[CreatedAt]


class IssuerKey(Model):
    """An issuing unit's RSA key, which signs its Open Badges credentials and status list
    (RS256, the algorithm Open Badges 3.0 names for VC-JWT); private half encrypted like
    :class:`SigningKey`'s.

    ``generation`` counts an issuer's keys: a new key is inserted as the next generation with
    ``ON CONFLICT DO NOTHING``, so two requests creating an issuer's first key at once make one.
    The newest generation signs; older ones stay published.
    """

    __tablename__ = "certificate_issuer_keys"
    __table_args__ = (UniqueConstraint("issuer", "generation"),)

    id: Mapped[IntPK]
    #: ``unit-<id>`` or ``lms``, as :attr:`StatusList.issuer`.
    issuer: Mapped[str] = mapped_column(String(40))
    generation: Mapped[int] = mapped_column(Integer)
    #: RFC 7638 thumbprint; the JOSE ``kid`` is the issuer's JWKS URL with ``#<thumbprint>``.
    thumbprint: Mapped[str] = mapped_column(String(64), unique=True)
    #: The public JWK members ``{"kty", "n", "e"}``.
    public_jwk: Mapped[dict[str, str]] = mapped_column(JSONType)
    #: AES-256-GCM(nonce || ciphertext) of the PKCS#8 DER private key.
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[CreatedAt]
