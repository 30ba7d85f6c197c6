"""Rebuilding the statistics of 1,000,000 certificates, on PostgreSQL.

Uses the province of ``bench/stats.py`` (5,000 units, 500,000 learners, 1,000,000
certificates over three years; built on the first run, kept in the database ``bench_stats``,
or ``--database``, afterwards), rebuilds every aggregate as ``flask reports rebuild`` does,
commits, and prints one JSON line: the seconds, what was written, and the load average
before and after (the figure means little on a busy machine without it).

    .venv/bin/python bench/stats_rebuild.py [--admin-url postgresql+psycopg://...]
        [--runs 1] [--database NAME] [--steps]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, make_url, text

from lms import create_app
from lms.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--database", default="bench_stats", help="kept between runs (built on the first)"
    )
    parser.add_argument(
        "--steps", action="store_true", help="the seconds of each step of a rebuild, on stderr"
    )
    args = parser.parse_args()
    if args.steps:
        steps = logging.getLogger("lms.stats.rebuild")
        steps.setLevel(logging.DEBUG)
        steps.addHandler(logging.StreamHandler(sys.stderr))
        steps.propagate = False
    admin = make_url(args.admin_url)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": args.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{args.database}"'))
    engine.dispose()
    url = admin.set(database=args.database).render_as_string(hide_password=False)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"}
    )
    if not exists:
        import stats  # bench/stats.py: the same province

        stats.build(app)
    from lms.stats.rebuild import rebuild

    with app.app_context():
        db.create_all()  # tables added since the data was generated
        certificates = db.session.scalar(text("SELECT count(*) FROM certificates"))
        db.session.commit()
        seconds: list[float] = []
        loads = [os.getloadavg()[0]]
        result: dict[str, int] = {}
        for _ in range(args.runs):
            # a connection of its own, as `flask reports rebuild` has
            db.session.remove()
            db.engine.dispose()
            t0 = time.perf_counter()
            result = rebuild()
            db.session.commit()
            seconds.append(round(time.perf_counter() - t0, 1))
            loads.append(os.getloadavg()[0])
    print(
        json.dumps(
            {
                "bench": "stats_rebuild",
                "certificates": certificates,
                "rebuild_s": min(seconds),
                "runs_s": seconds,
                **result,
                "load_1min": [round(x, 2) for x in loads],
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
