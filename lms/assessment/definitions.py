"""Validation of questions and quiz settings as authors write them (questions.yaml, the API).

Pure functions without the database: they return the normalised data and every error with the
path of the field it concerns, so the package importer can turn paths into line numbers and
the API into field paths.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lms.assessment.items import TYPES
from lms.assessment.items.base import DefinitionErrors, FieldPath, check_text, optional_text
from lms.assessment.models import Difficulty, QuizKind, ReviewPolicy
from lms.constants import SkillArea

COMMON_FIELDS = frozenset(
    {
        "id",
        "type",
        "skill_area",
        "difficulty",
        "text",
        "text_en",
        "explanation",
        "explanation_en",
        "points",
    }
)
QUIZ_FIELDS = frozenset(
    {
        "title",
        "questions",
        "pools",
        "time_limit_minutes",
        "max_attempts",
        "pass_mark",
        "review",
        "kind",
        "shuffle_questions",
        "shuffle_options",
    }
)
MAX_KEY_LENGTH = 100


@dataclass
class QuestionData:
    key: str
    type: str
    skill_area: str
    difficulty: str
    points: float
    content: dict[str, Any]

    @property
    def content_hash(self) -> str:
        return content_hash(self.type, self.content)


def content_hash(type_key: str, content: Mapping[str, Any]) -> str:
    canonical = json.dumps([type_key, content], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_question(
    raw: Any, *, require_key: bool = True
) -> tuple[QuestionData | None, DefinitionErrors]:
    """Validate one question mapping; errors are (path inside the question, message)."""
    errors: DefinitionErrors = []
    if not isinstance(raw, Mapping):
        return None, [((), "A question must be a mapping of fields.")]
    key = raw.get("id")
    if isinstance(key, int) and not isinstance(key, bool):
        key = str(key)
    if not isinstance(key, str) or not key.strip():
        if require_key:
            errors.append((("id",), "A question needs an 'id'."))
        key = ""
    elif len(key) > MAX_KEY_LENGTH or not all(ch.isalnum() or ch in "-_." for ch in key):
        errors.append((("id",), "A question id may hold letters, digits, '-', '_' and '.' only."))
    type_key = raw.get("type")
    item = TYPES.get(type_key) if isinstance(type_key, str) else None
    if item is None:
        errors.append(
            (("type",), f"Unknown question type {type_key!r}; use one of: {', '.join(TYPES)}.")
        )
    allowed = COMMON_FIELDS | (item.fields if item else frozenset())
    if item is not None:
        for unknown in sorted(set(raw) - allowed, key=str):
            errors.append(((unknown,), f"Unknown field '{unknown}' for a {type_key} question."))
    skill_area = raw.get("skill_area")
    if skill_area not in set(SkillArea):
        errors.append((("skill_area",), f"Unknown skill area {skill_area!r}."))
    difficulty = raw.get("difficulty", "medium")
    if difficulty not in set(Difficulty):
        errors.append((("difficulty",), "'difficulty' must be easy, medium or hard."))
    points = raw.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int | float) or not 0 < points <= 100:
        errors.append((("points",), "'points' must be a number above 0 (at most 100)."))
        points = 1
    text = check_text(raw, "text", errors, ())
    content: dict[str, Any] = {
        "text": text,
        "text_en": optional_text(raw, "text_en", errors, ()),
        "explanation": optional_text(raw, "explanation", errors, ()),
        "explanation_en": optional_text(raw, "explanation_en", errors, ()),
        "skill_area": skill_area,
        "difficulty": difficulty,
        "points": float(points),
    }
    if item is not None:
        definition, type_errors = item.validate_definition(raw)
        errors += type_errors
        content["definition"] = definition
    if errors:
        return None, errors
    return QuestionData(
        key=key.strip(),
        type=str(type_key),
        skill_area=str(skill_area),
        difficulty=str(difficulty),
        points=float(points),
        content=content,
    ), []


@dataclass
class QuizSettings:
    title: str
    title_en: str | None
    question_count: int | None
    pools: list[dict[str, Any]] = field(default_factory=list)
    time_limit_minutes: int | None = None
    max_attempts: int | None = None
    pass_mark: int = 70
    review: str = ReviewPolicy.after_submit.value
    kind: str = QuizKind.quiz.value
    shuffle_questions: bool = True
    shuffle_options: bool = True


def _positive_int(
    raw: Mapping[str, Any], name: str, errors: DefinitionErrors, *, high: int
) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        errors.append(((name,), f"'{name}' must be a whole number from 1 to {high}."))
        return None
    return value


def validate_pools(pools: Any, errors: DefinitionErrors, path: FieldPath = ("pools",)) -> list:
    out: list[dict[str, Any]] = []
    if pools is None:
        return out
    if not isinstance(pools, list):
        errors.append((path, "'pools' must be a list of {skill_area/difficulty, count}."))
        return out
    for index, pool in enumerate(pools):
        here = (*path, index)
        if not isinstance(pool, Mapping):
            errors.append((here, "A pool must be a mapping."))
            continue
        for unknown in sorted(set(pool) - {"skill_area", "difficulty", "count"}, key=str):
            errors.append(((*here, unknown), f"Unknown pool field '{unknown}'."))
        area, level = pool.get("skill_area"), pool.get("difficulty")
        if area is None and level is None:
            errors.append((here, "A pool needs a skill_area, a difficulty or both."))
        if area is not None and area not in set(SkillArea):
            errors.append(((*here, "skill_area"), f"Unknown skill area {area!r}."))
        if level is not None and level not in set(Difficulty):
            errors.append(((*here, "difficulty"), "'difficulty' must be easy, medium or hard."))
        count = pool.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 500:
            errors.append(((*here, "count"), "'count' must be a whole number from 1 to 500."))
            count = 0
        out.append({"skill_area": area, "difficulty": level, "count": count})
    return out


def validate_quiz(raw: Any) -> tuple[QuizSettings | None, DefinitionErrors]:
    """Validate the ``quiz:`` section of questions.yaml (paths relative to it)."""
    if not isinstance(raw, Mapping):
        return None, [((), "'quiz' must be a mapping of settings.")]
    errors: DefinitionErrors = []
    for unknown in sorted(set(raw) - QUIZ_FIELDS, key=str):
        errors.append(((unknown,), f"Unknown quiz setting '{unknown}'."))
    title = raw.get("title")
    title_vi, title_en = "", None
    if isinstance(title, str) and title.strip():
        title_vi = title.strip()
    elif isinstance(title, Mapping):
        title_vi = check_text(title, "vi", errors, ("title",))
        title_en = optional_text(title, "en", errors, ("title",))
    else:
        errors.append((("title",), "'title' must be a text or {vi: ..., en: ...}."))
    pass_mark = raw.get("pass_mark", 70)
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, int) or not 0 <= pass_mark <= 100:
        errors.append((("pass_mark",), "'pass_mark' must be a percent from 0 to 100."))
        pass_mark = 70
    review = raw.get("review", ReviewPolicy.after_submit.value)
    if review not in set(ReviewPolicy):
        errors.append((("review",), "'review' must be after_submit, after_close or never."))
    kind = raw.get("kind", QuizKind.quiz.value)
    if kind not in set(QuizKind):
        errors.append((("kind",), "'kind' must be quiz or exam."))
    settings = QuizSettings(
        title=title_vi,
        title_en=title_en,
        question_count=_positive_int(raw, "questions", errors, high=500),
        pools=validate_pools(raw.get("pools"), errors),
        time_limit_minutes=_positive_int(raw, "time_limit_minutes", errors, high=24 * 60),
        max_attempts=_positive_int(raw, "max_attempts", errors, high=100),
        pass_mark=int(pass_mark),
        review=str(review),
        kind=str(kind),
    )
    for name in ("shuffle_questions", "shuffle_options"):
        value = raw.get(name, True)
        if not isinstance(value, bool):
            errors.append(((name,), f"'{name}' must be true or false."))
        else:
            setattr(settings, name, value)
    pooled = sum(p["count"] for p in settings.pools)
    if settings.question_count is not None and pooled > settings.question_count:
        errors.append(
            (
                ("pools",),
                f"The pools draw {pooled} questions, "
                f"more than 'questions' ({settings.question_count}).",
            )
        )
    return (None if errors else settings), errors


def pool_shortfalls(
    pools: list[dict[str, Any]], question_count: int | None, available: list[tuple[str, str]]
) -> list[tuple[int | None, str]]:
    """Which pools cannot be filled from ``available`` (skill area, difficulty) questions.

    Returns (pool index, or None for the total count, message). The draw itself never fails
    (it tops up from the rest of the bank), but an author wants to know when a pool is short.
    """
    problems: list[tuple[int | None, str]] = []
    for index, pool in enumerate(pools):
        matching = [
            q
            for q in available
            if (pool["skill_area"] is None or q[0] == pool["skill_area"])
            and (pool["difficulty"] is None or q[1] == pool["difficulty"])
        ]
        if len(matching) < pool["count"]:
            what = ", ".join(f"{k}={v}" for k, v in pool.items() if k != "count" and v is not None)
            problems.append(
                (
                    index,
                    f"Pool {what} needs {pool['count']} questions; the bank has {len(matching)}.",
                )
            )
    if question_count is not None and question_count > len(available):
        problems.append(
            (None, f"The quiz draws {question_count} questions; the bank has {len(available)}.")
        )
    return problems
