"""Who reads the audit log: admins all of it, officials their subtree's, nobody else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.xapi import clients
from tests.audit.conftest import Headers, People
from tests.auth.conftest import login

TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@dataclass
class Log:
    ward: AuditEntry  # about a person of HP-HONGBANG
    agency: AuditEntry  # about a person of HP-SKHCN
    quang_tri: AuditEntry  # about a person of QT-DONGHOI
    no_unit: AuditEntry  # about an LRS client


@pytest.fixture
def log(people: People) -> Log:
    world = people.world
    lrs_client, _secret = clients.create_client("MOOC")
    return Log(
        ward=audit.record(AuditAction.user_deactivated, people.learner, actor=world.admin),
        agency=audit.record(
            AuditAction.user_roles_changed,
            world.other_trainer,
            actor=world.official_hp,
            details={"roles_before": ["learner"], "roles_after": ["learner", "trainer"]},
        ),
        quang_tri=audit.record(
            AuditAction.user_deactivated, world.stranger, actor=world.official_qt, reason="Nghỉ"
        ),
        no_unit=audit.record(AuditAction.lrs_client_created, lrs_client, actor=world.admin),
    )


def _reader(people: People, who: str) -> User:
    return {
        "admin": people.world.admin,
        "official_hp": people.world.official_hp,
        "official_ward": people.official_ward,
        "official_qt": people.world.official_qt,
        "trainer": people.world.trainer,
        "learner": people.learner,
    }[who]


def _ids(response: object) -> set[int]:
    return {item["id"] for item in response.json["items"]}  # type: ignore[attr-defined]


def test_anonymous_gets_401_on_the_api_and_the_login_page_for_the_page(
    client: FlaskClient, log: Log
) -> None:
    api = client.get("/api/v1/audit")
    assert api.status_code == 401
    assert api.json["code"] == 401
    page = client.get("/audit")
    assert page.status_code == 302
    assert page.location.startswith("/login?next=/audit")


@pytest.mark.parametrize("who", ["learner", "trainer"])
def test_learners_and_trainers_get_403(
    client: FlaskClient, people: People, log: Log, bearer: Headers, who: str
) -> None:
    reader = _reader(people, who)
    api = client.get("/api/v1/audit", headers=bearer(reader))
    assert api.status_code == 403
    assert api.json["code"] == 403
    login(client, reader)
    assert client.get("/audit").status_code == 403


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("admin", {"ward", "agency", "quang_tri", "no_unit"}),
        ("official_hp", {"ward", "agency"}),
        ("official_ward", {"ward"}),
        ("official_qt", {"quang_tri"}),
    ],
)
def test_each_reader_sees_their_area_only(
    client: FlaskClient, people: People, log: Log, bearer: Headers, who: str, visible: set[str]
) -> None:
    reader = _reader(people, who)
    expected = {getattr(log, name).id for name in visible}
    response = client.get("/api/v1/audit", headers=bearer(reader))
    assert response.status_code == 200
    assert _ids(response) == expected
    assert response.json["total"] == len(expected)
    login(client, reader)
    page = client.get("/audit").get_data(as_text=True)
    shown = {int(i) for i in re.findall(r'data-entry="(\d+)"', page)}
    assert shown == expected


def test_entries_read_in_full(
    client: FlaskClient, people: People, log: Log, bearer: Headers
) -> None:
    response = client.get(
        "/api/v1/audit?action=user.deactivated", headers=bearer(people.world.admin)
    )
    item = next(i for i in response.json["items"] if i["id"] == log.quang_tri.id)
    assert item["action"] == "user.deactivated"
    assert item["action_label"] == "Khoá tài khoản"
    assert item["actor_id"] == people.world.official_qt.id
    assert item["target_type"] == "user"
    assert item["target_id"] == str(people.world.stranger.id)
    assert item["unit_code"] == "QT-DONGHOI"
    assert item["reason"] == "Nghỉ"
    assert item["details"] == {}
    assert item["at"].startswith(str(datetime.now().year))


def test_filters_by_actor_action_days_and_unit(
    client: FlaskClient, people: People, log: Log, bearer: Headers
) -> None:
    admin = bearer(people.world.admin)

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/audit?{query}", headers=admin)
        assert response.status_code == 200, response.json
        return _ids(response)

    assert ids(f"actor={people.world.official_hp.id}") == {log.agency.id}
    assert ids("action=lrs_client.created") == {log.no_unit.id}
    assert ids("unit=HP") == {log.ward.id, log.agency.id}
    assert ids("unit=HP-HONGBANG") == {log.ward.id}
    everything = {log.ward.id, log.agency.id, log.quang_tri.id, log.no_unit.id}
    assert ids(f"from={TODAY}&to={TODAY}") == everything
    assert ids(f"to={TODAY - timedelta(days=1)}") == set()
    assert ids(f"from={TODAY + timedelta(days=1)}") == set()
    page = client.get("/api/v1/audit?per_page=1&page=2", headers=admin).json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (4, 2, 1, 1)


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("action=user.exploded", 422, "action"),
        ("from=2026-13-01", 422, "from"),
        ("from=2026-02-01&to=2026-01-01", 422, "from"),
        ("actor=x", 422, "actor"),
        ("unit=NOPE", 422, "unit"),
        ("colour=red", 422, "colour"),
    ],
)
def test_bad_filters_answer_422_with_the_field(
    client: FlaskClient, people: People, bearer: Headers, query: str, status: int, field: str
) -> None:
    response = client.get(f"/api/v1/audit?{query}", headers=bearer(people.world.admin))
    assert response.status_code == status
    assert field in response.json["errors"]


def test_an_official_may_not_filter_on_a_unit_outside_their_area(
    client: FlaskClient, people: People, log: Log, bearer: Headers
) -> None:
    ward = bearer(people.official_ward)
    assert client.get("/api/v1/audit?unit=HP", headers=ward).status_code == 403
    assert client.get("/api/v1/audit?unit=QT-DONGHOI", headers=ward).status_code == 403
    login(client, people.official_ward)
    page = client.get("/audit?unit=QT-DONGHOI")
    assert page.status_code == 200
    assert "Không tìm thấy đơn vị QT-DONGHOI." in page.get_data(as_text=True)


def test_the_page_is_vietnamese_and_filters_too(
    client: FlaskClient, people: People, log: Log
) -> None:
    login(client, people.world.admin)
    html = client.get("/audit").get_data(as_text=True)
    assert "Nhật ký thao tác" in html
    assert "Khoá tài khoản" in html
    assert "Đổi vai trò" in html
    assert "Tạo ứng dụng kết nối LRS" in html
    assert "Vai trò sau" in html
    assert "Giảng viên" in html  # the trainer role, named
    assert "Lý do: Nghỉ" in html
    visible = re.sub(r"<[^>]+>", " ", html)
    for code in ("user.deactivated", "lrs_client", "roles_after", "trainer"):
        assert code not in visible  # no codes where people read
    filtered = client.get("/audit?action=user.roles_changed").get_data(as_text=True)
    assert f'data-entry="{log.agency.id}"' in filtered
    assert f'data-entry="{log.ward.id}"' not in filtered
    bad = client.get("/audit?from=13/01/2026")
    assert bad.status_code == 200
    assert "Ngày không hợp lệ." in bad.get_data(as_text=True)


def test_the_page_is_in_the_navigation_of_officials_and_admins_only(
    client: FlaskClient, people: People
) -> None:
    for reader, shown in ((people.world.official_hp, True), (people.learner, False)):
        login(client, reader)
        nav = client.get("/").get_data(as_text=True).split("</nav>")[0]
        assert ('href="/audit"' in nav) is shown
        client.post("/logout")


def test_the_api_is_documented(app: Flask, client: FlaskClient, db: object) -> None:
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/audit"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names >= {"actor", "action", "from", "to", "unit", "page", "per_page"}
    assert set(operation["responses"]) >= {"200", "401", "403", "422"}
    assert (
        "items"
        in operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    )


def test_the_who_filter_lists_people_in_vietnamese_order(
    client: FlaskClient, people: People
) -> None:
    """By given name, as every list of people: by code points "Đỗ Thị Ánh" came last."""
    from lms.auth.models import Role
    from lms.extensions import db
    from tests.factories import make_user

    names = ["Lê Văn An", "Đỗ Thị Ánh", "Trần Văn Bình", "Vũ Thị Dung", "Phạm Văn Đức"]
    for n, name in enumerate(reversed(names)):
        actor = make_user(f"actor{n}@example.vn", roles=(Role.admin,), full_name=name)
        audit.record(AuditAction.user_deactivated, people.learner, actor=actor)
    db.session.flush()
    login(client, people.world.admin)
    page = client.get("/audit").get_data(as_text=True)
    picker = page[
        page.index('<select id="actor"') : page.index("</select>", page.index('<select id="actor"'))
    ]
    shown = [n for n in re.findall(r">([^<]+)</option>", picker) if n in names]
    assert shown == names
