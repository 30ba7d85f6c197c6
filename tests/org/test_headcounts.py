from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.errors import Forbidden, Invalid
from lms.extensions import db
from lms.org import services
from lms.org.models import Headcount
from tests.org.conftest import MERGER, forget_login
from tests.uploads import unreadable


def hc(unit: str, group: str, year: int, count: int) -> dict[str, Any]:
    return {"unit": unit, "target_group": group, "year": year, "count": count}


def rows_in_db() -> int:
    return db.session.scalar(select(func.count()).select_from(Headcount)) or 0


def test_import_upserts(tree: dict) -> None:
    first = [hc("HP-LC", "official", 2024, 38), hc("HP-LC", "leader", 2024, 4)]
    assert services.import_headcounts(first, by=None) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    again = [
        hc("HP-LC", "official", 2024, 40),
        hc("HP-LC", "leader", 2024, 4),
        hc("HP-NQ", "citizen", 2024, 15000),
    ]
    assert services.import_headcounts(again, by=None) == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
    }
    assert rows_in_db() == 3


def test_import_reports_every_bad_row_and_writes_nothing(tree: dict) -> None:
    tree["HD-TP"].valid_to = date(2023, 12, 31)
    db.session.flush()
    rows = [
        hc("HP-LC", "official", 2024, 38),
        hc("NOPE", "wizard", 1999, -1),
        {"unit": "HP-LC", "target_group": "leader", "year": "2024", "count": "4", "extra": 1},
        {"unit": "HP-LC"},
        hc("HD-TP", "official", 2024, 10),
        hc("HP-LC", "official", 2024, 39),
        hc("HP-LC", "citizen", 2024, True),
        "not a row",
    ]
    with pytest.raises(Invalid) as err:
        services.import_headcounts(rows, by=None)
    assert err.value.errors == {
        "rows.2.unit": ["Unknown unit NOPE."],
        "rows.2.target_group": ["Unknown target group wizard."],
        "rows.2.year": ["Must be a year between 2000 and 2100."],
        "rows.2.count": ["Must be a whole number, 0 or more."],
        "rows.3.extra": ["Unknown field."],
        "rows.4.target_group": ["Missing data for required field."],
        "rows.4.year": ["Missing data for required field."],
        "rows.4.count": ["Missing data for required field."],
        "rows.5.year": ["Unit HD-TP did not exist in 2024."],
        "rows.6.unit": ["Same unit, target group and year as row 1."],
        "rows.7.count": ["Must be a whole number, 0 or more."],
        "rows.8": ["Must be an object."],
    }
    assert rows_in_db() == 0


def test_officials_load_headcounts_of_their_subtree_only(
    tree: dict, lc_official: Any, learner: Any
) -> None:
    assert (
        services.import_headcounts([hc("HP-LC-1", "citizen", 2025, 300)], by=lc_official)["created"]
        == 1
    )
    with pytest.raises(Invalid) as err:
        services.import_headcounts([hc("HP-NQ", "citizen", 2025, 300)], by=lc_official)
    assert err.value.errors == {"rows.1.unit": ["Unknown unit HP-NQ."]}
    with pytest.raises(Forbidden):
        services.import_headcounts([hc("HP-LC", "citizen", 2025, 300)], by=learner)


def seed_counts(tree: dict) -> None:
    rows = []
    for code in ("HP", "HP-LC", "HP-NQ", "HD", "HD-KM", "HD-KM-1", "HD-KM-2", "HD-TP"):
        rows.append(hc(code, "official", 2024, 10))
    for code in ("HP", "HP-LC", "HP-NQ", "HD-KM", "HD-KM-1", "HD-KM-2", "HD-TP"):
        rows.append(hc(code, "official", 2026, 20))
    rows.append(hc("HD", "leader", 2024, 3))
    services.import_headcounts(rows, by=None)


def test_rollup_counts_each_year_by_its_own_tree(tree: dict) -> None:
    seed_counts(tree)
    services.merge_unit(tree["HD"], tree["HP"], on=MERGER, by=None)
    hp = {
        (r["year"], r["target_group"]): r["count"] for r in services.rollup_headcounts(tree["HP"])
    }
    assert hp == {(2024, "official"): 30, (2026, "official"): 140}
    hd = services.rollup_headcounts(tree["HD"], year=2024)
    assert {(r["target_group"], r["count"]) for r in hd} == {("official", 50), ("leader", 3)}
    assert services.rollup_headcounts(tree["HD"], year=2026) == []  # closed in 2025
    only = services.rollup_headcounts(tree["HP"], year=2026, target_group="official")
    assert only[0]["units"] == 7
    assert only[0]["as_of"] == date(2026, 12, 31)


# --- API ------------------------------------------------------------------------------------------


