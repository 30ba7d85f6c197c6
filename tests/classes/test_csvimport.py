"""Bulk class enrollment from CSV/XLSX: preview, per-cell errors, all or nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.auth.models import User
from lms.classes import enrollments
from lms.classes.models import Enrollment
from lms.extensions import db as _db
from tests.catalog.helpers import make_people
from tests.factories import enrol, make_class, make_course, make_user
from tests.uploads import unreadable

HEADER = "email,phone,full_name,unit_code,target_group\n"


@pytest.fixture
def setup(db: object) -> dict[str, Any]:
    people = make_people()
    course = make_course(open=False)
    klass = make_class(course, unit=people["commune"], trainers=[people["trainer"]], capacity=20)
    return people | {"course": course, "klass": klass}


def post_csv(
    client: FlaskClient, headers: dict[str, str], code: str, text: str, *, dry_run: bool = False
) -> Any:
    return client.post(
        f"/api/v1/classes/{code}/enrollments/import",
        query_string={"dry_run": "true"} if dry_run else {},
        data={"file": (io.BytesIO(text.encode("utf-8-sig")), "nguoi-hoc.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )


def enrollment_count(klass: Any) -> int:
    return int(_db.session.scalar(select(func.count()).where(Enrollment.class_id == klass.id)) or 0)


def test_preview_lists_what_will_happen_and_writes_nothing(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    existing = make_user("co.mai@example.vn", unit=setup["commune"])
    commune = setup["commune"].code
    text = (
        HEADER
        + f"an@example.vn,,Nguyễn Văn An,{commune},community_tech\n"
        + f"CO.MAI@example.vn,,,{commune},\n"
        + f",0912 345 678,Lê Thị Bình,{commune},citizen\n"
    )
    response = post_csv(
        client, auth_headers(setup["official"]), setup["klass"].code, text, dry_run=True
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["summary"] == {"rows": 3, "create": 2, "enrol": 1, "join": 0, "skip": 0}
    assert [r["action"] for r in body["rows"]] == ["create", "enrol", "create"]
    assert body["rows"][1]["user_id"] == existing.id
    assert body["rows"][2]["phone"] == "0912345678"
    assert enrollment_count(setup["klass"]) == 0
    assert _db.session.scalar(select(User.id).where(User.email == "an@example.vn")) is None


def test_apply_creates_users_and_enrols_everyone(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    commune = setup["commune"].code
    text = (
        HEADER
        + f"an@example.vn,,Nguyễn Văn An,{commune},community_tech\n,0912345678,Lê Thị Bình,,\n"
    )
    response = post_csv(client, auth_headers(setup["official"]), setup["klass"].code, text)
    assert response.status_code == 200, response.json
    assert response.json["summary"]["create"] == 2
    an = _db.session.scalar(select(User).where(User.email == "an@example.vn"))
    assert an.full_name == "Nguyễn Văn An"
    assert an.target_group == "community_tech"
    assert an.password_hash is None
    binh = _db.session.scalar(select(User).where(User.phone == "0912345678"))
    assert binh.unit_id == setup["commune"].id
    enrollment = enrollments.enrollment_for(an, setup["course"])
    assert (enrollment.class_id, enrollment.source) == (setup["klass"].id, "import")
    assert enrollment_count(setup["klass"]) == 2


def test_rows_with_errors_reject_the_whole_file_with_row_and_field(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    commune = setup["commune"].code
    text = (
        HEADER
        + f"an@example.vn,,Nguyễn Văn An,{commune},community_tech\n"
        + f"binh@example,,Lê Thị Bình,{commune},citizen\n"
        + "cuong@example.vn,09x,Trần Cường,KHONG-CO,nobody\n"
        + ",,Không liên lạc,,\n"
        + "dung@example.vn,,,,\n"
        + f"AN@example.vn,,Trùng lặp,{commune},\n"
        + f"em@example.vn,,Em,{setup['other'].code},\n"
    )
    response = post_csv(client, auth_headers(setup["official"]), setup["klass"].code, text)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors == {
        "rows.3.email": ["Not a valid email address."],
        "rows.4.phone": ["Not a valid phone number."],
        "rows.4.unit_code": ["Unknown unit code KHONG-CO."],
        "rows.4.target_group": [errors["rows.4.target_group"][0]],
        "rows.5.email": ["Give an email address or a phone number."],
        "rows.6.full_name": ["Enter the full name of a new person."],
        "rows.7.email": ["Same person as row 2."],
        "rows.8.unit_code": ["This unit is outside your area."],
    }
    assert errors["rows.4.target_group"][0].startswith("Unknown target group")
    assert response.json["message"] == "6 row(s) have errors; nothing was imported."
    assert enrollment_count(setup["klass"]) == 0
    assert _db.session.scalar(select(User.id).where(User.email == "an@example.vn")) is None


def test_people_already_in_the_class_are_skipped_and_self_learners_join(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    inside = make_user("inside@example.vn", unit=setup["commune"])
    enrol(inside, setup["course"], klass=setup["klass"])
    solo = make_user("solo@example.vn", unit=setup["commune"])
    enrollments.enroll(solo, setup["course"], by=None, source="assigned")
    elsewhere = make_user("elsewhere@example.vn", unit=setup["commune"])
    enrol(elsewhere, setup["course"], klass=make_class(setup["course"]))
    text = HEADER + "inside@example.vn,,,,\nsolo@example.vn,,,,\nelsewhere@example.vn,,,,\n"
    response = post_csv(client, auth_headers(setup["trainer"]), setup["klass"].code, text)
    assert response.status_code == 200, response.json
    assert [r["action"] for r in response.json["rows"]] == ["skip", "join", "skip"]
    assert enrollments.enrollment_for(solo, setup["course"]).class_id == setup["klass"].id
    assert enrollment_count(setup["klass"]) == 2


def test_too_many_people_for_the_class_is_409(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    klass = make_class(setup["course"], unit=setup["commune"], capacity=1)
    text = HEADER + "a@example.vn,,A,,\nb@example.vn,,B,,\n"
    response = post_csv(client, auth_headers(setup["official"]), klass.code, text)
    assert response.status_code == 409
    assert response.json["errors"] == {"class": ["The class is full."]}
    assert enrollment_count(klass) == 0


def test_semicolon_csv_with_vietnamese_headers(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    text = "Họ và tên;Số điện thoại;Email\nPhạm Thị Hoa;+84 912 000 111;\n"
    response = post_csv(
        client, auth_headers(setup["official"]), setup["klass"].code, text, dry_run=True
    )
    assert response.status_code == 200, response.json
    assert response.json["rows"][0]["phone"] == "0912000111"
    assert response.json["rows"][0]["full_name"] == "Phạm Thị Hoa"


def test_xlsx_upload_keeps_leading_zeros(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    book = Workbook()
    sheet = book.active
    sheet.append(["email", "phone", "full_name"])
    sheet.append([None, 912345678, "Võ Văn Tám"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        f"/api/v1/classes/{setup['klass'].code}/enrollments/import?dry_run=true",
        data={"file": (io.BytesIO(buffer.getvalue()), "ds.xlsx")},
        headers=auth_headers(setup["official"]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    assert response.json["rows"][0]["phone"] == "0912345678"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "file"),
        ("ho,ten\nA,B\n", "file"),
        ("email,colour\na@example.vn,red\n", "header"),
        (HEADER, "file"),
    ],
)
def test_unusable_files_are_422(
    client: FlaskClient, auth_headers, setup: dict[str, Any], text: str, key: str
) -> None:  # type: ignore[no-untyped-def]
    response = post_csv(client, auth_headers(setup["official"]), setup["klass"].code, text)
    assert response.status_code == 422
    assert key in response.json["errors"]


def post_file(client: FlaskClient, headers: dict[str, str], code: str, data: bytes) -> Any:
    return client.post(
        f"/api/v1/classes/{code}/enrollments/import",
        data={"file": (io.BytesIO(data), "x.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_utf16_file_is_read(client: FlaskClient, auth_headers, setup: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    data = (HEADER + "an@example.vn,,Nguyễn Văn An,,\n").encode("utf-16")
    response = post_file(client, auth_headers(setup["official"]), setup["klass"].code, data)
    assert response.status_code == 200, response.json
    assert response.json["summary"]["create"] == 1
    assert enrollment_count(setup["klass"]) == 1


BAD_FILES = unreadable("email,full_name", "đ@x.vn,Lê Văn Tám")


@pytest.mark.parametrize("fault", list(BAD_FILES))
def test_a_file_that_cannot_be_read_is_400_not_500(
    client: FlaskClient, auth_headers, setup: dict[str, Any], fault: str
) -> None:  # type: ignore[no-untyped-def]
    code = setup["klass"].code
    response = post_file(client, auth_headers(setup["official"]), code, BAD_FILES[fault])
    assert response.status_code == 400, response.json
    assert response.json["errors"] == {"file": [response.json["message"]]}
    assert enrollment_count(setup["klass"]) == 0


def test_a_windows_1258_file_is_refused_with_what_to_do(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    code = setup["klass"].code
    data = BAD_FILES["windows-1258"]
    response = post_file(client, auth_headers(setup["official"]), code, data)
    assert response.status_code == 400
    assert "Windows-1258" in response.json["message"]
    assert "CSV UTF-8" in response.json["message"]


def test_raw_csv_body_is_accepted(client: FlaskClient, auth_headers, setup: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        f"/api/v1/classes/{setup['klass'].code}/enrollments/import?dry_run=1",
        data=(HEADER + "x@example.vn,,X,,\n").encode(),
        headers=auth_headers(setup["official"]) | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 200
    assert response.json["summary"]["create"] == 1


def test_only_managers_of_the_class_may_import(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    text = HEADER + "x@example.vn,,X,,\n"
    assert (
        post_csv(
            client, auth_headers(setup["other_trainer"]), setup["klass"].code, text
        ).status_code
        == 404
    )
    assert (
        post_csv(client, auth_headers(setup["learner"]), setup["klass"].code, text).status_code
        == 403
    )


def test_a_large_file_creates_accounts_in_bulk_like_create_user(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    from lms.org.models import UnitMembership

    klass = make_class(setup["course"], unit=setup["commune"])
    rows = [f"Nguoi{n}@Example.vn,,Người Thứ {n},,official" for n in range(60)]
    text = HEADER + "\n".join(rows) + "\n"
    response = post_csv(client, auth_headers(setup["official"]), klass.code, text)
    assert response.status_code == 200, response.json
    assert response.json["summary"]["create"] == 60
    person = _db.session.scalar(select(User).where(User.email == "nguoi7@example.vn"))
    assert person.full_name == "Người Thứ 7"
    assert person.roles == {"learner"}
    assert person.unit_id == setup["commune"].id
    assert person.search_text.startswith("nguoi thu 7")
    membership = _db.session.scalar(
        select(UnitMembership).where(UnitMembership.user_id == person.id)
    )
    assert (membership.unit_id, membership.valid_to) == (setup["commune"].id, None)
    assert enrollments.enrollment_for(person, setup["course"]).class_id == klass.id
    assert enrollment_count(klass) == 60


def test_the_row_limit_is_written_as_a_number_people_read(setup: dict[str, Any]) -> None:
    """10,000 (10.000 in Vietnamese), not 10000: the limit of a file is a count of rows."""
    from lms.classes.csvimport import MAX_ROWS, parse_rows
    from lms.errors import Invalid

    table = [["email"], *([f"a{i}@example.vn"] for i in range(MAX_ROWS + 1))]
    with pytest.raises(Invalid) as refused:
        parse_rows(table)
    assert refused.value.message == "At most 10,000 rows per file."


def test_an_address_its_account_never_confirmed_does_not_say_who_the_row_is(
    client: FlaskClient, auth_headers, setup: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    """Someone typed the address of a person the official means for their own account: the
    row must not enrol that stranger in the person's place."""
    stranger = make_user("tam@example.vn", unit=setup["commune"], full_name="Kẻ Lạ")
    stranger.email_verified_at = None
    _db.session.commit()  # the refused import rolls back what it began
    commune = setup["commune"].code
    text = HEADER + f"tam@example.vn,,Phan Văn Tâm,{commune},citizen\n"
    response = post_csv(client, auth_headers(setup["official"]), setup["klass"].code, text)
    assert response.status_code == 422
    assert response.json["errors"] == {
        "rows.2.email": ["An account uses this address but has not confirmed it."]
    }
    assert enrollment_count(setup["klass"]) == 0
    stranger.email_verified_at = stranger.created_at  # once it is theirs, the row is them
    _db.session.commit()
    response = post_csv(client, auth_headers(setup["official"]), setup["klass"].code, text)
    assert response.status_code in {200, 201}, response.json
    assert enrollment_count(setup["klass"]) == 1
