"""Throughput of the xAPI statement validator on a realistic mixed set of statements.

Run: .venv/bin/python bench/xapi_validate.py
Prints one JSON line: statements validated per second (and per-statement microseconds), the
index extraction and strict JSON parsing rates, for a mix shaped like the LMS's own traffic:
lesson views, quiz answers with interaction definitions, course completions with scores,
registrations, voiding, and a few group / SubStatement / attachment statements.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lms.xapi.validation import (
    parse_json,
    statement_index,
    validate_statement,
    validate_statements,
)

BASE = "https://lms146.example.vn"
VERBS = "http://adlnet.gov/expapi/verbs/"
ROUNDS = 5


def _actor(rng: random.Random) -> dict[str, Any]:
    user = rng.randrange(1, 50_000)
    return {
        "objectType": "Agent",
        "name": f"Học viên {user}",
        "account": {"homePage": BASE, "name": str(user)},
    }


def _course(rng: random.Random) -> str:
    return f"{BASE}/courses/course-{rng.randrange(1, 40)}"


def _context(rng: random.Random, course: str, *parents: str) -> dict[str, Any]:
    activities: dict[str, Any] = {
        "grouping": [{"id": course, "objectType": "Activity"}],
        "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}],
    }
    if parents:
        activities["parent"] = [{"id": parent, "objectType": "Activity"} for parent in parents]
    return {
        "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "contextActivities": activities,
        "platform": "LMS 146",
        "language": "vi-VN",
        "extensions": {f"{BASE}/xapi/ext/unit": "HP-HONGBANG"},
    }


def _stamp(rng: random.Random) -> str:
    month, day, millis = rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(1000)
    return f"2025-{month:02d}-{day:02d}T08:15:30.{millis:03d}+07:00"


def lesson_viewed(rng: random.Random) -> dict[str, Any]:
    course = _course(rng)
    lesson = f"{course}/lessons/bai-{rng.randrange(1, 12)}"
    return {
        "id": str(uuid.uuid4()),
        "actor": _actor(rng),
        "verb": {
            "id": VERBS + "experienced",
            "display": {"vi-VN": "đã học", "en-US": "experienced"},
        },
        "object": {
            "id": lesson,
            "objectType": "Activity",
            "definition": {
                "name": {"vi-VN": "Bài học về dịch vụ công trực tuyến", "en-US": "Online services"},
                "type": "http://adlnet.gov/expapi/activities/lesson",
            },
        },
        "result": {
            "completion": True,
            "duration": f"PT{rng.randrange(1, 40)}M{rng.randrange(60)}S",
        },
        "context": _context(rng, course, course),
        "timestamp": _stamp(rng),
    }


def question_answered(rng: random.Random) -> dict[str, Any]:
    course = _course(rng)
    choices = [
        {
            "id": f"choice-{index}",
            "description": {"vi-VN": f"Phương án {index}", "en-US": f"Option {index}"},
        }
        for index in range(4)
    ]
    return {
        "id": str(uuid.uuid4()),
        "actor": _actor(rng),
        "verb": {"id": VERBS + "answered", "display": {"vi-VN": "đã trả lời", "en-US": "answered"}},
        "object": {
            "id": f"{course}/quiz/questions/q{rng.randrange(1, 30)}",
            "objectType": "Activity",
            "definition": {
                "name": {"vi-VN": "Câu hỏi", "en-US": "Question"},
                "description": {"vi-VN": "Mật khẩu nào an toàn nhất?"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "correctResponsesPattern": ["choice-2"],
                "choices": choices,
            },
        },
        "result": {
            "response": f"choice-{rng.randrange(4)}",
            "success": rng.random() < 0.7,
            "score": {"scaled": 1.0, "raw": 1, "min": 0, "max": 1},
        },
        "context": _context(rng, course, f"{course}/quiz"),
        "timestamp": _stamp(rng),
    }


def course_completed(rng: random.Random) -> dict[str, Any]:
    course = _course(rng)
    raw = rng.randrange(50, 101)
    return {
        "actor": _actor(rng),
        "verb": {
            "id": VERBS + rng.choice(["completed", "passed"]),
            "display": {"en-US": "completed"},
        },
        "object": {"id": course, "definition": {"name": {"vi-VN": "Kỹ năng số cơ bản"}}},
        "result": {
            "score": {"scaled": raw / 100, "raw": raw, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "duration": "PT3H25M",
        },
        "context": {"registration": str(uuid.uuid4())},
        "timestamp": _stamp(rng),
    }


def registered(rng: random.Random) -> dict[str, Any]:
    return {
        "actor": _actor(rng),
        "verb": {"id": VERBS + "registered", "display": {"en-US": "registered"}},
        "object": {"id": _course(rng), "objectType": "Activity"},
        "context": {"registration": str(uuid.uuid4())},
    }


def voided(rng: random.Random) -> dict[str, Any]:
    return {
        "actor": {
            "objectType": "Agent",
            "name": "LMS 146",
            "account": {"homePage": BASE, "name": "lms"},
        },
        "verb": {"id": VERBS + "voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
    }


def team_attended(rng: random.Random) -> dict[str, Any]:
    members = [_actor(rng) for _ in range(rng.randrange(2, 6))]
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Group", "name": "Tổ 1", "member": members},
        "verb": {"id": VERBS + "attended", "display": {"en-US": "attended"}},
        "object": {
            "id": f"{BASE}/classes/HP-{rng.randrange(1, 300)}/sessions/{rng.randrange(1, 9)}"
        },
        "context": {
            "instructor": {"mbox": f"mailto:trainer{rng.randrange(1, 40)}@haiphong.gov.vn"},
            "contextActivities": {"parent": {"id": _course(rng)}},
        },
        "timestamp": _stamp(rng),
    }


def planned(rng: random.Random) -> dict[str, Any]:
    return {
        "actor": _actor(rng),
        "verb": {"id": "http://example.com/planned", "display": {"en-US": "planned"}},
        "object": {
            "objectType": "SubStatement",
            "actor": _actor(rng),
            "verb": {"id": VERBS + "attempted"},
            "object": {"id": _course(rng)},
        },
        "attachments": [
            {
                "usageType": "http://adlnet.gov/expapi/attachments/certificate",
                "display": {"vi-VN": "Chứng nhận"},
                "contentType": "application/pdf",
                "length": 48213,
                "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
                "fileUrl": f"{BASE}/certificates/HP-2025-000123.pdf",
            }
        ],
    }


MIX = [
    (lesson_viewed, 40),
    (question_answered, 30),
    (course_completed, 10),
    (registered, 10),
    (team_attended, 5),
    (voided, 3),
    (planned, 2),
]


def build(count: int, seed: int = 146) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    makers = [maker for maker, weight in MIX for _ in range(weight)]
    return [rng.choice(makers)(rng) for _ in range(count)]


def _rate(func: Any, items: list[Any]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for item in items:
            func(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main() -> None:
    statements = build(5000)
    for stmt in statements:  # the set must be valid, or the figures measure the error path
        validate_statement(stmt)
    completed = [{"id": str(uuid.uuid4()), **stmt} for stmt in statements]
    bodies = [json.dumps(stmt).encode() for stmt in statements]
    batches = [statements[index : index + 50] for index in range(0, len(statements), 50)]

    single = _rate(validate_statement, statements)
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for batch in batches:
            validate_statements(batch)
    batch_rate = len(statements) * ROUNDS / (time.perf_counter() - start)
    print(
        json.dumps(
            {
                "benchmark": "xapi_validate",
                "statements": len(statements),
                "validated_per_s": round(single),
                "us_per_statement": round(1e6 / single, 1),
                "validated_in_batches_of_50_per_s": round(batch_rate),
                "index_per_s": round(_rate(statement_index, completed)),
                "parse_json_per_s": round(_rate(parse_json, bodies)),
                "avg_body_bytes": round(sum(map(len, bodies)) / len(bodies)),
            }
        )
    )


if __name__ == "__main__":
    main()
