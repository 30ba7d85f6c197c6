"""Gathering what a certificate prints, and its PDF rendered on demand and cached.

The cache key is the hash of everything drawn (:meth:`CertificateData.content_hash`), so a
template change or a new layout renders again, while an unchanged certificate is served from
the stored bytes. Renderings are deterministic and every one served stays recorded by its
SHA-256, which is how an uploaded PDF is recognised as untouched.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from flask import current_app
from sqlalchemy import select

from lms.certificates import content, keys, pades
from lms.certificates.models import Certificate, CertificatePdf
from lms.certificates.render import CertificateData, TemplateStyle, render_certificate
from lms.certificates.services import local_date, province_of_unit
from lms.certificates.templates import find_template
from lms.db import utcnow
from lms.extensions import db
from lms.org.models import Unit, UnitKind

_PLACE_PREFIXES = re.compile(r"^(Thành phố|Tỉnh|TP\.?)\s+", re.IGNORECASE)


def base_url() -> str:
    return str(current_app.config.get("BASE_URL", "http://localhost")).rstrip("/")


def template_style(cert: Certificate) -> TemplateStyle:
    template = find_template(cert.course_id, cert.issuing_unit)
    default = TemplateStyle()
    if template is None:
        return default
    return TemplateStyle(
        title=template.title or default.title,
        title_en=template.title_en if template.title_en is not None else default.title_en,
        primary_color=template.primary_color or default.primary_color,
        accent_color=template.accent_color or default.accent_color,
        logo=template.logo,
    )


def place_of(cert: Certificate) -> str | None:
    """``Hải Phòng`` for units of Thành phố Hải Phòng: where the certificate is dated."""
    if cert.issuing_unit is None:
        return None
    return _PLACE_PREFIXES.sub("", province_of_unit(cert.issuing_unit).name).strip() or None


def credential_token(cert: Certificate) -> str:
    """The certificate's VC-JWT, signed now with its issuer's current RSA key.

    RS256 is deterministic, so the token only changes when the key is rotated (and the
    cached PDF, which carries it, is then drawn again).
    """
    return content.credential_jwt(cert, keys.issuer_key(content.issuer_of(cert)), base_url())


def letterhead(cert: Certificate) -> tuple[str | None, str]:
    """(governing body, issuing body) as Decree 30/2020/NĐ-CP prints them at the top left.

    A template may spell them out; otherwise a department's governing body is the People's
    Committee of its province ("UBND THÀNH PHỐ HẢI PHÒNG"), and a province issuing by itself
    is its People's Committee.
    """
    template = find_template(cert.course_id, cert.issuing_unit)
    governing = (template.governing_body or "").strip() if template is not None else ""
    issuing = (template.issuing_body or "").strip() if template is not None else ""
    unit = cert.issuing_unit
    if not issuing:
        issuing = cert.issuing_unit_name
        if unit is not None and unit.kind == UnitKind.province:
            issuing = f"UBND {unit.name}"
    if not governing and unit is not None and unit.parent is not None:
        parent = unit.parent
        governing = f"UBND {parent.name}" if parent.kind == UnitKind.province else parent.name
    return governing or None, issuing


def certificate_data(cert: Certificate) -> CertificateData:
    governing, issuing = letterhead(cert)
    return CertificateData(
        serial=cert.serial,
        holder_name=cert.holder_name,
        course_title=cert.course_title,
        course_title_en=cert.course_title_en,
        hours=cert.hours,
        score=cert.score,
        issued_on=local_date(cert.issued_at),
        issuing_unit_name=issuing,
        issuing_parent_name=governing,
        signer_name=cert.signer_name,
        signer_title=cert.signer_title,
        signer_authority=cert.signer_authority,
        holder_birth_date=cert.holder_birth_date,
        place=place_of(cert),
        verify_url=content.verify_url(base_url(), cert.serial),
        template=template_style(cert),
        credential_jwt=credential_token(cert),
        revoked_on=local_date(cert.revoked_at) if cert.is_revoked and cert.revoked_at else None,
    )


def certificate_pdf(cert: Certificate) -> bytes:
    """The PDF of ``cert``: from the cache when what it draws is unchanged, else rendered."""
    data = certificate_data(cert)
    digest = data.content_hash()
    cached = db.session.scalar(
        select(CertificatePdf.data).where(
            CertificatePdf.certificate_id == cert.id, CertificatePdf.content_hash == digest
        )
    )
    if cached is not None:
        return bytes(cached)
    pdf = pades.sign_pdf(
        render_certificate(data),
        cert.issuing_unit,
        reason=f"Giấy chứng nhận {cert.serial}",
        location=data.place,
    )
    db.session.add(
        CertificatePdf(
            certificate_id=cert.id,
            content_hash=digest,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            data=pdf,
        )
    )
    db.session.flush()
    return pdf


def is_known_pdf(cert: Certificate, pdf: bytes) -> bool:
    """Whether ``pdf`` is byte for byte a rendering this LMS served for ``cert``."""
    digest = hashlib.sha256(pdf).hexdigest()
    return (
        db.session.scalar(
            select(CertificatePdf.id).where(
                CertificatePdf.certificate_id == cert.id, CertificatePdf.sha256 == digest
            )
        )
        is not None
    )


def preview(values: dict[str, str | None], unit: Unit | None, course_title: str | None) -> bytes:
    """A sample certificate drawn with a template's values as they are being typed: the same
    renderer as real ones, a sample holder, the unit's place and today's date."""
    default = TemplateStyle()
    style = TemplateStyle(
        title=values.get("title") or default.title,
        title_en=values.get("title_en") or default.title_en,
        primary_color=values.get("primary_color") or default.primary_color,
        accent_color=values.get("accent_color") or default.accent_color,
    )
    governing = values.get("governing_body")
    issuing = values.get("issuing_body")
    if unit is not None:
        parent = unit.parent
        if not issuing:
            issuing = f"UBND {unit.name}" if unit.kind == UnitKind.province else unit.name
        if not governing and parent is not None:
            governing = f"UBND {parent.name}" if parent.kind == UnitKind.province else parent.name
    today = local_date(utcnow())
    prefix = (
        (province_of_unit(unit).serial_prefix or province_of_unit(unit).code).upper()
        if unit
        else "VN"
    )
    serial = f"{prefix}-{today.year}-000123"
    place = _PLACE_PREFIXES.sub("", province_of_unit(unit).name).strip() if unit else None
    return render_certificate(
        CertificateData(
            serial=serial,
            holder_name="Nguyễn Thị Hồng Hoa",
            holder_birth_date=date(1987, 4, 12),
            course_title=course_title or "Sử dụng dịch vụ công trực tuyến",
            hours=4,
            score=0.85,
            issued_on=today,
            issuing_unit_name=issuing or "LMS 146",
            issuing_parent_name=governing,
            signer_authority=values.get("signer_authority"),
            signer_title=values.get("signer_title") or "(CHƯA CÓ NGƯỜI KÝ / NO SIGNER YET)",
            signer_name=values.get("signer_name") or "—",
            place=place,
            verify_url=content.verify_url(base_url(), serial),
            template=style,
        )
    )
