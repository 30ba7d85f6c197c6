"""One batch of many learners: the fast path and the one-at-a-time path side by side.

Everything here is stored first and applied by one bridge batch, so the plain completions
(provisioned or known learners, lessons-only course) go through the bulk path while the
others (a quiz course, a learner outside the platform's units, a group) take the statement
by statement path in the same batch; each must end as if applied alone, in stored order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from lms import periods
from lms.certificates.models import Certificate
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.extensions import db
from lms.learning import bridge, identities
from lms.learning.models import BridgeEvidence, BridgeRun, BridgeUnmatched, IdentityKind
from lms.org.models import UnitMembership
from lms.stats.models import StatHolding
from lms.xapi import services as lrs
from tests.factories import make_unit
from tests.learning.conftest import (
    DVC_EXTERNAL,
    MOOC_HOME,
    QUIZ_EXTERNAL,
    account,
    build_world,
    mbox,
    statement,
)

UNIT = {"https://lms146.vn/xapi/extensions/unit-code": "HP-LECHAN"}


def _user(name: str) -> Any:
    return identities.find_user(identities.Ifi(IdentityKind.account, f"{MOOC_HOME}|{name}"))


def _status(user_id: int, course_id: int) -> EnrollmentStatus | None:
    return db.session.scalar(
        select(Enrollment.status).where(
            Enrollment.user_id == user_id, Enrollment.course_id == course_id
        )
    )


def test_one_batch_of_many_learners_ends_as_each_statement_alone_would(db: object) -> None:
    world = build_world(provision=True)
    voided_id = str(uuid.uuid4())
    stream = [
        statement(account("a", "Nguyễn Văn A"), "completed", DVC_EXTERNAL, extensions=UNIT),
        statement(account("b", "Trần Thị B"), "completed", DVC_EXTERNAL, extensions={}),
        statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL),
        statement(mbox("hoa@example.vn"), "completed", QUIZ_EXTERNAL),
        statement(account("a"), "experienced", f"{MOOC_HOME}/elsewhere"),
        statement(
            mbox("hoa@example.vn"), "passed", QUIZ_EXTERNAL, result={"score": {"scaled": 0.9}}
        ),
        {
            **statement(account("x"), "completed", DVC_EXTERNAL),
            "actor": {"objectType": "Group", "member": [account("g1"), account("g2")]},
        },
        statement(account("a"), "completed", DVC_EXTERNAL, extensions=UNIT),
        statement(
            account("c", "Lê C"), "completed", DVC_EXTERNAL, extensions=UNIT, statement_id=voided_id
        ),
        {
            "id": str(uuid.uuid4()),
            "actor": account("mooc-admin"),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": voided_id},
        },
        statement(account("d", "Phạm D"), "completed", DVC_EXTERNAL, extensions=UNIT),
    ]
    lrs.record_many(stream, authority=world.client.authority)
    db.session.commit()
    runs_before = db.session.scalar(select(func.count()).select_from(BridgeRun))

    bridge.process_pending()

    first = db.session.scalars(select(BridgeRun).order_by(BridgeRun.id).offset(runs_before)).first()
    assert first is not None
    assert first.statements == len(stream)  # one batch (the next reads the LMS's own)
    a, d = _user("a"), _user("d")
    assert a is not None
    assert d is not None
    assert a.unit.code == "HP-LECHAN"
    assert a.full_name == "Nguyễn Văn A"
    assert _status(a.id, world.dvc.id) == EnrollmentStatus.completed
    assert _status(d.id, world.dvc.id) == EnrollmentStatus.completed
    caused = db.session.scalars(
        select(BridgeEvidence.caused_completion)
        .join(Enrollment, Enrollment.id == BridgeEvidence.enrollment_id)
        .where(Enrollment.user_id == a.id)
        .order_by(BridgeEvidence.seq)
    ).all()
    assert caused == [True, False]  # the first completed, the second is kept as evidence
    assert _user("b") is None  # no unit code: held, nobody created
    assert _user("c") is None  # voided before it was read: never applied
    hoa = world.citizen
    assert _status(hoa.id, world.dvc.id) == EnrollmentStatus.completed
    assert _status(hoa.id, world.quizzed.id) == EnrollmentStatus.completed
    reasons = sorted(str(r) for r in db.session.scalars(select(BridgeUnmatched.reason)))
    assert reasons == ["group_actor", "platform_scope"]
    certificates = db.session.scalars(select(Certificate)).all()
    assert sorted(c.user_id for c in certificates) == sorted([a.id, d.id, hoa.id, hoa.id])
    assert len({c.serial for c in certificates}) == 4
    assert all(c.signature for c in certificates)
    counted = db.session.scalars(select(StatHolding.user_id).distinct()).all()
    assert sorted(counted) == sorted({a.id, d.id, hoa.id})


def test_a_completion_reported_late_counts_where_the_learner_was_then(db: object) -> None:
    """The bulk path keeps each learner's memberships for the run (``memberships_kept``):
    the enrolment, the completion and the certificate of a statement dated before a move
    still name the unit of that day."""
    world = build_world()
    lechan = world.units["HP-LECHAN"]
    ngoquyen = make_unit("HP-NGOQUYEN", parent=world.units["HP"])
    hoa = world.citizen
    moved = periods.today() - timedelta(days=10)
    db.session.execute(delete(UnitMembership).where(UnitMembership.user_id == hoa.id))
    db.session.add_all(
        [
            UnitMembership(
                user_id=hoa.id,
                unit_id=lechan.id,
                valid_from=date(2020, 1, 1),
                valid_to=moved - timedelta(days=1),
            ),
            UnitMembership(user_id=hoa.id, unit_id=ngoquyen.id, valid_from=moved),
        ]
    )
    hoa.unit_id = ngoquyen.id
    then = datetime.combine(moved - timedelta(days=5), time(3), tzinfo=UTC)
    late = statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL)
    lrs.record_many([{**late, "timestamp": then.isoformat()}], authority=world.client.authority)
    db.session.commit()

    bridge.process_pending()

    enrollment = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == hoa.id, Enrollment.course_id == world.dvc.id)
    ).one()
    assert enrollment.status == EnrollmentStatus.completed
    assert enrollment.enrolled_unit_id == lechan.id
    assert enrollment.completed_unit_id == lechan.id
    certificate = db.session.scalars(select(Certificate).where(Certificate.user_id == hoa.id)).one()
    assert certificate.holder_unit_id == lechan.id
