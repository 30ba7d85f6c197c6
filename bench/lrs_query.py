"""Statement queries on a big LRS: 10,000,000 statements in PostgreSQL.

Run: .venv/bin/python bench/lrs_query.py
Builds (or reuses) a database of MOOC statements (the traffic of bench/lrs_ingest.py, each
completed, indexed and packed by the LRS's own code, written with COPY by parallel
processes, indexes built afterwards), then times GET /xapi/statements through the Flask
app (test client: parameters, auth, query, rendering) and prints one JSON line with p50/p95
per documented query shape: by agent, by agent with related_agents, by verb and activity, by
registration, a since/until window, an ascending "since" poll, related_activities of a
course, and the next "more" page.

Before timing, the keys' index and the statements are read into the OS cache (``prewarm``;
``LMS_BENCH_COLD=1`` skips it). The database (``bench_lrs_query``) is kept between runs and
reused when it holds the same
number of statements in the same table layout; ``LMS_BENCH_REBUILD=1`` builds it again,
``LMS_BENCH_DROP=1`` drops it at the end. At 10 million statements it takes about 20 GB.

Settings (environment): LMS_BENCH_PG (admin URL), LMS_BENCH_STATEMENTS (default
10,000,000), LMS_BENCH_QUERIES (per shape, default 200), LMS_BENCH_LOADERS (processes that
generate and COPY, default 2).
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import random
import statistics
import struct
import sys
import time
import uuid
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

from lms.xapi.constants import KeyKind  # noqa: E402
from lms.xapi.keys import key_id, verb_activity_value  # noqa: E402
from lms.xapi.validation import agent_ifi  # noqa: E402

DB_NAME = "bench_lrs_query"
CHUNK = 50_000
START = datetime(2025, 7, 1, tzinfo=UTC)
SPAN = timedelta(days=90)
AUTHORITY = {
    "objectType": "Agent",
    "name": "MOOC 146",
    "account": {"homePage": "https://lms146.example.vn/xapi", "name": "mooc"},
}


class BenchMooc(Mooc):
    """The ingest benchmark's traffic, with one registration per learner and course.

    Derived from the pair rather than drawn, so that chunks generated in different
    processes agree, and the benchmark can ask for any pair's registration.
    """

    last: tuple[int, int] = (0, 0)

    def registration(self, learner: int, course: int) -> str:
        self.last = (learner, course)
        return registration_of(learner, course)


def registration_of(learner: int, course: int) -> str:
    digest = hashlib.sha256(f"{learner}/{course}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def layout() -> str:
    """A digest of the two tables' DDL: a kept database is reused only if it matches."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    from lms.xapi.models import Statement, StatementKey
    from lms.xapi.packing import LEVEL

    parts = [f"zstd {LEVEL}"]
    for table in (Statement.__table__, StatementKey.__table__):
        parts.append(str(CreateTable(table).compile(dialect=postgresql.dialect())))
        parts += [str(CreateIndex(i).compile(dialect=postgresql.dialect())) for i in table.indexes]
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:16]


_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)


def _field(value: bytes | None) -> bytes:
    """One field of a row in COPY's binary format."""
    if value is None:
        return b"\xff\xff\xff\xff"
    return struct.pack(">i", len(value)) + value


