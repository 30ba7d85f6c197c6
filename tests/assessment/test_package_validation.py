"""questions.yaml validation: every error, each with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.assessment.package import parse, validate
from lms.catalog.packages import PARTS

COURSES = Path(__file__).resolve().parents[2] / "courses"

GOOD = """\
quiz:
  title: {vi: Bài kiểm tra, en: Quiz}
  questions: 3
  pools:
    - {skill_area: safety, count: 1}
  time_limit_minutes: 10
  max_attempts: 2
  pass_mark: 60
  review: after_submit
questions:
  - id: q1
    type: single_choice
    skill_area: safety
    difficulty: easy
    text: Câu một?
    options:
      - {id: a, text: Đúng, correct: true}
      - {id: b, text: Sai}
  - id: q2
    type: true_false
    skill_area: online_public_services
    text: Câu hai?
    answer: true
  - id: q3
    type: numeric
    skill_area: information_data
    text: Câu ba?
    answer: 3
    tolerance: 0.5
"""

BROKEN = """\
quiz:
  title: {vi: Bài kiểm tra}
  questions: 9
  review: sometimes
  colour: red
questions:
  - id: q1
    type: single_choice
    skill_area: safety
    text: Câu một?
    options:
      - {id: a, text: A, correct: true}
      - {id: b, text: B, correct: true}
  - id: q1
    type: true_false
    skill_area: safety
    text: Trùng id?
    answer: true
  - id: q3
    type: essay
    skill_area: safety
    text: Loại lạ
  - id: q4
    type: numeric
    skill_area: cooking
    difficulty: extreme
    text: Số?
    answer: "nhiều"
    tolerence: 1
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "questions.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_questions_yaml_is_a_registered_package_part() -> None:
    assert "questions.yaml" in PARTS


def test_good_file_parses_with_its_quiz(tmp_path: Path) -> None:
    parsed = parse(write(tmp_path, GOOD) / "questions.yaml")
    assert parsed.errors == []
    assert [q.key for q in parsed.questions] == ["q1", "q2", "q3"]
    assert parsed.quiz is not None
    assert parsed.quiz.title_en == "Quiz"
    assert parsed.quiz.pools == [{"skill_area": "safety", "difficulty": None, "count": 1}]
    assert parsed.questions[2].content["definition"] == {"answer": "3", "tolerance": "0.5"}


def test_every_error_is_reported_with_its_line(tmp_path: Path) -> None:
    errors = validate(write(tmp_path, BROKEN))
    found = {(e.line, e.message) for e in errors}
    assert all(e.file == "questions.yaml" for e in errors)
    expected_lines = {
        4: "'review' must be after_submit, after_close or never.",
        5: "Unknown quiz setting 'colour'.",
        11: "A single-choice question needs exactly one correct option.",
        14: "Question id 'q1' is already used on line 7.",
        20: "Unknown question type 'essay'",
        25: "Unknown skill area 'cooking'.",
        26: "'difficulty' must be easy, medium or hard.",
        28: "'answer' must be a number.",
        29: "Unknown field 'tolerence' for a numeric question.",
    }
    for line, message in expected_lines.items():
        assert any(n == line and m.startswith(message) for n, m in found), (
            f"missing line {line}: {message}\n{sorted(found)}"
        )


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    errors = validate(write(tmp_path, "questions:\n  - id: q1\n    text: [unclosed\n"))
    assert len(errors) == 1
    assert errors[0].line is not None
    assert errors[0].message.startswith("YAML error")


def test_pool_larger_than_the_bank_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace("{skill_area: safety, count: 1}", "{skill_area: safety, count: 2}")
    errors = validate(write(tmp_path, text))
    assert [(e.line, e.message) for e in errors] == [
        (5, "Pool skill_area=safety needs 2 questions; the bank has 1.")
    ]


def test_pools_drawing_more_than_questions_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("questions: 3", "questions: 1").replace("count: 1", "count: 2")
    messages = [e.message for e in validate(write(tmp_path, text))]
    assert "The pools draw 2 questions, more than 'questions' (1)." in messages


def test_duplicate_yaml_keys_are_errors(tmp_path: Path) -> None:
    text = GOOD.replace("    text: Câu hai?\n", "    text: Câu hai?\n    text: Lặp?\n")
    errors = validate(write(tmp_path, text))
    assert any(e.message == "Duplicate key 'text'." for e in errors)


@pytest.mark.parametrize(
    "package", sorted(p.name for p in COURSES.iterdir() if (p / "questions.yaml").exists())
)
def test_starter_course_banks_are_valid(package: str) -> None:
    assert validate(COURSES / package) == []
