"""Requests at once, each in its own session and connection, on the real database.

The rolled-back ``db`` fixture cannot show this (other connections do not see its rows), so these
tests commit into the session-wide ``live_api`` database (:mod:`tests.races`) with names of
their own: two service calls racing in threads, and twenty identical HTTP requests at once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lms.assessment import attempts as svc
from lms.assessment.models import Attempt, AttemptStatus, Quiz
from lms.assessment.statements import ADL
from lms.assessment.tx import commit_with_retry
from lms.auth.models import User
from lms.extensions import db
from lms.xapi.models import Statement
from tests.assessment.conftest import QUIZ_COURSE, correct_answers, enrol, import_bank
from tests.factories import make_course, make_user
from tests.races import PARALLEL, LiveApi, fire, outcome


def setup(app: Any, tmp_path: Path) -> tuple[int, int, int]:
    with app.app_context():
        course = make_course(f"song-song-{uuid.uuid4().hex[:8]}", **QUIZ_COURSE)
        quiz = import_bank(course, tmp_path)
        user = make_user(f"{uuid.uuid4().hex[:10]}@example.vn")
        enrol(user, course)
        db.session.commit()
        return quiz.id, user.id, course.id


def in_threads(app: Any, work: Callable[[], Any], count: int = 2) -> list[Any]:
    """``work`` in ``count`` threads at once, each in an app context (a session) of its own."""

    def run(_index: int) -> Any:
        with app.app_context():
            try:
                return work()
            finally:
                db.session.remove()

    return fire(count, run)


def test_two_concurrent_submits_grade_once(live_api: LiveApi, tmp_path: Path) -> None:
    quiz_id, user_id, course_id = setup(live_api.app, tmp_path)
    with live_api.app.app_context():
        user = db.session.get(User, user_id)
        attempt, _ = svc.start_attempt(db.session.get(Quiz, quiz_id), user)
        svc.save_responses(attempt, user, correct_answers(attempt))
        db.session.commit()
        attempt_id = attempt.id

    def submit() -> tuple[str, float | None]:
        def unit() -> Attempt:
            current = db.session.get(User, user_id)
            return svc.submit_attempt(svc.get_attempt(attempt_id), current)

        done = commit_with_retry(unit)
        return str(done.status), done.score

    results = in_threads(live_api.app, submit)
    assert results == [("graded", 7.0), ("graded", 7.0)], results
    assert statements_of(live_api, course_id, [f"{ADL}passed", f"{ADL}failed"]) == 1
    with live_api.app.app_context():
        stored = db.session.get(Attempt, attempt_id)
        assert stored.status == AttemptStatus.graded
        assert stored.score == 7.0


def test_two_concurrent_starts_open_one_attempt(live_api: LiveApi, tmp_path: Path) -> None:
    quiz_id, user_id, _ = setup(live_api.app, tmp_path)

    def start() -> int:
        def unit() -> tuple[Attempt, bool]:
            return svc.start_attempt(db.session.get(Quiz, quiz_id), db.session.get(User, user_id))

        attempt, _ = commit_with_retry(unit)
        return attempt.id

    results = in_threads(live_api.app, start)
    assert all(isinstance(r, int) for r in results), results
    assert results[0] == results[1]
    with live_api.app.app_context():
        count = db.session.scalar(
            db.select(db.func.count(Attempt.id)).where(
                Attempt.quiz_id == quiz_id, Attempt.user_id == user_id
            )
        )
        assert count == 1


def test_save_racing_a_submit_is_either_kept_or_refused(live_api: LiveApi, tmp_path: Path) -> None:
    """Whatever the order, an answer the server accepted is part of the graded result."""
    quiz_id, user_id, _ = setup(live_api.app, tmp_path)
    with live_api.app.app_context():
        user = db.session.get(User, user_id)
        attempt, _ = svc.start_attempt(db.session.get(Quiz, quiz_id), user)
        db.session.commit()
        attempt_id = attempt.id

    def save() -> str:
        def unit() -> Any:
            return svc.save_responses(
                svc.get_attempt(attempt_id), db.session.get(User, user_id), {"q-single": "a"}
            )

        try:
            commit_with_retry(unit)
        except svc.AttemptClosed:
            return "refused"
        return "saved"

    def submit() -> str:
        commit_with_retry(
            lambda: svc.submit_attempt(svc.get_attempt(attempt_id), db.session.get(User, user_id))
        )
        return "submitted"

    calls = iter([save, submit])
    lock = threading.Lock()

    def either() -> str:
        with lock:
            work = next(calls)
        return work()

    results = in_threads(live_api.app, either)
    assert "submitted" in results, results
    with live_api.app.app_context():
        stored = db.session.get(Attempt, attempt_id)
        saved = "saved" in results
        assert stored.score == (1.0 if saved else 0.0), results
        assert svc.answers_of(stored)["q-single"] == ("a" if saved else None)


def statements_of(live: LiveApi, course_id: int, verbs: list[str]) -> int:
    from lms.catalog.models import Course

    with live.data():
        iri = f"{db.session.get(Course, course_id).activity_iri}/quiz"
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(Statement)
                .where(Statement.object_activity_id == iri, Statement.verb_id.in_(verbs))
            )
            or 0
        )


def test_parallel_starts_open_one_attempt(live_api: LiveApi, tmp_path: Path) -> None:
    """20 starts at once: one creates the attempt (201), the others resume it (200)."""
    quiz_id, user_id, course_id = setup(live_api.app, tmp_path)
    token = live_api.token(user_id)
    replies = live_api.race("POST", f"/api/v1/quizzes/{quiz_id}/attempts", token=token)
    assert outcome(replies) == {201: 1, 200: PARALLEL - 1}, replies
    assert len({r.json["id"] for r in replies}) == 1
    with live_api.data():
        count = db.session.scalar(
            select(func.count()).where(Attempt.quiz_id == quiz_id, Attempt.user_id == user_id)
        )
        assert count == 1
    assert statements_of(live_api, course_id, [f"{ADL}attempted"]) == 1


def test_parallel_submits_grade_once(live_api: LiveApi, tmp_path: Path) -> None:
    """20 submits at once: every answer is the one result; graded and recorded once."""
    quiz_id, user_id, course_id = setup(live_api.app, tmp_path)
    with live_api.data():
        user = db.session.get(User, user_id)
        attempt, _ = svc.start_attempt(db.session.get(Quiz, quiz_id), user)
        svc.save_responses(attempt, user, correct_answers(attempt))
        attempt_id = attempt.id
    token = live_api.token(user_id)
    replies = live_api.race("POST", f"/api/v1/attempts/{attempt_id}/submit", token=token)
    assert outcome(replies) == {200: PARALLEL}, replies
    assert {(r.json["status"], r.json["result"]["score"]) for r in replies} == {("graded", 7.0)}
    assert statements_of(live_api, course_id, [f"{ADL}passed", f"{ADL}failed"]) == 1