def _pg_time(value: datetime) -> bytes:
    delta = value - _PG_EPOCH
    return struct.pack(">q", (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


#: Distinct generated statements; the set is this many repeated with other learners.
BASE = 100_000
#: Learner ``l`` of a base statement is ``(l + r * SHIFT) % LEARNERS`` in repetition ``r``.
SHIFT = 7_919


def _keys(stmt: dict[str, Any], authority_ifi: str) -> tuple[set[bytes], set[bytes]]:
    """The keys ``lms.xapi.statements.own_keys`` gives a statement of this traffic.

    Returned in two parts, what depends on the learner (actor, registration) and the rest,
    so that a base statement's keys serve all its repetitions; computed from the few
    properties that make them (every statement of the generator has the same form), which
    is ten times faster than the LRS's function: every 500th statement is checked against
    it while loading.
    """
    verb = stmt["verb"]["id"]
    activity = stmt["object"]["id"]
    context = stmt["context"]
    fixed = {
        key_id(KeyKind.verb, verb),
        key_id(KeyKind.related_agent, authority_ifi),
        key_id(KeyKind.activity, activity),
        key_id(KeyKind.verb_activity, verb_activity_value(verb, activity)),
    }
    for related in context["contextActivities"].values():
        fixed.update(key_id(KeyKind.related_activity, a["id"]) for a in related)
    fixed.discard(key_id(KeyKind.related_activity, activity))
    learner = {
        key_id(KeyKind.agent, agent_ifi(stmt["actor"])),
        key_id(KeyKind.registration, context["registration"]),
    }
    return fixed, learner


_base: list[tuple[dict[str, Any], int, int, list[bytes]]] = []
_learners: dict[tuple[int, int], tuple[str, str, bytes, list[bytes]]] = {}


def _base_statements(authority_ifi: str) -> list[tuple[dict[str, Any], int, int, list[bytes]]]:
    """The distinct statements, with learner, course and learner-free keys, made once."""
    if not _base:
        mooc = BenchMooc(seed=146)
        for _ in range(BASE):
            stmt = mooc.statement()
            learner, course = mooc.last
            fixed = _keys(stmt, authority_ifi)[0]
            _base.append((stmt, learner, course, sorted(fixed)))
    return _base


def _learner(learner: int, course: int, mooc: BenchMooc) -> tuple[str, str, bytes, list[bytes]]:
    """Registration, agent IFI, registration bytes and keys of a learner in a course."""
    found = _learners.get((learner, course))
    if found is None:
        registration = registration_of(learner, course)
        actor_ifi = agent_ifi(mooc.actor(learner))
        found = _learners[(learner, course)] = (
            registration,
            actor_ifi,
            uuid.UUID(registration).bytes,
            [
                key_id(KeyKind.agent, actor_ifi),
                key_id(KeyKind.registration, registration),
            ],
        )
    return found


def _load_chunk(job: tuple[str, int, int, int]) -> int:
    """Make statements ``[first, first + count)`` and COPY them in (binary format).

    Each is stored as the LRS stores it: completed (authority, version, stored), packed,
    with its key rows; every 500th is also put through the LRS's own ``complete`` to check.
    """
    import gc

    import psycopg

    from lms.xapi.keys import xapi_time
    from lms.xapi.packing import dump_json, pack
    from lms.xapi.statements import Writer, complete

    gc.disable()  # millions of short-lived dicts, no cycles
    url, first, count, total = job
    writer = Writer(authority=AUTHORITY)
    authority_ifi = writer.authority_ifi.encode()
    base = _base_statements(writer.authority_ifi)
    mooc = BenchMooc(seed=first)
    rng = random.Random(first)
    step = SPAN / total
    statements = [_COPY_HEADER]
    keys = [_COPY_HEADER]
    for seq in range(first, first + count):
        stored = START + step * seq
        stored = stored.replace(microsecond=stored.microsecond // 1000 * 1000)
        template, learner, course, fixed = base[(seq - 1) % BASE]
        learner = (learner + (seq - 1) // BASE * SHIFT) % mooc.learners
        registration, actor_ifi, registration_bytes, learner_keys = _learner(learner, course, mooc)
        statement_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        raw = {
            **template,
            "id": str(statement_id),
            "actor": mooc.actor(learner),
            "context": {**template["context"], "registration": registration},
        }
        stmt = {**raw, "authority": AUTHORITY, "version": "1.0.0", "stored": xapi_time(stored)}
        if seq % 500 == 0:
            p = complete(raw, writer)
            p.stmt["stored"] = stmt["stored"]
            if p.stmt != stmt or p.keys != {*fixed, *learner_keys}:
                raise RuntimeError(f"statement {seq} is not stored as the LRS would store it")
        at = _pg_time(stored)
        seq_bytes = struct.pack(">q", seq)
        statements.append(
            struct.pack(">h", 13)
            + _field(seq_bytes)
            + _field(statement_id.bytes)
            + _field(at)
            + _field(stmt["verb"]["id"].encode())
            + _field(actor_ifi.encode())
            + _field(b"Activity")
            + _field(stmt["object"]["id"].encode())
            + _field(None)
            + _field(registration_bytes)
            + _field(b"\x00")
            + _field(authority_ifi)
            + _field(None)
            + _field(pack(dump_json(stmt)))
        )
        tail = _field(at) + _field(seq_bytes)
        keys.extend(b"\x00\x03\x00\x00\x00\x10" + key + tail for key in fixed)
        keys.extend(b"\x00\x03\x00\x00\x00\x10" + key + tail for key in learner_keys)
    statements.append(_COPY_TRAILER)
    keys.append(_COPY_TRAILER)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY xapi_statements (seq, statement_id, stored, verb_id, actor_ifi, object_type, "
            "object_activity_id, object_statement_ref, registration, voiding, authority_ifi, "
            "client_id, statement) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(b"".join(statements))
        with cur.copy(
            "COPY xapi_statement_keys (key, stored, seq) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(b"".join(keys))
    return count


def load(url: str, total: int) -> dict[str, Any]:
    """Tables without indexes, parallel COPY, then the indexes and VACUUM ANALYZE."""
    import psycopg
    from sqlalchemy import Index

    from lms.extensions import db
    from lms.xapi.models import Statement, StatementKey

    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        indexes = list(Statement.__table__.indexes)
        with db.engine.begin() as conn:
            for index in indexes:
                index.drop(conn)
            conn.exec_driver_sql(
                "ALTER TABLE xapi_statement_keys DROP CONSTRAINT pk_xapi_statement_keys"
            )
            conn.exec_driver_sql("ALTER TABLE xapi_statements DROP CONSTRAINT pk_xapi_statements")
            conn.exec_driver_sql(
                "ALTER TABLE xapi_statements DROP CONSTRAINT uq_xapi_statements_statement_id"
            )
        db.engine.dispose()
    plain = url.replace("+psycopg", "")
    jobs = [
        (plain, first, min(CHUNK, total - first + 1), total) for first in range(1, total + 1, CHUNK)
    ]
    loaders = int(os.environ.get("LMS_BENCH_LOADERS", "2"))
    with multiprocessing.get_context("fork").Pool(loaders) as pool:
        done = 0
        for count in pool.imap_unordered(_load_chunk, jobs):
            done += count
            if done % 1_000_000 < CHUNK:
                print(f"loaded {done:,} statements", file=sys.stderr, flush=True)
    copied = time.perf_counter() - started
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        conn.execute("SELECT setval('xapi_statements_seq_seq', %s)", (total,))
        conn.execute(
            "ALTER TABLE xapi_statement_keys ADD CONSTRAINT pk_xapi_statement_keys "
            "PRIMARY KEY (key, stored, seq)"
        )
        conn.execute(
            "ALTER TABLE xapi_statements ADD CONSTRAINT pk_xapi_statements PRIMARY KEY (seq)"
        )
        conn.execute(
            "ALTER TABLE xapi_statements ADD CONSTRAINT uq_xapi_statements_statement_id "
            "UNIQUE (statement_id)"
        )
    with app.app_context():
        with db.engine.begin() as conn:
            for index in indexes:
                Index.create(index, conn)
        db.engine.dispose()
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE xapi_statements")
        conn.execute("VACUUM ANALYZE xapi_statement_keys")
        key_rows = conn.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'xapi_statement_keys'"
        ).fetchone()[0]
        conn.execute(
            "CREATE TABLE bench_meta (statements bigint, layout text, key_rows bigint, "
            "load_seconds real, copy_seconds real)"
        )
        conn.execute(
            "INSERT INTO bench_meta VALUES (%s, %s, %s, %s, %s)",
            (total, layout(), key_rows, time.perf_counter() - started, copied),
        )
    assert StatementKey  # the key table is created with the others
    return {
        "load_seconds": round(time.perf_counter() - started, 1),
        "copy_seconds": round(copied, 1),
        "key_rows": key_rows,
    }


def kept_database(total: int) -> dict[str, Any] | None:
    """What the kept database says about itself, when it can be reused."""
    import psycopg

    url = database_url(PG_ADMIN, DB_NAME).replace("+psycopg", "")
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT statements, layout, key_rows, load_seconds FROM bench_meta"
            ).fetchone()
    except psycopg.Error:
        return None
    if row is None or row[0] != total or row[1] != layout():
        return None
    return {"reused": True, "key_rows": row[2], "load_seconds": round(row[3], 1)}


def prewarm(url: str) -> float:
    """Read what the queries read into the OS cache; the seconds it took.

    A query reads a range of the keys' index and then each statement of its page at a
    random place: at this size they are served from memory or they wait for the disk (about
    0.6 ms a read here). The benchmark measures the first case, the LRS sized as it should
    be; ``LMS_BENCH_COLD=1`` measures whatever the cache holds.
    """
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for relation in (
            "pk_xapi_statement_keys",
            "pk_xapi_statements",
            "ix_xapi_statements_stored_seq",
            "xapi_statements",
        ):
            conn.execute("SELECT pg_prewarm(%s, 'read')", (relation,))
    return round(time.perf_counter() - started, 1)


def database_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        size: int = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return size


def percentiles(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {"p50_ms": round(q[49] * 1000, 2), "p95_ms": round(q[94] * 1000, 2)}


def run_queries(url: str, count: int) -> dict[str, Any]:
    from lms.extensions import db
    from lms.xapi import clients

    app = make_app(url)
    with app.app_context():
        client, secret = clients.create_client("bench-reader", scopes=["statements/read"])
        db.session.commit()
        key = client.key
    auth = base64.b64encode(f"{key}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"}
    rng = random.Random(5)
    mooc = BenchMooc()
    start = START
    verbs = ["completed", "passed", "launched", "experienced", "answered"]

    def by_agent() -> dict[str, str]:
        return {"agent": json.dumps(mooc.actor(rng.randrange(mooc.learners)))}

    def by_related_agent() -> dict[str, str]:
        return by_agent() | {"related_agents": "true"}

    def by_verb_activity() -> dict[str, str]:
        return {
            "verb": "http://adlnet.gov/expapi/verbs/" + rng.choice(verbs),
            "activity": Mooc.course_iri(rng.randrange(mooc.courses)),
        }

    def by_registration() -> dict[str, str]:
        return {
            "registration": registration_of(
                rng.randrange(mooc.learners), rng.randrange(mooc.courses)
            )
        }

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
        "by_agent_related_agents": by_related_agent,
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
    total = int(os.environ.get("LMS_BENCH_STATEMENTS", "10000000"))
    count = int(os.environ.get("LMS_BENCH_QUERIES", "200"))
    kept = None if os.environ.get("LMS_BENCH_REBUILD") == "1" else kept_database(total)
    if kept is not None:
        url = database_url(PG_ADMIN, DB_NAME)
        loaded: dict[str, Any] = kept
    else:
        url = recreate_database(PG_ADMIN, DB_NAME)
        loaded = load(url, total)
    from lms.xapi.constants import MAX_PAGE_SIZE

    result: dict[str, Any] = {
        "benchmark": "lrs_query",
        "statements": total,
        "page_size_default": MAX_PAGE_SIZE,
        **loaded,
        "database_bytes": database_size(url),
    }
    if os.environ.get("LMS_BENCH_COLD") != "1":
        result["prewarm_seconds"] = prewarm(url)
    result["machine_load_1min_before"] = round(os.getloadavg()[0], 2)
    result.update(run_queries(url, count))
    result["machine_load_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))
    if os.environ.get("LMS_BENCH_DROP") == "1":
        import psycopg

        with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
