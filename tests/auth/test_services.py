from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from lms.auth import services
from lms.auth.models import Role, User
from lms.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from lms.extensions import db
from lms.org.models import Unit, UnitMembership
from tests.auth.conftest import PASSWORD


def test_find_user_by_login_matches_email_in_any_case_and_phone_in_any_spelling(
    people: dict[str, User],
) -> None:
    hoa = people["learner_hb"]
    assert services.find_user_by_login("HOA@Example.VN ") is hoa
    assert services.find_user_by_login("+84 912 345 678") is hoa
    assert services.find_user_by_login("0912.345.678") is hoa
    assert services.find_user_by_login("nobody@example.vn") is None
    assert services.find_user_by_login("") is None


def test_create_user_places_the_user_and_keeps_membership_history(
    units: dict[str, Unit],
) -> None:
    user = services.create_user(
        email="New@Example.vn",
        phone=None,
        full_name="  Vũ Thị Mai ",
        unit=units["HP-LECHAN"],
        target_group="official",
        roles=["learner", "trainer"],
        password="long enough password",
        by=None,
    )
    assert user.email == "new@example.vn"
    assert user.full_name == "Vũ Thị Mai"
    assert user.unit is units["HP-LECHAN"]
    assert user.roles == {Role.learner, Role.trainer}
    assert services.check_password(user, "long enough password")
    membership = db.session.scalar(select(UnitMembership).where(UnitMembership.user_id == user.id))
    assert membership is not None
    assert membership.unit_id == units["HP-LECHAN"].id
    assert membership.valid_to is None


def test_create_user_defaults_to_learner_without_password(units: dict[str, Unit]) -> None:
    user = services.create_user(
        email=None, phone="0988 111 222", full_name="Lý Văn Nam", unit=None,
        target_group=None, roles=None, by=None,
    )  # fmt: skip
    assert user.roles == {Role.learner}
    assert user.phone == "0988111222"
    assert user.password_hash is None
    assert not services.check_password(user, "")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": None, "phone": None}, "email"),
        ({"email": "not-an-email", "phone": None}, "email"),
        ({"email": None, "phone": "12ab"}, "phone"),
        ({"email": "x@y.vn", "phone": None, "full_name": " "}, "full_name"),
        ({"email": "x@y.vn", "phone": None, "password": "short"}, "password"),
    ],
)
def test_create_user_with_bad_input_raises_invalid(
    units: dict[str, Unit], kwargs: dict, field: str
) -> None:
    args = {"full_name": "Tên", "unit": None, "target_group": None, "roles": None, "by": None}
    with pytest.raises(Invalid) as info:
        services.create_user(**(args | kwargs))
    assert field in info.value.errors


def test_create_user_with_taken_email_or_phone_raises_conflict(people: dict[str, User]) -> None:
    common = {"full_name": "X", "unit": None, "target_group": None, "roles": None, "by": None}
    with pytest.raises(Conflict) as info:
        services.create_user(email="HOA@example.vn", phone=None, **common)
    assert "email" in info.value.errors
    with pytest.raises(Conflict) as info:
        services.create_user(email=None, phone="+84912345678", **common)
    assert "phone" in info.value.errors


def test_official_creates_only_inside_their_area_and_never_admins(
    people: dict[str, User], units: dict[str, Unit]
) -> None:
    official = people["official_hb"]
    common = {"phone": None, "full_name": "X", "target_group": None, "by": official}
    user = services.create_user(email="a@x.vn", unit=units["HP-HONGBANG"], roles=None, **common)
    assert user.unit is units["HP-HONGBANG"]
    with pytest.raises(Forbidden):
        services.create_user(email="b@x.vn", unit=units["HP-LECHAN"], roles=None, **common)
    with pytest.raises(Forbidden):
        services.create_user(email="c@x.vn", unit=None, roles=None, **common)
    with pytest.raises(Forbidden):
        services.create_user(email="d@x.vn", unit=units["HP-HONGBANG"], roles=["admin"], **common)
    with pytest.raises(Forbidden):
        services.create_user(
            email="e@x.vn", unit=units["HP-HONGBANG"], roles=None,
            **(common | {"by": people["learner_hb"]}),
        )  # fmt: skip


def test_update_user_moves_unit_with_history(
    people: dict[str, User], units: dict[str, Unit]
) -> None:
    official = people["official_hp"]
    hoa = people["learner_hb"]
    services.update_user(
        hoa, {"unit": units["HP-LECHAN"], "roles": ["learner", "trainer"]}, by=official
    )
    assert hoa.unit is units["HP-LECHAN"]
    assert hoa.roles == {Role.learner, Role.trainer}
    rows = db.session.scalars(
        select(UnitMembership).where(UnitMembership.user_id == hoa.id).order_by(UnitMembership.id)
    ).all()
    assert [r.unit_id for r in rows if r.valid_to is None] == [units["HP-LECHAN"].id]


def test_update_user_refuses_what_the_actor_may_not_do(
    people: dict[str, User], units: dict[str, Unit]
) -> None:
    hb = people["official_hb"]
    with pytest.raises(NotFound):
        services.update_user(people["learner_lc"], {"full_name": "X"}, by=hb)
    with pytest.raises(Forbidden):
        services.update_user(people["learner_hb"], {"unit": units["HP-LECHAN"]}, by=hb)
    with pytest.raises(Forbidden):
        services.update_user(people["learner_hb"], {"roles": ["admin"]}, by=hb)
    learner = people["learner_hb"]
    with pytest.raises(Forbidden):
        services.update_user(learner, {"roles": ["official"]}, by=learner)
    services.update_user(learner, {"full_name": "Nguyễn Thị Hoà", "locale": "en"}, by=learner)
    assert learner.full_name == "Nguyễn Thị Hoà"
    with pytest.raises(Conflict):
        services.update_user(learner, {"email": "LAN@example.vn"}, by=learner)
    with pytest.raises(Invalid):
        services.update_user(learner, {"email": None, "phone": None}, by=learner)


