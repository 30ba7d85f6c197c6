"""xAPI statements of an attempt, as stored in the LRS."""

from __future__ import annotations

from datetime import timedelta

from lms.assessment import attempts as svc
from lms.assessment.statements import iso_duration
from lms.db import utcnow
from lms.extensions import db
from lms.xapi.models import Statement
from tests.assessment.conftest import correct_answers

ADL = "http://adlnet.gov/expapi/verbs/"


def test_iso_duration() -> None:
    assert iso_duration(0) == "PT0S"
    assert iso_duration(59.5) == "PT59.5S"
    assert iso_duration(3 * 3600 + 2 * 60) == "PT3H2M"
    assert iso_duration(61) == "PT1M1S"


def test_attempt_statements(quiz, course, learner, enrollment) -> None:
    now = utcnow()
    attempt, _ = svc.start_attempt(quiz, learner, now=now)
    answers = correct_answers(attempt)
    answers["q-single"] = "b"
    svc.save_responses(attempt, learner, answers, now=now)
    svc.submit_attempt(attempt, learner, now=now + timedelta(minutes=12, seconds=30))
    rows = db.session.scalars(
        db.select(Statement).where(Statement.registration == enrollment.registration)
    ).all()
    by_verb: dict[str, list[dict]] = {}
    for row in rows:
        by_verb.setdefault(row.verb_id.rsplit("/", 1)[-1], []).append(row.statement)
    assert len(by_verb["attempted"]) == 1
    assert len(by_verb["answered"]) == 7
    assert len(by_verb["passed"]) == 1
    quiz_iri = f"{course.activity_iri}/quiz"
    assert by_verb["attempted"][0]["object"]["id"] == quiz_iri
    final = by_verb["passed"][0]
    assert final["result"]["score"] == {"scaled": round(6 / 7, 4), "raw": 6.0, "min": 0, "max": 7.0}
    assert final["result"]["success"] is True
    assert final["result"]["duration"] == "PT12M30S"
    assert final["context"]["registration"] == enrollment.registration
    assert final["actor"]["account"]["name"] == str(learner.id)
    answered = {s["object"]["id"].rsplit("/", 1)[-1]: s for s in by_verb["answered"]}
    assert answered["q-single"]["object"]["id"] == f"{quiz_iri}/questions/q-single"
    assert answered["q-single"]["result"]["success"] is False
    assert answered["q-single"]["result"]["response"] == "b"
    definition = answered["q-match"]["object"]["definition"]
    assert definition["interactionType"] == "matching"
    assert "[.]" in answered["q-match"]["result"]["response"]
    assert answered["q-order"]["object"]["definition"]["interactionType"] == "sequencing"
    assert answered["q-tf"]["result"]["response"] == "false"
    # The answer key stays in the question bank: no statement carries it.
    assert all(
        "correctResponsesPattern" not in s["object"]["definition"] for s in answered.values()
    )
    assert answered["q-num"]["object"]["definition"]["interactionType"] == "numeric"
    assert answered["q-multi"]["result"]["response"] == "a[,]b"
    assert answered["q-fill"]["object"]["definition"]["interactionType"] == "fill-in"
    parent = answered["q-tf"]["context"]["contextActivities"]["parent"][0]["id"]
    assert parent == quiz_iri
