"""Catalog and enrollment benchmark on PostgreSQL; prints one JSON line.

200 courses (5 lessons each), 25,000 learners with 100,000 enrollments (bulk inserted), then:
- catalog search ``GET /api/v1/courses?q=...`` (diacritic-free words, filters): p50/p95;
- the "my learning" page ``GET /my-learning`` and ``GET /api/v1/me/enrollments``: p50/p95;
- a 5,000-row CSV class enrollment (new accounts) through the API: seconds.
Targets: p95 <= 30 ms for the reads, <= 10 s for the import.

Run: ``.venv/bin/python bench/catalog.py`` (``LMS_BENCH_DATABASE_URL`` to point elsewhere;
by default it creates and drops the database ``bench_catalog`` on 127.0.0.1).
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ADMIN_URL = os.environ.get(
    "LMS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = "bench_catalog"
COURSES = 200
LESSONS = 5
USERS = 25_000
PER_USER = 4
ROUNDS = 300
CSV_ROWS = 5_000
WORDS = (
    "ky nang so", "dich vu cong", "an toan", "chuyen doi so", "du lieu", "thanh toan",
    "lanh dao", "giao vien", "mang xa hoi", "chinh quyen so", "thuong mai", "bao mat",
)  # fmt: skip
TOPICS = (
    "Kỹ năng số", "Dịch vụ công trực tuyến", "An toàn thông tin", "Chuyển đổi số", "Dữ liệu mở",
    "Thanh toán không dùng tiền mặt", "Lãnh đạo số", "Giáo viên STEM", "Mạng xã hội an toàn",
    "Chính quyền số", "Thương mại điện tử", "Bảo mật cá nhân",
)  # fmt: skip


def _database() -> str:
    url = make_url(ADMIN_URL)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    engine.dispose()
    return url.set(database=DB_NAME).render_as_string(hide_password=False)


def _drop() -> None:
    engine = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    engine.dispose()


def _seed(db: Any) -> dict[str, Any]:
    from lms.auth.models import Role, User, UserRole
    from lms.catalog.importer import facets, search_text
    from lms.catalog.models import Course, Lesson
    from lms.classes.models import Enrollment
    from lms.constants import SkillArea, TargetGroup
    from lms.org.models import Unit

    rng = random.Random(146)
    now = datetime.now(UTC)
    db.session.execute(
        insert(Unit),
        [{"code": "BENCH", "name": "Đơn vị thử", "kind": "province", "path": "/1/", "depth": 0}],
    )
    unit_id = db.session.execute(text("SELECT id FROM units WHERE code = 'BENCH'")).scalar_one()
    db.session.execute(
        text("UPDATE units SET path = :p WHERE id = :i"), {"p": f"/{unit_id}/", "i": unit_id}
    )
    courses = []
    for n in range(COURSES):
        topic = TOPICS[n % len(TOPICS)]
        title = f"{topic} – học phần {n + 1}"
        summary = f"Khoá học về {topic.lower()} cho cán bộ và người dân, phần {n + 1}."
        groups = rng.sample(list(TargetGroup), 2)
        areas = rng.sample(list(SkillArea), 2)
        slug = f"khoa-hoc-{n + 1:03d}"
        courses.append(
            {
                "slug": slug,
                "title": title,
                "summary": summary,
                "target_groups": groups,
                "skill_areas": areas,
                "level": rng.choice(["basic", "intermediate", "advanced"]),
                "hours": 4.0,
                "indicators": [],
                "open": True,
                "gives_certificate": True,
                "completion_rule": {"lessons": "all", "quiz": None, "attendance": None},
                "activity_iri": f"https://bench.lms146.vn/course/{slug}",
                "external_activity_iris": [],
                "version": 1,
                "search_text": search_text(title, None, summary, slug),
                "facets": facets(groups, areas),
                "published": True,
            }
        )
    db.session.execute(insert(Course), courses)
    course_ids = list(db.session.execute(text("SELECT id FROM courses ORDER BY id")).scalars())
    db.session.execute(
        insert(Lesson),
        [
            {
                "course_id": cid,
                "slug": f"bai-{i}",
                "position": i,
                "title": f"Bài {i}",
                "minutes": 10,
                "body_md": "Nội dung.",
                "body_html": "<p>Nội dung.</p>",
                "active": True,
            }
            for cid in course_ids
            for i in range(1, LESSONS + 1)
        ],
    )
    first_lessons = dict(
        db.session.execute(text("SELECT course_id, min(id) FROM lessons GROUP BY course_id")).all()
    )
    for start in range(0, USERS, 5000):
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"hv{n}@bench.vn",
                    "full_name": f"Học viên {n}",
                    "unit_id": unit_id,
                    "target_group": "citizen",
                    "active": True,
                    "password_hash": None,
                }
                for n in range(start, min(start + 5000, USERS))
            ],
        )
    user_ids = list(db.session.execute(text("SELECT id FROM users ORDER BY id")).scalars())
    db.session.execute(
        insert(UserRole), [{"user_id": uid, "role": Role.learner} for uid in user_ids]
    )
    statuses = ["enrolled", "in_progress", "in_progress", "completed"]
    rows = []
    for uid in user_ids:
        for cid in rng.sample(course_ids, PER_USER):
            status = rng.choice(statuses)
            rows.append(
                {
                    "user_id": uid,
                    "course_id": cid,
                    "status": status,
                    "source": "self",
                    "registration": str(uuid.uuid4()),
                    "enrolled_at": now - timedelta(days=rng.randint(1, 300)),
                    "last_activity_at": now - timedelta(days=rng.randint(0, 30)),
                    "progress": 100 if status == "completed" else rng.randint(0, 99),
                    "lessons_done": rng.randint(0, LESSONS),
                    "last_lesson_id": first_lessons[cid],
                }
            )
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(Enrollment), rows[start : start + 10_000])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"user_ids": user_ids, "unit_id": unit_id, "enrollments": len(rows)}


def _timed(call: Any, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[18], 2)


def main() -> None:
    logging.disable(logging.INFO)
    url = _database()
    try:
        from lms import create_app
        from lms.extensions import db

        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "PASSWORD_HASH_FAST": True,
                "JOBS_EAGER": True,
                "WTF_CSRF_ENABLED": False,
                "BABEL_DEFAULT_LOCALE": "vi",
                "LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            world = _seed(db)
            seed_s = time.perf_counter() - started
            figures = _measure(app, db, world)
            figures["seed_s"] = round(seed_s, 1)
        print(json.dumps(figures))
    finally:
        _drop()


def _measure(app: Any, db: Any, world: dict[str, Any]) -> dict[str, Any]:
    from lms.auth.models import Role, User
    from lms.auth.services import create_token, set_password
    from lms.catalog.models import Course
    from lms.classes.models import Class, ClassMode
    from lms.org.models import Unit

    rng = random.Random(7)
    client = app.test_client()
    queries = [
        {"q": rng.choice(WORDS)} | ({"level": "basic"} if i % 3 == 0 else {})
        | ({"target_group": "citizen"} if i % 4 == 0 else {})
        for i in range(ROUNDS)
    ]  # fmt: skip
    iterator = iter(queries * 2)

    def search() -> None:
        response = client.get("/api/v1/courses", query_string=next(iterator))
        assert response.status_code == 200

    _timed(search, 30)
    search_ms = _timed(search, ROUNDS)

    learners = [db.session.get(User, uid) for uid in rng.sample(world["user_ids"], 20)]
    browsers = []
    for user in learners:
        set_password(user, "mat-khau-bench")
    db.session.commit()
    tokens = []
    for user in learners:
        browser = app.test_client()
        response = browser.post("/login", data={"login": user.email, "password": "mat-khau-bench"})
        assert response.status_code in {302, 303}, response.status_code
        browsers.append(browser)
        tokens.append(create_token(user)[0])
    db.session.commit()
    turn = iter(range(10**9))

    def my_learning() -> None:
        response = browsers[next(turn) % len(browsers)].get("/my-learning")
        assert response.status_code == 200

    def my_api() -> None:
        token = tokens[next(turn) % len(tokens)]
        response = client.get(
            "/api/v1/me/enrollments", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200

    _timed(my_learning, 30)
    page_ms = _timed(my_learning, ROUNDS)
    _timed(my_api, 30)
    api_ms = _timed(my_api, ROUNDS)

    admin = User(email="admin@bench.vn", full_name="Quản trị", unit_id=world["unit_id"])
    from lms.auth.models import UserRole

    admin.role_rows = [UserRole(role=Role.admin)]
    db.session.add(admin)
    course = db.session.scalar(db.select(Course).order_by(Course.id))
    unit = db.session.get(Unit, world["unit_id"])
    db.session.add(
        Class(code="BENCH-CSV", course=course, unit=unit, title="Lớp thử", mode=ClassMode.online)
    )
    db.session.commit()
    admin_token = create_token(admin)[0]
    db.session.commit()
    lines = ["email,phone,full_name,unit_code,target_group"]
    lines += [f"moi{n}@bench.vn,,Người mới {n},BENCH,official" for n in range(CSV_ROWS)]
    body = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    response = client.post(
        "/api/v1/classes/BENCH-CSV/enrollments/import",
        data={"file": (io.BytesIO(body), "bench.csv")},
        headers={"Authorization": f"Bearer {admin_token}"},
        content_type="multipart/form-data",
    )
    csv_s = time.perf_counter() - started
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.json["summary"]["create"] == CSV_ROWS
    return {
        "courses": COURSES,
        "enrollments": world["enrollments"],
        "catalog_search_p50_ms": round(statistics.median(search_ms), 2),
        "catalog_search_p95_ms": _p95(search_ms),
        "my_learning_page_p50_ms": round(statistics.median(page_ms), 2),
        "my_learning_page_p95_ms": _p95(page_ms),
        "me_enrollments_api_p95_ms": _p95(api_ms),
        "csv_import_rows": CSV_ROWS,
        "csv_import_s": round(csv_s, 2),
    }


if __name__ == "__main__":
    main()
