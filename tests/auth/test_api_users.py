from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from lms.auth.models import User
from lms.extensions import db
from lms.org.models import Unit

Headers = Callable[[User], dict[str, str]]


def _emails(response: object) -> set[str]:
    return {item["email"] for item in response.get_json()["items"]}  # type: ignore[attr-defined]


def test_list_users_without_login_is_401(client: FlaskClient, people: dict[str, User]) -> None:
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert response.get_json() == {
        "code": 401,
        "status": "Unauthorized",
        "message": "Bạn cần đăng nhập.",
    }


@pytest.mark.parametrize("who", ["learner_hb", "trainer"])
def test_list_users_for_learners_and_trainers_is_403(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, who: str
) -> None:
    response = client.get("/api/v1/users", headers=auth_headers(people[who]))
    assert response.status_code == 403
    assert response.get_json()["message"] == "Bạn không có quyền thực hiện thao tác này."


def test_admin_lists_everyone(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    response = client.get("/api/v1/users?per_page=200", headers=auth_headers(people["admin"]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == len(people)
    assert body["page"] == 1
    assert _emails(response) == {u.email for u in people.values()}


def test_official_lists_only_their_subtree(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    response = client.get("/api/v1/users", headers=auth_headers(people["official_hb"]))
    assert _emails(response) == {"off.hb@example.vn", "hoa@example.vn"}
    response = client.get("/api/v1/users", headers=auth_headers(people["official_qt"]))
    assert _emails(response) == {"off.qt@example.vn", "khoa@example.vn"}


def test_list_users_filters(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    headers = auth_headers(people["official_hp"])

    def emails(query: str) -> set[str]:
        response = client.get(f"/api/v1/users?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return _emails(response)

    assert emails("unit=HP-LECHAN") == {"lan@example.vn"}
    assert emails("unit=HP") == {
        "off.hp@example.vn", "off.hb@example.vn", "trainer@example.vn", "hoa@example.vn",
        "lan@example.vn", "admin@example.vn",
    }  # fmt: skip
    assert emails("target_group=citizen") == {"hoa@example.vn"}
    assert emails("role=trainer") == {"trainer@example.vn"}
    assert emails("q=tran+thi") == {"lan@example.vn"}
    assert emails("q=TRẦN") == {"lan@example.vn"}
    assert emails("q=0912345678") == {"hoa@example.vn"}
    assert emails("q=khoa") == set()  # outside the area


def test_list_users_paginates(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    headers = auth_headers(people["admin"])
    first = client.get("/api/v1/users?per_page=4", headers=headers).get_json()
    second = client.get("/api/v1/users?per_page=4&page=3", headers=headers).get_json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (9, 4, 1)


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("unit=NOPE", 422, "unit"),
        ("target_group=aliens", 422, "target_group"),
        ("role=king", 422, "role"),
        ("per_page=1000", 422, "per_page"),
        ("colour=red", 422, "colour"),
    ],
)
def test_list_users_bad_filters_are_422(
    client: FlaskClient,
    people: dict[str, User],
    auth_headers: Headers,
    query: str,
    status: int,
    field: str,
) -> None:
    response = client.get(f"/api/v1/users?{query}", headers=auth_headers(people["admin"]))
    assert response.status_code == status
    assert field in response.get_json()["errors"]


def test_official_filtering_on_a_unit_outside_their_area_is_403(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    response = client.get("/api/v1/users?unit=QT", headers=auth_headers(people["official_hb"]))
    assert response.status_code == 403


def test_create_user_returns_201_with_location(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "email": "Tuan@Example.vn",
            "phone": "+84 988 000 111",
            "full_name": "Trần Minh Tuấn",
            "unit_code": "HP-HONGBANG",
            "target_group": "official",
            "roles": ["official", "learner"],
        },
        # The city's official makes an official of a ward below: the level above decides.
        headers=auth_headers(people["official_hp"]),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "tuan@example.vn"
    assert body["phone"] == "0988000111"
    assert body["roles"] == ["learner", "official"]
    assert body["unit_code"] == "HP-HONGBANG"
    assert response.headers["Location"].endswith(f"/api/v1/users/{body['id']}")


HB = {"unit_code": "HP-HONGBANG"}
X = {"email": "x@x.vn", "full_name": "X"}


@pytest.mark.parametrize(
    ("who", "body", "status", "field"),
    [
        ("official_hb", HB | {"email": "hoa@example.vn", "full_name": "X"}, 409, "email"),
        ("official_hb", HB | {"phone": "0912 345 678", "full_name": "X"}, 409, "phone"),
        ("official_hb", X | {"unit_code": "HP-LECHAN"}, 403, None),
        ("official_hb", X, 403, None),
        ("official_hb", X | HB | {"roles": ["admin"]}, 403, None),
        ("official_hb", X | {"unit_code": "NOPE"}, 422, "unit_code"),
        ("admin", {"full_name": "X"}, 422, "email"),
        ("admin", {"email": "bad", "full_name": "X"}, 422, "email"),
        ("admin", {"email": "x@x.vn", "full_name": ""}, 422, "full_name"),
        ("admin", X | {"roles": ["king"]}, 422, "roles.0"),
        ("admin", X | {"target_group": "aliens"}, 422, "target_group"),
        ("admin", X | {"password": "short"}, 422, "password"),
        ("admin", X | {"is_admin": True}, 422, "is_admin"),
        ("learner_hb", X, 403, None),
        ("trainer", X, 403, None),
    ],
)  # fmt: skip
def test_create_user_refusals(
    client: FlaskClient,
    people: dict[str, User],
    auth_headers: Headers,
    who: str,
    body: dict,
    status: int,
    field: str | None,
) -> None:
    before = db.session.query(User).count()
    response = client.post("/api/v1/users", json=body, headers=auth_headers(people[who]))
    assert response.status_code == status, response.get_json()
    if field:
        assert field in response.get_json()["errors"]
    assert db.session.query(User).count() == before


def test_create_user_without_login_is_401(client: FlaskClient, db: object) -> None:
    assert client.post("/api/v1/users", json={}).status_code == 401


def test_users_get_themselves(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    hoa = people["learner_hb"]
    response = client.get(f"/api/v1/users/{hoa.id}", headers=auth_headers(hoa))
    assert response.status_code == 200
    assert response.get_json()["full_name"] == "Nguyễn Thị Hoa"


def test_patch_user_by_official_in_area(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, units: dict[str, Unit]
) -> None:
    hoa = people["learner_hb"]
    response = client.patch(
        f"/api/v1/users/{hoa.id}",
        json={"unit_code": "HP-LECHAN", "target_group": "community_tech", "active": False},
        headers=auth_headers(people["official_hp"]),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["unit_code"], body["target_group"], body["active"]) == (
        "HP-LECHAN",
        "community_tech",
        False,
    )


def test_patch_self_name_and_language(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    hoa = people["learner_hb"]
    response = client.patch(
        f"/api/v1/users/{hoa.id}",
        json={"full_name": "Nguyễn Thị Hoà", "locale": "en"},
        headers=auth_headers(hoa),
    )
    assert response.status_code == 200
    assert response.get_json()["locale"] == "en"


@pytest.mark.parametrize(
    ("who", "target", "body", "status"),
    [
        ("learner_hb", "learner_hb", {"roles": ["official"]}, 403),
        ("learner_hb", "learner_hb", {"active": False}, 403),
        ("learner_hb", "learner_lc", {"full_name": "X"}, 404),
        ("official_hb", "learner_lc", {"full_name": "X"}, 404),
        ("official_hb", "learner_hb", {"unit_code": "HP-LECHAN"}, 403),
        ("official_hb", "learner_hb", {"roles": ["admin"]}, 403),
        ("official_hb", "learner_hb", {"email": "lan@example.vn"}, 409),
        ("official_hb", "learner_hb", {"unit_code": "NOPE"}, 422),
        ("official_hb", "learner_hb", {"roles": []}, 422),
        ("official_hb", "learner_hb", {"password_hash": "x"}, 422),
        ("official_hp", "admin", {"roles": ["learner"]}, 403),
    ],
)
def test_patch_user_refusals(
    client: FlaskClient,
    people: dict[str, User],
    auth_headers: Headers,
    who: str,
    target: str,
    body: dict,
    status: int,
) -> None:
    response = client.patch(
        f"/api/v1/users/{people[target].id}", json=body, headers=auth_headers(people[who])
    )
    assert response.status_code == status, response.get_json()
    assert response.get_json()["code"] == status


def test_get_unknown_user_is_404(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    response = client.get("/api/v1/users/999999", headers=auth_headers(people["admin"]))
    assert response.status_code == 404
    assert response.get_json()["message"] == "Không tìm thấy người dùng."


def test_patch_without_login_is_401(client: FlaskClient, people: dict[str, User]) -> None:
    response = client.patch(f"/api/v1/users/{people['learner_hb'].id}", json={"full_name": "X"})
    assert response.status_code == 401
