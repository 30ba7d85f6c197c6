from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from lms.auth import demo, services
from lms.auth.models import Role, User
from lms.extensions import db
from lms.org.models import Unit, UnitMembership


def test_demo_seed_creates_the_logins_and_about_400_people(units: dict[str, Unit]) -> None:
    lines = demo.seed()
    assert any("for the demo only" in line for line in lines)
    for account in demo.ACCOUNTS:
        assert any(account.email in line and account.password in line for line in lines)
        user = services.find_user_by_login(account.email)
        assert user is not None
        assert services.check_password(user, account.password)
        assert user.roles == set(account.roles)
        assert (user.unit.code if user.unit else None) == account.unit
    total = db.session.scalar(select(func.count()).select_from(User))
    assert 350 <= total <= 450
    hongbang = Counter(
        u.target_group
        for u in db.session.scalars(
            select(User).where(
                User.unit_id == units["HP-HONGBANG"].id, User.password_hash.is_(None)
            )
        )
    )
    assert hongbang["official"] >= 34  # 38, a few without a target group
    assert hongbang["community_tech"] >= 10
    no_unit = db.session.scalar(
        select(func.count()).select_from(User).where(User.unit_id.is_(None))
    )
    assert no_unit >= 5
    no_group = db.session.scalar(
        select(func.count()).select_from(User).where(User.target_group.is_(None))
    )
    assert no_group >= 5
    in_qt = db.session.scalar(
        select(func.count()).select_from(User).where(User.unit_id == units["QT-DONGHOI"].id)
    )
    assert in_qt > 0
    moved = db.session.scalar(
        select(func.count())
        .select_from(UnitMembership)
        .where(
            UnitMembership.unit_id == units["QB-DONGHOI-HAITHANH"].id,
            UnitMembership.valid_to.is_not(None),
        )
    )
    assert moved > 0  # people of a merged commune keep their earlier unit in the history


def test_demo_seed_is_idempotent_and_deterministic(units: dict[str, Unit]) -> None:
    demo.seed()
    names = sorted(db.session.scalars(select(User.full_name)))
    lines = demo.seed()
    assert lines[0].startswith("auth: 0 demo accounts and 0 demo people added.")
    assert sorted(db.session.scalars(select(User.full_name))) == names
    assert (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.role_rows.any(role=Role.admin))
        )
        == 1
    )
