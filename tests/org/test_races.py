"""Changes to the tree by parallel identical requests: merged once, imported once."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.auth.models import Role
from lms.org.models import Headcount, Unit, UnitKind, UnitMembership, UnitPlacement
from lms.org.services import assign_user_unit
from lms.org.services.imports import COLUMNS
from tests.factories import make_unit, make_user
from tests.races import PARALLEL, LiveApi, fresh, one_winner, outcome


def admin_token(live: LiveApi) -> str:
    with live.data():
        admin = make_user(f"{fresh('admin')}@example.vn", roles=(Role.admin,))
        admin_id = admin.id
    return live.token(admin_id)


def count(live: LiveApi, model: type, *where: object) -> int:
    with live.data() as db:
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_parallel_mergers_merge_once(live_api: LiveApi) -> None:
    token = admin_token(live_api)
    with live_api.data():
        old = make_unit(fresh("OLD"), kind=UnitKind.province)
        child = make_unit(fresh("OLD-X"), parent=old)
        new = make_unit(fresh("NEW"), kind=UnitKind.province)
        person = make_user(f"{fresh('hv')}@example.vn")
        assign_user_unit(person, child)
        old_code, new_code = old.code, new.code
        old_id, child_id, new_id, person_id = old.id, child.id, new.id, person.id
    replies = live_api.race(
        "POST",
        f"/api/v1/units/{old_code}/merge",
        token=token,
        json={"into": new_code, "on": "2025-07-01"},
    )
    won = one_winner(replies, won=200, lost=409)
    assert (won.json["valid_to"], won.json["successor"]) == ("2025-06-30", new_code)
    assert {r.json["message"] for r in replies if r.status == 409} == {
        f"Unit {old_code} is already closed (30/06/2025)."
    }
    # One change of place each: the first placement and the one after the merger.
    assert count(live_api, UnitPlacement, UnitPlacement.unit_id == old_id) == 2
    assert count(live_api, UnitPlacement, UnitPlacement.unit_id == child_id) == 2
    assert count(live_api, UnitMembership, UnitMembership.user_id == person_id) == 1
    with live_api.data() as db:
        child_now = db.session.get(Unit, child_id)
        assert child_now.parent_id == new_id
        assert child_now.path == f"{db.session.get(Unit, new_id).path}{child_id}/"


def test_parallel_tree_imports_create_each_unit_once(live_api: LiveApi) -> None:
    token = admin_token(live_api)
    root, a, b = fresh("T"), fresh("T-A"), fresh("T-B")
    csv = (
        f"{','.join(COLUMNS)}\n"
        f"{a},Phường A,,commune,{root},,,,,\n"
        f"{root},Tỉnh T,,province,,,,,,15\n"
        f"{b},Xã B,,commune,{root},,,,,\n"
    )
    replies = live_api.race(
        "POST", "/api/v1/units/import", token=token, body=csv.encode(), content_type="text/csv"
    )
    assert outcome(replies) == {200: PARALLEL}, replies
    results = sorted((r.json for r in replies), key=lambda body: -body["created"])
    assert results[0] == {"created": 3, "updated": 0, "moved": 0, "unchanged": 0}
    assert all(
        body == {"created": 0, "updated": 0, "moved": 0, "unchanged": 3} for body in results[1:]
    ), results
    for code in (root, a, b):
        assert count(live_api, Unit, Unit.code == code) == 1
        with live_api.data() as db:
            unit_id = db.session.scalar(select(Unit.id).where(Unit.code == code))
        assert count(live_api, UnitPlacement, UnitPlacement.unit_id == unit_id) == 1


def test_parallel_unit_creations_create_one(live_api: LiveApi) -> None:
    token = admin_token(live_api)
    code = fresh("N")
    replies = live_api.race(
        "POST",
        "/api/v1/units",
        token=token,
        json={"code": code, "name": "Tỉnh N", "kind": "province"},
    )
    one_winner(replies, won=201, lost=409)
    assert count(live_api, Unit, Unit.code == code) == 1


def test_parallel_headcount_loads_create_each_row_once(live_api: LiveApi) -> None:
    token = admin_token(live_api)
    with live_api.data():
        unit = make_unit(fresh("H"), kind=UnitKind.province)
        code, unit_id = unit.code, unit.id
    rows = [
        {"unit": code, "target_group": group, "year": 2025, "count": 100}
        for group in ("leader", "official", "citizen")
    ]
    replies = live_api.race("POST", "/api/v1/headcounts", token=token, json=rows)
    assert outcome(replies) == {200: PARALLEL}, replies
    results = sorted((r.json for r in replies), key=lambda body: -body["created"])
    assert results[0] == {"created": 3, "updated": 0, "unchanged": 0}
    assert all(body == {"created": 0, "updated": 0, "unchanged": 3} for body in results[1:])
    assert count(live_api, Headcount, Headcount.unit_id == unit_id) == 3
