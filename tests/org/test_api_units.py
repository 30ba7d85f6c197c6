from __future__ import annotations

from typing import Any

import pytest

from lms.extensions import db
from lms.org import services
from lms.org.models import Unit


def test_list_units_needs_login(client: Any) -> None:
    response = client.get("/api/v1/units")
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_learner_cannot_browse_units(client: Any, learner: Any, auth_headers: Any) -> None:
    response = client.get("/api/v1/units", headers=auth_headers(learner))
    assert response.status_code == 403


def test_admin_lists_current_units_paginated(
    client: Any, tree: dict, admin: Any, auth_headers: Any
) -> None:
    response = client.get("/api/v1/units?per_page=3", headers=auth_headers(admin))
    body = response.get_json()
    assert response.status_code == 200
    assert body["total"] == 9
    assert [u["code"] for u in body["items"]] == ["HD", "HD-KM", "HD-KM-1"]
    assert body["items"][1]["parent"] == "HD"


def test_list_filters(client: Any, tree: dict, admin: Any, auth_headers: Any) -> None:
    headers = auth_headers(admin)

    def get(query: str) -> list[str]:
        response = client.get(f"/api/v1/units?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [u["code"] for u in response.get_json()["items"]]

    assert get("parent=HD") == ["HD-KM", "HD-TP"]
    assert get("kind=district") == ["HD-KM", "HD-TP"]
    assert get("q=kim mon") == ["HD-KM"]
    assert get("q=Ngô") == ["HP-NQ"]
    services.merge_unit(tree["HD"], tree["HP"], on=__import__("datetime").date(2025, 7, 1), by=None)
    db.session.commit()
    assert "HD" not in get("kind=province")
    assert get("kind=province&include_closed=true") == ["HD", "HP"]
    assert get("kind=province&on=2025-06-30") == ["HD", "HP"]
    assert get("parent=HP&on=2025-06-30") == ["HP-LC", "HP-NQ"]
    assert get("parent=HP") == ["HD-KM", "HD-TP", "HP-LC", "HP-NQ"]


def test_list_rejects_bad_query(client: Any, admin: Any, auth_headers: Any, tree: dict) -> None:
    response = client.get("/api/v1/units?kind=planet&bogus=1", headers=auth_headers(admin))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"kind", "bogus"}


def test_official_sees_only_their_subtree(
    client: Any, tree: dict, lc_official: Any, auth_headers: Any
) -> None:
    headers = auth_headers(lc_official)
    body = client.get("/api/v1/units", headers=headers).get_json()
    assert [u["code"] for u in body["items"]] == ["HP-LC", "HP-LC-1"]
    assert client.get("/api/v1/units/HP-NQ", headers=headers).status_code == 404
    assert client.get("/api/v1/units/HP", headers=headers).status_code == 404
    assert client.get("/api/v1/units?parent=HP", headers=headers).status_code == 404
    assert client.get("/api/v1/units/HP-LC", headers=headers).status_code == 200


def test_get_unit_with_children_ancestors_history(
    client: Any, tree: dict, admin: Any, auth_headers: Any
) -> None:
    services.merge_unit(
        tree["HD-KM"], tree["HD-TP"], on=__import__("datetime").date(2025, 7, 1), by=None
    )
    db.session.commit()
    response = client.get(
        "/api/v1/units/HD-KM?include=ancestors,history&include=children",
        headers=auth_headers(admin),
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["valid_to"] == "2025-06-30"
    assert body["successor"] == "HD-TP"
    assert body["current"] is False
    assert [a["code"] for a in body["ancestors"]] == ["HD", "HD-TP"]
    assert body["children"] == []
    assert body["history"] == [
        {
            "parent": "HD",
            "path_codes": ["HD", "HD-KM"],
            "valid_from": "2020-01-01",
            "valid_to": "2025-06-30",
        },
        {
            "parent": "HD-TP",
            "path_codes": ["HD", "HD-TP", "HD-KM"],
            "valid_from": "2025-07-01",
            "valid_to": None,
        },
    ]
    children = client.get(
        "/api/v1/units/HD-TP?include=children", headers=auth_headers(admin)
    ).get_json()
    assert [c["code"] for c in children["children"]] == ["HD-KM-1", "HD-KM-2"]
    everything = client.get(
        "/api/v1/units/HD-TP?include=children&include_closed=true", headers=auth_headers(admin)
    ).get_json()
    assert [c["code"] for c in everything["children"]] == ["HD-KM", "HD-KM-1", "HD-KM-2"]


def test_get_unknown_unit_and_bad_include(
    client: Any, tree: dict, admin: Any, auth_headers: Any
) -> None:
    assert client.get("/api/v1/units/NOPE", headers=auth_headers(admin)).status_code == 404
    response = client.get("/api/v1/units/HP?include=cousins", headers=auth_headers(admin))
    assert response.status_code == 422
    assert "include.0" in response.get_json()["errors"]


# --- create -------------------------------------------------------------------------------------


def test_admin_creates_a_root_unit(client: Any, admin: Any, auth_headers: Any, db: Any) -> None:
    response = client.post(
        "/api/v1/units",
        json={
            "code": "QT",
            "name": "Tỉnh Quảng Trị",
            "kind": "province",
            "serial_prefix": "QT",
            "report_day": 15,
        },
        headers=auth_headers(admin),
    )
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"].endswith("/api/v1/units/QT")
    assert response.get_json()["report_day"] == 15


def test_official_creates_under_own_unit(
    client: Any, tree: dict, lc_official: Any, auth_headers: Any
) -> None:
    headers = auth_headers(lc_official)
    ok = client.post(
        "/api/v1/units",
        json={"code": "HP-LC-2", "name": "Tổ 2", "kind": "other", "parent": "HP-LC"},
        headers=headers,
    )
    assert ok.status_code == 201
    assert ok.get_json()["parent"] == "HP-LC"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"code": "X", "name": "x", "kind": "commune"}, 403, None),
        ({"code": "X", "name": "x", "kind": "commune", "parent": "HP-NQ"}, 422, "parent"),
        ({"code": "X", "name": "x", "kind": "commune", "parent": "NOPE"}, 422, "parent"),
        (
            {"code": "X", "name": "x", "kind": "commune", "parent": "HP-LC", "report_day": 3},
            403,
            None,
        ),
        ({"code": "HP-LC-1", "name": "x", "kind": "commune", "parent": "HP-LC"}, 409, "code"),
        ({"code": "x y", "name": "", "kind": "planet", "parent": "HP-LC", "zzz": 1}, 422, "kind"),
        (
            {
                "code": "X",
                "name": "x",
                "kind": "other",
                "parent": "HP-LC",
                "valid_from": "2024-01-01",
                "valid_to": "2023-01-01",
            },
            422,
            "valid_to",
        ),
    ],
)
def test_create_refusals(
    client: Any,
    tree: dict,
    lc_official: Any,
    auth_headers: Any,
    body: dict,
    status: int,
    field: str | None,
) -> None:
    response = client.post("/api/v1/units", json=body, headers=auth_headers(lc_official))
    assert response.status_code == status, response.get_json()
    if field:
        assert field in response.get_json()["errors"]


