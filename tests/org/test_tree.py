from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from lms.errors import Conflict, Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.org import services
from lms.org.models import Unit, UnitKind, UnitMembership, UnitPlacement
from tests.factories import make_unit, make_user
from tests.org.conftest import AFTER, BEFORE, MERGER


def codes(stmt: Any) -> set[str]:
    ids = select(Unit.code).where(Unit.id.in_(stmt))
    return set(db.session.scalars(ids))


def test_get_unit_unknown_raises_not_found(db: Any) -> None:
    with pytest.raises(NotFound):
        services.get_unit("NOPE")


def test_subtree_ids_is_the_unit_and_everything_below(tree: dict) -> None:
    assert codes(services.subtree_ids(tree["HD"])) == {"HD", "HD-KM", "HD-KM-1", "HD-KM-2", "HD-TP"}
    assert codes(services.subtree_ids(tree["HD-KM-1"])) == {"HD-KM-1"}


def test_subtree_ids_before_the_unit_existed_is_empty(tree: dict) -> None:
    assert codes(services.subtree_ids(tree["HP"], on=date(2019, 12, 31))) == set()


def test_ancestors_root_first_and_province_of(tree: dict) -> None:
    assert [u.code for u in services.ancestors(tree["HP-LC-1"])] == ["HP", "HP-LC"]
    assert services.ancestors(tree["HP"]) == []
    assert services.province_of(tree["HP-LC-1"]).code == "HP"
    assert services.province_of(tree["HP"]).code == "HP"


def test_province_of_a_tree_without_provinces_is_its_root(db: Any) -> None:
    root = make_unit("ROOT", kind=UnitKind.agency)
    child = make_unit("CHILD", parent=root)
    assert services.province_of(child) is root


def test_units_valid_on(tree: dict) -> None:
    tree["HD-TP"].valid_to = date(2024, 6, 30)
    db.session.flush()
    assert "HD-TP" not in {u.code for u in db.session.scalars(services.units_valid_on(AFTER))}
    assert "HD-TP" in {
        u.code
        for u in db.session.scalars(services.units_valid_on(BEFORE - (BEFORE - date(2024, 1, 1))))
    }


# --- people ----------------------------------------------------------------------------------


def memberships(user: Any) -> list[tuple[str, date, date | None]]:
    rows = db.session.scalars(
        select(UnitMembership)
        .where(UnitMembership.user_id == user.id)
        .order_by(UnitMembership.valid_from)
    )
    return [(r.unit.code, r.valid_from, r.valid_to) for r in rows]


def test_assign_user_unit_keeps_history(tree: dict) -> None:
    user = make_user()
    services.assign_user_unit(user, tree["HP-LC"], on=date(2024, 1, 1))
    services.assign_user_unit(user, tree["HP-NQ"], on=date(2025, 3, 1))
    assert user.unit is tree["HP-NQ"]
    assert memberships(user) == [
        ("HP-LC", date(2024, 1, 1), date(2025, 2, 28)),
        ("HP-NQ", date(2025, 3, 1), None),
    ]
    assert services.unit_of_user_on(user, date(2024, 6, 1)) == tree["HP-LC"].id


def test_assign_user_unit_twice_the_same_day_replaces(tree: dict) -> None:
    user = make_user()
    services.assign_user_unit(user, tree["HP-LC"], on=date(2024, 1, 1))
    services.assign_user_unit(user, tree["HP-NQ"], on=date(2024, 1, 1))
    assert memberships(user) == [("HP-NQ", date(2024, 1, 1), None)]


def test_assign_user_unit_same_unit_is_a_no_op_and_none_closes(tree: dict) -> None:
    user = make_user()
    services.assign_user_unit(user, tree["HP-LC"], on=date(2024, 1, 1))
    services.assign_user_unit(user, tree["HP-LC"], on=date(2024, 5, 1))
    services.assign_user_unit(user, None, on=date(2025, 1, 1))
    assert user.unit is None
    assert memberships(user) == [("HP-LC", date(2024, 1, 1), date(2024, 12, 31))]


