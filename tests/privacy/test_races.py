"""Twenty identical clicks at once: one deletion request, one decision."""

from __future__ import annotations

import http.client
from collections import Counter
from urllib.parse import urlencode, urlparse

from sqlalchemy import select

from lms.auth.models import Role
from lms.privacy.models import DeletionRequest, DeletionStatus
from tests.factories import make_user
from tests.races import PARALLEL, LiveApi, fire, fresh

PASSWORD = "correct horse battery"


def _session_cookie(live: LiveApi, login: str) -> str:
    parsed = urlparse(live.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    body = urlencode({"login": login, "password": PASSWORD})
    conn.request("POST", "/login", body=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    reply = conn.getresponse()
    reply.read()
    assert reply.status == 302
    cookie = reply.getheader("Set-Cookie") or ""
    conn.close()
    return cookie.split(";", 1)[0]


def _post(live: LiveApi, path: str, cookie: str, form: dict[str, str]) -> int:
    parsed = urlparse(live.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    conn.request("POST", path, body=urlencode(form), headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def test_one_request_and_one_decision(live_api: LiveApi) -> None:
    with live_api.data() as db:
        person = make_user(f"{fresh('xoa')}@example.vn")
        admin = make_user(f"{fresh('qt')}@example.vn", roles=(Role.admin,))
        db.session.flush()
        person_id, person_login, admin_login = person.id, person.email, admin.email
    cookie = _session_cookie(live_api, person_login or "")
    fire(PARALLEL, lambda _i: _post(live_api, "/me/deletion", cookie, {"reason": "x"}))
    with live_api.data() as db:
        rows = db.session.scalars(
            select(DeletionRequest).where(DeletionRequest.user_id == person_id)
        ).all()
        assert len(rows) == 1
        request_id = rows[0].id
    cookie = _session_cookie(live_api, admin_login or "")
    statuses = Counter(
        fire(
            PARALLEL,
            lambda i: _post(
                live_api,
                f"/admin/deletions/{request_id}",
                cookie,
                {"decision": "approve" if i % 2 else "refuse"},
            ),
        )
    )
    assert statuses == Counter({302: 1, 409: PARALLEL - 1}), statuses
    with live_api.data() as db:
        decided = db.session.get(DeletionRequest, request_id)
        assert decided is not None
        assert decided.status != DeletionStatus.pending
