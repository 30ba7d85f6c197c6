"""Fixtures of the assessment tests: a course with a bank of every question type, learners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lms.assessment.banks import import_course_bank
from lms.assessment.items import get_type
from lms.assessment.models import Quiz
from lms.assessment.package import parse
from lms.auth.models import Role
from lms.extensions import db
from tests.factories import make_course, make_unit, make_user

BANK_YAML = """\
quiz:
  title: {vi: Bài kiểm tra cuối khoá, en: Final quiz}
  questions: 7
  time_limit_minutes: 20
  max_attempts: 3
  pass_mark: 70
  review: after_submit
questions:
  - id: q-single
    type: single_choice
    skill_area: online_public_services
    difficulty: easy
    text: Cổng Dịch vụ công quốc gia ở đâu?
    explanation: GIẢI-THÍCH-BÍ-MẬT-1
    options:
      - {id: a, text: dichvucong.gov.vn, correct: true}
      - {id: b, text: dichvucong.com.vn}
      - {id: c, text: dvc.net}
  - id: q-multi
    type: multiple_choice
    scoring: partial
    skill_area: safety
    difficulty: medium
    text: Việc nào an toàn?
    explanation: GIẢI-THÍCH-BÍ-MẬT-2
    options:
      - {id: a, text: Kiểm tra tên miền, correct: true}
      - {id: b, text: Giữ biên lai, correct: true}
      - {id: c, text: Đọc OTP cho người lạ}
  - id: q-tf
    type: true_false
    skill_area: safety
    difficulty: easy
    text: Nên đọc mã OTP cho người gọi tự xưng công an.
    answer: false
  - id: q-fill
    type: fill_in
    skill_area: online_public_services
    difficulty: medium
    text: Ứng dụng định danh điện tử tên là gì?
    answers: [VNeID-BÍ-MẬT]
    ignore_diacritics: true
  - id: q-num
    type: numeric
    skill_area: information_data
    difficulty: hard
    text: Bao nhiêu phần trăm?
    answer: 60.5
    tolerance: 0.5
  - id: q-match
    type: matching
    skill_area: online_public_services
    difficulty: hard
    text: Ghép dịch vụ với ứng dụng.
    pairs:
      - {left: Định danh, right: VNeID}
      - {left: Thuế, right: eTax}
      - {left: Bảo hiểm, right: VssID}
  - id: q-order
    type: ordering
    skill_area: online_public_services
    difficulty: medium
    text: Sắp xếp các bước.
    items: [Chọn thủ tục, Điền tờ khai, Nộp hồ sơ]
"""


def write_bank(tmp_path: Path, text: str = BANK_YAML) -> Path:
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


#: The course assessment tests sit (``make_course(**QUIZ_COURSE)``): no lessons, completed by
#: a quiz of 70 %, no certificate.
QUIZ_COURSE: dict[str, Any] = {
    "summary": "Khoá học để kiểm thử bài kiểm tra.",
    "lessons": 0,
    "gives_certificate": False,
    "rule": {"lessons": 0, "quiz": 70, "attendance": None},
}


def import_bank(course: Any, tmp_path: Path, text: str = BANK_YAML) -> Quiz:
    parsed = parse(write_bank(tmp_path, text))
    assert parsed.errors == []
    import_course_bank(course, parsed.questions, parsed.quiz)
    return db.session.scalar(db.select(Quiz).where(Quiz.course_id == course.id))


def enrol(user: Any, course: Any) -> Any:
    from lms.classes.enrollments import enroll
    from lms.classes.models import EnrollmentSource

    return enroll(user, course, by=None, source=EnrollmentSource.self)


def correct_answers(attempt: Any) -> dict[str, Any]:
    """The right answer to every question of ``attempt`` (read from the drawn versions)."""
    from lms.assessment.attempts import load_versions

    versions = load_versions(attempt.items)
    out = {}
    for item in attempt.items:
        version = versions[item["version_id"]]
        key = get_type(version.type).key_view(version.definition, "vi")["correct_response"]
        if version.type == "numeric":
            key = float(key)
        if version.type == "fill_in":
            key = key[0]
        out[item["key"]] = key
    return out


@pytest.fixture
def course(db: Any) -> Any:
    return make_course(**QUIZ_COURSE)


@pytest.fixture
def quiz(course: Any, tmp_path: Path) -> Quiz:
    return import_bank(course, tmp_path)


@pytest.fixture
def province(db: Any) -> Any:
    """The province of the trainer and the learners: its trainers own its banks and quizzes,
    and reach its people."""
    return make_unit(kind="province", name="Tỉnh Thử")


@pytest.fixture
def ward(province: Any) -> Any:
    return make_unit(parent=province, name="Phường Thử")


@pytest.fixture
def learner(ward: Any) -> Any:
    return make_user(roles=(Role.learner,), target_group="citizen", unit=ward)


@pytest.fixture
def trainer(province: Any) -> Any:
    return make_user(roles=(Role.trainer,), unit=province)


@pytest.fixture
def admin(db: Any) -> Any:
    return make_user(roles=(Role.admin,))


@pytest.fixture
def enrollment(learner: Any, course: Any) -> Any:
    return enrol(learner, course)
