"""Rosters and attendance sheets in Vietnamese order; the roster file names units and statuses
and writes dates as dd/mm/yyyy."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from lms.extensions import db
from tests.catalog.helpers import login, make_people
from tests.factories import enrol, make_class, make_course, make_unit, make_user

#: By given name, then family and middle names; by code points "Đỗ Thị Ánh" would come last.
ORDER = ["Lê Văn An", "Nguyễn Thị An", "Đỗ Thị Ánh", "Trần Văn Bình", "Phạm Văn Đức"]


@pytest.fixture
def people(db: object) -> dict[str, Any]:
    return make_people()


def test_attendance_sheet_and_roster_in_vietnamese_order(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    course = make_course(open=False)
    klass = make_class(course, trainers=[people["trainer"]], sessions=1)
    for name in reversed(ORDER):
        enrol(make_user(full_name=name, unit=people["commune"]), course, klass=klass)
    login(client, people["trainer"])
    page = client.get(f"/classes/{klass.code}/sessions/{klass.sessions[0].id}/attendance").text
    shown = [n for n in re.findall(r">\s*([^<>]+?)\s*<", page) if n in ORDER]
    assert shown == ORDER
    page = client.get(f"/classes/{klass.code}").text
    assert [n for n in re.findall(r">\s*([^<>]+?)\s*<", page) if n in ORDER] == ORDER
    rows = list(csv.reader(io.StringIO(client.get(f"/classes/{klass.code}/roster.csv").text)))
    assert [r[0].lstrip("\ufeff") for r in rows[1:]] == ORDER
    page = client.get(f"/certificates/classes/{klass.code}").text  # whom to issue to
    assert [n for n in re.findall(r">\s*([^<>]+?)\s*<", page) if n in ORDER] == ORDER


def test_roster_file_names_units_and_writes_local_dates(
    app: Flask, client: FlaskClient, people: dict[str, Any]
) -> None:
    course = make_course(open=False)
    klass = make_class(course, trainers=[people["trainer"]])
    person = make_user(full_name="Lê Văn An", unit=people["commune"])
    enrollment = enrol(person, course, klass=klass)
    # 17:30 UTC on 31 December is 00:30 on New Year's Day in Viet Nam.
    enrollment.enrolled_at = datetime(2025, 12, 31, 17, 30, tzinfo=UTC)
    db.session.flush()
    login(client, people["trainer"])
    rows = list(csv.DictReader(io.StringIO(client.get(f"/classes/{klass.code}/roster.csv").text)))
    row = rows[0]
    assert row["Unit"] == people["commune"].name
    assert row["Status"] == "Enrolled"
    assert row["Enrolled on"] == "01/01/2026"
    sheet = load_workbook(io.BytesIO(client.get(f"/classes/{klass.code}/roster.xlsx").data)).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("Enrolled on") + 1)
    assert cell.value == datetime(2026, 1, 1)
    assert cell.number_format == "dd/mm/yyyy"


def test_unit_choices_and_children_in_vietnamese_order(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    province = people["province"]
    for name in ("Kinh Môn", "Đồ Sơn", "Dương Kinh", "Kiến An", "Hải An"):
        make_unit(parent=province, name=name)
    db.session.flush()
    login(client, people["admin"])
    page = client.get(f"/units/{province.code}").text
    wanted = ["Dương Kinh", "Đồ Sơn", "Hải An", "Kiến An", "Kinh Môn", "Phường Hai", "Phường Một"]
    shown = [n for n in re.findall(r">\s*([^<>]+?)\s*<", page) if n in wanted]
    assert shown == wanted
    form = client.get("/classes/new").text
    shown = [n for n in re.findall(r">\s*([^<>]+?)\s*<", form) if n in wanted]
    assert shown == wanted


def test_course_pickers_in_vietnamese_order(client: FlaskClient, people: dict[str, Any]) -> None:
    """By code points "Đồ họa cơ bản" came after "Tin học văn phòng"."""
    for slug, title in (
        ("y-th", "Tin học văn phòng"),
        ("y-dh", "Đồ họa cơ bản"),
        ("y-an", "An toàn thông tin"),
    ):
        make_course(slug, title=title)
    login(client, people["trainer"])
    page = client.get("/classes/new").text
    assert re.findall(r'<option value="(y-[a-z]+)"', page) == ["y-an", "y-dh", "y-th"]


def test_form_refusals_are_in_vietnamese(client: FlaskClient, people: dict[str, Any]) -> None:
    """A refused field says why in the reader's language: the schema's own rules
    ("1-300 characters.") and marshmallow's alike."""
    make_course("y-th", title="Tin học văn phòng")
    with client.session_transaction() as session:
        session["lang"] = "vi"
    login(client, people["trainer"])
    page = client.post(
        "/classes/new",
        data={"course": "y-th", "code": "x y", "title": "a" * 301, "capacity": "0"},
    ).text
    errors = re.findall(r'class="field-error"[^>]*>([^<]*)<', page)
    assert errors == [
        "Từ 2 đến 50 ký tự: chữ, số, &#39;.&#39;, &#39;_&#39; hoặc &#39;-&#39;.",
        "Từ 1 đến 300 ký tự.",
        "Từ 1 đến 100.000.",
    ]