def test_assign_user_unit_writes_the_missing_earlier_membership(tree: dict) -> None:
    user = make_user(unit=tree["HP-LC"])  # unit set directly, no membership row
    services.assign_user_unit(user, tree["HP-NQ"], on=date(2025, 1, 1))
    assert memberships(user) == [
        ("HP-LC", date(2020, 1, 1), date(2024, 12, 31)),
        ("HP-NQ", date(2025, 1, 1), None),
    ]


# --- moves -------------------------------------------------------------------------------------


def test_move_rewrites_paths_of_the_subtree_and_keeps_history(tree: dict) -> None:
    services.move_unit(tree["HP-LC"], tree["HP-NQ"], on=date(2025, 1, 1), by=None)
    lc, leaf, nq = tree["HP-LC"], tree["HP-LC-1"], tree["HP-NQ"]
    assert lc.parent is nq
    assert lc.path == f"{nq.path}{lc.id}/"
    assert leaf.path == f"{lc.path}{leaf.id}/"
    assert (lc.depth, leaf.depth) == (2, 3)
    assert codes(services.subtree_ids(nq)) == {"HP-NQ", "HP-LC", "HP-LC-1"}
    assert codes(services.subtree_ids(nq, on=date(2024, 12, 31))) == {"HP-NQ"}
    assert codes(services.subtree_ids(nq, on=date(2025, 1, 1))) == {"HP-NQ", "HP-LC", "HP-LC-1"}
    placements = db.session.scalars(
        select(UnitPlacement)
        .where(UnitPlacement.unit_id == leaf.id)
        .order_by(UnitPlacement.valid_from)
    ).all()
    assert [(p.valid_from, p.valid_to) for p in placements] == [
        (date(2020, 1, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), None),
    ]


def test_move_under_own_descendant_is_refused(tree: dict) -> None:
    with pytest.raises(Invalid) as err:
        services.move_unit(tree["HP-LC"], tree["HP-LC-1"], on=date(2025, 1, 1), by=None)
    assert "parent" in err.value.errors


def test_move_dated_before_a_later_change_is_refused(tree: dict) -> None:
    services.move_unit(tree["HP-LC-1"], tree["HP-NQ"], on=date(2025, 5, 1), by=None)
    with pytest.raises(Conflict):
        services.move_unit(tree["HP-NQ"], tree["HP-LC"], on=date(2025, 1, 1), by=None)


def test_move_twice_the_same_day_keeps_one_placement(tree: dict) -> None:
    leaf = tree["HP-LC-1"]
    services.move_unit(leaf, tree["HP-NQ"], on=date(2025, 5, 1), by=None)
    services.move_unit(leaf, tree["HD-KM"], on=date(2025, 5, 1), by=None)
    rows = db.session.scalars(
        select(UnitPlacement)
        .where(UnitPlacement.unit_id == leaf.id)
        .order_by(UnitPlacement.valid_from)
    ).all()
    assert [(p.parent_id, p.valid_to) for p in rows] == [
        (tree["HP-LC"].id, date(2025, 4, 30)),
        (tree["HD-KM"].id, None),
    ]


def test_official_moves_only_inside_their_unit(
    tree: dict, lc_official: Any, hp_official: Any
) -> None:
    with pytest.raises(Forbidden):  # their own unit is changed from above
        services.move_unit(tree["HP-LC"], tree["HP-NQ"], by=lc_official)
    with pytest.raises(NotFound):  # outside their area
        services.move_unit(tree["HP-NQ"], tree["HP-LC"], by=lc_official)
    with pytest.raises(Forbidden):  # to a parent outside their area
        services.move_unit(tree["HP-LC-1"], tree["HD"], by=hp_official)
    services.move_unit(tree["HP-LC-1"], tree["HP-NQ"], by=hp_official)


# --- mergers -----------------------------------------------------------------------------------


