"""Bridge partitions: several processes at once, the number raised mid-stream, and order.

Each test has a database of its own (committed data, seen by several threads with their own
connections), with the bridge not triggered by the LRS: the test runs the partitions itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms.certificates.models import Certificate, CertificateStatus
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.extensions import db
from lms.learning import bridge, partitions
from lms.learning.cursor import cursors, partition_count
from lms.learning.models import BridgeEvidence, BridgeHandover
from lms.xapi import services as lrs
from lms.xapi.models import Statement
from tests.conftest import throwaway_app
from tests.learning.conftest import DVC_EXTERNAL, account, build_world, statement
from tests.xapi.test_concurrency import together

UNIT_EXT = "https://lms146.vn/xapi/extensions/unit-code"


@pytest.fixture
def app4(tmp_path: Path) -> Iterator[Flask]:
    with throwaway_app(tmp_path, BRIDGE_ENABLED=False, BRIDGE_PARTITIONS=4) as app:
        with app.app_context():
            world = build_world(provision=True)
            app.config["TEST_AUTHORITY"] = world.client.authority
            db.session.commit()
            db.session.remove()
        yield app


def _completed(name: str, **extra: Any) -> dict[str, Any]:
    return statement(
        account(name, f"Học viên {name}"),
        "completed",
        DVC_EXTERNAL,
        extensions={UNIT_EXT: "HP-LECHAN"},
        **extra,
    )


def _store(app: Flask, statements: list[dict[str, Any]]) -> None:
    with app.app_context():
        for start in range(0, len(statements), 25):
            lrs.record_many(statements[start : start + 25], authority=app.config["TEST_AUTHORITY"])
            db.session.commit()
        db.session.remove()


def _run(app: Flask, partition: int | None = None, limit: int | None = None) -> int:
    with app.app_context():
        try:
            return bridge.process_pending(limit, partition=partition)
        finally:
            db.session.remove()


def _void(statement_id: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": account("mooc-admin"),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": statement_id},
    }


def _evidence_per_statement(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(BridgeEvidence.statement_id, func.count()).group_by(BridgeEvidence.statement_id)
        ).all()
        db.session.remove()
    return {str(sid): int(n) for sid, n in rows}


def _ids(statements: list[dict[str, Any]]) -> set[str]:
    return {s["id"] for s in statements}


def test_four_partitions_at_once_apply_every_statement_exactly_once(app4: Flask) -> None:
    learners = [f"hv-{n:03d}" for n in range(40)]
    first = [_completed(name) for name in learners]
    again = [_completed(name) for name in learners[::4]]  # a second completion, kept as evidence
    _store(app4, first + again)

    results = together(*(lambda k=k: _run(app4, k) for k in range(4)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) >= len(first) + len(again)
    results = together(*(lambda k=k: _run(app4, k) for k in range(4)))  # nothing left

    assert _evidence_per_statement(app4) == dict.fromkeys(_ids(first + again), 1)
    with app4.app_context():
        completed = db.session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.status == EnrollmentStatus.completed)
        )
        certificates = db.session.scalar(select(func.count()).select_from(Certificate))
        serials = db.session.scalars(select(Certificate.serial)).all()
        last = db.session.scalar(select(func.max(Statement.seq)))
        assert partition_count() == 4
        assert cursors() == [last] * 4
        db.session.remove()
    assert completed == certificates == len(learners)
    assert len(set(serials)) == len(serials)


def test_raising_the_partitions_mid_stream_loses_and_repeats_nothing(app4: Flask) -> None:
    app4.config["BRIDGE_PARTITIONS"] = 2
    early = [_completed(f"hv-a{n:02d}") for n in range(30)]
    _store(app4, early)
    _run(app4, 0)  # partition 0 reads everything, partition 1 only a part: cursors differ
    app4.config["BRIDGE_BATCH_SIZE"] = 5
    with app4.app_context():
        bridge.run_batch(partition=1)
        db.session.remove()
    with app4.app_context():
        before = cursors()
        db.session.remove()
    assert before[0] > before[1]

    app4.config["BRIDGE_PARTITIONS"] = 3
    app4.config["BRIDGE_BATCH_SIZE"] = 1000
    late = [_completed(f"hv-b{n:02d}") for n in range(30)]
    _store(app4, late)
    together(*(lambda k=k: _run(app4, k) for k in range(3)))
    together(*(lambda k=k: _run(app4, k) for k in range(3)))

    assert _evidence_per_statement(app4) == dict.fromkeys(_ids(early + late), 1)
    with app4.app_context():
        assert partition_count() == 3
        assert len(set(cursors())) == 1
        assert db.session.scalar(select(func.count()).select_from(BridgeHandover)) == 0
        certificates = db.session.scalar(select(func.count()).select_from(Certificate))
        db.session.remove()
    assert certificates == 60


def test_lowering_the_partitions_hands_over_too(app4: Flask) -> None:
    early = [_completed(f"hv-c{n:02d}") for n in range(20)]
    _store(app4, early)
    _run(app4, 2)  # only one of four partitions went ahead
    app4.config["BRIDGE_PARTITIONS"] = 1
    late = [_completed(f"hv-d{n:02d}") for n in range(10)]
    _store(app4, late)
    _run(app4)
    assert _evidence_per_statement(app4) == dict.fromkeys(_ids(early + late), 1)


def test_a_voiding_goes_to_its_targets_partition_and_applies_after_it(app4: Flask) -> None:
    """A voiding read after its target is applied by the partition that applied the target,
    so it can never be looked at while the target's batch is still uncommitted elsewhere."""
    completions = [_completed(f"hv-e{n:02d}") for n in range(12)]
    _store(app4, completions)
    together(*(lambda k=k: _run(app4, k) for k in range(4)))
    voidings = [_void(s["id"]) for s in completions[::3]]
    _store(app4, voidings)
    together(*(lambda k=k: _run(app4, k) for k in range(4)))

    with app4.app_context():
        keys = partitions.keys_of(lrs.read_after(0, limit=100))
        by_id = {
            s.statement["id"]: partitions.partition_of(keys[s.seq], 4)
            for s in lrs.read_after(0, limit=100)
        }
        for voiding, target in zip(voidings, completions[::3], strict=True):
            assert by_id[voiding["id"]] == by_id[target["id"]]
        rows = db.session.execute(
            select(Enrollment.status, Certificate.status).join(
                Certificate, Certificate.enrollment_id == Enrollment.id
            )
        ).all()
        db.session.remove()
    reopened = [r for r in rows if r[0] == EnrollmentStatus.in_progress]
    assert len(reopened) == len(voidings)
    assert all(cert == CertificateStatus.revoked for _e, cert in reopened)
    assert sum(1 for _e, cert in rows if cert == CertificateStatus.valid) == 12 - len(voidings)


