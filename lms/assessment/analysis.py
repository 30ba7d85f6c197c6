"""Item analysis for trainers: how each question and the quiz as a whole performed.

Per question: how many answered it, the share who got it right (difficulty index), the
discrimination index (share right among the top 27 % of attempts by score minus the share
among the bottom 27 %) and the most chosen wrong answer; per quiz, a histogram of scores.
Counting is done by the database (GROUP BY over the response rows); Python only reads the
small grouped results.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

from sqlalchemy import String, and_, case, cast, func, select

from lms.assessment.items.base import pick
from lms.assessment.models import (
    Attempt,
    AttemptResponse,
    AttemptStatus,
    Question,
    QuestionVersion,
    Quiz,
)
from lms.extensions import db

GROUP_SHARE = 0.27
BINS = 10


def _int(value: Any) -> int:
    return int(value or 0)


def histogram(quiz: Quiz) -> list[dict[str, Any]]:
    """Graded attempts per tenth of the scale (the last bin holds 90-100 %)."""
    bucket = case(
        *[(Attempt.scaled >= (b / BINS), b) for b in range(BINS - 1, 0, -1)],
        else_=0,
    ).label("bucket")
    rows = db.session.execute(
        select(bucket, func.count())
        .where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.graded)
        .group_by(bucket)
    ).all()
    counts = {int(b): int(n) for b, n in rows}
    return [
        {"from": b * 100 // BINS, "to": (b + 1) * 100 // BINS, "count": counts.get(b, 0)}
        for b in range(BINS)
    ]


def quiz_summary(quiz: Quiz) -> dict[str, Any]:
    row = db.session.execute(
        select(
            func.count(Attempt.id),
            func.avg(Attempt.scaled),
            func.sum(case((Attempt.passed.is_(True), 1), else_=0)),
            func.count(func.distinct(Attempt.user_id)),
            func.min(Attempt.scaled),
            func.max(Attempt.scaled),
        ).where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.graded)
    ).one()
    attempts, mean, passed, learners, low, high = row
    attempts = _int(attempts)
    return {
        "attempts": attempts,
        "learners": _int(learners),
        "mean_scaled": round(float(mean), 4) if mean is not None else None,
        "min_scaled": low,
        "max_scaled": high,
        "pass_rate": round(_int(passed) / attempts, 4) if attempts else None,
    }


def _ranked(quiz: Quiz) -> Any:
    """Graded attempts with their rank by score (best first), as a subquery."""
    return (
        select(
            Attempt.id.label("attempt_id"),
            func.row_number().over(order_by=(Attempt.scaled.desc(), Attempt.id)).label("rnk"),
        )
        .where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.graded)
        .subquery()
    )


def item_statistics(quiz: Quiz, attempts: int) -> list[dict[str, Any]]:
    group = math.ceil(attempts * GROUP_SHARE) if attempts else 0
    ranked = _ranked(quiz)
    right = case((AttemptResponse.correct.is_(True), 1), else_=0)
    upper = ranked.c.rnk <= group
    lower = ranked.c.rnk > attempts - group
    rows = db.session.execute(
        select(
            AttemptResponse.question_id,
            func.count(),
            func.sum(right),
            func.sum(case((and_(upper, AttemptResponse.correct.is_(True)), 1), else_=0)),
            func.sum(case((upper, 1), else_=0)),
            func.sum(case((and_(lower, AttemptResponse.correct.is_(True)), 1), else_=0)),
            func.sum(case((lower, 1), else_=0)),
            func.avg(AttemptResponse.score / AttemptResponse.max_score),
        )
        .join(ranked, ranked.c.attempt_id == AttemptResponse.attempt_id)
        .group_by(AttemptResponse.question_id)
    ).all()
    out = []
    for qid, n, n_right, up_right, up_n, low_right, low_n, mean_credit in rows:
        n = _int(n)
        p_upper = _int(up_right) / _int(up_n) if _int(up_n) else None
        p_lower = _int(low_right) / _int(low_n) if _int(low_n) else None
        out.append(
            {
                "question_id": qid,
                "answered_in": n,
                "correct": _int(n_right),
                "share_correct": round(_int(n_right) / n, 4) if n else None,
                "mean_credit": round(float(mean_credit), 4) if mean_credit is not None else None,
                "discrimination": round(p_upper - p_lower, 4)
                if p_upper is not None and p_lower is not None
                else None,
            }
        )
    return out


def wrong_answers(quiz: Quiz) -> dict[int, Counter[str]]:
    """Per question, how often each wrong option (or wrong text) was chosen."""
    answer_text = cast(AttemptResponse.answer, String)
    rows = db.session.execute(
        select(AttemptResponse.question_id, answer_text, func.count())
        .join(Attempt, Attempt.id == AttemptResponse.attempt_id)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.status == AttemptStatus.graded,
            AttemptResponse.correct.is_not(True),
        )
        .group_by(AttemptResponse.question_id, answer_text)
    ).all()
    types = dict(
        db.session.execute(
            select(Question.id, Question.type).where(Question.id.in_({r[0] for r in rows} or {-1}))
        ).all()
    )
    out: dict[int, Counter[str]] = {}
    for qid, text, count in rows:
        answer = json.loads(text) if text else None
        if answer is None:
            continue
        counter = out.setdefault(qid, Counter())
        if types.get(qid) == "multiple_choice" and isinstance(answer, list):
            for option in answer:
                counter[str(option)] += int(count)
        elif isinstance(answer, str | int | float | bool):
            counter[json.dumps(answer, ensure_ascii=False).strip('"')] += int(count)
        else:
            counter[json.dumps(answer, ensure_ascii=False)] += int(count)
    return out


def analyse(quiz: Quiz, *, lang: str = "vi") -> dict[str, Any]:
    summary = quiz_summary(quiz)
    stats = item_statistics(quiz, summary["attempts"])
    wrong = wrong_answers(quiz)
    questions = {
        q.id: q
        for q in db.session.scalars(
            select(Question).where(Question.id.in_({s["question_id"] for s in stats} or {-1}))
        )
    }
    versions = {}
    if questions:
        current_ids = [q.current_version_id for q in questions.values() if q.current_version_id]
        for v in db.session.scalars(
            select(QuestionVersion).where(QuestionVersion.id.in_(current_ids))
        ):
            versions[v.question_id] = v
    items = []
    for stat in stats:
        question = questions.get(stat["question_id"])
        version = versions.get(stat["question_id"])
        content = version.content if version else {}
        correct_ids = _correct_option_ids(question.type if question else "", content)
        counter = wrong.get(stat["question_id"], Counter())
        for option in correct_ids:
            counter.pop(option, None)  # a right option picked inside a wrong combination
        top = counter.most_common(1)
        items.append(
            stat
            | {
                "key": question.key if question else None,
                "type": question.type if question else None,
                "skill_area": question.skill_area if question else None,
                "text": pick(content.get("text", ""), content.get("text_en"), lang),
                "most_chosen_wrong": (
                    {
                        "answer": top[0][0],
                        "label": _option_label(content, top[0][0], lang),
                        "count": top[0][1],
                    }
                    if top
                    else None
                ),
            }
        )
    items.sort(key=lambda i: (i["share_correct"] is None, i["share_correct"] or 0))
    return {
        "quiz": {"id": quiz.id, "slug": quiz.slug, "title": quiz.title_for(lang)},
        "summary": summary,
        "histogram": histogram(quiz),
        "questions": items,
    }


def _correct_option_ids(type_key: str, content: dict[str, Any]) -> list[str]:
    definition = content.get("definition") or {}
    if type_key in ("single_choice", "multiple_choice"):
        return [o["id"] for o in definition.get("options", []) if o.get("correct")]
    return []


def _option_label(content: dict[str, Any], answer: str, lang: str) -> str | None:
    for option in (content.get("definition") or {}).get("options", []):
        if option["id"] == answer:
            return pick(option["text"], option.get("text_en"), lang)
    return None
