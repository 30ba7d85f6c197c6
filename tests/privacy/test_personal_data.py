"""What the LMS keeps about a person: their copy of it, their deletion, accounts never used."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import Role, User
from lms.certificates import services as certificates
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.db import utcnow
from lms.extensions import db
from lms.privacy import services
from lms.privacy.models import DeletionRequest, DeletionStatus
from tests.certificates.factories import CERTIFIED
from tests.factories import make_course, make_enrollment, make_signer, make_unit, make_user

PASSWORD = "correct horse battery"


def _login(client: FlaskClient, who: str, password: str = PASSWORD) -> int:
    return client.post("/login", data={"login": who, "password": password}).status_code


def _holder() -> tuple[User, str]:
    province = make_unit("PD", kind="province", serial_prefix="PD")
    ward = make_unit("PD-XA", parent=province, name="Xã Riêng Tư")
    make_signer(province)  # certificates are issued where a signer is configured
    hoa = make_user("hoa.pd@example.vn", full_name="Nguyễn Thị Hoa", phone="0912000321",
                    unit=ward, target_group="citizen")  # fmt: skip
    hoa.birth_date = date(1990, 4, 3)
    course = make_course(**CERTIFIED)
    enrollment = make_enrollment(hoa, course, status=EnrollmentStatus.completed)
    cert = certificates.issue_certificate(enrollment)[0]
    db.session.commit()
    return hoa, cert.serial


def test_a_learner_downloads_everything_kept_about_them(client: FlaskClient, db: object) -> None:
    hoa, serial = _holder()
    assert _login(client, "hoa.pd@example.vn") == 302
    page = client.get("/me/data").get_data(as_text=True)
    assert 'id="download-data"' in page
    response = client.get("/me/data.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"profile.json", "enrollments.json", "attempts.json", "certificates.json",
            "xapi-statements.json", f"certificates/{serial}.pdf"} <= names  # fmt: skip
    profile = json.loads(archive.read("profile.json"))
    assert (profile["full_name"], profile["phone"]) == ("Nguyễn Thị Hoa", "0912000321")
    assert profile["unit"]["code"] == "PD-XA"
    assert profile["birth_date"] == "1990-04-03"
    (enrollment,) = json.loads(archive.read("enrollments.json"))
    assert enrollment["status"] == "completed"
    (cert,) = json.loads(archive.read("certificates.json"))
    assert cert["serial"] == serial
    assert archive.read(f"certificates/{serial}.pdf").startswith(b"%PDF")
    statements = json.loads(archive.read("xapi-statements.json"))
    assert statements, "the certificate's xAPI statement is about her"
    assert all(s["actor"]["account"]["name"] == str(hoa.id) for s in statements)


def test_a_deletion_request_approved_removes_who_she_was_and_keeps_what_counted(
    client: FlaskClient, db: object
) -> None:
    hoa, serial = _holder()
    admin = make_user("admin.pd@example.vn", roles=(Role.admin,))
    db.session.commit()
    _login(client, "0912000321")
    client.post("/me/deletion", data={"reason": "Tôi không học nữa."})
    client.post("/me/deletion", data={"reason": "Bấm hai lần."})  # the same request
    assert db.session.scalar(select(func.count()).select_from(DeletionRequest)) == 1
    assert "Bạn đã đề nghị xoá" in client.get("/me/data").get_data(as_text=True)
    client.post("/logout")
    _login(client, admin.email or "")
    request = db.session.scalar(select(DeletionRequest))
    assert request is not None
    assert "Tôi không học nữa." in client.get("/admin/deletions").get_data(as_text=True)
    client.post(f"/admin/deletions/{request.id}", data={"decision": "approve"})
    assert (
        client.post(f"/admin/deletions/{request.id}", data={"decision": "refuse"}).status_code
        == 409
    )
    client.post("/logout")
    person = db.session.get(User, hoa.id)
    assert person is not None
    assert person.full_name == f"Người dùng đã xoá #{hoa.id}"
    assert person.phone is None
    assert person.birth_date is None
    assert person.email == f"user-{hoa.id}@deleted.lms146.invalid"
    assert not person.active
    assert person.deleted_at is not None
    assert "hoa" not in person.search_text
    assert _login(client, "0912000321") == 200  # no way in any more
    # What she did still counts, and her certificate still checks out.
    completed = db.session.scalar(
        select(func.count()).where(Enrollment.user_id == hoa.id,
                                   Enrollment.status == EnrollmentStatus.completed)
    )  # fmt: skip
    assert completed == 1
    verdict = client.get(f"/api/v1/certificates/{serial}/verify").get_json()
    assert verdict["status"] == "valid"
    assert db.session.get(DeletionRequest, request.id).status == DeletionStatus.approved  # type: ignore[union-attr]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.data_deleted"))
    assert entry is not None
    assert (entry.actor_id, entry.target_id) == (admin.id, str(hoa.id))
    assert "Hoa" not in entry.summary


def test_a_refused_request_says_why(client: FlaskClient, db: object) -> None:
    hoa, _serial = _holder()
    admin = make_user("admin.pd2@example.vn", roles=(Role.admin,))
    request = services.request_deletion(hoa, reason=None)
    services.decide(request, approve=False, by=admin, note="Còn đang trong kỳ thi.")
    db.session.commit()
    _login(client, "hoa.pd@example.vn")
    assert "Còn đang trong kỳ thi." in client.get("/me/data").get_data(as_text=True)
    assert db.session.get(User, hoa.id).active  # type: ignore[union-attr]


def test_accounts_never_activated_are_removed_after_the_period(db: object) -> None:
    old = make_user("cu@example.vn", password=None, full_name="Người Cũ")
    recent = make_user("moi@example.vn", password=None, full_name="Người Mới")
    used = make_user("dung@example.vn", full_name="Người Dùng")
    old.created_at = used.created_at = utcnow() - timedelta(days=200)
    db.session.flush()
    assert services.purge_unactivated(days=180) == 1
    assert old.deleted_at is not None
    assert old.full_name.startswith("Người dùng đã xoá")
    assert recent.deleted_at is None
    assert used.deleted_at is None