def test_a_learners_statements_apply_in_stored_order(app4: Flask) -> None:
    names = [f"hv-f{n:02d}" for n in range(8)]
    stream = [_completed(name) for _round in range(3) for name in names]
    _store(app4, stream)
    together(*(lambda k=k: _run(app4, k) for k in range(4)))
    with app4.app_context():
        rows = db.session.execute(
            select(
                BridgeEvidence.enrollment_id, BridgeEvidence.seq, BridgeEvidence.caused_completion
            ).order_by(BridgeEvidence.id)
        ).all()
        db.session.remove()
    per: dict[int, list[tuple[int, bool]]] = {}
    for enrollment_id, seq, caused in rows:
        per.setdefault(enrollment_id, []).append((seq, caused))
    assert len(per) == len(names)
    for applied in per.values():
        assert [seq for seq, _ in applied] == sorted(seq for seq, _ in applied)
        assert [caused for _, caused in applied] == [True, False, False]  # the first completes


def test_with_celery_each_partition_gets_one_job_and_a_worker_runs_it(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lms.jobs import services as jobs
    from lms.jobs.models import Job, JobStatus
    from lms.learning import triggers
    from tests.learning.conftest import mbox, send

    world = build_world()
    monkeypatch.setitem(redis_app.config, "BRIDGE_PARTITIONS", 2)
    db.session.add(Job(kind=triggers.JOB_KIND, payload={"partition": 0}, status=JobStatus.queued))
    db.session.commit()
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    queued = db.session.scalars(select(Job).where(Job.kind == triggers.JOB_KIND)).all()
    assert sorted(job.payload["partition"] for job in queued) == [0, 1]  # one each, not more
    for job in queued:  # what the two workers do
        jobs.run(job.id)
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.user_id == world.citizen.id, Enrollment.course_id == world.dvc.id
        )
    )
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    assert partition_count() == 2


def test_a_follower_of_a_partition_that_does_not_exist_is_refused(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "BRIDGE_PARTITIONS", 2)
    result = app.test_cli_runner().invoke(args=["bridge", "run", "--partition", "2"])
    assert result.exit_code == 2
    assert "0 to 1" in result.output
    assert app.test_cli_runner().invoke(args=["bridge", "run", "--partition", "-1"]).exit_code == 2
