"""The operator commands: the expiry sweep, regrading, the standard's banks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from lms.assessment import attempts as svc
from lms.assessment.cli import assessment_cli
from lms.assessment.models import AttemptStatus, QuestionBank
from lms.assessment.standard import DEFAULT_PATH, parse
from lms.db import utcnow
from lms.extensions import db


def run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(assessment_cli, list(args))


def test_grade_expired_command(app, quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner, now=utcnow() - timedelta(hours=1))
    result = run(app, "grade-expired")
    assert result.exit_code == 0, result.output
    assert "Graded 1 expired attempt(s)." in result.output
    db.session.refresh(attempt)
    assert attempt.status == AttemptStatus.graded
    assert attempt.expired


def test_regrade_command_reports_no_change(app, quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, {"q-single": "a"})
    svc.submit_attempt(attempt, learner)
    result = run(app, "regrade", str(quiz.id))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"checked": 1, "changed": []}


def test_bundled_standard_file_is_valid() -> None:
    banks, errors = parse(DEFAULT_PATH)
    assert errors == []
    assert len(banks) == 6
    assert all(len(b.questions) >= 7 for b in banks)


def test_import_standard_command(app, db) -> None:
    result = run(app, "import-standard")
    assert result.exit_code == 0, result.output
    assert "std-safety: 7 questions (safety)" in result.output
    assert db.session.scalar(db.select(db.func.count(QuestionBank.id))) == 6
    again = run(app, "import-standard")
    assert again.exit_code == 0


def test_import_standard_reports_lines(app, db, tmp_path: Path) -> None:
    bad = tmp_path / "std.yaml"
    bad.write_text(
        "banks:\n  - code: std-x\n    skill_area: safety\n    title: X\n    questions:\n"
        "      - id: a\n        type: true_false\n        skill_area: safety\n"
        "        text: Đúng?\n        answer: maybe\n",
        encoding="utf-8",
    )
    result = run(app, "import-standard", str(bad))
    assert result.exit_code == 1
    assert "std.yaml:10: 'answer' must be true or false." in result.output
