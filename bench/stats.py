"""Indicator and breakdown latency at provincial scale, on PostgreSQL.

Builds (bulk COPY, not the API) a province of 5,000 units with 500,000 learners and
1,000,000 certificates over three years, each with its completed enrollment, plus 200,000
enrollments still open, rebuilds the aggregates, then times the indicator table of the
province and of one commune, each breakdown and the funnel. Prints one JSON line.

    .venv/bin/python bench/stats.py [--admin-url postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, make_url, text

from lms import create_app
from lms.collation import vi_name_sort_string
from lms.extensions import db

UNITS, LEARNERS, CERTIFICATES, OPEN_ENROLLMENTS = 5_000, 500_000, 1_000_000, 200_000
EXTRA_USER = ["created_at", "search_text", "sort_name"]
GROUPS = [
    ("citizen", 60),
    ("official", 20),
    ("leader", 4),
    ("community_tech", 6),
    ("teacher", 6),
    ("dx_specialist", 2),
    ("expert", 1),
    (None, 1),
]
COURSES = [
    ("cb", ["officials_trained"]),
    ("ld", ["leaders_trained"]),
    ("cv", ["specialists_assessed"]),
    ("dvc", ["citizens_online_services"]),
    ("atd", ["officials_trained", "citizens_online_services"]),
    ("cg", ["experts_trained"]),
    ("stem", ["schools_stem", "schools_dx_content"]),
    ("cn", ["community_teams_trained"]),
]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def copy_rows(raw, table: str, columns: list[str], rows) -> None:  # type: ignore[no-untyped-def]
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def build(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rng = random.Random(146)
    with app.app_context():
        db.create_all()
        raw = db.session.connection().connection.driver_connection
        start = date(2020, 1, 1)
        units = [(1, "BP", "Tỉnh Bench", "province", None, "/1/", 0, start, "BP", 15)]
        districts = list(range(2, 42))
        for d in districts:
            units.append(
                (d, f"BP-D{d}", f"Huyện {d}", "district", 1, f"/1/{d}/", 1, start, None, None)
            )
        communes, schools = [], []
        next_id = 42
        while next_id <= UNITS:
            parent = rng.choice(districts)
            kind = "school" if next_id % 5 == 0 else "commune"
            (schools if kind == "school" else communes).append(next_id)
            units.append(
                (
                    next_id,
                    f"BP-U{next_id}",
                    f"Đơn vị {next_id}",
                    kind,
                    parent,
                    f"/1/{parent}/{next_id}/",
                    2,
                    start,
                    None,
                    None,
                )
            )
            next_id += 1
        now = datetime.now(UTC)
        copy_rows(
            raw,
            "units",
            [
                "id",
                "code",
                "name",
                "kind",
                "parent_id",
                "path",
                "depth",
                "valid_from",
                "serial_prefix",
                "report_day",
                "search_text",
                "created_at",
            ],
            ((*u, u[2].lower(), now) for u in units),
        )
        copy_rows(
            raw,
            "unit_placements",
            ["unit_id", "parent_id", "path", "valid_from"],
            ((u[0], u[4], u[5], start) for u in units),
        )
        headcounts = []
        for unit_id in communes + schools:
            for year in (2024, 2025, 2026):
                for group, size in (
                    ("citizen", 1500),
                    ("official", 40),
                    ("leader", 5),
                    ("community_tech", 12),
                    ("dx_specialist", 2),
                    ("teacher", 30),
                ):
                    headcounts.append((unit_id, group, year, size))
        copy_rows(
            raw,
            "headcounts",
            ["unit_id", "target_group", "year", "count", "updated_at"],
            ((*h, now) for h in headcounts),
        )
        weights = [w for _, w in GROUPS]
        people = []
        for uid in range(1, LEARNERS + 1):
            group = rng.choices(GROUPS, weights)[0][0]
            unit = rng.choice(schools if group == "teacher" else communes)
            people.append(
                (
                    uid,
                    f"l{uid}@bench.vn",
                    f"Học viên {uid}",
                    True,
                    None if rng.random() < 0.01 else unit,
                    group,
                )
            )
        copy_rows(
            raw,
            "users",
            ["id", "email", "full_name", "active", "unit_id", "target_group", *EXTRA_USER],
            ((*p, now, p[2].lower(), vi_name_sort_string(p[2])) for p in people),
        )
        from lms.catalog.models import Course

        for i, (slug, codes) in enumerate(COURSES, start=1):
            db.session.add(
                Course(
                    id=i,
                    slug=slug,
                    title=f"Khoá {slug}",
                    indicators=codes,
                    hours=8,
                    activity_iri=f"https://bench.lms146.vn/course/{slug}",
                )
            )
        db.session.flush()
        certs = []
        base = datetime(2024, 1, 1, tzinfo=UTC)
        for cid in range(1, CERTIFICATES + 1):
            uid = rng.randint(1, LEARNERS)
            _, _, _, _, unit, group = people[uid - 1]
            course_id = rng.randint(1, len(COURSES))
            issued = base + timedelta(days=rng.randint(0, 1050), hours=rng.randint(7, 17))
            revoked = issued + timedelta(days=30) if rng.random() < 0.02 else None
            certs.append(
                (
                    cid,
                    f"BP-{issued.year}-{cid:07d}",
                    uid,
                    course_id,
                    issued,
                    issued.year,
                    8.0,
                    unit or 1,
                    f"Học viên {uid}",
                    unit,
                    group,
                    json.dumps(COURSES[course_id - 1][1]),
                    "revoked" if revoked else "valid",
                    revoked,
                    "bench",
                    "bench",
                )
            )
        copy_rows(
            raw,
            "certificates",
            [
                "id",
                "serial",
                "user_id",
                "course_id",
                "issued_at",
                "year",
                "hours",
                "issuing_unit_id",
                "holder_name",
                "holder_unit_id",
                "holder_target_group",
                "indicators",
                "status",
                "revoked_at",
                "kid",
                "signature",
                "created_at",
                "issuing_unit_name",
                "signer_name",
                "signer_title",
                "course_slug",
                "course_title",
            ],
            ((*c, now, "", "", "", "", "") for c in certs),
        )
        # Each certificate's completion (one live enrollment per person and course), and
        # enrollments still open; the place at the time is the certificate's snapshot.
        enrollments, seen = [], set()
        for c in certs:
            cid, uid, course_id, issued, unit, group = c[0], c[2], c[3], c[4], c[9], c[10]
            if (uid, course_id) in seen:
                continue
            seen.add((uid, course_id))
            enrolled = issued - timedelta(days=rng.randint(1, 60))
            enrollments.append(
                (uid, course_id, "completed", enrolled, enrolled, issued, unit, unit, group, 100)
            )
        completed = len(enrollments)
        while len(enrollments) < completed + OPEN_ENROLLMENTS:
            uid, course_id = rng.randint(1, LEARNERS), rng.randint(1, len(COURSES))
            if (uid, course_id) in seen:
                continue
            seen.add((uid, course_id))
            unit = people[uid - 1][4]
            enrolled = base + timedelta(days=rng.randint(0, 1050), hours=rng.randint(7, 17))
            started = enrolled if rng.random() < 0.6 else None
            status = "in_progress" if started else "enrolled"
            enrollments.append(
                (uid, course_id, status, enrolled, started, None, unit, None, None, 30)
            )
        copy_rows(
            raw,
            "enrollments",
            [
                "id",
                "user_id",
                "course_id",
                "status",
                "enrolled_at",
                "started_at",
                "completed_at",
                "enrolled_unit_id",
                "completed_unit_id",
                "completed_target_group",
                "progress",
                "source",
                "registration",
                "lessons_done",
            ],
            (
                (i, *e, "self", f"00000000-0000-4000-8000-{i:012d}", 0)
                for i, e in enumerate(enrollments, start=1)
            ),
        )
        for table in ("units", "users", "certificates", "courses", "enrollments"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return {"communes": len(communes), "schools": len(schools)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the generated database of an earlier run"
    )
    parser.add_argument(
        "--no-rebuild", action="store_true", help="with --reuse: keep the aggregates too"
    )
    args = parser.parse_args()
    admin = make_url(args.admin_url)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = 'bench_stats'"))
        if not (args.reuse and exists):
            conn.execute(text('DROP DATABASE IF EXISTS "bench_stats" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "bench_stats"'))
    engine.dispose()
    reuse = bool(args.reuse and exists)
    url = admin.set(database="bench_stats").render_as_string(hide_password=False)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"}
    )
    t0 = time.perf_counter()
    if reuse:
        with app.app_context():
            db.create_all()  # tables added since the data was generated
    shape = {"reused": True} if reuse else build(app)
    load_s = time.perf_counter() - t0
    from lms.org.models import Unit
    from lms.stats import queries
    from lms.stats.demo import create_plan
    from lms.stats.rebuild import rebuild

    with app.app_context():
        t0 = time.perf_counter()
        if not (reuse and args.no_rebuild):
            rebuild()
            db.session.commit()
        rebuild_s = time.perf_counter() - t0
        province = db.session.get(Unit, 1)
        db.session.execute(text("DELETE FROM indicator_targets"))
        db.session.execute(text("DELETE FROM indicators"))
        create_plan(province)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        commune = db.session.get(Unit, 43)
        timings: dict[str, list[float]] = {}

        def timed(name: str, func) -> None:  # type: ignore[no-untyped-def]
            samples = timings.setdefault(name, [])
            for _ in range(args.runs):
                t = time.perf_counter()
                func()
                samples.append((time.perf_counter() - t) * 1000)
                db.session.rollback()

        year = 2026
        timed("indicators_province", lambda: queries.indicator_figures(province, year))
        timed("indicators_commune", lambda: queries.indicator_figures(commune, year))
        for group in queries.GROUP_BYS:
            timed(f"breakdown_{group}", lambda g=group: queries.breakdown(province, year, g))
        timed("funnel", lambda: queries.funnel(province, year))
        # last year: the tree of its 31 December, read from the placements
        timed("indicators_province_2025", lambda: queries.indicator_figures(province, 2025))
        timed("breakdown_unit_2025", lambda: queries.breakdown(province, 2025, "unit"))
        timed("funnel_2025", lambda: queries.funnel(province, 2025))
    result = {
        "bench": "stats",
        "units": UNITS,
        "learners": LEARNERS,
        "certificates": CERTIFICATES,
        **shape,
        "load_s": round(load_s, 1),
        "rebuild_s": round(rebuild_s, 1),
        **{f"{name}_p50_ms": percentile(s, 0.5) for name, s in timings.items()},
        **{f"{name}_p95_ms": percentile(s, 0.95) for name, s in timings.items()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
