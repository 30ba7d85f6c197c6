"""The catalog's fixture packages, a small world of people, and logging in through the form.

The builders (courses, classes, enrollments) are tests/factories.py's.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from lms.auth.models import Role, User
from lms.catalog.importer import import_path
from lms.catalog.models import Course
from lms.extensions import db
from tests.factories import make_unit, make_user

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
GOOD = FIXTURES / "good"
BROKEN = FIXTURES / "broken"


def import_good() -> dict[str, Course]:
    import_path(GOOD)
    return {c.slug: c for c in db.session.scalars(db.select(Course))}


def copy_package(slug: str, tmp_path: Path) -> Path:
    target = tmp_path / slug
    shutil.copytree(GOOD / slug, target)
    return target


def make_people() -> dict[str, Any]:
    """A province with two communes, an official of one commune, a trainer, an admin."""
    province = make_unit(kind="province", name="Tỉnh Thử")
    commune = make_unit(parent=province, name="Phường Một")
    other = make_unit(parent=province, name="Phường Hai")
    return {
        "province": province,
        "commune": commune,
        "other": other,
        "admin": make_user(roles=(Role.admin,)),
        "official": make_user(roles=(Role.official,), unit=commune),
        "province_official": make_user(roles=(Role.official,), unit=province),
        "trainer": make_user(roles=(Role.trainer,), unit=commune),
        "other_trainer": make_user(roles=(Role.trainer,)),
        "learner": make_user(roles=(Role.learner,), unit=commune, target_group="citizen"),
    }


def login(client: Any, user: User, password: str = "correct horse battery") -> None:
    """Log in through the real form, as a browser would."""
    response = client.post("/login", data={"login": user.email or user.phone, "password": password})
    assert response.status_code in {302, 303}, response.text