def test_post_json_and_csv(client: Any, tree: dict, admin: Any, auth_headers: Any) -> None:
    headers = auth_headers(admin)
    response = client.post(
        "/api/v1/headcounts", json=[hc("HP-LC", "leader", 2025, 4)], headers=headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"created": 1, "updated": 0, "unchanged": 0}
    csv = "unit_code,target_group,year,count\nHP-LC,leader,2025,5\nHP-NQ,leader,2025,6\n"
    response = client.post(
        "/api/v1/headcounts", data=csv.encode(), content_type="text/csv", headers=headers
    )
    assert response.get_json() == {"created": 1, "updated": 1, "unchanged": 0}
    upload = {"file": (__import__("io").BytesIO(csv.encode("utf-16")), "hc.csv")}
    response = client.post(
        "/api/v1/headcounts", data=upload, content_type="multipart/form-data", headers=headers
    )
    assert response.get_json() == {"created": 0, "updated": 0, "unchanged": 2}


def test_post_refusals(
    client: Any, tree: dict, admin: Any, learner: Any, auth_headers: Any
) -> None:
    assert client.post("/api/v1/headcounts", json=[]).status_code == 401
    assert (
        client.post("/api/v1/headcounts", json=[], headers=auth_headers(learner)).status_code == 403
    )
    forget_login()
    headers = auth_headers(admin)
    not_list = client.post("/api/v1/headcounts", json={"unit": "HP"}, headers=headers)
    assert not_list.status_code == 422
    bad_csv = "unit_code,target_group,year,count\nHP-LC,leader,2025,x\nNOPE,leader,2025,1\n"
    response = client.post(
        "/api/v1/headcounts", data=bad_csv, content_type="text/csv", headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "rows.1.count": ["Must be a whole number, 0 or more."],
        "rows.2.unit_code": ["Unknown unit NOPE."],
    }
    latin = client.post(
        "/api/v1/headcounts",
        data="unit_code\nHải".encode("latin-1", "replace") + b"\xe1",
        content_type="text/csv",
        headers=headers,
    )
    assert latin.status_code == 400
    other = client.post(
        "/api/v1/headcounts", data="x", content_type="application/xml", headers=headers
    )
    assert other.status_code == 400
    assert rows_in_db() == 0


HEADCOUNT_FILES = unreadable("unit_code,target_group,year,count", "Lê Chân,leader,2025,5")


@pytest.mark.parametrize("fault", list(HEADCOUNT_FILES))
def test_a_headcount_file_that_cannot_be_read_is_400(
    client: Any, tree: dict, admin: Any, auth_headers: Any, fault: str
) -> None:
    response = client.post(
        "/api/v1/headcounts",
        data=HEADCOUNT_FILES[fault],
        content_type="text/csv",
        headers=auth_headers(admin),
    )
    assert response.status_code == 400, response.get_json()
    assert rows_in_db() == 0


def test_get_list_and_rollup(client: Any, tree: dict, admin: Any, auth_headers: Any) -> None:
    seed_counts(tree)
    services.merge_unit(tree["HD"], tree["HP"], on=MERGER, by=None)
    db.session.commit()
    headers = auth_headers(admin)
    listed = client.get("/api/v1/headcounts?unit=HD&year=2024", headers=headers).get_json()
    assert [(i["unit"], i["target_group"], i["count"]) for i in listed["items"]] == [
        ("HD", "leader", 3),
        ("HD", "official", 10),
    ]
    assert (
        client.get("/api/v1/headcounts?year=2024&per_page=2", headers=headers).get_json()["total"]
        == 9
    )
    rollup = client.get(
        "/api/v1/headcounts?unit=HP&rollup=true&target_group=official", headers=headers
    ).get_json()
    assert [(i["year"], i["count"], i["as_of"]) for i in rollup["items"]] == [
        (2024, 30, "2024-12-31"),
        (2026, 140, "2026-12-31"),
    ]
    old = client.get("/api/v1/headcounts?unit=HD&rollup=true&year=2024", headers=headers).get_json()
    assert sum(i["count"] for i in old["items"]) == 53


def test_get_refusals_and_scope(
    client: Any, tree: dict, lc_official: Any, auth_headers: Any
) -> None:
    seed_counts(tree)
    db.session.commit()
    headers = auth_headers(lc_official)
    assert client.get("/api/v1/headcounts?rollup=true", headers=headers).status_code == 422
    assert client.get("/api/v1/headcounts?unit=HP", headers=headers).status_code == 404
    assert client.get("/api/v1/headcounts?year=1800", headers=headers).status_code == 422
    mine = client.get("/api/v1/headcounts", headers=headers).get_json()
    assert {i["unit"] for i in mine["items"]} == {"HP-LC"}
