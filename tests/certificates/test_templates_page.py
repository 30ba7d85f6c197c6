"""Templates and signers managed on a page, with a live preview; saving a signer issues the
certificates that waited for one."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from lms.certificates import services
from lms.certificates.models import CertificateTemplate
from lms.classes.completion import complete_enrollment
from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import Job, JobStatus
from tests.certificates.conftest import World
from tests.certificates.test_views import login
from tests.factories import make_enrollment, make_user


def test_naming_a_signer_on_the_page_issues_what_waited(client: FlaskClient, world: World) -> None:
    db.session.execute(db.delete(CertificateTemplate))
    enrollment = make_enrollment(make_user(unit=world.units["QT-DONGHOI"]), world.course)
    complete_enrollment(enrollment)
    assert services.certificate_for_enrollment(enrollment.id) is None
    db.session.commit()
    login(client, world.official_qt)
    page = client.get("/certificates/templates")
    assert page.status_code == 200
    assert "Chưa có mẫu nào" in page.get_data(as_text=True)  # Vietnamese first
    response = client.post(
        "/certificates/templates",
        data={
            "unit": "QT",
            "governing_body": "UBND TỈNH QUẢNG TRỊ",
            "issuing_body": "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
            "signer_title": "Giám đốc",
            "signer_name": "Lê Quang Vinh",
            "primary_color": "#7a1f1f",
        },
    )
    assert response.status_code == 302
    saved = db.session.scalar(select(CertificateTemplate))
    assert saved is not None
    assert (saved.signer_name, saved.issuing_body) == ("Lê Quang Vinh", "SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    cert = services.certificate_for_enrollment(enrollment.id)
    assert cert is not None
    assert cert.signer_name == "Lê Quang Vinh"
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lê Quang Vinh" in listing
    assert "Đã cấp 1 giấy chứng nhận đang chờ người ký" in listing


def test_officials_manage_only_their_area_and_input_is_checked(
    client: FlaskClient, world: World
) -> None:
    db.session.commit()
    login(client, world.official_qt)
    body = {"signer_title": "Giám đốc", "signer_name": "Người Khác"}
    assert client.post("/certificates/templates", data={"unit": "HP", **body}).status_code == 403
    assert client.post("/certificates/templates", data=body).status_code == 403  # the default
    before = db.session.scalar(select(db.func.count()).select_from(CertificateTemplate))
    bad = client.post(
        "/certificates/templates", data={"unit": "QT", "primary_color": "blue", **body}
    )
    assert bad.status_code == 302
    assert "Phải là mã màu" in client.get(bad.headers["Location"]).get_data(as_text=True)
    half = client.post("/certificates/templates", data={"unit": "QT", "signer_name": "Ai Đó"})
    assert half.status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(CertificateTemplate)) == before
    login(client, world.holder)
    assert client.get("/certificates/templates").status_code == 403


def test_the_preview_is_the_rendered_certificate(client: FlaskClient, world: World) -> None:
    db.session.commit()
    login(client, world.official_hp)
    url = "/certificates/templates/preview.png"
    first = client.get(url, query_string={"unit": "HP-SKHCN", "signer_name": "Trần Văn Đức"})
    assert first.status_code == 200
    assert first.mimetype == "image/png"
    with Image.open(io.BytesIO(first.data)) as image:
        assert 899 <= image.width <= 901  # PDFium rounds the scaled page
        assert 600 < image.height < 660  # A4 landscape
    other = client.get(url, query_string={"unit": "HP-SKHCN", "signer_name": "Phạm Minh Tuấn"})
    assert other.data != first.data
    assert client.get(url, query_string={"unit": "HP", "primary_color": "red"}).status_code == 422
    assert client.get(url, query_string={"unit": "QT"}).status_code == 403


def test_naming_a_signer_is_in_the_audit_log(client: FlaskClient, world: World) -> None:
    """Who signs a unit's certificates is a privileged choice: recorded with who made it."""
    from lms.audit.models import AuditEntry

    db.session.commit()
    login(client, world.official_qt)
    response = client.post(
        "/certificates/templates",
        data={"unit": "QT", "signer_title": "Giám đốc", "signer_name": "Lê Quang Vinh"},
    )
    assert response.status_code == 302
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "certificate_template.saved")
    )
    assert entry is not None
    assert entry.actor_id == world.official_qt.id
    assert entry.target_type == "certificate_template"
    assert entry.unit_id == world.units["QT"].id
    assert entry.details["signer_name"] == "Lê Quang Vinh"


def test_with_workers_what_waited_is_issued_by_a_job_the_page_names(
    client: FlaskClient, world: World, redis_app: Flask
) -> None:
    """After a MOOC campaign thousands may wait for a signer: saving the signer does not issue
    them inside the request but sends a job (a worker runs it; here the test does)."""
    db.session.execute(db.delete(CertificateTemplate))
    waiting = [make_enrollment(make_user(unit=world.units["QT-DONGHOI"]), world.course)
               for _n in range(3)]  # fmt: skip
    for enrollment in waiting:
        complete_enrollment(enrollment)
    db.session.commit()
    login(client, world.official_qt)
    response = client.post(
        "/certificates/templates",
        data={"unit": "QT", "signer_title": "Giám đốc", "signer_name": "Lê Quang Vinh"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "đang được cấp trong nền" in page
    assert all(services.certificate_for_enrollment(e.id) is None for e in waiting)
    job = db.session.scalar(select(Job).where(Job.kind == services.AWAITING_JOB_KIND))
    assert job is not None
    assert job.status == JobStatus.queued
    done = jobs.run(job.id)
    assert done.status == JobStatus.done
    assert done.result["issued"] == 3  # the world's Hải Phòng completions still wait
    assert done.done == done.total == 3 + done.result["waiting"]
    assert all(services.certificate_for_enrollment(e.id) is not None for e in waiting)


def test_the_form_lists_units_and_courses_in_vietnamese_order(
    client: FlaskClient, world: World
) -> None:
    """The unit and course pickers read in the Vietnamese alphabet, each unit after its parent:
    by id or by code points, "Đông Hà" came after "Hướng Hóa" and "Đồ họa" after "Tin học"."""
    import re

    from lms.org import services as org
    from tests.factories import make_course

    province = world.units["QT"]
    for code, name in (
        ("QT-Y-HH", "Hướng Hóa"),
        ("QT-Y-DH", "Đông Hà"),
        ("QT-Y-CL", "Cam Lộ"),
    ):
        org.create_unit(code=code, name=name, kind="commune", parent=province, by=None)
    for slug, title in (
        ("y-th", "Tin học văn phòng"),
        ("y-dh", "Đồ họa cơ bản"),
        ("y-an", "An toàn thông tin"),
    ):
        make_course(slug, title=title)
    db.session.commit()
    login(client, world.official_qt)
    page = client.get("/certificates/templates").get_data(as_text=True)
    units = re.findall(r'<option value="(QT-Y-[A-Z]+)"', page)
    assert units == ["QT-Y-CL", "QT-Y-DH", "QT-Y-HH"]
    courses = re.findall(r'<option value="(y-[a-z]+)"', page)
    assert courses == ["y-an", "y-dh", "y-th"]
