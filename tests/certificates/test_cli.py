"""``flask certificates ...``."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from pypdf import PdfReader

from lms.certificates import keys, services
from tests.certificates.conftest import HOLDER_NAME, World


def test_issue_class_then_verify_and_render(app: Flask, world: World, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certificates", "issue-class", world.klass.code])
    assert result.exit_code == 0, result.output
    assert "1 issued, 0 skipped" in result.output
    cert = services.certificate_for_enrollment(world.enrollment.id)
    assert cert is not None

    result = runner.invoke(args=["certificates", "verify", cert.serial])
    assert result.exit_code == 0, result.output
    assert '"status": "valid"' in result.output
    assert runner.invoke(args=["certificates", "verify", "HP-2000-000009"]).exit_code == 1

    out = tmp_path / "c.pdf"
    result = runner.invoke(args=["certificates", "render", cert.serial, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert HOLDER_NAME in PdfReader(out).pages[0].extract_text()
    result = runner.invoke(args=["certificates", "render", "NOPE-1", "-o", str(out)])
    assert result.exit_code != 0


def test_issue_class_with_unknown_class_or_user(app: Flask, world: World) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["certificates", "issue-class", "NOPE"]).exit_code != 0
    result = runner.invoke(
        args=["certificates", "issue-class", world.klass.code, "--by", "nobody@example.vn"]
    )
    assert result.exit_code != 0
    result = runner.invoke(
        args=["certificates", "issue-class", world.klass.code, "--by", world.holder.email]
    )
    assert result.exit_code != 0
    assert services.certificate_for_enrollment(world.enrollment.id) is None


def test_rotate_key(app: Flask, world: World) -> None:
    first = keys.active_key().kid
    result = app.test_cli_runner().invoke(args=["certificates", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert keys.active_key().kid != first
    assert len(keys.jwks()["keys"]) == 2


def test_template_command(app: Flask, world: World, tmp_path: Path) -> None:
    from PIL import Image

    from lms.certificates.templates import find_template

    logo = tmp_path / "logo.png"
    Image.new("RGB", (32, 32), (10, 80, 140)).save(logo)
    runner = app.test_cli_runner()
    args = ["certificates", "template", "--unit", "HP", "--signer-name", "Trần Văn Đức"]
    result = runner.invoke(args=[*args, "--signer-title", "Giám đốc", "--logo", str(logo)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=[*args[:4], "--primary", "#123456"])
    assert result.exit_code == 0, result.output
    row = find_template(world.course.id, world.units["HP-SKHCN"])
    assert row is not None
    assert (row.signer_name, row.primary_color) == ("Trần Văn Đức", "#123456")
    assert row.logo is not None
    bad = runner.invoke(args=["certificates", "template", "--primary", "blue"])
    assert bad.exit_code != 0
    assert "primary_color" in bad.output
    assert runner.invoke(args=["certificates", "template", "--unit", "NOPE"]).exit_code != 0
    cert = services.issue_certificate(world.enrollment, by=world.trainer)[0]
    assert cert.signer_name == "Trần Văn Đức"


def test_letterhead_signer_authority_and_issue_awaiting(app: Flask, world: World) -> None:
    from lms.certificates.models import CertificateTemplate
    from lms.classes.completion import complete_enrollment
    from lms.extensions import db
    from tests.factories import make_enrollment, make_user

    db.session.execute(db.delete(CertificateTemplate))
    enrollment = make_enrollment(make_user(unit=world.units["HP-HONGBANG"]), world.course)
    complete_enrollment(enrollment)
    assert services.certificate_for_enrollment(enrollment.id) is None  # waits for a signer
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["certificates", "template", "--unit", "HP", "--signer-name", "Phạm Minh Tuấn",
              "--signer-title", "PHÓ GIÁM ĐỐC", "--signer-authority", "KT. GIÁM ĐỐC",
              "--governing-body", "UBND THÀNH PHỐ HẢI PHÒNG",
              "--issuing-body", "SỞ KHOA HỌC VÀ CÔNG NGHỆ"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["certificates", "issue-awaiting"])
    assert result.exit_code == 0, result.output
    assert "2 issued, 0 still waiting" in result.output  # this one and the world's
    cert = services.certificate_for_enrollment(enrollment.id)
    assert cert is not None
    assert (cert.signer_authority, cert.signer_title) == ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    from lms.certificates import pdfs

    assert pdfs.letterhead(cert) == ("UBND THÀNH PHỐ HẢI PHÒNG", "SỞ KHOA HỌC VÀ CÔNG NGHỆ")
