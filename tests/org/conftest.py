"""A small tree shaped like the 2025 reform, for the org tests.

HP (province) ─ HP-LC (commune) ─ HP-LC-1 (other)
             └ HP-NQ (commune)
HD (province) ─ HD-KM (district) ─ HD-KM-1 (commune), HD-KM-2 (commune)
             └ HD-TP (district)
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import g
from flask_babel import force_locale

from lms.auth.models import Role
from lms.org.models import UnitKind
from tests.factories import make_unit, make_user


@pytest.fixture(autouse=True)
def english(request: pytest.FixtureRequest) -> Any:
    """Assert on the English messages (the default language is Vietnamese).

    Tests without a database get no app context and so English anyway.
    """
    if "db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("db")
    with force_locale("en"):
        yield


@pytest.fixture
def tree(db: Any) -> dict[str, Any]:
    t: dict[str, Any] = {}
    t["HP"] = make_unit("HP", kind=UnitKind.province, name="Thành phố Hải Phòng")
    t["HP-LC"] = make_unit("HP-LC", parent=t["HP"], name="Phường Lê Chân")
    t["HP-LC-1"] = make_unit("HP-LC-1", parent=t["HP-LC"], kind=UnitKind.other, name="Tổ 1")
    t["HP-NQ"] = make_unit("HP-NQ", parent=t["HP"], name="Phường Ngô Quyền")
    t["HD"] = make_unit("HD", kind=UnitKind.province, name="Tỉnh Hải Dương")
    t["HD-KM"] = make_unit("HD-KM", parent=t["HD"], kind=UnitKind.district, name="Huyện Kim Môn")
    t["HD-KM-1"] = make_unit("HD-KM-1", parent=t["HD-KM"], name="Xã Một")
    t["HD-KM-2"] = make_unit("HD-KM-2", parent=t["HD-KM"], name="Xã Hai")
    t["HD-TP"] = make_unit("HD-TP", parent=t["HD"], kind=UnitKind.district, name="TP Hải Dương")
    return t


@pytest.fixture
def admin(db: Any) -> Any:
    return make_user("admin@example.vn", roles=(Role.admin,))


@pytest.fixture
def hp_official(tree: dict[str, Any]) -> Any:
    return make_user("hp@example.vn", roles=(Role.official,), unit=tree["HP"])


@pytest.fixture
def lc_official(tree: dict[str, Any]) -> Any:
    return make_user("lc@example.vn", roles=(Role.official,), unit=tree["HP-LC"])


@pytest.fixture
def learner(tree: dict[str, Any]) -> Any:
    return make_user("learner@example.vn", roles=(Role.learner,), unit=tree["HP-LC"])


MERGER = date(2025, 7, 1)
BEFORE = date(2024, 12, 31)
AFTER = date(2026, 1, 1)


def forget_login() -> None:
    """Drop Flask-Login's cached user: the test's app context (and so ``g``) outlives requests."""
    g.pop("_login_user", None)
