"""Issue and render 10,000 certificates on PostgreSQL; print one JSON line of figures.

Builds (bulk inserts, not the API) a province, a commune, a course and 10,000 completed
enrollments in its own database ``bench_certificates``, then:

- issues a certificate for each completion through the real service (serial upsert,
  snapshot, Ed25519 signature, xAPI statement, signal), committing every 500;
- renders every PDF with the pure renderer in one process (``render_pdf_per_s`` by the wall
  clock, ``render_pdf_per_cpu_s`` per CPU-second, i.e. per core, whatever else the machine
  runs);
- serves 1,000 of them through the cached service path (``pdf_service_per_s``: gathering the
  data, signing the VC-JWT, rendering and storing in the cache).

    .venv/bin/python bench/certificates.py [--admin-url postgresql+psycopg://...] [-n 10000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, make_url, select, text

from lms import create_app
from lms.extensions import db


def make_database(admin_url: str, name: str) -> str:
    url = make_url(admin_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def build(n: int) -> None:
    from lms.auth.models import User
    from lms.catalog.models import Course
    from lms.classes.models import Enrollment, EnrollmentSource, EnrollmentStatus
    from lms.db import new_uuid, utcnow
    from lms.org.models import Unit, UnitKind, UnitPlacement

    province = Unit(
        code="HP", name="Thành phố Hải Phòng", kind=UnitKind.province, path="", serial_prefix="HP"
    )
    db.session.add(province)
    db.session.flush()
    province.path = f"/{province.id}/"
    commune = Unit(
        code="HP-HONGBANG", name="Phường Hồng Bàng", kind=UnitKind.commune, parent=province,
        path="", depth=1,
    )  # fmt: skip
    db.session.add(commune)
    db.session.flush()
    commune.path = f"{province.path}{commune.id}/"
    for unit in (province, commune):
        db.session.add(
            UnitPlacement(unit_id=unit.id, parent_id=unit.parent_id, path=unit.path,
                          valid_from=unit.valid_from)
        )  # fmt: skip
    course = Course(
        slug="dich-vu-cong-truc-tuyen",
        title="Sử dụng dịch vụ công trực tuyến",
        title_en="Using online public services",
        hours=4,
        indicators=["citizens_online_services"],
        gives_certificate=True,
        completion_rule={"lessons": "all", "quiz": 70},
        activity_iri="https://lms146.vn/xapi/activities/course/dich-vu-cong-truc-tuyen",
    )
    db.session.add(course)
    db.session.flush()
    surnames = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng", "Vũ", "Bùi")
    middles = ("Thị", "Văn", "Ngọc", "Đức", "Thu", "Minh")
    givens = ("Hoa", "Hùng", "Lan", "Dũng", "Phương", "Khoa", "Thảo", "Tuấn", "Hằng")
    db.session.execute(
        insert(User),
        [
            {
                "email": f"hv{i}@bench.vn",
                "full_name": f"{surnames[i % 8]} {middles[i % 6]} {givens[i % 9]}",
                "unit_id": commune.id,
                "target_group": "citizen",
                "active": True,
            }
            for i in range(n)
        ],
    )
    user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
    now = utcnow()
    db.session.execute(
        insert(Enrollment),
        [
            {
                "user_id": uid,
                "course_id": course.id,
                "status": EnrollmentStatus.completed,
                "source": EnrollmentSource.self,
                "registration": new_uuid(),
                "enrolled_at": now,
                "completed_at": now,
                "progress": 100,
                "lessons_done": 3,
                "quiz_score": 0.7 + (uid % 30) / 100,
                "quiz_passed": True,
            }
            for uid in user_ids
        ],
    )
    db.session.commit()


def issue_all() -> tuple[int, float]:
    from lms.certificates.services import issue_certificate
    from lms.classes.models import Enrollment

    ids = db.session.scalars(select(Enrollment.id).order_by(Enrollment.id)).all()
    started = time.perf_counter()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for enrollment in db.session.scalars(select(Enrollment).where(Enrollment.id.in_(chunk))):
            issue_certificate(enrollment)
        db.session.commit()
        db.session.expunge_all()
    return len(ids), time.perf_counter() - started


def render_all() -> tuple[int, float, float, float]:
    from lms.certificates import pdfs
    from lms.certificates.models import Certificate
    from lms.certificates.render import render_certificate

    certs = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    datas = [pdfs.certificate_data(c) for c in certs]
    render_certificate(datas[0])  # fonts loaded once, as in a running worker
    started, cpu_started = time.perf_counter(), time.process_time()
    total = 0
    for data in datas:
        total += len(render_certificate(data))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return len(datas), wall, cpu, total / len(datas)


def serve_some(count: int) -> tuple[int, float]:
    from lms.certificates import pdfs
    from lms.certificates.models import Certificate

    certs = db.session.scalars(select(Certificate).order_by(Certificate.id).limit(count)).all()
    started = time.perf_counter()
    for cert in certs:
        pdfs.certificate_pdf(cert)
    db.session.commit()
    return len(certs), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    parser.add_argument("-n", type=int, default=10_000)
    args = parser.parse_args()
    import logging

    url = make_database(args.admin_url, "bench_certificates")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"}
    )
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        db.create_all()
        build(args.n)
        issued, issue_s = issue_all()
        rendered, render_s, render_cpu_s, avg_size = render_all()
        served, serve_s = serve_some(min(1_000, issued))
    print(
        json.dumps(
            {
                "certificates": issued,
                "issue_per_s": round(issued / issue_s, 1),
                "render_pdf_per_s": round(rendered / render_s, 1),
                "render_pdf_per_cpu_s": round(rendered / render_cpu_s, 1),
                "pdf_service_per_s": round(served / serve_s, 1),
                "avg_pdf_kb": round(avg_size / 1024, 1),
                "target_render_pdf_per_s_per_core": 50,
                "target_avg_pdf_kb_below": 100,
            }
        )
    )


if __name__ == "__main__":
    main()
