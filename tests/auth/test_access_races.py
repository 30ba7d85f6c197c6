"""One code, twenty people pressing at once: exactly one password is set."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

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
