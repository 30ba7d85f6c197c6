"""Two requests at once, each in its own session and connection, on the real database.

The rolled-back ``db`` fixture cannot show this (other connections do not see its rows), so these
tests commit into the session-wide ``live_app`` database with names of their own.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lms.assessment import attempts as svc
from lms.assessment.models import Attempt, AttemptStatus
from lms.assessment.tx import commit_with_retry
from lms.auth.models import User
from lms.extensions import db
from lms.learning.events import attempt_graded
from tests.assessment.conftest import correct_answers, enrol, import_bank, make_course
from tests.factories import make_user


def setup(live_app: Any, tmp_path: Path) -> tuple[int, int, int]:
    with live_app.app_context():
        course = make_course(f"song-song-{uuid.uuid4().hex[:8]}")
        quiz = import_bank(course, tmp_path)
        user = make_user(f"{uuid.uuid4().hex[:10]}@example.vn")
        enrol(user, course)
        db.session.commit()
        return quiz.id, user.id, course.id


def in_threads(live_app: Any, work: Callable[[], Any], count: int = 2) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        with live_app.app_context():
            barrier.wait()
            try:
                results[index] = work()
            except Exception as exc:  # reported by the assertion below
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_concurrent_submits_grade_once(live_app: Any, tmp_path: Path) -> None:
    quiz_id, user_id, _ = setup(live_app, tmp_path)
    with live_app.app_context():
        from lms.assessment.models import Quiz

        user = db.session.get(User, user_id)
        attempt, _ = svc.start_attempt(db.session.get(Quiz, quiz_id), user)
        svc.save_responses(attempt, user, correct_answers(attempt))
        db.session.commit()
        attempt_id = attempt.id

    graded: list[int] = []
    lock = threading.Lock()

    def count(sender: Any, **kwargs: Any) -> None:
        with lock:
            graded.append(sender.id)

    def submit() -> tuple[str, float | None]:
        def unit() -> Attempt:
            current = db.session.get(User, user_id)
            return svc.submit_attempt(svc.get_attempt(attempt_id), current)

        done = commit_with_retry(unit)
        return str(done.status), done.score

    attempt_graded.connect(count)
    try:
        results = in_threads(live_app, submit)
    finally:
        attempt_graded.disconnect(count)
    assert results == [("graded", 7.0), ("graded", 7.0)], results
    assert graded == [attempt_id]
    with live_app.app_context():
        stored = db.session.get(Attempt, attempt_id)
        assert stored.status == AttemptStatus.graded
        assert stored.score == 7.0


def test_two_concurrent_starts_open_one_attempt(live_app: Any, tmp_path: Path) -> None:
    quiz_id, user_id, _ = setup(live_app, tmp_path)

    def start() -> int:
        from lms.assessment.models import Quiz

        def unit() -> tuple[Attempt, bool]:
            return svc.start_attempt(db.session.get(Quiz, quiz_id), db.session.get(User, user_id))

        attempt, _ = commit_with_retry(unit)
        return attempt.id

    results = in_threads(live_app, start)
    assert all(isinstance(r, int) for r in results), results
    assert results[0] == results[1]
    with live_app.app_context():
        count = db.session.scalar(
            db.select(db.func.count(Attempt.id)).where(
                Attempt.quiz_id == quiz_id, Attempt.user_id == user_id
            )
        )
        assert count == 1


def test_save_racing_a_submit_is_either_kept_or_refused(live_app: Any, tmp_path: Path) -> None:
    """Whatever the order, an answer the server accepted is part of the graded result."""
    quiz_id, user_id, _ = setup(live_app, tmp_path)
    with live_app.app_context():
        from lms.assessment.models import Quiz

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

    results = in_threads(live_app, either)
    assert "submitted" in results, results
    with live_app.app_context():
        stored = db.session.get(Attempt, attempt_id)
        saved = "saved" in results
        assert stored.score == (1.0 if saved else 0.0), results
        assert svc.answers_of(stored)["q-single"] == ("a" if saved else None)
