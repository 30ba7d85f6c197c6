"""Statement ingest through the real LRS: gunicorn, PostgreSQL, full validation.

Run: .venv/bin/python bench/lrs_ingest.py
Prints one JSON line: statements per second through POST /xapi/statements (batches of 100
from 4 concurrent clients), batch latency p50/p95, and beside it PostgreSQL's raw COPY rate
of the very same rows (every statement row and key row the LRS wrote, already encoded, into
empty copies of the two tables with the same indexes; see ``raw_copy_rate``), and the ratio
of the two. The machine's load average is part of the result: other work shares the cores.

The learning bridge is off (``LMS_BRIDGE_ENABLED=0``), as when it runs as its own follower
process (``flask bridge run --follow``) or Celery job; ``LMS_BENCH_BRIDGE=1`` runs it in the
request that stored the statements, as the embedded default does.

The traffic is a MOOC's: 10,000 learners in 50 courses; launched / progressed (lesson
experienced) / answered (quiz questions, with interaction definitions and responses) /
completed / passed, with results (scores, durations), registrations, parent/grouping/
category context activities and a unit-code extension.

Settings (environment): LMS_BENCH_PG (admin URL, default postgres@127.0.0.1:5432),
LMS_BENCH_BATCHES (default 300), LMS_BENCH_WORKERS (gunicorn workers, default 2: one a core
of this 2-core machine, where PostgreSQL runs too; validating and storing statements keeps a
sync worker on the CPU, and 4 workers took 20-40% more CPU a statement, see the README).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("LMS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "bench_lrs_ingest"
BATCH = 100
CLIENTS = 4
LEARNERS = 10_000
COURSES = 50
MOOC = "https://mooc.example.vn"
VERBS = "http://adlnet.gov/expapi/verbs/"
PROFILE = "https://lms146.example.vn/xapi/profile"


# --- traffic ---------------------------------------------------------------------------


class Mooc:
    """Deterministic MOOC traffic: every learner follows a few courses, lesson by lesson."""

    def __init__(self, seed: int = 146, learners: int = LEARNERS, courses: int = COURSES) -> None:
        self.rng = random.Random(seed)
        self.learners = learners
        self.courses = courses
        self.registrations: dict[tuple[int, int], str] = {}

    def registration(self, learner: int, course: int) -> str:
        key = (learner, course)
        if key not in self.registrations:
            self.registrations[key] = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return self.registrations[key]

    def actor(self, learner: int) -> dict[str, Any]:
        return {
            "objectType": "Agent",
            "name": f"Học viên {learner:05d}",
            "account": {"homePage": MOOC, "name": f"u{learner:05d}"},
        }

    @staticmethod
    def course_iri(course: int) -> str:
        return f"{MOOC}/courses/ky-nang-so-{course:02d}"

    def course_activity(self, course: int) -> dict[str, Any]:
        return {
            "objectType": "Activity",
            "id": self.course_iri(course),
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/course",
                "name": {
                    "vi-VN": f"Kỹ năng số {course:02d}",
                    "en-US": f"Digital skills {course:02d}",
                },
            },
        }

    def context(self, learner: int, course: int, parent: bool) -> dict[str, Any]:
        activities: dict[str, Any] = {
            "grouping": [{"objectType": "Activity", "id": f"{MOOC}/programs/de-an-146"}],
            "category": [{"objectType": "Activity", "id": PROFILE}],
        }
        if parent:
            activities["parent"] = [{"objectType": "Activity", "id": self.course_iri(course)}]
        return {
            "registration": self.registration(learner, course),
            "contextActivities": activities,
            "platform": "MOOC 146",
            "language": "vi-VN",
            "extensions": {f"{PROFILE}/extensions/unit": f"HP-{learner % 40:03d}"},
        }

    def timestamp(self) -> str:
        day, second = self.rng.randrange(1, 29), self.rng.randrange(86_400)
        clock = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        return f"2025-10-{day:02d}T{clock}.{self.rng.randrange(1000):03d}+07:00"

    def statement(self) -> dict[str, Any]:
        rng = self.rng
        learner = rng.randrange(self.learners)
        course = rng.randrange(self.courses)
        kind = rng.choices(
            ("launched", "progressed", "answered", "completed", "passed"), (10, 45, 30, 8, 7)
        )[0]
        stmt: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": self.actor(learner),
            "timestamp": self.timestamp(),
        }
        if kind == "launched":
            stmt["verb"] = {
                "id": VERBS + "launched",
                "display": {"vi-VN": "đã mở", "en-US": "launched"},
            }
            stmt["object"] = self.course_activity(course)
            stmt["context"] = self.context(learner, course, parent=False)
        elif kind == "progressed":
            lesson = rng.randrange(1, 13)
            stmt["verb"] = {
                "id": VERBS + "experienced",
                "display": {"vi-VN": "đã học", "en-US": "experienced"},
            }
            stmt["object"] = {
                "objectType": "Activity",
                "id": f"{self.course_iri(course)}/lessons/bai-{lesson:02d}",
                "definition": {
                    "type": "http://adlnet.gov/expapi/activities/lesson",
                    "name": {"vi-VN": f"Bài {lesson}", "en-US": f"Lesson {lesson}"},
                },
            }
            stmt["result"] = {
                "completion": True,
                "duration": f"PT{rng.randrange(2, 40)}M{rng.randrange(60)}S",
                "extensions": {
                    "https://w3id.org/xapi/cmi5/result/extensions/progress": rng.randrange(1, 101)
                },
            }
            stmt["context"] = self.context(learner, course, parent=True)
        elif kind == "answered":
            question = rng.randrange(1, 21)
            correct = rng.random() < 0.7
            stmt["verb"] = {
                "id": VERBS + "answered",
                "display": {"vi-VN": "đã trả lời", "en-US": "answered"},
            }
            stmt["object"] = {
                "objectType": "Activity",
                "id": f"{self.course_iri(course)}/quiz/questions/q{question:02d}",
                "definition": {
                    "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                    "name": {"vi-VN": f"Câu hỏi {question}"},
                    "interactionType": "choice",
                    "correctResponsesPattern": ["b"],
                    "choices": [
                        {"id": c, "description": {"vi-VN": f"Phương án {c.upper()}"}}
                        for c in "abcd"
                    ],
                },
            }
            stmt["result"] = {
                "success": correct,
                "response": "b" if correct else rng.choice("acd"),
                "duration": f"PT{rng.randrange(5, 90)}S",
            }
            stmt["context"] = self.context(learner, course, parent=True)
            stmt["context"]["contextActivities"]["parent"] = [
                {"objectType": "Activity", "id": f"{self.course_iri(course)}/quiz"}
            ]
        else:
            raw = rng.randrange(50, 101) if kind == "passed" else rng.randrange(0, 101)
            stmt["verb"] = {
                "id": VERBS + kind,
                "display": {
                    "vi-VN": "đã đạt" if kind == "passed" else "đã hoàn thành",
                    "en-US": kind,
                },
            }
            stmt["object"] = self.course_activity(course)
            stmt["result"] = {
                "score": {"scaled": raw / 100, "raw": raw, "min": 0, "max": 100},
                "success": kind == "passed",
                "completion": True,
                "duration": f"PT{rng.randrange(1, 20)}H{rng.randrange(60)}M",
            }
            stmt["context"] = self.context(learner, course, parent=False)
        return stmt

    def batches(self, count: int, size: int = BATCH) -> list[list[dict[str, Any]]]:
        return [[self.statement() for _ in range(size)] for _ in range(count)]


# --- plumbing --------------------------------------------------------------------------


def database_url(admin: str, name: str) -> str:
    from sqlalchemy import make_url

    url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def recreate_database(admin: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(admin, name)


def make_app(url: str) -> Any:
    from lms import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret",
            "LOG_LEVEL": "WARNING",
            "JOBS_EAGER": True,
            "REDIS_URL": None,
        }
    )


def create_schema_and_client(url: str, scopes: list[str]) -> tuple[str, str]:
    from lms.extensions import db
    from lms.xapi import clients

    app = make_app(url)
    with app.app_context():
        db.create_all()
        client, secret = clients.create_client("bench", scopes=scopes)
        db.session.commit()
        key = client.key
        db.engine.dispose()
    return key, secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = dict(
        os.environ,
        LMS_DATABASE_URL=url,
        LMS_SECRET_KEY="bench-secret",
        LMS_LOG_LEVEL="WARNING",
        LMS_BASE_URL=f"http://127.0.0.1:{port}",
    )
    env.pop("LMS_REDIS_URL", None)
    if os.environ.get("LMS_BENCH_BRIDGE") != "1":
        env["LMS_BRIDGE_ENABLED"] = "0"
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "GET", "/xapi/about", {})
            if status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total / tick


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def backend_pids(url: str) -> list[int]:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [r[0] for r in rows]


def post_batches(
    port: int, headers: dict[str, str], bodies: list[bytes], clients: int
) -> tuple[list[float], float]:
    queue = list(enumerate(bodies))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                _, body = queue.pop()
            started = time.perf_counter()
            status, data = request(port, "POST", "/xapi/statements", headers, body)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    failures.append(f"{status} {data[:200]!r}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} batches failed, e.g. {failures[0]}")
    return latencies, total


STATEMENT_COLUMNS = (
    "seq, statement_id, stored, verb_id, actor_ifi, object_type, object_activity_id, "
    "object_statement_ref, registration, voiding, authority_ifi, client_id, statement"
)
KEY_COLUMNS = "key, stored, seq"


def _dump(conn: Any, query: str) -> bytes:
    """The result of ``query`` in PostgreSQL's binary COPY format."""
    chunks = []
    with conn.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
        for chunk in copy:
            chunks.append(bytes(chunk))
    return b"".join(chunks)


