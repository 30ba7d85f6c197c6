"""Registering a source platform is check-then-write: 20 requests at once make one platform."""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlparse

import orjson
from flask import Flask
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.extensions import db
from lms.learning.models import SourcePlatform
from lms.xapi import clients
from tests.factories import make_token, make_user
from tests.xapi.test_concurrency import together


def _post(server: str, token: str, body: bytes) -> int:
    parsed = urlparse(server)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request("POST", "/api/v1/source-platforms", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_twenty_registrations_of_one_client_make_one_platform(
    mooc_app: Flask, mooc_server: str
) -> None:
    with mooc_app.app_context():
        token = make_token(make_user(roles=(Role.admin,)))
        made, _secret = clients.create_client(f"MOOC {uuid.uuid4()}")
        client_id = made.id
        db.session.commit()
        db.session.remove()
    body = orjson.dumps(
        {"client_id": client_id, "name": "MOOC", "home_page": "https://mooc.example.vn"}
    )
    statuses = together(*(lambda: _post(mooc_server, token, body) for _ in range(20)))
    assert sorted(statuses) == [201] + [409] * 19, statuses
    with mooc_app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(SourcePlatform)
            .where(SourcePlatform.client_id == client_id)
        )
        db.session.remove()
    assert count == 1


def test_twenty_retries_at_once_apply_a_held_statement_once(
    mooc_app: Flask, mooc_server: str
) -> None:
    from lms.classes.models import Enrollment
    from lms.learning import platforms
    from lms.learning.bridge import process_pending
    from lms.org.models import UnitKind
    from lms.xapi import services as lrs
    from tests.factories import make_course, make_unit
    from tests.learning.conftest import MOOC_COURSE, mbox, statement

    tag = uuid.uuid4().hex[:8]
    with mooc_app.app_context():
        token = make_token(make_user(roles=(Role.admin,)))
        unit = make_unit(f"T-{tag}", kind=UnitKind.province, name="Tỉnh thử")
        learner = make_user(f"hv-{tag}@example.vn", unit=unit)
        course = make_course(f"khoa-{tag}", **MOOC_COURSE, rule={"lessons": "all"})
        made, _secret = clients.create_client(f"MOOC {tag}")
        platform = platforms.register_platform(
            made.id, name="MOOC", home_page="https://mooc.example.vn", units=[unit.code], by=None
        )
        lrs.record(
            statement(mbox(str(learner.email)), "completed", course.activity_iri),
            authority=made.authority,
        )
        db.session.commit()
        process_pending()
        platforms.update_platform(platform, {"courses": [course.slug]})
        db.session.commit()
        ids = (platform.id, learner.id, course.id)
        db.session.remove()
    body = orjson.dumps({"platform_id": ids[0]})

    def retry() -> tuple[int, dict[str, int]]:
        parsed = urlparse(mooc_server)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        try:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            conn.request("POST", "/api/v1/bridge/unmatched/retry", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, orjson.loads(response.read())
        finally:
            conn.close()

    results = together(*(retry for _ in range(20)))
    assert [status for status, _ in results] == [200] * 20, results
    assert sum(outcome["applied"] for _, outcome in results) == 1
    with mooc_app.app_context():
        enrollments = db.session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.user_id == ids[1], Enrollment.course_id == ids[2])
        )
        db.session.remove()
    assert enrollments == 1
