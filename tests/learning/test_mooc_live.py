"""A MOOC platform (the ``tincan`` library) pushing statements to the live LRS over HTTP.

The server runs in a thread with its own database; the bridge runs after the LRS's commits
(``statements_stored``), or when the test asks it to catch up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from tincan import (
    Activity,
    Agent,
    AgentAccount,
    Context,
    Extensions,
    LanguageMap,
    RemoteLRS,
    Result,
    Statement,
    StatementList,
    StatementRef,
    Verb,
)

from lms.certificates.models import Certificate, CertificateStatus
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.extensions import db
from lms.learning.bridge import process_pending
from lms.learning.identities import Ifi, find_user
from lms.learning.models import BridgeEvidence, IdentityKind
from tests.learning.conftest import DVC_EXTERNAL, MOOC_HOME, build_world

UNIT_CODE = "https://lms146.vn/xapi/extensions/unit-code"


@dataclass
class Mooc:
    app: Flask
    lrs: RemoteLRS


@pytest.fixture(scope="module")
def mooc(mooc_app: Flask, mooc_server: str) -> Mooc:
    with mooc_app.app_context():
        world = build_world(provision=True)
        key, secret = world.client.key, world.secret
        db.session.commit()
    return Mooc(
        app=mooc_app,
        lrs=RemoteLRS(
            version="1.0.3", endpoint=f"{mooc_server}/xapi/", username=key, password=secret
        ),
    )


def _completed(name: str, full_name: str, *, statement_id: str | None = None) -> Statement:
    return Statement(
        id=statement_id or str(uuid.uuid4()),
        actor=Agent(name=full_name, account=AgentAccount(home_page=MOOC_HOME, name=name)),
        verb=Verb(
            id="http://adlnet.gov/expapi/verbs/completed",
            display=LanguageMap({"en-US": "completed", "vi-VN": "đã hoàn thành"}),
        ),
        object=Activity(id=DVC_EXTERNAL),
        result=Result(completion=True),
        context=Context(extensions=Extensions({UNIT_CODE: "HP-LECHAN"})),
    )


def _settle(app: Flask) -> None:
    """Catch up, in case the LRS does not notify the bridge on this build."""
    with app.app_context():
        process_pending()
        db.session.remove()


def _state(app: Flask, name: str) -> tuple[str | None, list[str]]:
    with app.app_context():
        user = find_user(Ifi(IdentityKind.account, f"{MOOC_HOME}|{name}"))
        if user is None:
            return None, []
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id))
        certs = db.session.scalars(select(Certificate.status).where(Certificate.user_id == user.id))
        status = str(enrollment.status) if enrollment else None
        out = status, [str(c) for c in certs]
        db.session.remove()
        return out


def test_a_citizens_completed_gives_enrollment_completion_and_certificate(mooc: Mooc) -> None:
    response = mooc.lrs.save_statements(StatementList([_completed("c-001", "Nguyễn Thị Hoa")]))
    assert response.success, response.data
    _settle(mooc.app)
    assert _state(mooc.app, "c-001") == (EnrollmentStatus.completed, [CertificateStatus.valid])
    with mooc.app.app_context():
        user = find_user(Ifi(IdentityKind.account, f"{MOOC_HOME}|c-001"))
        assert user is not None
        assert user.unit is not None
        assert user.unit.code == "HP-LECHAN"
        db.session.remove()


def test_the_same_batch_sent_twice_counts_once(mooc: Mooc) -> None:
    batch = [_completed(f"c-1{n}", f"Học viên {n}") for n in range(5)]
    first = mooc.lrs.save_statements(StatementList(batch))
    assert first.success, first.data
    again = mooc.lrs.save_statements(StatementList(batch))  # a timed-out batch, resent
    assert again.success, again.data
    _settle(mooc.app)
    with mooc.app.app_context():
        ids = [str(s.id) for s in batch]
        evidence = db.session.scalars(
            select(BridgeEvidence).where(BridgeEvidence.statement_id.in_(ids))
        ).all()
        assert len(evidence) == 5
        db.session.remove()
    for n in range(5):
        assert _state(mooc.app, f"c-1{n}") == (
            EnrollmentStatus.completed,
            [CertificateStatus.valid],
        )


def test_voiding_the_completion_reverts_it(mooc: Mooc) -> None:
    completed = _completed("c-200", "Trần Văn Hai")
    assert mooc.lrs.save_statement(completed).success
    _settle(mooc.app)
    assert _state(mooc.app, "c-200") == (EnrollmentStatus.completed, [CertificateStatus.valid])
    void = Statement(
        id=str(uuid.uuid4()),
        actor=completed.actor,
        verb=Verb(
            id="http://adlnet.gov/expapi/verbs/voided", display=LanguageMap({"en-US": "voided"})
        ),
        object=StatementRef(id=completed.id),
    )
    response = mooc.lrs.save_statement(void)
    assert response.success, response.data
    _settle(mooc.app)
    assert _state(mooc.app, "c-200") == (EnrollmentStatus.in_progress, [CertificateStatus.revoked])
