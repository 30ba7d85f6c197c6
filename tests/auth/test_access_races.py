"""One code, twenty people pressing at once: exactly one password is set."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from lms.auth import access
from lms.auth.models import AccessCode, CodeChannel, CodePurpose, User
from lms.ratelimit import MemoryStore
from tests.factories import make_user
from tests.races import PARALLEL, LiveApi, fire, fresh


def _person(live: LiveApi, channel: str) -> tuple[int, str]:
    with live.data() as db:
        user = make_user(f"{fresh('moi')}@example.vn", password=None)
        code = access.issue_invitation(user, channel, by=None).code
        db.session.flush()
        return user.id, code


def _race(live: LiveApi, path: str, fields: list[dict[str, str]]) -> Counter[int]:
    live.app.extensions["lms_ratelimit"] = MemoryStore()  # 20 tries fit in the minute's limit

    def post(index: int) -> int:
        body = urlencode(fields[index]).encode()
        reply = live.request(
            "POST", path, body=body, content_type="application/x-www-form-urlencoded"
        )
        return reply.status

    return Counter(fire(PARALLEL, post))


def test_one_activation_code_sets_one_password(live_api: LiveApi) -> None:
    user_id, code = _person(live_api, "sheet")
    fields = [
        {
            "code": code,
            "password": f"mat khau so {i:02d}",
            "password2": f"mat khau so {i:02d}",
            "consent": "1",
        }
        for i in range(PARALLEL)
    ]
    statuses = _race(live_api, "/activate", fields)
    assert statuses == Counter({302: 1, 422: PARALLEL - 1}), statuses
    with live_api.data() as db:
        user = db.session.get(User, user_id)
        assert user is not None
        assert user.password_hash is not None
        rows = db.session.scalars(select(AccessCode).where(AccessCode.user_id == user_id)).all()
        assert [r.used_at is not None for r in rows] == [True]


def test_one_reset_link_sets_one_password(live_api: LiveApi) -> None:
    with live_api.data() as db:
        user = make_user(f"{fresh('quen')}@example.vn")
        db.session.flush()
        # What request_reset does, keeping the clear link (it is only ever sent, not stored).
        code, _row = access._new_code(
            user, CodePurpose.reset, CodeChannel.email, ttl=timedelta(minutes=30), by=None
        )
    fields = [{"code": code, "password": "mat khau moi!", "password2": "mat khau moi!"}] * PARALLEL
    statuses = _race(live_api, "/reset", fields)
    assert statuses == Counter({302: 1, 422: PARALLEL - 1}), statuses


def test_a_burst_of_wrong_reset_codes_checks_no_more_than_the_tries_left(
    live_api: LiveApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Six digits are guessable, so an account's reset code dies after ``MAX_CODE_TRIES``
    wrong ones. A burst of guesses sent at once gets no more: each guess takes a try before
    its code is compared, and with one try left only one guess of twenty is compared (looked
    up first and counted after, all twenty were compared while the code was still open)."""
    with live_api.data() as db:
        email = f"{fresh('doan')}@example.vn"
        user = make_user(email)
        code, row = access._new_code(
            user, CodePurpose.reset, CodeChannel.sms, ttl=timedelta(minutes=30), by=None
        )
        row.failed_tries = access.MAX_CODE_TRIES - 1
        db.session.flush()
        row_id, user_id = row.id, user.id
    wrong = [f"{(int(code) + 1 + i) % 1_000_000:06d}" for i in range(PARALLEL)]
    fields = [
        {"login": email, "code": guess, "password": "mat khau moi!", "password2": "mat khau moi!"}
        for guess in wrong
    ]
    caplog.set_level(logging.INFO, logger="lms.auth.access")
    statuses = _race(live_api, "/reset", fields)
    assert statuses == Counter({422: PARALLEL}), statuses
    compared = [
        r.getMessage()
        for r in caplog.records
        if r.getMessage() == f"Wrong {CodePurpose.reset} code for user {user_id}"
    ]
    assert len(compared) == 1, compared
    with live_api.data() as db:
        row = db.session.get(AccessCode, row_id)
        assert row is not None
        assert row.revoked_at is not None
        assert row.failed_tries == access.MAX_CODE_TRIES


def test_one_confirmation_link_pressed_at_once_confirms_once(live_api: LiveApi) -> None:
    with live_api.data() as db:
        user = make_user(f"{fresh('xacnhan')}@example.vn")
        user.email_verified_at = None
        db.session.flush()
        code, _row = access._new_code(
            user, CodePurpose.email, CodeChannel.email, ttl=timedelta(hours=1), by=None
        )
        user_id = user.id
    statuses = _race(live_api, "/confirm-email", [{"code": code}] * PARALLEL)
    assert statuses == Counter({302: 1, 422: PARALLEL - 1}), statuses
    with live_api.data() as db:
        confirmed = db.session.get(User, user_id)
        assert confirmed is not None
        assert confirmed.email_verified_at is not None
