"""Officials manage people below them: never an admin, never a peer, never outside their area.

The attack of issue 11: a ward official PATCHed an administrator placed in their ward
(``{"active": false}`` answered 200 and locked the admin out; the email could be rewritten).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from lms.auth.models import Role, User
from lms.extensions import db
from lms.org.models import Unit
from tests.auth.conftest import login
from tests.factories import make_user

Headers = Callable[[User], dict[str, str]]


@pytest.fixture
def ward_admin(units: dict[str, Unit]) -> User:
    return make_user("quantri@example.vn", roles=(Role.admin,), unit=units["HP-HONGBANG"])


def test_ward_official_cannot_lock_out_an_admin_of_their_ward(
    client: FlaskClient, people: dict[str, User], ward_admin: User, auth_headers: Headers
) -> None:
    headers = auth_headers(people["official_hb"])
    url = f"/api/v1/users/{ward_admin.id}"
    assert client.get(url, headers=headers).status_code == 200  # in the ward: visible
    locked = client.patch(url, json={"active": False}, headers=headers)
    assert locked.status_code == 403
    assert locked.get_json()["message"] == (
        "Bạn không được thay đổi người có vai trò ngang bằng hoặc cao hơn bạn."
    )
    rewritten = client.patch(url, json={"email": "ke.xau@example.vn"}, headers=headers)
    assert rewritten.status_code == 403
    demoted = client.patch(url, json={"roles": ["learner"]}, headers=headers)
    assert demoted.status_code == 403
    db.session.refresh(ward_admin)
    assert ward_admin.active is True
    assert ward_admin.email == "quantri@example.vn"
    assert ward_admin.roles == {Role.admin}
    assert login(client, ward_admin).status_code == 302  # the admin still logs in


def test_the_city_official_cannot_change_the_admin_either(
    client: FlaskClient, people: dict[str, User], ward_admin: User, auth_headers: Headers
) -> None:
    response = client.patch(
        f"/api/v1/users/{ward_admin.id}",
        json={"active": False},
        headers=auth_headers(people["official_hp"]),
    )
    assert response.status_code == 403
    assert db.session.get(User, ward_admin.id).active is True


def test_only_admins_change_admins(
    client: FlaskClient, people: dict[str, User], ward_admin: User, auth_headers: Headers
) -> None:
    response = client.patch(
        f"/api/v1/users/{ward_admin.id}",
        json={"active": False},
        headers=auth_headers(people["admin"]),
    )
    assert response.status_code == 200
    assert response.get_json()["active"] is False


def test_officials_change_officials_only_of_units_below_their_own(
    client: FlaskClient,
    people: dict[str, User],
    units: dict[str, Unit],
    auth_headers: Headers,
) -> None:
    peer = make_user("dongnghiep@example.vn", roles=(Role.official,), unit=units["HP-HONGBANG"])
    body = {"full_name": "Tên Bị Sửa"}
    by_peer = client.patch(
        f"/api/v1/users/{peer.id}", json=body, headers=auth_headers(people["official_hb"])
    )
    assert by_peer.status_code == 403
    by_city = client.patch(
        f"/api/v1/users/{peer.id}", json=body, headers=auth_headers(people["official_hp"])
    )
    assert by_city.status_code == 200
    other_province = client.patch(
        f"/api/v1/users/{peer.id}", json=body, headers=auth_headers(people["official_qt"])
    )
    assert other_province.status_code == 404  # outside their area: not even there


def test_an_official_changes_only_their_own_name_contacts_and_language(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    me = people["official_hb"]
    headers = auth_headers(me)
    url = f"/api/v1/users/{me.id}"
    assert client.patch(url, json={"full_name": "Trần Minh Tuấn"}, headers=headers).status_code == (
        200
    )
    for change in ({"roles": ["official", "admin"]}, {"active": False}, {"unit_code": "HP"}):
        assert client.patch(url, json=change, headers=headers).status_code == 403, change


def test_officials_grant_the_official_role_only_below_their_own_unit(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    learner = people["learner_hb"]
    own_unit = client.patch(
        f"/api/v1/users/{learner.id}",
        json={"roles": ["learner", "official"]},
        headers=auth_headers(people["official_hb"]),
    )
    assert own_unit.status_code == 403
    assert own_unit.get_json()["message"] == (
        "Chỉ cấp trên mới được giao vai trò cán bộ quản lý tại chính đơn vị của bạn."
    )
    from_above = client.patch(
        f"/api/v1/users/{learner.id}",
        json={"roles": ["learner", "official"]},
        headers=auth_headers(people["official_hp"]),
    )
    assert from_above.status_code == 200
    assert from_above.get_json()["roles"] == ["learner", "official"]


def test_an_import_cannot_make_peers_or_admins(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    csv = (
        "email,full_name,unit_code,roles\n"
        "mot@example.vn,Người Một,HP-HONGBANG,official\n"
        "hai@example.vn,Người Hai,HP-HONGBANG,admin\n"
        "ba@example.vn,Người Ba,HP-HONGBANG,trainer\n"
    )
    response = client.post(
        "/api/v1/users/import",
        data=csv,
        content_type="text/csv",
        headers=auth_headers(people["official_hb"]),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "rows.2.roles": [
            "Chỉ cấp trên mới được giao vai trò cán bộ quản lý tại chính đơn vị của bạn."
        ],
        "rows.3.roles": ["Chỉ quản trị viên mới được cấp vai trò quản trị viên."],
    }
    assert db.session.scalar(db.select(User).where(User.email == "ba@example.vn")) is None
    from_above = client.post(
        "/api/v1/users/import",
        data=csv.replace("HP-HONGBANG,admin", "HP-HONGBANG,learner"),
        content_type="text/csv",
        headers=auth_headers(people["official_hp"]),
    )
    assert from_above.status_code == 201, from_above.get_json()
