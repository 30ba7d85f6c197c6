"""Statement queries on a big LRS: 1,000,000 statements in PostgreSQL.

Run: .venv/bin/python bench/lrs_query.py
Loads 1,000,000 MOOC statements (the traffic of bench/lrs_ingest.py, completed and indexed
by the LRS's own code, written with COPY), then times GET /xapi/statements through the
Flask app (test client: parameters, auth, query, rendering) and prints one JSON line with
p50/p95 per query shape: by agent, by verb and activity, by registration, a since/until
window, plus the first "more" page of a broad query and an ascending "since" poll.

Settings (environment): LMS_BENCH_PG (admin URL), LMS_BENCH_STATEMENTS (default
1,000,000), LMS_BENCH_QUERIES (per shape, default 200), LMS_BENCH_REUSE=1 to keep an
already loaded database.
"""

from __future__ import annotations

import base64
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from lrs_ingest import (  # noqa: E402 - after the path set-up
    PG_ADMIN,
    Mooc,
    database_url,
    make_app,
    recreate_database,
)

DB_NAME = "bench_lrs_query"
CHUNK = 20_000
SPAN = timedelta(days=90)


def load(url: str, total: int) -> dict[str, Any]:
    """Complete and index statements with the LRS code, COPY them in, then build indexes."""
    import psycopg
    from sqlalchemy import Index

    from lms.extensions import db
    from lms.xapi.keys import xapi_time
    from lms.xapi.models import Statement
    from lms.xapi.statements import Writer, complete, dump_json

    app = make_app(url)
    with app.app_context():
        db.create_all()
        writer = Writer(
            authority={
                "objectType": "Agent",
                "name": "MOOC 146",
                "account": {"homePage": "https://lms146.example.vn/xapi", "name": "mooc"},
            }
        )
        indexes = list(Statement.__table__.indexes)
        with db.engine.begin() as conn:
            for index in indexes:
                index.drop(conn)
            conn.exec_driver_sql(
                "ALTER TABLE xapi_statement_keys DROP CONSTRAINT pk_xapi_statement_keys"
            )
            conn.exec_driver_sql(
                "ALTER TABLE xapi_statements DROP CONSTRAINT uq_xapi_statements_statement_id"
            )
        mooc = Mooc(seed=1)
        start = datetime(2025, 7, 1, tzinfo=UTC)
        step = SPAN / total
        started = time.perf_counter()
        registrations: list[str] = []
        with psycopg.connect(url.replace("+psycopg", "")) as conn:
            seq = 0
            while seq < total:
                statements, keys = [], []
                for _ in range(min(CHUNK, total - seq)):
                    seq += 1
                    stored = start + step * seq
                    stored = stored.replace(microsecond=stored.microsecond // 1000 * 1000)
                    p = complete(mooc.statement(), writer)
                    p.stmt["stored"] = xapi_time(stored)
                    ix = p.index
                    statements.append(
                        (
                            seq,
                            ix.statement_id,
                            stored,
                            ix.verb_id,
                            ix.actor_ifi,
                            ix.object_type,
                            ix.object_activity_id,
                            ix.registration,
                            False,
                            writer.authority_ifi,
                            dump_json(p.stmt),
                        )
                    )
                    keys.extend((kind, value, stored, seq) for kind, value in p.keys)
                    if ix.registration and seq % 97 == 0:
                        registrations.append(ix.registration)
                with conn.cursor() as cur:
                    with cur.copy(
                        "COPY xapi_statements (seq, statement_id, stored, verb_id, actor_ifi, "
                        "object_type, object_activity_id, registration, voiding, authority_ifi, "
                        "statement) FROM STDIN"
                    ) as copy:
                        for row in statements:
                            copy.write_row(row)
                    with cur.copy(
                        "COPY xapi_statement_keys (kind, value, stored, seq) FROM STDIN "
                        "(FORMAT BINARY)"
                    ) as copy:
                        copy.set_types(["int2", "text", "timestamptz", "int8"])
                        for row in keys:
                            copy.write_row(row)
                conn.commit()
            loaded = time.perf_counter() - started
            conn.execute("SELECT setval('xapi_statements_seq_seq', %s)", (total,))
            conn.execute(
                "ALTER TABLE xapi_statement_keys ADD CONSTRAINT pk_xapi_statement_keys "
                "PRIMARY KEY (kind, value, stored, seq)"
            )
            conn.execute(
                "ALTER TABLE xapi_statements ADD CONSTRAINT uq_xapi_statements_statement_id "
                "UNIQUE (statement_id)"
            )
            conn.commit()
        with db.engine.begin() as conn:
            for index in indexes:
                Index.create(index, conn)
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE xapi_statements")
            conn.execute("VACUUM ANALYZE xapi_statement_keys")
            key_rows = conn.execute("SELECT count(*) FROM xapi_statement_keys").fetchone()[0]
        db.engine.dispose()
    with open(ROOT.parent / "instance" / "bench_lrs_query_registrations.json", "w") as fh:
        json.dump(registrations, fh)
    return {
        "load_seconds": round(time.perf_counter() - started, 1),
        "copy_statements_per_s": round(total / loaded),
        "key_rows": key_rows,
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {"p50_ms": round(q[49] * 1000, 2), "p95_ms": round(q[94] * 1000, 2)}


def run_queries(url: str, count: int, total: int) -> dict[str, Any]:
    from lms.extensions import db
    from lms.xapi import clients

    app = make_app(url)
    with app.app_context():
        client, secret = clients.create_client("bench-reader", scopes=["statements/read"])
        db.session.commit()
        key = client.key
    auth = base64.b64encode(f"{key}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"}
    with open(ROOT.parent / "instance" / "bench_lrs_query_registrations.json") as fh:
        registrations = json.load(fh)
    rng = random.Random(5)
    mooc = Mooc()
    start = datetime(2025, 7, 1, tzinfo=UTC)
    verbs = ["completed", "passed", "launched", "experienced", "answered"]

    def by_agent() -> dict[str, str]:
        return {"agent": json.dumps(mooc.actor(rng.randrange(mooc.learners)))}

    def by_verb_activity() -> dict[str, str]:
        return {
            "verb": "http://adlnet.gov/expapi/verbs/" + rng.choice(verbs),
            "activity": Mooc.course_iri(rng.randrange(mooc.courses)),
        }

    def by_registration() -> dict[str, str]:
        return {"registration": rng.choice(registrations)}

    def since_window() -> dict[str, str]:
        since = start + SPAN * rng.random() * 0.95
        return {"since": since.isoformat(), "until": (since + timedelta(hours=6)).isoformat()}

    def since_poll() -> dict[str, str]:
        since = start + SPAN * rng.random()
        return {"since": since.isoformat(), "ascending": "true", "limit": "100"}

    def related_activity() -> dict[str, str]:
        return {
            "activity": Mooc.course_iri(rng.randrange(mooc.courses)),
            "related_activities": "true",
            "limit": "100",
        }

    shapes = {
        "by_agent": by_agent,
        "by_verb_and_activity": by_verb_activity,
        "by_registration": by_registration,
        "since_until_window": since_window,
        "since_ascending_poll": since_poll,
        "related_activities": related_activity,
    }
    test = app.test_client()
    results: dict[str, Any] = {}
    for name, shape in shapes.items():
        for _ in range(10):  # warm up the plan and the caches
            test.get("/xapi/statements?" + urlencode(shape()), headers=headers)
        samples, returned = [], 0
        for _ in range(count):
            query = "/xapi/statements?" + urlencode(shape())
            began = time.perf_counter()
            response = test.get(query, headers=headers)
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200, response.data[:300]
            returned += len(response.json["statements"])
        results[name] = percentiles(samples) | {"avg_statements": round(returned / count, 1)}
    # Following "more": the second page of a broad query.
    samples = []
    for _ in range(count // 4):
        first = test.get(
            "/xapi/statements?" + urlencode(by_verb_activity() | {"limit": "50"}),
            headers=headers,
        ).json
        if not first["more"]:
            continue
        began = time.perf_counter()
        response = test.get(first["more"], headers=headers)
        samples.append(time.perf_counter() - began)
        assert response.status_code == 200
    results["more_page"] = percentiles(samples)
    with app.app_context():
        db.engine.dispose()
    return results


def main() -> None:
    total = int(os.environ.get("LMS_BENCH_STATEMENTS", "1000000"))
    count = int(os.environ.get("LMS_BENCH_QUERIES", "200"))
    if os.environ.get("LMS_BENCH_REUSE") == "1":
        url = database_url(PG_ADMIN, DB_NAME)
        loaded: dict[str, Any] = {"reused": True}
    else:
        url = recreate_database(PG_ADMIN, DB_NAME)
        loaded = load(url, total)
    from lms.xapi.constants import MAX_PAGE_SIZE

    result: dict[str, Any] = {
        "benchmark": "lrs_query",
        "statements": total,
        "page_size_default": MAX_PAGE_SIZE,
        **loaded,
    }
    result.update(run_queries(url, count, total))
    result["machine_load_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