def _copy_once(url: str, parts: list[tuple[bytes, bytes]]) -> float:
    """Seconds to COPY the parts (one connection each, in parallel) into empty tables."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS raw CASCADE")
        conn.execute("CREATE SCHEMA raw")
        for table in ("xapi_statements", "xapi_statement_keys"):
            # The same columns, defaults, constraints and indexes as the LRS's tables.
            conn.execute(f"CREATE TABLE raw.{table} (LIKE public.{table} INCLUDING ALL)")
    connections = [psycopg.connect(url) for _ in parts]
    barrier = threading.Barrier(len(parts) + 1)

    def copy(conn: Any, statements: bytes, keys: bytes) -> None:
        barrier.wait()
        with conn.cursor() as cur:
            with cur.copy(
                f"COPY raw.xapi_statements ({STATEMENT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
            ) as c:
                c.write(statements)
            with cur.copy(
                f"COPY raw.xapi_statement_keys ({KEY_COLUMNS}) FROM STDIN (FORMAT BINARY)"
            ) as c:
                c.write(keys)
        conn.commit()

    threads = [
        threading.Thread(target=copy, args=(conn, *part))
        for conn, part in zip(connections, parts, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for conn in connections:
        conn.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA raw CASCADE")
    return elapsed


def raw_copy_rate(url: str) -> dict[str, float]:
    """PostgreSQL's own speed on the very rows the LRS stored: the baseline of the ratio.

    The rows are taken from the LRS's tables as they are (every statement row and every
    key row it wrote for them) and encoded beforehand in COPY's binary format, so that only
    the database's work is timed: ``COPY ... FROM STDIN`` into empty tables with the same
    columns, constraints and indexes, and the commit. Best of three, once with one COPY
    (the baseline of ``ratio_to_copy``) and once with the rows split over as many parallel
    connections as the benchmark has clients.
    """
    import psycopg

    url = url.replace("+psycopg", "")
    with psycopg.connect(url) as conn:
        statements = conn.execute("SELECT count(*) FROM xapi_statements").fetchone()[0]
        keys = conn.execute("SELECT count(*) FROM xapi_statement_keys").fetchone()[0]

        def part(condition: str) -> tuple[bytes, bytes]:
            # S608: the condition is one of the fixed ones below, no input.
            return (
                _dump(conn, f"SELECT {STATEMENT_COLUMNS} FROM xapi_statements WHERE {condition}"),  # noqa: S608
                _dump(conn, f"SELECT {KEY_COLUMNS} FROM xapi_statement_keys WHERE {condition}"),  # noqa: S608
            )

        whole = [part("true")]
        split = [part(f"seq % {CLIENTS} = {i}") for i in range(CLIENTS)]
        stored_bytes = conn.execute(
            "SELECT pg_total_relation_size('xapi_statements') + "
            "pg_total_relation_size('xapi_statement_keys')"
        ).fetchone()[0]
    one = min(_copy_once(url, whole) for _ in range(3))
    parallel = min(_copy_once(url, split) for _ in range(3))
    return {
        "raw_copy_statements_per_s": round(statements / one),
        "raw_copy_rows_per_s": round((statements + keys) / one),
        f"raw_copy_{CLIENTS}_connections_statements_per_s": round(statements / parallel),
        "key_rows_per_statement": round(keys / max(statements, 1), 2),
        "stored_bytes_per_statement": round(stored_bytes / max(statements, 1)),
    }


def main() -> None:
    batches = int(os.environ.get("LMS_BENCH_BATCHES", "300"))
    workers = int(os.environ.get("LMS_BENCH_WORKERS", "2"))
    url = recreate_database(PG_ADMIN, DB_NAME)
    key, secret = create_schema_and_client(url, ["statements/write", "statements/read"])
    mooc = Mooc()
    warmup = [json.dumps(b).encode() for b in mooc.batches(8)]
    bodies = [json.dumps(b).encode() for b in mooc.batches(batches)]
    auth = base64.b64encode(f"{key}:{secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {auth}",
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    process, port = start_gunicorn(url, workers)
    try:
        post_batches(port, headers, warmup, CLIENTS)
        app_pids, db_pids = worker_pids(process.pid), backend_pids(url)
        app_cpu, db_cpu = cpu_seconds(app_pids), cpu_seconds(db_pids)
        latencies, total = post_batches(port, headers, bodies, CLIENTS)
        app_cpu, db_cpu = cpu_seconds(app_pids) - app_cpu, cpu_seconds(db_pids) - db_cpu
    finally:
        process.terminate()
        process.wait(timeout=30)
    quantiles = statistics.quantiles(latencies, n=100)
    result = {
        "benchmark": "lrs_ingest",
        "statements": batches * BATCH,
        "batch_size": BATCH,
        "clients": CLIENTS,
        "gunicorn_workers": workers,
        "statements_per_s": round(batches * BATCH / total),
        "batch_latency_p50_ms": round(quantiles[49] * 1000, 1),
        "batch_latency_p95_ms": round(quantiles[94] * 1000, 1),
        "avg_statement_bytes": round(sum(map(len, bodies)) / (batches * BATCH)),
        # CPU spent per statement: comparable even when other work shares the machine.
        "app_cpu_us_per_statement": round(app_cpu / (batches * BATCH) * 1e6),
        "db_cpu_us_per_statement": round(db_cpu / (batches * BATCH) * 1e6),
        "machine_load_1min": round(os.getloadavg()[0], 2),
        "bridge_in_request": os.environ.get("LMS_BENCH_BRIDGE") == "1",
    }
    result.update(raw_copy_rate(url))
    result["ratio_to_copy"] = round(
        result["statements_per_s"] / result["raw_copy_statements_per_s"], 3
    )
    result["machine_load_1min_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
