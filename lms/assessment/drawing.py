"""Drawing an attempt's questions from a quiz's banks: pools first, then the rest.

Everything random comes from one ``random.Random(seed)``; candidates are sorted before
drawing, so the same seed and the same bank give the same draw.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import select

from lms.assessment.items import TYPES
from lms.assessment.models import Question, QuestionBank, QuestionVersion, Quiz, QuizBank
from lms.assessment.versions import load_versions
from lms.extensions import db


class Drawable(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def skill_area(self) -> str: ...

    @property
    def difficulty(self) -> Any: ...


Q = TypeVar("Q", bound="Drawable")


def _matches(question: Drawable, pool: dict[str, Any]) -> bool:
    return (pool.get("skill_area") is None or question.skill_area == pool["skill_area"]) and (
        pool.get("difficulty") is None or str(question.difficulty) == pool["difficulty"]
    )


def draw(
    candidates: Sequence[Q],
    rng: random.Random,
    *,
    pools: Sequence[dict[str, Any]] = (),
    count: int | None = None,
    shuffle: bool = True,
) -> list[Q]:
    """Pick the questions of one attempt.

    Each pool draws its ``count`` among the questions not yet drawn (as many as exist); then
    the draw is topped up at random to ``count`` (default: the pools' total, or every
    question when there are no pools). Without ``shuffle`` the bank's order is kept.
    """
    remaining = list(candidates)
    chosen: list[Q] = []
    for pool in pools:
        matching = [q for q in remaining if _matches(q, pool)]
        taken = rng.sample(matching, min(int(pool.get("count") or 0), len(matching)))
        chosen += taken
        taken_ids = {id(q) for q in taken}
        remaining = [q for q in remaining if id(q) not in taken_ids]
    if count is None:
        count = sum(int(p.get("count") or 0) for p in pools) if pools else len(candidates)
    rest = max(0, count - len(chosen))
    chosen += rng.sample(remaining, min(rest, len(remaining)))
    if shuffle:
        rng.shuffle(chosen)
    else:
        order = {id(q): i for i, q in enumerate(candidates)}
        chosen.sort(key=lambda q: order[id(q)])
    return chosen


@dataclass(frozen=True)
class Candidate:
    """A drawable question: the columns the draw needs, its content comes from the cache."""

    id: int
    key: str
    skill_area: str
    difficulty: str
    bank_code: str
    version_id: int
    hash: str


def candidates(quiz: Quiz) -> list[Candidate]:
    """Active questions of the quiz's banks in a stable order (the draw depends on it)."""
    rows = db.session.execute(
        select(
            Question.id,
            Question.key,
            Question.skill_area,
            Question.difficulty,
            QuestionBank.code,
            QuestionVersion.id,
            QuestionVersion.content_hash,
        )
        .join(QuizBank, QuizBank.bank_id == Question.bank_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(QuizBank.quiz_id == quiz.id, Question.active.is_(True))
        .order_by(Question.bank_id, Question.position, Question.key)
    )
    return [
        Candidate(qid, key, area, str(level), code, vid, digest[:16])
        for qid, key, area, level, code, vid, digest in rows
    ]


def build_items(quiz: Quiz, seed: int) -> list[dict[str, Any]]:
    """Draw and present the questions of an attempt: the same seed gives the same items."""
    rng = random.Random(seed)
    chosen = draw(
        candidates(quiz),
        rng,
        pools=quiz.pools or [],
        count=quiz.question_count,
        shuffle=quiz.shuffle_questions,
    )
    versions = load_versions([{"version_id": q.version_id, "hash": q.hash} for q in chosen])
    keys_seen: set[str] = set()
    items = []
    for question in chosen:
        version = versions[question.version_id]
        key = question.key
        if key in keys_seen:  # the same id in two banks of one quiz
            key = f"{question.bank_code}.{question.key}"
        keys_seen.add(key)
        presentation = TYPES[version.type].present(
            version.definition, rng, shuffle=quiz.shuffle_options
        )
        items.append(
            {
                "key": key,
                "question_id": question.id,
                "version_id": version.id,
                "hash": question.hash,
                "presentation": presentation,
            }
        )
    return items
