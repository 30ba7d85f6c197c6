"""Grading: a pure function of an attempt's drawn versions and its saved answers.

Nothing here reads the clock or the database, so grading an attempt again (``regrade``) gives
the same result as long as the versions it drew are unchanged, and they never change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lms.assessment.items import TYPES

#: Rounding of stored scores: enough for partial credit, stable across databases.
DIGITS = 6


@dataclass(frozen=True)
class Version:
    """The parts of a :class:`QuestionVersion` that grading needs (cacheable, immutable)."""

    id: int
    question_id: int
    type: str
    content: Mapping[str, Any]

    @property
    def points(self) -> float:
        return float(self.content.get("points", 1.0))

    @property
    def definition(self) -> Mapping[str, Any]:
        return self.content["definition"]


@dataclass
class ItemResult:
    key: str
    question_id: int
    skill_area: str
    score: float
    max_score: float

    @property
    def correct(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score


@dataclass
class Result:
    score: float
    max_score: float
    scaled: float
    passed: bool
    areas: dict[str, dict[str, float]] = field(default_factory=dict)
    items: list[ItemResult] = field(default_factory=list)


def grade(
    items: Sequence[Mapping[str, Any]],
    versions: Mapping[int, Version],
    answers: Mapping[str, Any],
    *,
    pass_mark: int,
) -> Result:
    """Score every drawn item; an unanswered one scores zero."""
    results: list[ItemResult] = []
    areas: dict[str, dict[str, float]] = {}
    for item in items:
        version = versions[item["version_id"]]
        answer = answers.get(item["key"])
        fraction = (
            TYPES[version.type].score(version.definition, answer) if answer is not None else 0.0
        )
        fraction = min(1.0, max(0.0, fraction))
        points = version.points
        area = str(version.content.get("skill_area") or "")
        result = ItemResult(
            key=item["key"],
            question_id=version.question_id,
            skill_area=area,
            score=round(fraction * points, DIGITS),
            max_score=points,
        )
        results.append(result)
        bucket = areas.setdefault(area, {"score": 0.0, "max": 0.0})
        bucket["score"] = round(bucket["score"] + result.score, DIGITS)
        bucket["max"] = round(bucket["max"] + points, DIGITS)
    for bucket in areas.values():
        bucket["scaled"] = round(bucket["score"] / bucket["max"], DIGITS) if bucket["max"] else 0.0
    score = round(sum(r.score for r in results), DIGITS)
    max_score = round(sum(r.max_score for r in results), DIGITS)
    scaled = round(score / max_score, DIGITS) if max_score else 0.0
    return Result(
        score=score,
        max_score=max_score,
        scaled=scaled,
        # Compared in whole hundredths of a percent so 0.7 * 100 == 70 holds despite floats.
        passed=round(scaled * 10000) >= pass_mark * 100,
        areas=dict(sorted(areas.items())),
        items=results,
    )