def test_create_with_bad_input_lists_every_field(
    client: Any, admin: Any, auth_headers: Any, db: Any
) -> None:
    response = client.post(
        "/api/v1/units",
        json={"code": "x y", "name": "", "kind": "planet", "zzz": 1},
        headers=auth_headers(admin),
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"code", "name", "kind", "zzz"}


def test_learner_cannot_create(client: Any, learner: Any, auth_headers: Any) -> None:
    response = client.post(
        "/api/v1/units",
        json={"code": "X", "name": "x", "kind": "other"},
        headers=auth_headers(learner),
    )
    assert response.status_code == 403


# --- patch ----------------------------------------------------------------------------------------


def test_patch_renames_and_moves(client: Any, tree: dict, admin: Any, auth_headers: Any) -> None:
    response = client.patch(
        "/api/v1/units/HP-LC-1",
        json={"name": "Tổ dân phố 1", "parent": "HP-NQ", "on": "2025-03-01", "kind": "agency"},
        headers=auth_headers(admin),
    )
    body = response.get_json()
    assert response.status_code == 200, body
    assert (body["name"], body["parent"], body["kind"], body["depth"]) == (
        "Tổ dân phố 1",
        "HP-NQ",
        "agency",
        2,
    )
    history = client.get(
        "/api/v1/units/HP-LC-1?include=history", headers=auth_headers(admin)
    ).get_json()["history"]
    assert [(h["parent"], h["valid_to"]) for h in history] == [
        ("HP-LC", "2025-02-28"),
        ("HP-NQ", None),
    ]


def test_patch_moves_to_root_and_sets_admin_fields(
    client: Any, tree: dict, admin: Any, auth_headers: Any
) -> None:
    response = client.patch(
        "/api/v1/units/HP-LC",
        json={"parent": None, "serial_prefix": "LC", "report_day": 5},
        headers=auth_headers(admin),
    )
    assert response.status_code == 200
    assert response.get_json()["parent"] is None
    assert db.session.get(Unit, tree["HP-LC"].id).depth == 0


@pytest.mark.parametrize(
    ("who", "code", "body", "status"),
    [
        ("lc", "HP-LC", {"name": "x"}, 403),  # own unit: changed from above
        ("lc", "HP-NQ", {"name": "x"}, 404),  # outside the area
        ("lc", "HP-LC-1", {"parent": "HP-NQ"}, 422),  # the new parent is outside the area
        ("lc", "HP-LC-1", {"serial_prefix": "X"}, 403),
        ("hp", "HP-LC", {"parent": "HP-LC-1"}, 422),  # under its own child
        ("hp", "HP-LC", {"valid_to": "2024-01-01"}, 409),  # children still open
        ("hp", "HP-LC", {"name": ""}, 422),
        ("hp", "HP-LC", {"code": "NEW"}, 422),
        ("learner", "HP-LC-1", {"name": "x"}, 403),
        ("hp", "NOPE", {"name": "x"}, 404),
    ],
)
def test_patch_refusals(
    client: Any,
    tree: dict,
    lc_official: Any,
    hp_official: Any,
    learner: Any,
    auth_headers: Any,
    who: str,
    code: str,
    body: dict,
    status: int,
) -> None:
    user = {"lc": lc_official, "hp": hp_official, "learner": learner}[who]
    response = client.patch(f"/api/v1/units/{code}", json=body, headers=auth_headers(user))
    assert response.status_code == status, response.get_json()
    assert response.get_json()["message"]


