"""Who sees whom: one matrix over the demo tree, through the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from lms.auth import permissions
from lms.auth.models import Role, User
from lms.org.models import Unit
from tests.factories import make_user

SEES = 200
HIDDEN = 404

# actor -> target -> status of GET /api/v1/users/<target>
MATRIX = {
    "admin": dict.fromkeys(
        ["admin", "official_hp", "official_hb", "official_qt", "trainer", "learner_hb",
         "learner_lc", "learner_qt", "nounit"], SEES,
    ),
    "official_hp": {
        "admin": SEES, "official_hp": SEES, "official_hb": SEES, "official_qt": HIDDEN,
        "trainer": SEES, "learner_hb": SEES, "learner_lc": SEES, "learner_qt": HIDDEN,
        "nounit": HIDDEN,
    },
    "official_hb": {
        "admin": HIDDEN, "official_hp": HIDDEN, "official_hb": SEES, "official_qt": HIDDEN,
        "trainer": HIDDEN, "learner_hb": SEES, "learner_lc": HIDDEN, "learner_qt": HIDDEN,
        "nounit": HIDDEN,
    },
    "official_qt": {
        "admin": HIDDEN, "official_hp": HIDDEN, "official_hb": HIDDEN, "official_qt": SEES,
        "trainer": HIDDEN, "learner_hb": HIDDEN, "learner_lc": HIDDEN, "learner_qt": SEES,
        "nounit": HIDDEN,
    },
    "trainer": {"trainer": SEES, "learner_hb": HIDDEN, "official_hp": HIDDEN},
    "learner_hb": {"learner_hb": SEES, "learner_lc": HIDDEN, "official_hb": HIDDEN},
    "nounit": {"nounit": SEES, "learner_hb": HIDDEN},
}  # fmt: skip
CASES = [(actor, target, status) for actor, row in MATRIX.items() for target, status in row.items()]


@pytest.mark.parametrize(("actor", "target", "status"), CASES)
def test_who_sees_whom(
    client: FlaskClient,
    people: dict[str, User],
    auth_headers: Callable[[User], dict[str, str]],
    actor: str,
    target: str,
    status: int,
) -> None:
    response = client.get(f"/api/v1/users/{people[target].id}", headers=auth_headers(people[actor]))
    assert response.status_code == status
    visible = {
        u["id"]
        for u in client.get("/api/v1/users?per_page=200", headers=auth_headers(people[actor]))
        .get_json()
        .get("items", [])
    }
    if people[actor].has_role(Role.admin, Role.official):
        assert (people[target].id in visible) == (status == SEES)


def test_official_without_unit_manages_nobody(units: dict[str, Unit]) -> None:
    lost = make_user(roles=(Role.official,))
    assert not permissions.unit_in_scope(lost, units["HP"])
    assert not permissions.user_in_scope(lost, make_user(unit=units["HP"]))


class _Class:
    def __init__(self, unit: Unit, trainers: list[User]) -> None:
        self.unit = unit
        self.trainers = trainers


def test_class_managers(people: dict[str, User], units: dict[str, Unit]) -> None:
    klass = _Class(units["HP-HONGBANG"], [people["trainer"]])
    assert permissions.can_manage_class(people["trainer"], klass)
    assert permissions.can_manage_class(people["official_hb"], klass)
    assert permissions.can_manage_class(people["official_hp"], klass)
    assert permissions.can_manage_class(people["admin"], klass)
    assert not permissions.can_manage_class(people["official_qt"], klass)
    assert not permissions.can_manage_class(people["learner_hb"], klass)
    other = make_user(roles=(Role.trainer,))
    assert not permissions.can_manage_class(other, klass)
