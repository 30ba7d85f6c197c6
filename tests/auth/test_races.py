"""People created by parallel identical requests: one account per email."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.auth.models import Role, User
from lms.org.models import Unit, UnitKind, UnitMembership
from lms.org.services import assign_user_unit
from lms.ratelimit import MemoryStore
from tests.factories import make_unit, make_user
from tests.races import PARALLEL, LiveApi, fire, fresh, one_winner, outcome


def setup(live: LiveApi) -> tuple[str, str]:
    with live.data():
        unit = make_unit(fresh("X"), kind=UnitKind.commune)
        official = make_user(f"{fresh('cb')}@example.vn", roles=(Role.official,), unit=unit)
        code, official_id = unit.code, official.id
    return code, live.token(official_id)


def accounts(live: LiveApi, email: str) -> int:
    with live.data() as db:
        return int(db.session.scalar(select(func.count()).where(User.email == email)) or 0)


def test_parallel_creations_create_one_account(live_api: LiveApi) -> None:
    unit, token = setup(live_api)
    email = f"{fresh('moi')}@example.vn"
    replies = live_api.race(
        "POST",
        "/api/v1/users",
        token=token,
        json={"email": email, "full_name": "Người Mới", "unit_code": unit},
    )
    one_winner(replies, won=201, lost=409)
    assert {r.json["message"] for r in replies if r.status == 409} == {
        "A user with this email address already exists."
    }
    assert accounts(live_api, email) == 1


def test_parallel_imports_of_one_file_import_it_once(live_api: LiveApi) -> None:
    """The second copy of a file gets what a second upload gets: 422, the people exist."""
    unit, token = setup(live_api)
    emails = [f"{fresh('nv')}@example.vn" for _ in range(3)]
    csv = "email,full_name,unit_code\n" + "".join(f"{e},Cán bộ,{unit}\n" for e in emails)
    replies = live_api.race(
        "POST", "/api/v1/users/import", token=token, body=csv.encode(), content_type="text/csv"
    )
    won = one_winner(replies, won=201, lost=422)
    assert won.json == {"created": 3, "rows": 3}
    for reply in replies:
        if reply.status == 422:
            assert reply.json["errors"] == {
                f"rows.{line}.email": ["A user with this email address already exists."]
                for line in (2, 3, 4)
            }, reply
    for email in emails:
        assert accounts(live_api, email) == 1


def test_parallel_moves_of_a_person_leave_one_open_membership(live_api: LiveApi) -> None:
    unit, token = setup(live_api)
    with live_api.data() as db:
        home = db.session.scalar(select(Unit).where(Unit.code == unit))
        person = make_user(f"{fresh('hv')}@example.vn", unit=home)
        assign_user_unit(person, home, on=date(2024, 1, 1))
        other = make_unit(fresh("Y"), kind=UnitKind.commune, parent=home)
        person_id, other_code = person.id, other.code
    replies = live_api.race(
        "PATCH", f"/api/v1/users/{person_id}", token=token, json={"unit_code": other_code}
    )
    assert outcome(replies) == {200: PARALLEL}, replies
    with live_api.data() as db:
        open_rows = db.session.scalars(
            select(UnitMembership.unit_id).where(
                UnitMembership.user_id == person_id, UnitMembership.valid_to.is_(None)
            )
        ).all()
        assert len(open_rows) == 1
        assert db.session.get(Unit, open_rows[0]).code == other_code
        assert (
            db.session.scalar(select(func.count()).where(UnitMembership.user_id == person_id)) == 2
        )


def test_parallel_guesses_check_no_more_passwords_than_the_limit(
    live_api: LiveApi, caplog: pytest.LogCaptureFixture
) -> None:
    """A burst of password guesses sent at once is limited like guesses sent one by one: of
    twenty wrong passwords for one account, only ``LOGIN_FAILURE_LIMIT`` are checked; the
    others are refused (429) before their password is looked at. Counting a failure only
    after the (slow) check let every request of the burst pass the limit's test first."""
    limit = 3
    email = f"{fresh('doan')}@example.vn"
    # The production hash (the tests' fast one leaves the window too short to hit at will):
    # checking a password takes a while, which is what a burst slips through.
    live_api.app.config["PASSWORD_HASH_FAST"] = False
    try:
        with live_api.data():
            make_user(email, password="mat khau dung 146")
    finally:
        live_api.app.config["PASSWORD_HASH_FAST"] = True
    saved_limit = live_api.app.config.get("LOGIN_FAILURE_LIMIT")
    saved_store = live_api.app.extensions["lms_ratelimit"]
    live_api.app.config["LOGIN_FAILURE_LIMIT"] = limit
    live_api.app.extensions["lms_ratelimit"] = MemoryStore()
    caplog.set_level(logging.INFO, logger="lms.auth.services")
    try:
        replies = fire(
            PARALLEL,
            lambda i: live_api.request(
                "POST", "/api/v1/auth/tokens", json={"login": email, "password": f"doan {i:02d}"}
            ),
        )
    finally:
        live_api.app.config["LOGIN_FAILURE_LIMIT"] = saved_limit
        live_api.app.extensions["lms_ratelimit"] = saved_store
    assert outcome(replies) == Counter({401: limit, 429: PARALLEL - limit}), replies
    checked = [r for r in caplog.records if r.getMessage().startswith("Failed login for")]
    assert len(checked) == limit, [r.getMessage() for r in checked]
