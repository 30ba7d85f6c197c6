"""Issuing, serials, snapshots, revocation and counting, signing keys, verification."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lms.certificates import content, crypto, keys, pdfs, queries, services, verification
from lms.certificates.models import Certificate, CertificateStatus, CertificateTemplate
from lms.classes.completion import complete_enrollment, reopen_enrollment
from lms.classes.models import EnrollmentStatus
from lms.errors import Conflict, Forbidden, Invalid
from lms.events import certificate_issued, certificate_revoked
from lms.extensions import db
from tests.certificates.conftest import HOLDER_NAME, World
from tests.certificates.factories import CERTIFIED
from tests.factories import make_class, make_course, make_enrollment, make_signer, make_user


def _issue(world: World) -> Certificate:
    cert, created = services.issue_certificate(world.enrollment, by=world.trainer)
    assert created
    return cert


def test_completing_an_enrollment_issues_a_certificate_automatically(world: World) -> None:
    enrollment = make_enrollment(world.stranger, world.course)
    received = []
    certificate_issued.connect(received.append, weak=False)
    try:
        complete_enrollment(enrollment)
    finally:
        certificate_issued.disconnect(received.append)
    cert = services.certificate_for_enrollment(enrollment.id)
    assert cert is not None
    assert received == [cert]
    assert cert.issued_by_id is None
    # Signed by the person the issuing province named, never by "the system".
    assert (cert.signer_name, cert.signer_title) == (
        "Lê Quang Vinh",
        "Giám đốc Sở Khoa học và Công nghệ",
    )


def test_course_without_certificates_issues_nothing(world: World) -> None:
    course = make_course(**CERTIFIED, gives_certificate=False)
    enrollment = make_enrollment(world.stranger, course)
    complete_enrollment(enrollment)
    assert services.certificate_for_enrollment(enrollment.id) is None
    with pytest.raises(Conflict):
        services.issue_certificate(enrollment, by=world.admin)


def test_issuing_is_idempotent(world: World) -> None:
    cert = _issue(world)
    again, created = services.issue_certificate(world.enrollment, by=world.admin)
    assert (again.id, created) == (cert.id, False)
    complete_enrollment(world.enrollment)
    assert db.session.scalar(select(db.func.count()).select_from(Certificate)) == 1


def test_serials_follow_province_and_year_and_never_repeat(world: World) -> None:
    first = _issue(world)
    assert re.fullmatch(r"HP-\d{4}-\d{6}", first.serial)
    assert first.serial.split("-")[1] == str(services.local_date(first.issued_at).year)
    others = []
    for _ in range(3):
        person = make_user(unit=world.units["HP-HONGBANG"])
        enrollment = make_enrollment(person, world.course, status=EnrollmentStatus.completed)
        others.append(services.issue_certificate(enrollment)[0].serial)
    numbers = [int(s.rsplit("-", 1)[1]) for s in [first.serial, *others]]
    assert numbers == list(range(numbers[0], numbers[0] + 4))
    person = make_user(unit=world.units["QT-DONGHOI"])
    enrollment = make_enrollment(person, world.course, status=EnrollmentStatus.completed)
    assert services.issue_certificate(enrollment)[0].serial.startswith("QT-")


def test_serial_counter_is_per_prefix_and_year(db: object) -> None:
    assert services.next_serial("ZZ", 2031) == "ZZ-2031-000001"
    assert services.next_serial("ZZ", 2031) == "ZZ-2031-000002"
    assert services.next_serial("ZZ", 2032) == "ZZ-2032-000001"
    assert services.next_serial("ZY", 2031) == "ZY-2031-000001"


def test_prefix_falls_back_to_the_province_code(world: World) -> None:
    world.units["QT"].serial_prefix = None
    assert services.serial_prefix(world.units["QT-DONGHOI"]) == "QT"
    assert services.serial_prefix(None) == "VN"


def test_certificate_keeps_a_snapshot(world: World) -> None:
    cert = _issue(world)
    assert cert.holder_name == HOLDER_NAME
    assert cert.holder_unit_id == world.units["HP-HONGBANG"].id
    assert cert.holder_target_group == "citizen"
    assert cert.indicators == ["citizens_online_services"]
    assert cert.hours == 4
    assert cert.score == pytest.approx(0.85)
    assert cert.issuing_unit_id == world.units["HP-SKHCN"].id
    assert cert.issuing_unit_name == "Sở Khoa học và Công nghệ Hải Phòng"
    world.holder.unit = world.units["QT-DONGHOI"]
    world.holder.full_name = "Người Khác"
    world.course.indicators = ["officials_trained"]
    db.session.flush()
    db.session.expire(cert)
    assert cert.holder_unit_id == world.units["HP-HONGBANG"].id
    assert cert.holder_name == HOLDER_NAME
    assert cert.indicators == ["citizens_online_services"]
    assert verification.verify_serial(cert.serial).status == "valid"


def test_online_study_is_issued_by_the_holders_province(world: World) -> None:
    enrollment = make_enrollment(
        world.holder, make_course(**CERTIFIED), status=EnrollmentStatus.completed
    )
    cert, _ = services.issue_certificate(enrollment)
    assert cert.issuing_unit_id == world.units["HP"].id


def test_the_most_specific_template_naming_a_signer_gives_it(world: World) -> None:
    # A course template with colours only does not hide the unit's signer behind it.
    db.session.add(
        CertificateTemplate(name="Màu", course_id=world.course.id, primary_color="#7a1f1f")
    )
    db.session.add(
        CertificateTemplate(
            name="Sở KH&CN", unit_id=world.units["HP-SKHCN"].id, signer_name="Phạm Minh Tuấn",
            signer_title="Phó Giám đốc", signer_authority="KT. Giám đốc",
        )
    )  # fmt: skip
    db.session.flush()
    cert = _issue(world)
    assert (cert.signer_authority, cert.signer_title, cert.signer_name) == (
        "KT. Giám đốc",
        "Phó Giám đốc",
        "Phạm Minh Tuấn",
    )
    qt_person = make_user(unit=world.units["QT-DONGHOI"])
    enrollment = make_enrollment(qt_person, world.course, status=EnrollmentStatus.completed)
    other, _ = services.issue_certificate(enrollment, by=world.admin)
    assert (other.signer_authority, other.signer_name) == (None, "Lê Quang Vinh")


def test_without_a_signer_issuing_is_refused_and_completions_wait(world: World) -> None:
    db.session.execute(db.delete(CertificateTemplate))
    holder = make_user(unit=world.units["QT-DONGHOI"])
    with pytest.raises(services.AwaitingSigner) as refused:
        services.issue_certificate(world.enrollment, by=world.trainer)
    assert "Thành phố Hải Phòng" not in refused.value.message
    assert "chưa có người ký" in refused.value.message  # names the unit, says what to do
    assert "/certificates/templates" in refused.value.message
    with pytest.raises(services.AwaitingSigner):
        services.issue_for_class(world.klass, by=world.trainer)
    # A completion is not undone: its certificate waits for a signer.
    enrollment = make_enrollment(holder, world.course)
    complete_enrollment(enrollment)
    assert enrollment.status == EnrollmentStatus.completed
    assert services.certificate_for_enrollment(enrollment.id) is None
    assert services.awaiting_signer(enrollment)
    assert services.issue_awaiting() == (0, 2)
    make_signer(world.units["QT"], name="Lê Quang Vinh", title="Giám đốc")
    assert services.issue_awaiting() == (1, 1)  # Quảng Trị's; Hải Phòng's still waits
    cert = services.certificate_for_enrollment(enrollment.id)
    assert cert is not None
    assert cert.signer_name == "Lê Quang Vinh"
    assert cert.issued_at == enrollment.completed_at.replace(microsecond=0)
    assert services.issue_awaiting() == (0, 1)
    assert db.session.scalar(select(db.func.count()).select_from(Certificate)) == 1


def test_manual_issue_needs_a_reason_when_the_rule_is_not_met(world: World) -> None:
    enrollment = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"]), world.course, klass=world.klass,
        quiz_score=0.3,
    )  # fmt: skip
    with pytest.raises(Invalid) as info:
        services.issue_certificate(enrollment, by=world.trainer)
    assert "override_reason" in info.value.errors
    assert services.certificate_for_enrollment(enrollment.id) is None
    cert, created = services.issue_certificate(
        enrollment, by=world.trainer, override_reason="  Vắng nửa ngày vì đi công tác.  "
    )
    assert created
    assert cert.override_reason == "Vắng nửa ngày vì đi công tác."
    assert cert.issued_by_id == world.trainer.id


def test_automatic_path_refuses_an_incomplete_enrollment(world: World) -> None:
    enrollment = make_enrollment(world.stranger, world.course)
    with pytest.raises(Conflict):
        services.issue_certificate(enrollment)


def test_only_trainers_of_the_class_officials_and_admins_may_issue(world: World) -> None:
    with pytest.raises(Forbidden):
        services.issue_certificate(world.enrollment, by=world.other_trainer)
    with pytest.raises(Forbidden):
        services.issue_certificate(world.enrollment, by=world.official_qt)
    with pytest.raises(Forbidden):
        services.issue_certificate(world.enrollment, by=world.holder)
    assert services.issue_certificate(world.enrollment, by=world.official_hp)[1]


def test_withdrawn_enrollment_gets_no_certificate(world: World) -> None:
    enrollment = make_enrollment(world.stranger, world.course, status=EnrollmentStatus.withdrawn)
    with pytest.raises(Conflict):
        services.issue_certificate(enrollment, by=world.admin, override_reason="x")


def test_bulk_issue_for_a_class(world: World) -> None:
    done = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"], full_name="Lê Văn An"), world.course,
        klass=world.klass, status=EnrollmentStatus.completed,
    )  # fmt: skip
    behind = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"], full_name="Phạm Văn Bình"), world.course,
        klass=world.klass, quiz_score=None,
    )  # fmt: skip
    excused = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"], full_name="Đỗ Thị Cúc"), world.course,
        klass=world.klass, quiz_score=0.4,
    )  # fmt: skip
    withdrawn = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"]), world.course, klass=world.klass,
        status=EnrollmentStatus.withdrawn,
    )  # fmt: skip
    services.issue_certificate(world.enrollment, by=world.trainer)

    result = services.issue_for_class(
        world.klass, by=world.trainer, override_reasons={excused.id: "Công tác"}
    )
    assert [r["enrollment_id"] for r in result["issued"]] == [done.id, excused.id]
    skipped = {r["enrollment_id"]: r["reason"] for r in result["skipped"]}
    assert skipped == {world.enrollment.id: "already_issued", behind.id: "rule_not_met"}
    assert withdrawn.id not in skipped
    assert services.certificate_for_enrollment(excused.id).override_reason == "Công tác"
    again = services.issue_for_class(world.klass, by=world.trainer)
    assert again["issued"] == []


def test_bulk_issue_checks_permission_and_reasons(world: World) -> None:
    with pytest.raises(Forbidden):
        services.issue_for_class(world.klass, by=world.other_trainer)
    with pytest.raises(Invalid):
        services.issue_for_class(world.klass, by=world.trainer, override_reasons={999999: "x"})
    assert services.certificate_for_enrollment(world.enrollment.id) is None


def test_revocation_stops_verification_and_counting_from_its_date(world: World) -> None:
    cert, _ = services.issue_certificate(
        world.enrollment, by=world.trainer, at=datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
    )
    received = []
    certificate_revoked.connect(received.append, weak=False)
    try:
        services.revoke_certificate(
            cert, by=world.official_hp, reason="Cấp nhầm người.",
            at=datetime(2026, 6, 1, 2, 0, tzinfo=UTC),
        )  # fmt: skip
    finally:
        certificate_revoked.disconnect(received.append)
    assert received == [cert]
    assert cert.status == CertificateStatus.revoked
    assert services.counts_on(cert, date(2026, 3, 4)) is False
    assert services.counts_on(cert, date(2026, 3, 5)) is True
    assert services.counts_on(cert, date(2026, 5, 31)) is True
    assert services.counts_on(cert, date(2026, 6, 1)) is False
    for day, expected in ((date(2026, 5, 31), 1), (date(2026, 6, 1), 0), (date(2026, 3, 4), 0)):
        assert queries.count_valid_on(day) == expected
    verdict = verification.verify_serial(cert.serial)
    assert verdict.status == "revoked"
    assert verdict.to_dict()["certificate"]["revoked_on"] == "2026-06-01"
    assert verdict.to_dict()["certificate"]["revoked_reason"] == "Cấp nhầm người."


def test_counting_uses_vietnam_dates(world: World) -> None:
    cert = _issue(world)
    cert.issued_at = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # 1 January 2027 in Vietnam
    assert services.local_date(cert.issued_at) == date(2027, 1, 1)
    assert not services.counts_on(cert, date(2026, 12, 31))
    assert services.counts_on(cert, date(2027, 1, 1))


def test_revoking_twice_is_a_conflict(world: World) -> None:
    cert = _issue(world)
    services.revoke_certificate(cert, by=world.admin, reason="Sai thông tin.")
    with pytest.raises(Conflict):
        services.revoke_certificate(cert, by=world.admin, reason="Lần nữa.")
    assert cert.revoked_reason == "Sai thông tin."


def test_only_admins_and_officials_of_the_issuing_subtree_revoke(world: World) -> None:
    cert = _issue(world)
    for person in (world.official_qt, world.trainer, world.holder):
        with pytest.raises(Forbidden):
            services.revoke_certificate(cert, by=person, reason="Không được phép.")
    with pytest.raises(Invalid):
        services.revoke_certificate(cert, by=world.admin, reason="  ")
    assert cert.status == CertificateStatus.valid


def test_a_voided_completion_revokes_its_certificate(world: World) -> None:
    cert = _issue(world)
    reopen_enrollment(world.enrollment)
    assert cert.status == CertificateStatus.revoked
    assert cert.revoked_by_id is None


def test_record_signature_detects_a_changed_record(world: World) -> None:
    cert = _issue(world)
    public = keys.find_public_key(cert.kid)
    assert content.signature_valid(cert, public)
    cert.holder_name = "Nguyễn Thị Hồng Hoà"
    assert not content.signature_valid(cert, public)
    assert verification.verify_serial(cert.serial).status == "invalid"


def test_key_rotation_keeps_old_certificates_verifying(world: World) -> None:
    old = _issue(world)
    old_kid = old.kid
    new_key = keys.rotate_key()
    enrollment = make_enrollment(world.stranger, world.course, status=EnrollmentStatus.completed)
    new, _ = services.issue_certificate(enrollment)
    assert new.kid == new_key.kid != old_kid
    published = {k["kid"]: k for k in keys.jwks()["keys"]}
    assert published[old_kid]["status"] == "retired"
    assert published[new.kid]["status"] == "active"
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" for k in published.values())
    assert verification.verify_serial(old.serial).status == "valid"
    assert verification.verify_serial(new.serial).status == "valid"


def test_a_key_made_under_another_secret_is_replaced(world: World, app: object) -> None:
    row = keys.create_key()
    row.private_key_enc = crypto.encrypt_private_key(crypto.generate_key()[0], "other secret")
    db.session.flush()
    active = keys.active_key()
    assert active.kid != row.kid
    assert row.retired_at is not None


def test_credential_jwt_verifies_and_detects_tampering(world: World) -> None:
    cert = _issue(world)
    token = pdfs.credential_token(cert)
    header, payload, signature = token.split(".")
    assert verification.verify_credential(token).status == "valid"
    claims = content.rsa_decode(token, keys.issuer_key(content.issuer_of(cert)).public_jwk)
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["@context"][1].endswith("context-3.0.3.json")
    assert claims["credentialSubject"]["identifier"][0]["identityHash"] == (
        crypto.identity_hash(HOLDER_NAME, cert.holder_salt or "")
    )
    raw = bytearray(crypto.b64url_decode(payload))
    raw[raw.index(b"humanCode") + 14] ^= 0x01  # a digit of the serial
    forged = f"{header}.{crypto.b64url(bytes(raw))}.{signature}"
    verdict = verification.verify_credential(forged)
    assert (verdict.status, verdict.code) == ("invalid", 422)
    assert verification.verify_credential("not a jwt").status == "invalid"


def test_credential_signed_by_a_stranger_is_rejected(world: World) -> None:
    import jwt

    cert = _issue(world)
    private, _ = crypto.generate_key()
    claims = content.credential(cert, pdfs.base_url()) | {"jti": f"x/verify/{cert.serial}"}
    token = jwt.encode(claims, crypto.private_key(private), algorithm="EdDSA",
                       headers={"kid": cert.kid})  # fmt: skip
    assert verification.verify_credential(token).status == "invalid"


def test_pdf_verification_accepts_the_issued_file_and_rejects_an_altered_one(
    world: World,
) -> None:
    cert = _issue(world)
    pdf = pdfs.certificate_pdf(cert)
    assert pdfs.certificate_pdf(cert) == pdf  # served from the cache
    verdict = verification.verify_upload(pdf)
    assert verdict.status == "valid"
    assert verdict.checks == {"file_matches": True, "record_signature": True, "signature": True}
    index = pdf.index(b"/Producer")
    altered = pdf[:index] + b"/Producex" + pdf[index + 9 :]
    assert verification.verify_upload(altered).status == "invalid"
    assert verification.verify_upload(b"%PDF-1.4 nothing").status == "invalid"


def test_template_change_renders_again_and_old_pdf_still_verifies(world: World) -> None:
    cert = _issue(world)
    old_pdf = pdfs.certificate_pdf(cert)
    db.session.add(
        CertificateTemplate(name="Đỏ", course_id=world.course.id, primary_color="#7a1f1f")
    )
    db.session.flush()
    new_pdf = pdfs.certificate_pdf(cert)
    assert new_pdf != old_pdf
    assert verification.verify_upload(old_pdf).status == "valid"
    assert verification.verify_upload(new_pdf).status == "valid"


def test_unknown_serial(db: object) -> None:
    verdict = verification.verify_serial("HP-2026-999999")
    assert (verdict.status, verdict.code) == ("unknown", 404)


def test_masked_names() -> None:
    assert content.mask_name("Nguyễn Thị Hoa") == "Nguyễn T** H**"
    assert content.mask_name("Đặng Ánh") == "Đặng Á**"
    assert content.mask_name("Khoa") == "Khoa"


def test_class_overview_lists_rules_and_certificates(world: World) -> None:
    cert = _issue(world)
    other = make_class(world.course, world.units["HP-SKHCN"], trainers=[world.other_trainer])
    rows = queries.class_overview(world.klass, by=world.trainer)
    assert [(r["enrollment_id"], r["certificate"]) for r in rows] == [
        (world.enrollment.id, cert.serial)
    ]
    with pytest.raises(Forbidden):
        queries.class_overview(other, by=world.trainer)


def test_the_credential_states_the_score_as_the_pdf_does(world: World) -> None:
    """46,7%: the signed credential's description said 47% where the PDF says 46,7%."""
    from lms.certificates import content
    from lms.certificates.render import format_percent

    enrollment = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"]), world.course, klass=world.klass,
        quiz_score=0.4667,
    )  # fmt: skip
    cert, _created = services.issue_certificate(
        enrollment, by=world.trainer, override_reason="Điểm gần đạt, đã học bù."
    )
    assert format_percent(cert.score) == "46,7%"
    description = content.credential(cert, "https://lms.example.vn")["description"]
    assert "Kết quả: 46,7%." in description