def test_merge_closes_moves_children_and_keeps_old_tree_for_past_dates(tree: dict) -> None:
    hp, hd = tree["HP"], tree["HD"]
    services.merge_unit(hd, hp, on=MERGER, by=None)
    assert hd.valid_to == date(2025, 6, 30)
    assert hd.successor is hp
    assert hd.parent is hp
    assert tree["HD-KM"].parent is hp
    assert tree["HD-KM-1"].parent is tree["HD-KM"]
    # 2024 by the old tree, 2026 by the new one
    assert codes(services.subtree_ids(hd, on=BEFORE)) == {
        "HD",
        "HD-KM",
        "HD-KM-1",
        "HD-KM-2",
        "HD-TP",
    }
    assert codes(services.subtree_ids(hp, on=BEFORE)) == {"HP", "HP-LC", "HP-LC-1", "HP-NQ"}
    everything = {"HP", "HP-LC", "HP-LC-1", "HP-NQ", "HD", "HD-KM", "HD-KM-1", "HD-KM-2", "HD-TP"}
    assert codes(services.subtree_ids(hp, on=AFTER)) == everything
    assert codes(services.subtree_ids(hp)) == everything
    assert codes(services.subtree_ids(hd, on=AFTER)) == {"HD"}
    assert codes(services.subtree_ids(hd, on=date(2025, 6, 30))) == {
        "HD",
        "HD-KM",
        "HD-KM-1",
        "HD-KM-2",
        "HD-TP",
    }
    assert services.province_of(tree["HD-KM-1"]) is hp


def test_merge_leaves_closed_children_with_the_merged_unit(tree: dict) -> None:
    services.merge_unit(tree["HD-KM-1"], tree["HD-KM-2"], on=date(2025, 3, 1), by=None)
    services.merge_unit(tree["HD-KM"], tree["HD-TP"], on=MERGER, by=None)
    assert tree["HD-KM-2"].parent is tree["HD-TP"]
    assert tree["HD-KM-1"].parent is tree["HD-KM-2"]  # merged in March, stays with its successor
    assert tree["HD-KM"].parent is tree["HD-TP"]
    assert codes(services.subtree_ids(tree["HD-KM"], on=date(2025, 1, 1))) == {
        "HD-KM",
        "HD-KM-1",
        "HD-KM-2",
    }


def test_merge_moves_people_with_history(tree: dict) -> None:
    user = make_user()
    services.assign_user_unit(user, tree["HD"], on=date(2024, 1, 1))
    other = make_user(unit=tree["HD"])
    services.merge_unit(tree["HD"], tree["HP"], on=MERGER, by=None)
    assert user.unit is tree["HP"]
    assert memberships(user) == [
        ("HD", date(2024, 1, 1), date(2025, 6, 30)),
        ("HP", MERGER, None),
    ]
    assert memberships(other) == [("HD", date(2020, 1, 1), date(2025, 6, 30)), ("HP", MERGER, None)]
    assert services.unit_of_user_on(user, BEFORE) == tree["HD"].id


@pytest.mark.parametrize(
    ("source", "target", "on", "error"),
    [
        ("HD", "HD", MERGER, Invalid),
        ("HD", "HD-KM-1", MERGER, Invalid),
        ("HD", "HP", date(2019, 1, 1), Invalid),
        ("HD", "HP", date(2020, 1, 1), Invalid),
    ],
)
def test_merge_refusals(tree: dict, source: str, target: str, on: date, error: type) -> None:
    with pytest.raises(error):
        services.merge_unit(tree[source], tree[target], on=on, by=None)


def test_merge_into_a_closed_unit_or_twice_is_a_conflict(tree: dict) -> None:
    services.merge_unit(tree["HD-TP"], tree["HD-KM"], on=MERGER, by=None)
    with pytest.raises(Conflict, match="does not exist"):
        services.merge_unit(tree["HD-KM-1"], tree["HD-TP"], on=MERGER, by=None)
    with pytest.raises(Conflict, match="already closed"):
        services.merge_unit(tree["HD-TP"], tree["HP"], on=date(2025, 8, 1), by=None)


