"""Results files from platforms without xAPI: preview, accept or reject whole, row errors."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.auth.models import User
from lms.certificates.models import Certificate
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.extensions import db
from lms.learning.models import ResultsImport
from lms.xapi.models import Statement
from tests.learning.conftest import World, login
from tests.uploads import unreadable

Headers = Callable[[object], dict[str, str]]

GOOD = (
    "identity,full_name,course,completed_on,score,unit_code\n"
    "hoa@example.vn,Bà Hoa,dich-vu-cong,2025-05-02,,\n"
    "0912345678,Ông Ba,https://mooc.example.vn/courses/ky-nang-so,03/05/2025,85,HP-LECHAN\n"
)


def _upload(
    client: FlaskClient,
    headers: dict[str, str],
    data: bytes,
    name: str = "kq.csv",
    query: str = "",
    **form: str,
) -> object:
    return client.post(
        f"/api/v1/bridge/imports{query}",
        data={"file": (io.BytesIO(data), name), **form},
        headers=headers,
        content_type="multipart/form-data",
    )


def _statements() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Statement)) or 0)


def test_dry_run_previews_without_writing(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    before = _statements()
    response = _upload(
        client, auth_headers(world.admin), GOOD.encode(), query="?dry_run=true", provision="1"
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "previewed"
    assert body["summary"] == {
        "rows": 2,
        "matched": 1,
        "to_create": 1,
        "duplicates": 0,
        "warnings": 0,
    }
    assert [r["action"] for r in body["preview"]] == ["match", "create"]
    assert _statements() == before
    assert db.session.scalar(select(User).where(User.phone == "0912345678")) is None


def test_accepting_a_preview_records_statements_the_bridge_applies(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    headers = auth_headers(world.admin)
    preview = _upload(client, headers, GOOD.encode(), query="?dry_run=true", provision="1").json
    accepted = client.post(f"/api/v1/bridge/imports/{preview['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["status"] == "accepted"
    assert accepted.json["summary"]["statements"] == 2
    assert accepted.json["summary"]["created"] == 1
    ba = db.session.scalar(select(User).where(User.phone == "0912345678"))
    assert ba is not None
    assert ba.unit is not None
    assert ba.unit.code == "HP-LECHAN"
    for user, course in ((world.citizen, world.dvc), (ba, world.quizzed)):
        enrollment = db.session.scalar(
            select(Enrollment).where(
                Enrollment.user_id == user.id, Enrollment.course_id == course.id
            )
        )
        assert enrollment is not None
        assert enrollment.status == EnrollmentStatus.completed
        assert enrollment.completed_at is not None
    certs = db.session.scalars(select(Certificate).where(Certificate.user_id == ba.id)).all()
    assert len(certs) == 1
    twice = client.post(f"/api/v1/bridge/imports/{preview['id']}/accept", headers=headers)
    assert twice.status_code == 409
    # The same results again are recognised and skipped.
    again = _upload(client, headers, GOOD.encode(), query="?dry_run=true").json
    assert again["summary"]["duplicates"] == 2


def test_row_errors_reject_the_whole_file(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    future = (date.today() + timedelta(days=3)).isoformat()
    bad = (
        "identity,full_name,course,completed_on,score\n"
        "hoa@example.vn,Bà Hoa,dich-vu-cong,2025-05-02,\n"
        "not-an-email@,Ai Đó,dich-vu-cong,2025-05-02,\n"
        "khong-ai@example.vn,,khoa-khong-co,hôm qua,120\n"
        f"hoa@example.vn,Bà Hoa,dich-vu-cong,{future},\n"
    )
    before = _statements()
    response = _upload(client, auth_headers(world.admin), bad.encode())
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {
        "rows.3.identity",
        "rows.4.identity",
        "rows.4.full_name",
        "rows.4.course",
        "rows.4.completed_on",
        "rows.4.score",
        "rows.5.completed_on",
        "rows.5.identity",
    }
    assert _statements() == before
    assert db.session.scalar(select(func.count()).select_from(ResultsImport)) == 0


def test_bad_headers_and_files_are_4xx(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    headers = auth_headers(world.admin)
    missing = _upload(client, headers, b"email,name\nx@y.vn,A\n")
    assert missing.status_code == 422
    assert "header" in missing.json["errors"]
    assert _upload(client, headers, b"\xff\xfe\x00bad", name="x.xlsx").status_code == 400
    assert _upload(client, headers, "identity\n".encode("cp1258") + b"\xe0\n").status_code == 400
    no_file = client.post(
        "/api/v1/bridge/imports", headers=headers, data={}, content_type="multipart/form-data"
    )
    assert no_file.status_code == 400


def test_a_utf16_file_is_read(client: FlaskClient, world: World, auth_headers: Headers) -> None:
    data = GOOD.replace(",", "\t").encode("utf-16")
    response = _upload(
        client, auth_headers(world.admin), data, query="?dry_run=true", provision="1"
    )
    assert response.status_code == 200, response.json
    assert response.json["summary"]["rows"] == 2


BAD_FILES = unreadable(GOOD.splitlines()[0], "hoa@example.vn,Bà Hoa,dich-vu-cong,2025-05-02,,")


@pytest.mark.parametrize("fault", list(BAD_FILES))
def test_a_file_that_cannot_be_read_is_400_not_500(
    client: FlaskClient, world: World, auth_headers: Headers, fault: str
) -> None:
    before = _statements()
    response = _upload(client, auth_headers(world.admin), BAD_FILES[fault])
    assert response.status_code == 400, response.json
    assert response.json["errors"] == {"file": [response.json["message"]]}
    assert _statements() == before
    assert db.session.scalar(select(func.count()).select_from(ResultsImport)) == 0


def test_xlsx_with_account_names_of_a_platform(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Định danh", "Họ tên", "Khoá học", "Ngày hoàn thành", "Điểm"])
    sheet.append(["mooc-555", "Trần Văn Năm", "dich-vu-cong", date(2025, 4, 1), 90])
    buffer = io.BytesIO()
    book.save(buffer)
    headers = auth_headers(world.admin)
    without_platform = _upload(client, headers, buffer.getvalue(), name="kq.xlsx", provision="1")
    assert without_platform.status_code == 422
    assert "rows.2.identity" in without_platform.json["errors"]
    response = _upload(
        client,
        headers,
        buffer.getvalue(),
        name="kq.xlsx",
        platform_id=str(world.platform.id),
        provision="1",
    )
    assert response.status_code == 201, response.json
    accepted = client.post(f"/api/v1/bridge/imports/{response.json['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.json
    from lms.learning.identities import Ifi, find_user
    from lms.learning.models import IdentityKind

    user = find_user(Ifi(IdentityKind.account, "https://mooc.example.vn|mooc-555"))
    assert user is not None
    assert user.full_name == "Trần Văn Năm"
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id))
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed


def test_an_upload_is_previewed_and_written_only_when_accepted(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    """As the README says: preview, then accept. Uploading used to accept at once."""
    headers = auth_headers(world.admin)
    before = _statements()
    response = _upload(client, headers, GOOD.encode(), provision="1")
    assert response.status_code == 201, response.json
    assert response.json["status"] == "previewed"
    assert response.headers["Location"].endswith(f"/api/v1/bridge/imports/{response.json['id']}")
    assert _statements() == before
    assert db.session.scalar(select(User).where(User.phone == "0912345678")) is None
    accepted = client.post(f"/api/v1/bridge/imports/{response.json['id']}/accept", headers=headers)
    assert accepted.status_code == 200
    assert accepted.json["summary"]["statements"] == 2
    assert _statements() > before


def test_a_platform_id_past_the_integer_range_is_422(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    response = _upload(client, auth_headers(world.admin), GOOD.encode(), platform_id="99999999999")
    assert response.status_code == 422
    assert "platform_id" in response.json["errors"]


def test_reject_writes_nothing(client: FlaskClient, world: World, auth_headers: Headers) -> None:
    headers = auth_headers(world.admin)
    preview = _upload(client, headers, GOOD.encode(), query="?dry_run=true", provision="1").json
    before = _statements()
    rejected = client.post(f"/api/v1/bridge/imports/{preview['id']}/reject", headers=headers)
    assert rejected.json["status"] == "rejected"
    assert _statements() == before
    assert (
        client.post(f"/api/v1/bridge/imports/{preview['id']}/accept", headers=headers).status_code
        == 409
    )
    assert client.get("/api/v1/bridge/imports", headers=headers).json["total"] == 1


def test_import_page_previews_shows_cell_errors_and_accepts(
    client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    page = client.get("/learning/imports")
    assert page.status_code == 200
    assert "identity, full_name, course, completed_on" in page.text
    bad = client.post(
        "/learning/imports",
        data={
            "file": (
                io.BytesIO(
                    b"identity,full_name,course,completed_on\nx@,A,dich-vu-cong,2025-01-01\n"
                ),
                "a.csv",
            )
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "rows.2.identity" in bad.text
    assert 'class="cell-error"' in bad.text
    good = client.post(
        "/learning/imports",
        data={"file": (io.BytesIO(GOOD.encode()), "kq.csv"), "provision": "1"},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    detail = client.get(good.headers["Location"])
    assert "accept-import" in detail.text
    assert "Ông Ba" in detail.text
    accepted = client.post(good.headers["Location"] + "/accept", follow_redirects=True)
    assert "The results were accepted." in accepted.text
    record = db.session.scalar(select(ResultsImport))
    assert record is not None
    assert record.status == "accepted"


def test_import_page_is_for_administrators(client: FlaskClient, world: World) -> None:
    login(client, world.citizen)
    assert client.get("/learning/imports").status_code == 403