def test_official_patches_below_own_unit(
    client: Any, tree: dict, lc_official: Any, auth_headers: Any
) -> None:
    response = client.patch(
        "/api/v1/units/HP-LC-1", json={"name": "Tổ 1 mới"}, headers=auth_headers(lc_official)
    )
    assert response.status_code == 200


# --- merge ----------------------------------------------------------------------------------------


def test_merge_endpoint(client: Any, tree: dict, admin: Any, auth_headers: Any) -> None:
    response = client.post(
        "/api/v1/units/HD/merge",
        json={"into": "HP", "on": "2025-07-01"},
        headers=auth_headers(admin),
    )
    body = response.get_json()
    assert response.status_code == 200, body
    assert (body["valid_to"], body["successor"], body["parent"]) == ("2025-06-30", "HP", "HP")
    codes = [
        u["code"]
        for u in client.get("/api/v1/units?parent=HP", headers=auth_headers(admin)).get_json()[
            "items"
        ]
    ]
    assert codes == ["HD-KM", "HD-TP", "HP-LC", "HP-NQ"]


@pytest.mark.parametrize(
    ("code", "body", "status", "fragment"),
    [
        ("HD", {"into": "HD", "on": "2025-07-01"}, 422, "itself"),
        ("HD", {"into": "HD-KM-1", "on": "2025-07-01"}, 422, "own units"),
        ("HD", {"into": "HP", "on": "2019-07-01"}, 422, "after the unit started"),
        ("HD", {"into": "NOPE", "on": "2025-07-01"}, 422, "Invalid input"),
        ("HD", {"into": "HP"}, 422, "Invalid input"),
        ("HD", {"into": "HP", "on": "1 July"}, 422, "Invalid input"),
        ("NOPE", {"into": "HP", "on": "2025-07-01"}, 404, "NOPE"),
    ],
)
def test_merge_refusals(
    client: Any,
    tree: dict,
    admin: Any,
    auth_headers: Any,
    code: str,
    body: dict,
    status: int,
    fragment: str,
) -> None:
    response = client.post(f"/api/v1/units/{code}/merge", json=body, headers=auth_headers(admin))
    assert response.status_code == status, response.get_json()
    assert fragment in response.get_json()["message"]


def test_merge_closed_unit_conflicts(
    client: Any, tree: dict, admin: Any, auth_headers: Any
) -> None:
    headers = auth_headers(admin)
    assert (
        client.post(
            "/api/v1/units/HD-TP/merge", json={"into": "HD-KM", "on": "2025-07-01"}, headers=headers
        ).status_code
        == 200
    )
    again = client.post(
        "/api/v1/units/HD-TP/merge", json={"into": "HP", "on": "2025-08-01"}, headers=headers
    )
    assert again.status_code == 409
    assert "already closed" in again.get_json()["message"]
    into_closed = client.post(
        "/api/v1/units/HD-KM-1/merge", json={"into": "HD-TP", "on": "2025-08-01"}, headers=headers
    )
    assert into_closed.status_code == 409


def test_merge_by_officials(
    client: Any, tree: dict, hp_official: Any, lc_official: Any, auth_headers: Any
) -> None:
    denied = client.post(
        "/api/v1/units/HP-LC/merge",
        json={"into": "HP-NQ", "on": "2025-07-01"},
        headers=auth_headers(lc_official),
    )
    assert denied.status_code == 403
    hidden = client.post(
        "/api/v1/units/HD/merge",
        json={"into": "HP", "on": "2025-07-01"},
        headers=auth_headers(hp_official),
    )
    assert hidden.status_code == 404
    ok = client.post(
        "/api/v1/units/HP-LC/merge",
        json={"into": "HP-NQ", "on": "2025-07-01"},
        headers=auth_headers(hp_official),
    )
    assert ok.status_code == 200


def test_every_org_endpoint_is_documented(app: Any) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("org.")]
    assert len(rules) >= 7
    for rule in rules:
        assert getattr(app.view_functions[rule.endpoint], "_api_doc", None), rule.rule


def test_refusals_speak_vietnamese_first(
    client: Any, tree: dict, admin: Any, auth_headers: Any
) -> None:
    from flask_babel import force_locale

    with force_locale("vi"):
        response = client.post(
            "/api/v1/units/HD/merge",
            json={"into": "HD", "on": "2025-07-01"},
            headers=auth_headers(admin),
        )
    assert response.status_code == 422
    assert response.get_json()["message"] == "Không thể sáp nhập đơn vị vào chính nó."
    assert response.get_json()["errors"] == {"into": ["Cùng một đơn vị."]}
