from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth import importer
from lms.auth.models import Role, User
from lms.extensions import db
from lms.org.models import Unit, UnitMembership
from tests.uploads import unreadable

Headers = Callable[[User], dict[str, str]]

GOOD = """email,phone,full_name,unit_code,target_group,roles
tuan.tran@example.vn,0988 000 001,Trần Minh Tuấn,HP-HONGBANG,community_tech,learner
,0988000002,Nguyễn Thị Bích,HP-HONGBANG,community_tech,
mai.vu@example.vn,,Vũ Thị Mai,HP-HONGBANG,official,learner;trainer
"""


def _post(client: FlaskClient, body: bytes | str, headers: dict[str, str]) -> object:
    data = body.encode() if isinstance(body, str) else body
    return client.post("/api/v1/users/import", data=data, content_type="text/csv", headers=headers)


def _count() -> int:
    return db.session.query(User).count()


def test_import_creates_every_row_with_roles_and_units(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, units: dict[str, Unit]
) -> None:
    response = _post(client, GOOD, auth_headers(people["official_hb"]))
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"created": 3, "rows": 3}
    mai = db.session.scalar(select(User).where(User.email == "mai.vu@example.vn"))
    assert mai is not None
    assert mai.roles == {Role.learner, Role.trainer}
    assert mai.unit is units["HP-HONGBANG"]
    assert mai.password_hash is None
    bich = db.session.scalar(select(User).where(User.phone == "0988000002"))
    assert bich.roles == {Role.learner}
    assert bich.target_group == "community_tech"
    memberships = db.session.scalars(
        select(UnitMembership).where(UnitMembership.user_id.in_([mai.id, bich.id]))
    ).all()
    assert len(memberships) == 2


