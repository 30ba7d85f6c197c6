"""The internal API other domains use: record, record_many, read_after, voided_ids."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask

from lms.errors import Conflict, Invalid
from lms.xapi import services
from lms.xapi.models import Statement
from lms.xapi.services import Blob
from tests.xapi.conftest import new_id, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def test_record_fills_and_stores_with_the_lms_authority(app: Flask, db: object) -> None:
    """CONTRACTS: default authority is the LMS's own agent (account on BASE_URL, "lms")."""
    statement_id = services.record(statement())
    stored = services.statement_by_id(statement_id)
    assert stored is not None
    assert stored["authority"] == {
        "objectType": "Agent",
        "name": "LMS 146",
        "account": {"homePage": app.config["BASE_URL"], "name": "lms"},
    }
    assert stored["version"] == "1.0.0"
    assert stored["timestamp"] == stored["stored"]


def test_record_many_keeps_order_and_is_idempotent(db: object) -> None:
    """Re-recording the same statements (a retried job) stores nothing twice."""
    batch = [statement(id=new_id()), statement(id=new_id())]
    ids = services.record_many(batch)
    assert ids == [s["id"] for s in batch]
    assert services.record_many(batch) == ids
    assert len(services.read_after(0, limit=10_000)) == 2


def test_record_with_other_content_under_a_known_id_conflicts(db: object) -> None:
    statement_id = services.record(statement(id=new_id()))
    with pytest.raises(Conflict):
        services.record(statement(id=statement_id, result={"success": True}))


def test_record_rejects_invalid_statements_with_the_path(db: object) -> None:
    with pytest.raises(Invalid) as caught:
        services.record_many([statement(), statement(verb={"id": "completed"})])
    assert "[1].verb.id" in caught.value.errors


def test_record_uses_a_given_authority(db: object) -> None:
    trainer = {"objectType": "Agent", "mbox": "mailto:mai@example.vn"}
    statement_id = services.record(statement(), authority=trainer)
    assert services.statement_by_id(statement_id)["authority"] == trainer  # type: ignore[index]
    with pytest.raises(Invalid):
        services.record(statement(), authority={"name": "no identifier"})


def test_record_with_attachment_data(db: object) -> None:
    """Attachments without a fileUrl need their data (Data 2.4.11)."""
    pdf = b"%PDF-1.7 certificate"
    attachment = {
        "usageType": "https://lms146.example.vn/xapi/attachments/certificate",
        "display": {"vi-VN": "Chứng chỉ"},
        "contentType": "application/pdf",
        "length": len(pdf),
        "sha2": hashlib.sha256(pdf).hexdigest(),
    }
    with pytest.raises(Invalid):
        services.record(statement(attachments=[attachment]))
    services.record(statement(attachments=[attachment]), attachments=[Blob("application/pdf", pdf)])


def test_read_after_walks_in_stored_order_and_flags_voided(db: object) -> None:
    """The learning bridge reads ``(seq, statement)`` in stored order, voided marked."""
    first, second = services.record_many([statement(), statement()])
    services.record(
        statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": first})
    )
    rows = services.read_after(0)
    assert [r.statement["id"] for r in rows][:2] == [first, second]
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    assert rows[0].voided
    assert not rows[1].voided
    assert services.read_after(rows[1].seq)[0].statement["verb"]["id"] == VOIDED
    assert services.voided_ids([first, second]) == {first}
    through = services.consistent_through()
    assert len(services.read_after(0, until=through)) <= len(rows)


def test_read_after_steps_over_without_the_bodies(db: object) -> None:
    """``step_over``: those statements keep their place and time; their bodies are not read."""
    first, second, third = services.record_many([statement(), statement(), statement()])
    rows = services.read_after(0)
    skip = Statement.statement_id.in_([first, third])
    stepped = services.read_after(0, step_over=skip)
    assert [(r.seq, r.stored, r.voided) for r in stepped] == [
        (r.seq, r.stored, r.voided) for r in rows
    ]
    assert [r.stepped_over for r in stepped] == [True, False, True]
    assert [r.statement for r in stepped] == [{}, rows[1].statement, {}]
    assert stepped[1].statement["id"] == second


def test_record_many_of_nothing_is_nothing(db: object) -> None:
    assert services.record_many([]) == []


def test_recorded_activity_definitions_become_canonical(db: object) -> None:
    """Internal statements (trusted, like ``define``) update the canonical activity."""
    from lms.xapi import canonical

    iri = f"https://lms146.example.vn/courses/{new_id()}"
    services.record(statement(object={"id": iri, "definition": {"name": {"vi-VN": "Khoá A"}}}))
    services.record(statement(object={"id": iri, "definition": {"name": {"en-US": "Course A"}}}))
    db_activity = canonical.activity(iri, answer_keys=True)
    assert db_activity["definition"]["name"] == {"vi-VN": "Khoá A", "en-US": "Course A"}


def test_services_work_inside_the_callers_transaction(db: object) -> None:
    """Nothing is committed by record(): the caller's rollback undoes it."""
    statement_id = services.record(statement())
    db.session.rollback()  # type: ignore[attr-defined]
    assert services.statement_by_id(statement_id) is None