def test_authenticate_records_the_login(people: dict[str, User]) -> None:
    user = services.authenticate("hoa@example.vn", PASSWORD, address="10.0.0.1")
    assert user is people["learner_hb"]
    assert user.last_login_at is not None


def test_authenticate_refuses_inactive_and_wrong_passwords(people: dict[str, User]) -> None:
    with pytest.raises(Unauthorized):
        services.authenticate("hoa@example.vn", "wrong", address="10.0.0.1")
    with pytest.raises(Unauthorized):
        services.authenticate("ghost@example.vn", PASSWORD, address="10.0.0.1")
    people["learner_hb"].active = False
    with pytest.raises(Unauthorized):
        services.authenticate("hoa@example.vn", PASSWORD, address="10.0.0.1")


def test_authenticate_locks_an_account_after_ten_failures_from_any_address(
    people: dict[str, User],
) -> None:
    for n in range(10):
        with pytest.raises(Unauthorized):
            services.authenticate("hoa@example.vn", "wrong", address=f"10.0.1.{n}")
    with pytest.raises(TooManyRequests):
        services.authenticate("0912345678", PASSWORD, address="10.0.2.1")
    assert services.authenticate("lan@example.vn", PASSWORD, address="10.0.2.1")


def test_users_query_search_ignores_case_and_diacritics(people: dict[str, User]) -> None:
    admin = people["admin"]

    def names(q: str) -> set[str]:
        return {u.full_name for u in db.session.scalars(services.users_query(admin, q=q))}

    assert names("nguyen thi hoa") == {"Nguyễn Thị Hoa"}
    assert names("THỊ") == {"Nguyễn Thị Hoa", "Trần Thị Lan"}
    assert names("duc") == {"Lê Văn Đức"}
    assert names("0912 345") == {"Nguyễn Thị Hoa"}
    assert names("+84912345678") == {"Nguyễn Thị Hoa"}
    assert names("khoa@example") == {"Phạm Đăng Khoa"}
    assert names("100%_") == set()


def test_search_text_is_filled_by_bulk_inserts(units: dict[str, Unit]) -> None:
    db.session.execute(
        insert(User), [{"email": "bulk@example.vn", "full_name": "Đinh Thị Ngân", "active": True}]
    )
    found = db.session.scalar(select(User).where(User.email == "bulk@example.vn"))
    assert found is not None
    assert found.search_text == "dinh thi ngan bulk@example.vn"


def test_register_citizen_creates_a_learner_in_the_citizen_group(units: dict[str, Unit]) -> None:
    user = services.register_citizen(
        login="0977 000 111",
        full_name="Bà Hoa",
        password="mat khau 146",
        unit=units["HP-HONGBANG"],
        consent=True,
    )
    assert user.phone == "0977000111"
    assert user.consent_version == services.PRIVACY_NOTICE_VERSION
    assert user.consented_at is not None
    assert user.email is None
    assert user.roles == {Role.learner}
    assert user.target_group == "citizen"
    with pytest.raises(Conflict) as info:
        services.register_citizen(
            login="+84977000111", full_name="X", password="mat khau 146", unit=None, consent=True
        )
    assert "login" in info.value.errors
    with pytest.raises(Invalid) as info:
        services.register_citizen(
            login="a@b.vn", full_name="X", password="p" * 9, unit=units["HP"], consent=True
        )
    assert "unit" in info.value.errors
    with pytest.raises(Invalid) as info:
        services.register_citizen(
            login="a@b.vn", full_name="X", password="p" * 9, unit=None, consent=False
        )
    assert "consent" in info.value.errors


def test_current_communes_lists_only_communes_existing_today(units: dict[str, Unit]) -> None:
    groups = dict(services.current_communes(date(2026, 1, 1)))
    codes = {u.code for communes in groups.values() for u in communes}
    assert {"HP-HONGBANG", "HP-LECHAN", "QT-DONGHOI"} <= codes
    assert "QB-DONGHOI-HAITHANH" not in codes
    assert "HP-SKHCN" not in codes
    assert set(groups) >= {"Thành phố Hải Phòng", "Tỉnh Quảng Trị"}
    older = {u.code for c in dict(services.current_communes(date(2024, 1, 1))).values() for u in c}
    assert "QB-DONGHOI-HAITHANH" in older


def test_set_password_checks_length(people: dict[str, User]) -> None:
    with pytest.raises(Invalid):
        services.set_password(people["learner_hb"], "short")
    services.set_password(people["learner_hb"], "a much longer one")
    assert services.check_password(people["learner_hb"], "a much longer one")


def test_get_user_hides_people_outside_the_area(people: dict[str, User]) -> None:
    with pytest.raises(NotFound):
        services.get_user(people["learner_qt"].id, actor=people["official_hb"])
    with pytest.raises(NotFound):
        services.get_user(999_999, actor=people["admin"])
    assert services.get_user(people["learner_qt"].id, actor=people["official_qt"])
