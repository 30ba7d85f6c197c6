"""The ``questions.yaml`` part of a course package: validation with lines, and import.

Registered with the catalog's package importer from ``lms/assessment/__init__.py``. Validation
reads the file once, reports every problem with its line, and writes nothing; ``apply`` runs
in the importer's transaction after the course rows exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lms.assessment.banks import import_course_bank
from lms.assessment.definitions import (
    QuestionData,
    QuizSettings,
    pool_shortfalls,
    validate_question,
    validate_quiz,
)
from lms.catalog.packages import PackageError
from lms.catalog.yamlines import LinedYaml, YamlLoadError, load
from lms.errors import Invalid

if TYPE_CHECKING:
    from lms.catalog.models import Course

FILENAME = "questions.yaml"
MAX_BYTES = 2 * 1024 * 1024


@dataclass
class ParsedBank:
    questions: list[QuestionData] = field(default_factory=list)
    quiz: QuizSettings | None = None
    errors: list[PackageError] = field(default_factory=list)


def parse(path: Path) -> ParsedBank:
    """Read and validate one questions.yaml; ``errors`` lists every problem with its line."""
    out = ParsedBank()

    def error(line: int | None, message: str) -> None:
        out.errors.append(PackageError(FILENAME, line, message))

    if path.stat().st_size > MAX_BYTES:
        error(None, f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        return out
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        error(None, "The file must be UTF-8 text.")
        return out
    try:
        doc = load(text)
    except YamlLoadError as exc:
        error(exc.line, exc.message)
        return out
    for line, key in doc.duplicates:
        error(line, f"Duplicate key '{key}'.")
    data = doc.data
    if not isinstance(data, Mapping):
        error(1, "questions.yaml must be a mapping with 'questions' (and optionally 'quiz').")
        return out
    for unknown in sorted(set(data) - {"quiz", "questions"}, key=str):
        error(doc.line(unknown), f"Unknown top-level key '{unknown}'.")
    _parse_questions(doc, data.get("questions"), out, error)
    if data.get("quiz") is not None:
        settings, quiz_errors = validate_quiz(data["quiz"])
        for path_, message in quiz_errors:
            error(doc.line("quiz", *path_), message)
        out.quiz = settings
        if settings is not None and not out.errors:
            available = [(q.skill_area, q.difficulty) for q in out.questions]
            for index, message in pool_shortfalls(
                settings.pools, settings.question_count, available
            ):
                where = ("quiz", "pools", index) if index is not None else ("quiz", "questions")
                error(doc.line(*where), message)
    return out


def _parse_questions(doc: LinedYaml, raw: Any, out: ParsedBank, error: Any) -> None:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        error(doc.line("questions"), "'questions' must be a list.")
        return
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        question, errors = validate_question(item)
        for path_, message in errors:
            error(doc.line("questions", index, *path_), message)
        key = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(key, str | int) and not isinstance(key, bool):
            line = doc.line("questions", index, "id") or 0
            if str(key) in seen:
                error(line, f"Question id '{key}' is already used on line {seen[str(key)]}.")
                continue
            seen[str(key)] = line
        if question is not None:
            out.questions.append(question)


def validate(package_dir: Path) -> list[PackageError]:
    return parse(package_dir / FILENAME).errors


def apply(course: Course, package_dir: Path) -> None:
    parsed = parse(package_dir / FILENAME)
    if parsed.errors:  # the importer validated first; a file changed in between is refused
        raise Invalid(
            "; ".join(str(e) for e in parsed.errors),
            errors={f"{FILENAME}:{e.line or 0}": [e.message] for e in parsed.errors},
        )
    import_course_bank(course, parsed.questions, parsed.quiz)