def test_refusals_write_their_dates_as_people_read_them(tree: dict) -> None:
    """dd/mm/yyyy in the messages a person reads (the API's and the pages'), never 2025-06-30."""
    services.merge_unit(tree["HD-TP"], tree["HD-KM"], on=MERGER, by=None)
    with pytest.raises(Conflict) as closed:
        services.merge_unit(tree["HD-TP"], tree["HP"], on=date(2025, 8, 1), by=None)
    with pytest.raises(Conflict) as missing:
        services.merge_unit(tree["HD-KM-1"], tree["HD-TP"], on=MERGER, by=None)
    with pytest.raises(Conflict) as parent_closed:
        services.create_unit(
            code="HD-TP-9",
            name="Xã Chín",
            kind="commune",
            parent=tree["HD-TP"],
            valid_from=date(2025, 9, 1),
            by=None,
        )
    services.move_unit(tree["HP-LC-1"], tree["HP-NQ"], on=date(2025, 5, 1), by=None)
    with pytest.raises(Conflict) as order:
        services.move_unit(tree["HP-NQ"], tree["HP-LC"], on=date(2025, 1, 1), by=None)
    assert "(30/06/2025)" in closed.value.message
    assert "01/07/2025" in missing.value.message
    assert "30/06/2025" in parent_closed.value.message
    assert "01/05/2025" in order.value.message
    assert order.value.errors["on"] == ["Must not be before 01/05/2025."]
    for error in (closed, missing, parent_closed, order):
        assert "2025-" not in error.value.message


# --- create / update ----------------------------------------------------------------------------


def test_create_unit_places_it(tree: dict, hp_official: Any) -> None:
    unit = services.create_unit(
        code="HP-NEW", name="Phường Mới", kind="commune", parent=tree["HP-LC"], by=hp_official
    )
    assert unit.path == f"{tree['HP-LC'].path}{unit.id}/"
    assert unit.valid_from == date(2020, 1, 1)  # the parent's start
    assert codes(services.subtree_ids(tree["HP"], on=date(2021, 1, 1))) >= {"HP-NEW"}


def test_create_unit_refusals(tree: dict, hp_official: Any) -> None:
    with pytest.raises(Conflict):
        services.create_unit(code="HP", name="x", kind="commune", by=None)
    with pytest.raises(Forbidden):
        services.create_unit(code="ROOT2", name="x", kind="province", by=hp_official)
    with pytest.raises(Forbidden):
        services.create_unit(code="X1", name="x", kind="commune", parent=tree["HD"], by=hp_official)
    with pytest.raises(Forbidden):
        services.create_unit(
            code="X2",
            name="x",
            kind="commune",
            parent=tree["HP"],
            serial_prefix="X",
            by=hp_official,
        )


def test_update_unit_period_rules(tree: dict) -> None:
    with pytest.raises(Conflict):  # children still open
        services.update_unit(tree["HD"], {"valid_to": date(2025, 6, 30)}, by=None)
    services.update_unit(tree["HD-KM-1"], {"valid_to": date(2025, 6, 30), "name": "Xã 1"}, by=None)
    assert tree["HD-KM-1"].search_text == "hd-km-1 xa 1"
    services.update_unit(tree["HD-TP"], {"valid_from": date(2021, 1, 1)}, by=None)
    first = db.session.scalar(
        select(UnitPlacement).where(UnitPlacement.unit_id == tree["HD-TP"].id)
    )
    assert first.valid_from == date(2021, 1, 1)
    services.merge_unit(tree["HD-KM-2"], tree["HD-TP"], on=MERGER, by=None)
    with pytest.raises(Conflict, match="reopened"):
        services.update_unit(tree["HD-KM-2"], {"valid_to": None}, by=None)


def test_unit_query_searches_without_diacritics_and_scopes(tree: dict, hp_official: Any) -> None:
    found = db.session.scalars(services.unit_query(None, q="hai phong")).all()
    assert [u.code for u in found] == ["HP"]
    mine = {u.code for u in db.session.scalars(services.unit_query(hp_official))}
    assert mine == {"HP", "HP-LC", "HP-LC-1", "HP-NQ"}
