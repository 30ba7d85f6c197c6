"""No peeking: no credentials a learner can hold read a question's answer key from the LRS.

Tried as an attacker would while a quiz can still be attempted: another learner has taken it
(the LMS wrote its ``answered`` statements), a ``define`` client (a platform) published the
questions with their ``correctResponsesPattern``, and the learner, attempt open, asks the LRS
with a default-scope client, a ``statements/read/mine`` client and their own cmi5 session's
credentials, through ``/xapi/activities`` and ``/xapi/statements`` in every format.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
from flask.testing import FlaskClient

from lms.assessment import attempts as svc
from lms.assessment.models import Quiz
from lms.assessment.statements import question_iri
from lms.extensions import db
from lms.xapi import clients
from lms.xapi.models import Statement
from tests.assessment.conftest import correct_answers, enrol
from tests.cmi5_session import open_session
from tests.factories import make_user
from tests.xapi.conftest import VERSION, basic

KEY = "correctResponsesPattern"
QUESTIONS = ("q-single", "q-multi", "q-tf", "q-fill", "q-num", "q-match", "q-order")


def _client(scopes: list[str]) -> str:
    made, secret = clients.create_client(f"client {'+'.join(scopes) or 'default'}", scopes=scopes)
    return basic(made.key, secret)


def _headers(authorization: str) -> dict[str, str]:
    return {"Authorization": authorization, "X-Experience-API-Version": VERSION}


def _published(quiz: Quiz, key: str) -> dict[str, Any]:
    """A platform's statement defining the question, answer key included."""
    return {
        "actor": {"mbox": "mailto:platform-author@example.vn"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {
            "objectType": "Activity",
            "id": question_iri(quiz, key),
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "choices": [{"id": "a", "description": {"vi-VN": "A"}}],
                KEY: ["a"],
            },
        },
    }


def test_no_learner_credentials_read_an_answer_key(
    client: FlaskClient, quiz: Quiz, course: Any, learner: Any, enrollment: Any
) -> None:
    other = make_user(target_group="citizen")
    enrol(other, course)
    taken, _ = svc.start_attempt(quiz, other)
    svc.save_responses(taken, other, correct_answers(taken))
    svc.submit_attempt(taken, other)
    open_attempt, _ = svc.start_attempt(quiz, learner)
    assert open_attempt.status == "open"
    define = _client(["statements/write", "define"])
    db.session.commit()
    posted = client.post(
        "/xapi/statements",
        json=[_published(quiz, key) for key in QUESTIONS],
        headers=_headers(define),
    )
    assert posted.status_code == 200, posted.text
    learner_credentials = {
        "default scopes": _client([]),
        "statements/read/mine": _client(["statements/write", "statements/read/mine"]),
        "cmi5 session": open_session(learner).authorization,
    }
    db.session.commit()
    iris = [question_iri(quiz, key) for key in QUESTIONS]
    for name, authorization in learner_credentials.items():
        headers = _headers(authorization)
        bodies = []
        for iri in iris:
            answer = client.get(
                "/xapi/activities", query_string={"activityId": iri}, headers=headers
            )
            assert answer.status_code in (200, 403), (name, answer.text)
            bodies.append(answer.text)
            mention = {
                "id": str(uuid.uuid4()),
                "actor": {"mbox": "mailto:curious@example.vn"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"objectType": "Activity", "id": iri},
            }
            client.post("/xapi/statements", json=mention, headers=headers)
            for fmt in ("exact", "canonical", "ids"):
                for params in ({"activity": iri}, {"related_activities": "true"}, {}):
                    found = client.get(
                        "/xapi/statements", query_string={"format": fmt, **params}, headers=headers
                    )
                    bodies.append(found.text)
        assert not [b for b in bodies if KEY in b], f"{name} read an answer key"
    # The LMS's own statements never held the key: even a reader of everything sees none.
    lms_answers = [
        s.statement
        for s in db.session.scalars(db.select(Statement))
        if s.statement["verb"]["id"].endswith("/answered") and s.client_id is None
    ]
    assert len(lms_answers) == len(QUESTIONS)
    assert KEY not in orjson.dumps(lms_answers).decode()


def test_an_administrator_read_scope_still_sees_published_keys(
    client: FlaskClient, quiz: Quiz, tmp_path: Path
) -> None:
    """The filter hides keys from learners only: an ``all/read`` client (an administrator's
    reporting tool) gets the canonical definition a platform published, key included."""
    define = _client(["statements/write", "define"])
    reader = _client(["all/read"])
    db.session.commit()
    client.post("/xapi/statements", json=_published(quiz, "q-single"), headers=_headers(define))
    answer = client.get(
        "/xapi/activities",
        query_string={"activityId": question_iri(quiz, "q-single")},
        headers=_headers(reader),
    )
    assert answer.json["definition"][KEY] == ["a"]