def test_import_with_bad_rows_writes_nothing_and_names_every_cell(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    csv_text = (
        "email,phone,full_name,unit_code,target_group,roles\n"
        "ok@example.vn,,Người Đúng,HP-HONGBANG,official,learner\n"  # line 2 fine
        "hoa@example.vn,,Trùng DB,HP-HONGBANG,official,\n"  # 3: email taken
        "ok@example.vn,,Trùng file,HP-HONGBANG,official,\n"  # 4: same as line 2
        "x@example.vn,,Sai đơn vị,HP-HONGBNG,official,\n"  # 5: unknown unit
        "y@example.vn,,Ngoài vùng,HP-LECHAN,official,\n"  # 6: outside the area
        "z@example.vn,,Sai nhóm,HP-HONGBANG,oficial,\n"  # 7: unknown group
        "w@example.vn,,Sai vai trò,HP-HONGBANG,official,learner|king\n"  # 8: unknown role
        "v@example.vn,,Quản trị,HP-HONGBANG,official,admin\n"  # 9: admin by an official
        "bad-email,12ab,,,official,\n"  # 10: email, phone, name, unit
        ",,Không liên lạc,HP-HONGBANG,,\n"  # 11: no contact
        "u@example.vn,,Nhiều cột,HP-HONGBANG,official,learner,extra\n"  # 12: extra value
        ",0912345678,Trùng điện thoại,HP-HONGBANG,,\n"  # 13: phone taken
        "q@example.vn,,Đơn vị cũ,QB-DONGHOI-HAITHANH,,\n"  # 14: closed unit (and outside)
    )
    before = _count()
    response = _post(client, csv_text, auth_headers(people["official_hb"]))
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"].startswith("Chưa nhập dữ liệu nào: 12 dòng có lỗi.")
    assert set(body["errors"]) == {
        "rows.3.email", "rows.4.email", "rows.5.unit_code", "rows.6.unit_code",
        "rows.7.target_group", "rows.8.roles", "rows.9.roles", "rows.10.email",
        "rows.10.phone", "rows.10.full_name", "rows.10.unit_code", "rows.11.email",
        "rows.12._row", "rows.13.phone", "rows.14.unit_code",
    }  # fmt: skip
    assert body["errors"]["rows.4.email"] == ["Trùng email với dòng 2."]
    assert "HP-HONGBNG" in body["errors"]["rows.5.unit_code"][0]
    assert body["errors"]["rows.6.unit_code"] == [
        "Đơn vị HP-LECHAN nằm ngoài phạm vi quản lý của bạn."
    ]
    assert body["errors"]["rows.3.email"] == ["Đã có người dùng với địa chỉ email này."]
    assert _count() == before


def test_admin_may_import_admins_and_people_without_unit(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    csv_text = "email,full_name,roles\nboss@example.vn,Sếp,admin|official\nfree@example.vn,Tự do,\n"
    response = _post(client, csv_text, auth_headers(people["admin"]))
    assert response.status_code == 201
    boss = db.session.scalar(select(User).where(User.email == "boss@example.vn"))
    assert boss.roles == {Role.admin, Role.official}


def test_import_accepts_utf8_with_bom_and_semicolons(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    csv_bytes = "\ufeffEmail;Full_Name;Unit_Code\r\nbom@example.vn;Đặng Thị Ngân;HP-HONGBANG\r\n"
    response = _post(client, csv_bytes.encode("utf-8"), auth_headers(people["official_hb"]))
    assert response.status_code == 201, response.get_json()
    ngan = db.session.scalar(select(User).where(User.email == "bom@example.vn"))
    assert ngan.full_name == "Đặng Thị Ngân"


def test_import_reads_utf16_as_excel_saves_unicode_text(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    data = "email\tfull_name\nha.le@example.vn\tLê Thị Hà\n".encode("utf-16")
    response = _post(client, data, auth_headers(people["admin"]))
    assert response.status_code == 201, response.get_json()
    ha = db.session.scalar(select(User).where(User.email == "ha.le@example.vn"))
    assert ha.full_name == "Lê Thị Hà"


@pytest.mark.parametrize("fault", list(unreadable("email,full_name", "x@example.vn,Lê Bé")))
def test_import_answers_400_to_a_file_it_cannot_read(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, fault: str
) -> None:
    before = _count()
    data = unreadable("email,full_name", "x@example.vn,Lê Bé")[fault]
    response = _post(client, data, auth_headers(people["admin"]))
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["errors"] == {"file": [body["message"]]}
    assert _count() == before


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "Tệp trống"),
        (b"email,full_name\n", "không có dòng dữ liệu"),
        (b"mail,name\nx@example.vn,X\n", "Cột không hợp lệ: mail, name"),
        (b"email,unit_code\nx@example.vn,HP\n", "cột full_name"),
        (b"email,email,full_name\nx@example.vn,y@example.vn,X\n", "hai lần"),
    ],
)
def test_import_refuses_bad_files_with_a_clear_message(
    client: FlaskClient,
    people: dict[str, User],
    auth_headers: Headers,
    data: bytes,
    fragment: str,
) -> None:
    before = _count()
    response = _post(client, data, auth_headers(people["admin"]))
    assert response.status_code == 422
    assert fragment in response.get_json()["message"]
    assert _count() == before


def test_import_as_multipart_file(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    response = client.post(
        "/api/v1/users/import",
        data={"file": (io.BytesIO(GOOD.encode()), "team.csv")},
        content_type="multipart/form-data",
        headers=auth_headers(people["official_hb"]),
    )
    assert response.status_code == 201
    missing = client.post(
        "/api/v1/users/import",
        data={"other": "x"},
        content_type="multipart/form-data",
        headers=auth_headers(people["official_hb"]),
    )
    assert missing.status_code == 422
    assert "file" in missing.get_json()["errors"]


def test_import_with_other_content_type_is_415(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    response = client.post(
        "/api/v1/users/import", json={"rows": []}, headers=auth_headers(people["admin"])
    )
    assert response.status_code == 415
    assert "text/csv" in response.get_json()["message"]


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("learner_hb", 403), ("trainer", 403)])
def test_import_refusals_by_role(
    client: FlaskClient,
    people: dict[str, User],
    auth_headers: Headers,
    who: str | None,
    status: int,
) -> None:
    headers = auth_headers(people[who]) if who else {}
    assert _post(client, GOOD, headers).status_code == status


@pytest.mark.parametrize("size", [3, importer.ASYNC_THRESHOLD + 1])
def test_dry_run_checks_the_file_and_writes_nothing(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, size: int
) -> None:
    rows = [f"dry{n}@example.vn,Người số {n},HP-HONGBANG" for n in range(size)]
    csv_text = "email,full_name,unit_code\n" + "\n".join(rows) + "\n"
    before = _count()
    response = client.post(
        "/api/v1/users/import?dry_run=true",
        data=csv_text.encode(),
        content_type="text/csv",
        headers=auth_headers(people["official_hb"]),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"dry_run": True, "created": 0, "rows": size}
    assert _count() == before
    again = _post(client, csv_text, auth_headers(people["official_hb"]))
    assert again.status_code in {201, 202}  # the dry run left nothing behind to clash with


def test_dry_run_reports_bad_rows_like_the_real_import(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    headers = auth_headers(people["official_hb"])
    response = client.post(
        "/api/v1/users/import?dry_run=1",
        data=b"email,full_name\nnot-an-email,An\n",
        content_type="text/csv",
        headers=headers,
    )
    assert response.status_code == 422
    assert "rows.2.email" in response.get_json()["errors"]
    odd = client.post(
        "/api/v1/users/import?dry_run=perhaps", data=GOOD, content_type="text/csv", headers=headers
    )
    assert odd.status_code == 422
    assert "dry_run" in odd.get_json()["errors"]


def test_big_import_runs_as_a_job(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    rows = [
        f"big{n}@example.vn,Người số {n},HP-HONGBANG" for n in range(importer.ASYNC_THRESHOLD + 1)
    ]
    csv_text = "email,full_name,unit_code\n" + "\n".join(rows) + "\n"
    before = _count()
    response = _post(client, csv_text, auth_headers(people["official_hb"]))
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["kind"] == "auth.import_users"
    assert job["status"] == "done"
    assert job["result"] == {"created": 501, "rows": 501}
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    assert _count() == before + 501


def test_import_job_writes_nothing_when_someone_was_added_meanwhile(
    people: dict[str, User],
) -> None:
    from lms.jobs import services as jobs

    rows = importer.validate_csv(
        b"email,full_name\nlate@example.vn,A\nlate2@example.vn,B\n", by=None
    )
    db.session.add(User(email="late2@example.vn", full_name="Đến trước"))
    db.session.flush()
    payload = {"rows": [vars(r) for r in rows], "by_id": None}
    with pytest.raises(Exception, match="chưa nhập dữ liệu nào"):
        jobs.HANDLERS[importer.JOB_KIND](payload, lambda done, total: None)
    assert db.session.scalar(select(User).where(User.email == "late@example.vn")) is None
