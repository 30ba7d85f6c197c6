"""Two provinces with people of every role, for the audit log's tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import Role, User
from lms.extensions import db
from lms.org.models import Unit
from tests.certificates.conftest import World as CertificateWorld
from tests.certificates.conftest import world  # noqa: F401 - the fixture, used by ``people``
from tests.factories import make_token, make_user

Headers = Callable[[User], dict[str, str]]


@dataclass
class People:
    world: CertificateWorld
    official_ward: User
    learner: User

    @property
    def units(self) -> dict[str, Unit]:
        return self.world.units


@pytest.fixture
def people(world: CertificateWorld) -> People:  # noqa: F811 - the imported fixture
    units = world.units
    return People(
        world=world,
        official_ward=make_user(
            roles=(Role.official,), unit=units["HP-HONGBANG"], full_name="Trần Minh Tuấn"
        ),
        learner=make_user(unit=units["HP-HONGBANG"]),
    )


@pytest.fixture
def bearer(db: object) -> Headers:
    def make(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(user)}"}

    return make


def entries(action: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))
