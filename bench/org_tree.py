"""Unit-tree queries on 20,000 units in 5 levels, on PostgreSQL.

Builds the tree through the CSV import service (the path an operator uses), records one
province merger so the placements hold real history, then times subtree-id queries (the
tree now and as it was on an earlier day) and ancestor lookups for random units at every
level, and checks with EXPLAIN that the ``varchar_pattern_ops`` path indexes are used.
Prints one JSON line.

    .venv/bin/python bench/org_tree.py [--admin-url postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, make_url, select, text

from lms import create_app
from lms.extensions import db

DATABASE = "bench_org_tree"
#: Children per unit at each level: 1 root, 34 provinces, 204 districts, 1,632 communes,
#: and 18,129 villages (spread over the communes) = 20,000 units.
FANOUT = (34, 6, 8)
TOTAL = 20_000
SAMPLES = 400
MERGER = date(2025, 7, 1)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def figures(samples: list[float]) -> dict[str, float]:
    return {"p50": percentile(samples, 0.5), "p95": percentile(samples, 0.95)}


def fresh_database(admin_url: str) -> str:
    url = make_url(admin_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    engine.dispose()
    return url.set(database=DATABASE).render_as_string(hide_password=False)


def tree_rows() -> list[dict[str, str]]:
    """The tree as import rows, children listed before their parents (the import sorts)."""
    kinds = ("other", "province", "district", "commune", "other")
    levels: list[list[str]] = [["VN"]]
    for fanout in FANOUT:
        levels.append([f"{p}-{i:02d}" for p in levels[-1] for i in range(fanout)])
    placed = sum(len(level) for level in levels)
    communes = levels[-1]
    villages = [
        f"{communes[i % len(communes)]}-{i // len(communes):02d}" for i in range(TOTAL - placed)
    ]
    levels.append(villages)
    rows = []
    for depth, level in enumerate(levels):
        for code in level:
            parent = code.rsplit("-", 1)[0] if depth else ""
            rows.append(
                {
                    "code": code,
                    "name": f"Đơn vị {code}",
                    "kind": kinds[depth],
                    "parent_code": parent,
                }
            )
    rows.reverse()
    return rows


def timed(func, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    func(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def explain_uses(sql: str, index: str) -> bool:
    plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
    return index in plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh_database(args.admin_url), "LOG_LEVEL": "WARNING"}
    )
    with app.app_context():
        from lms.org import services
        from lms.org.models import Unit

        db.create_all()
        rows = tree_rows()
        start = time.perf_counter()
        counts = services.import_units(rows, by=None, on=date(2024, 1, 1))
        db.session.commit()
        import_s = round(time.perf_counter() - start, 2)

        first, second = services.get_unit("VN-00"), services.get_unit("VN-01")
        start = time.perf_counter()
        services.merge_unit(first, second, on=MERGER, by=None)
        db.session.commit()
        merge_ms = round((time.perf_counter() - start) * 1000, 1)
        db.session.execute(text("ANALYZE"))
        db.session.commit()

        rng = random.Random(146)
        ids = list(db.session.scalars(select(Unit.id)))
        sample = [db.session.get(Unit, i) for i in rng.sample(ids, SAMPLES)]
        sample += [services.get_unit(code) for code in ("VN", "VN-01", "VN-05-03")]
        now, before, up = [], [], []
        sizes = []
        for unit in sample:
            now.append(timed(lambda u=unit: db.session.scalars(services.subtree_ids(u)).all()))
            sizes.append(len(db.session.scalars(services.subtree_ids(unit)).all()))
            before.append(
                timed(
                    lambda u=unit: db.session.scalars(
                        services.subtree_ids(u, on=date(2024, 12, 31))
                    ).all()
                )
            )
            db.session.expire(unit, ["path"])  # ancestors() reads the path: load it too
            up.append(timed(services.ancestors, unit))

        commune = services.get_unit("VN-05-03-02")
        dialect = db.engine.dialect
        now_sql = services.subtree_ids(commune).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}
        )
        old_sql = services.subtree_ids(commune, on=date(2024, 12, 31)).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}
        )
        result = {
            "bench": "org_tree",
            "db": "postgresql",
            "units": db.session.scalar(text("SELECT count(*) FROM units")),
            "placements": db.session.scalar(text("SELECT count(*) FROM unit_placements")),
            "levels": 5,
            "import_s": import_s,
            "import": counts,
            "merge_province_ms": merge_ms,
            "samples": len(sample),
            "subtree_size_max": max(sizes),
            "subtree_ids_now_ms": figures(now),
            "subtree_ids_on_date_ms": figures(before),
            "ancestors_ms": figures(up),
            "index_used": {
                "units.path": explain_uses(str(now_sql), "ix_units_path_prefix"),
                "unit_placements.path": explain_uses(
                    str(old_sql), "ix_unit_placements_path_prefix"
                ),
            },
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
