from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.auth.models import Role, User
from lms.org.models import Unit
from lms.ratelimit import MemoryStore
from tests.auth.factories import make_demo_tree
from tests.factories import make_user

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_rate_limits(app: Flask) -> Iterator[None]:
    """Each test starts with no failed logins counted (the app lives for the whole session)."""
    saved = app.extensions["lms_ratelimit"]
    app.extensions["lms_ratelimit"] = MemoryStore()
    yield
    app.extensions["lms_ratelimit"] = saved


@pytest.fixture
def sent(app: Flask) -> Iterator[list[dict[str, Any]]]:
    """What the memory backend sent during the test."""
    box: list[dict[str, Any]] = []
    app.extensions["lms_sent"] = box
    yield box
    app.extensions.pop("lms_sent", None)


@pytest.fixture
def units(db: object) -> dict[str, Unit]:
    return make_demo_tree()


@pytest.fixture
def people(units: dict[str, Unit]) -> dict[str, User]:
    """One person of each kind, placed in the demo tree."""
    return {
        "admin": make_user("admin@example.vn", roles=(Role.admin,), unit=units["HP"]),
        "official_hp": make_user("off.hp@example.vn", roles=(Role.official,), unit=units["HP"]),
        "official_hb": make_user(
            "off.hb@example.vn", roles=(Role.official,), unit=units["HP-HONGBANG"]
        ),
        "official_qt": make_user("off.qt@example.vn", roles=(Role.official,), unit=units["QT"]),
        "trainer": make_user("trainer@example.vn", roles=(Role.trainer,), unit=units["HP-SKHCN"]),
        "learner_hb": make_user(
            "hoa@example.vn",
            full_name="Nguyễn Thị Hoa",
            unit=units["HP-HONGBANG"],
            target_group="citizen",
            phone="0912345678",
        ),
        "learner_lc": make_user(
            "lan@example.vn",
            full_name="Trần Thị Lan",
            unit=units["HP-LECHAN"],
            target_group="official",
        ),
        "learner_qt": make_user(
            "khoa@example.vn",
            full_name="Phạm Đăng Khoa",
            unit=units["QT-DONGHOI"],
            target_group="official",
        ),
        "nounit": make_user("nounit@example.vn", full_name="Lê Văn Đức"),
    }


def login(client: FlaskClient, user: User | str, password: str = PASSWORD) -> object:
    login_name = user if isinstance(user, str) else (user.email or user.phone)
    return client.post("/login", data={"login": login_name, "password": password})
