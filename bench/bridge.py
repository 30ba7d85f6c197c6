"""The learning bridge under load: MOOC statements in through the LRS, completions out.

Run: .venv/bin/python bench/bridge.py
Prints one JSON line. For each number of bridge partitions (1, 2 and 4 by default), on a
fresh database: the statements are sent through POST /xapi/statements (gunicorn on
PostgreSQL, batches of 100 from 4 concurrent clients) with the bridge stopped; then one
follower per partition (``flask bridge run --follow --partition K``, what a deployment runs
beside the web tier) applies the backlog, and the time to apply it all gives the bridge's
throughput; then a steady stream at 500 statements/s gives the lag of normal operation
(seconds from a statement's ``stored`` to the commit of the batch that applied it: p50, p95,
max).

The traffic: statements of MOOC learners unknown to the LMS (so each is provisioned from the
unit-code extension), 20 % of them ``completed`` on one of 5 courses' external IRIs (each
gives an enrollment, a completion and a signed certificate, counted in the statistics), the
rest lesson ``experienced`` / question ``answered`` / course ``launched`` statements the
bridge reads and ignores.

Settings (environment): LMS_BENCH_PG (admin URL), LMS_BENCH_DB (the database it creates,
default bench_bridge), LMS_BENCH_STATEMENTS (default 20000),
LMS_BENCH_WORKERS (gunicorn workers, default 4), LMS_BENCH_PARTITIONS (default "1,2,4"),
LMS_BENCH_STEADY (statements of the steady stream, default 5000), LMS_BENCH_STEADY_RATE
(default 500 per second), LMS_BENCH_FOLLOWER_LOG (a file for the followers' output).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("LMS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("LMS_BENCH_DB", "bench_bridge")
TOTAL = int(os.environ.get("LMS_BENCH_STATEMENTS", "20000"))
PARTITIONS = [int(n) for n in os.environ.get("LMS_BENCH_PARTITIONS", "1,2,4").split(",") if n]
WORKERS = int(os.environ.get("LMS_BENCH_WORKERS", "4"))
BATCH = 100
CLIENTS = 4
COMPLETION_SHARE = 0.2
COURSES = 5
MOOC = "https://onestudy.example.vn"
UNITS = ("HP-LECHAN", "HP-NGOQUYEN", "HP-HONGBANG", "QT-DONGHOI")
UNIT_EXT = "https://lms146.vn/xapi/extensions/unit-code"
VERBS = "http://adlnet.gov/expapi/verbs/"
DRAIN_TIMEOUT = 3600.0
#: Second phase: a steady stream the bridge can keep up with, for the lag of normal operation.
STEADY_TOTAL = int(os.environ.get("LMS_BENCH_STEADY", "5000"))
STEADY_RATE = float(os.environ.get("LMS_BENCH_STEADY_RATE", "500"))  #: statements per second
STEADY_BATCH = 50


def database_url() -> str:
    admin = make_url(PG_ADMIN)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    engine.dispose()
    return admin.set(database=DB_NAME).render_as_string(hide_password=False)


def prepare(url: str) -> tuple[str, str, int]:
    """Schema, units, courses with MOOC IRIs, the MOOC's LRS client as a source platform."""
    from lms import create_app
    from lms.catalog.models import Course, Lesson
    from lms.extensions import db
    from lms.learning import platforms
    from lms.org.models import UnitKind
    from lms.xapi import clients
    from tests.factories import make_signer, make_unit

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret",
            "LOG_LEVEL": "WARNING",
            "BASE_URL": "http://127.0.0.1",
        }
    )
    with app.app_context():
        db.create_all()
        hp = make_unit("HP", kind=UnitKind.province, name="Thành phố Hải Phòng", serial_prefix="HP")
        qt = make_unit("QT", kind=UnitKind.province, name="Tỉnh Quảng Trị", serial_prefix="QT")
        for code in UNITS:
            make_unit(code, kind=UnitKind.commune, parent=hp if code.startswith("HP") else qt)
        make_signer(hp)  # certificates are issued only with a signer named
        make_signer(qt)
        for n in range(COURSES):
            course = Course(
                slug=f"khoa-mooc-{n}",
                title=f"Khoá MOOC {n}",
                summary="",
                target_groups=["citizen"],
                skill_areas=["online_public_services"],
                hours=4,
                indicators=["citizens_online_services"],
                open=True,
                gives_certificate=True,
                completion_rule={"lessons": "all"},
                activity_iri=f"https://lms146.vn/xapi/activities/course/khoa-mooc-{n}",
                external_activity_iris=[f"{MOOC}/course/{n}"],
            )
            course.all_lessons = [
                Lesson(slug=f"bai-{k}", position=k, title=f"Bài {k}") for k in (1, 2)
            ]
            db.session.add(course)
        client, secret = clients.create_client(
            "Nền tảng MOOC (bench)", scopes=["statements/write", "statements/read/mine"]
        )
        db.session.flush()
        platforms.register_platform(
            client.id,
            name="MOOC bench",
            home_page=MOOC,
            courses=[f"khoa-mooc-{n}" for n in range(COURSES)],
            units=["HP", "QT"],
            provision_unknown=True,
            by=None,
        )
        db.session.commit()
        key, client_id = client.key, client.id
        db.engine.dispose()
    return key, secret, client_id


# --- traffic ------------------------------------------------------------------------------------


def traffic(total: int, *, first: int = 0, batch: int = BATCH) -> list[list[dict[str, Any]]]:
    """Batches of statements: each learner's activity, then (for 20 %) their completion."""
    rng = random.Random(146 + first)
    learners = int(total * COMPLETION_SHARE)
    others_per = (total - learners) / max(learners, 1)
    statements: list[tuple[float, dict[str, Any]]] = []
    for n in range(first, first + learners):
        course = n % COURSES
        actor = {
            "objectType": "Agent",
            "name": f"Học viên {n:05d}",
            "account": {"homePage": MOOC, "name": f"hv-{n:06d}"},
        }
        registration = str(uuid.uuid4())
        context = {"registration": registration, "extensions": {UNIT_EXT: UNITS[n % len(UNITS)]}}
        start = rng.random()
        others = int(others_per) + (1 if rng.random() < others_per % 1 else 0)
        for k in range(others):
            kind = k % 3
            if kind == 0:
                verb, obj = "experienced", f"{MOOC}/course/{course}/lesson/{k}"
            elif kind == 1:
                verb, obj = "answered", f"{MOOC}/course/{course}/quiz/q{k}"
            else:
                verb, obj = "launched", f"{MOOC}/course/{course}"
            statements.append(
                (
                    start + k * 1e-6,
                    {
                        "id": str(uuid.uuid4()),
                        "actor": actor,
                        "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
                        "object": {"objectType": "Activity", "id": obj},
                        "context": context,
                    },
                )
            )
        statements.append(
            (
                start + 1e-3,
                {
                    "id": str(uuid.uuid4()),
                    "actor": actor,
                    "verb": {"id": VERBS + "completed", "display": {"en-US": "completed"}},
                    "object": {"objectType": "Activity", "id": f"{MOOC}/course/{course}"},
                    "result": {"completion": True, "duration": "PT2H"},
                    "context": context,
                },
            )
        )
    statements.sort(key=lambda pair: pair[0])
    flat = [s for _, s in statements][:total]
    return [flat[i : i + batch] for i in range(0, len(flat), batch)]


# --- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(url: str, port: int, partitions: int = 1) -> dict[str, str]:
    env = dict(
        os.environ,
        LMS_DATABASE_URL=url,
        LMS_SECRET_KEY="bench-secret",
        LMS_LOG_LEVEL="WARNING",
        LMS_BASE_URL=f"http://127.0.0.1:{port}",
        LMS_BRIDGE_PARTITIONS=str(partitions),
        # The followers alone apply statements: the web workers only store them.
        LMS_BRIDGE_ENABLED="false",
    )
    env.pop("LMS_REDIS_URL", None)
    return env


def start_gunicorn(url: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(WORKERS), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=environment(url, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = post(port, "/xapi/about", {}, None, method="GET")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def start_followers(url: str, port: int, partitions: int) -> list[subprocess.Popen[bytes]]:
    log = open(os.environ.get("LMS_BENCH_FOLLOWER_LOG", os.devnull), "ab")  # noqa: SIM115
    flask = str(ROOT / ".venv" / "bin" / "flask")
    command = [flask, "--app", "wsgi", "bridge", "run", "--follow", "--interval", "0.2"]
    return [
        subprocess.Popen(
            [*command, "--partition", str(k)],
            cwd=ROOT,
            env=environment(url, port, partitions),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for k in range(partitions)
    ]


def post(
    port: int, path: str, headers: dict[str, str], body: bytes | None, method: str = "POST"
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _headers(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {
        "Authorization": f"Basic {token}",
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }


def ingest_steadily(port: int, key: str, secret: str, batches: list[list[dict[str, Any]]]) -> None:
    """One client sending at STEADY_RATE statements per second."""
    headers = _headers(key, secret)
    started = time.perf_counter()
    sent = 0
    for batch in batches:
        status, body = post(port, "/xapi/statements", headers, json.dumps(batch).encode())
        if status != 200:
            raise RuntimeError(f"{status} {body[:200]!r}")
        sent += len(batch)
        pause = started + sent / STEADY_RATE - time.perf_counter()
        if pause > 0:
            time.sleep(pause)


def ingest(port: int, key: str, secret: str, batches: list[list[dict[str, Any]]]) -> list[float]:
    headers = _headers(key, secret)
    bodies = [json.dumps(b).encode() for b in batches]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    position = iter(range(len(bodies)))

    def work() -> None:
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                return
            started = time.perf_counter()
            status, body = post(port, "/xapi/statements", headers, bodies[index])
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(f"{status} {body[:200]!r}")

    threads = [threading.Thread(target=work) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} batch(es) refused, e.g. {errors[0]}")
    return latencies


# --- measuring ------------------------------------------------------------------------------------


def drained(url: str, learners: int) -> None:
    """Wait until every partition has read every statement and each learner's completion
    left evidence (or was held)."""
    engine = create_engine(url)
    deadline = time.monotonic() + DRAIN_TIMEOUT
    with engine.connect() as conn:
        while True:
            row = conn.execute(
                text(
                    "SELECT (SELECT coalesce(max(seq), 0) FROM xapi_statements), "
                    "(SELECT min(last_seq) FROM bridge_cursor), "
                    "(SELECT count(*) FROM bridge_evidence), "
                    "(SELECT count(*) FROM bridge_unmatched)"
                )
            ).one()
            conn.commit()
            last, processed, evidence, held = row
            if processed is not None and processed >= last and evidence + held >= learners:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"bridge not done: {row}")
            time.sleep(0.1)
    engine.dispose()


def lags(url: str, client_id: int, partitions: int, *, after: int = 0) -> list[float]:
    """Seconds from each statement's ``stored`` to the commit of its partition's batch."""
    from lms import create_app
    from lms.extensions import db
    from lms.learning.partitions import keys_of, partition_of
    from lms.xapi import services as lrs

    engine = create_engine(url)
    with engine.connect() as conn:
        runs = conn.execute(
            text("SELECT partition, from_seq, to_seq, finished_at FROM bridge_runs ORDER BY id")
        ).all()
        mine = set(
            conn.execute(
                text("SELECT seq FROM xapi_statements WHERE client_id = :client AND seq > :after"),
                {"client": client_id, "after": after},
            ).scalars()
        )
    engine.dispose()
    by_partition: dict[int, list[Any]] = {}
    for run in runs:
        by_partition.setdefault(run.partition, []).append(run)
    out = []
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret"})
    with app.app_context():
        position = after
        while items := lrs.read_after(position, limit=5000):
            keys = keys_of(items)
            for item in items:
                if item.seq not in mine:
                    continue
                partition = partition_of(keys[item.seq], partitions)
                for run in by_partition.get(partition, ()):
                    if run.from_seq <= item.seq <= run.to_seq:
                        out.append((run.finished_at - item.stored).total_seconds())
                        break
            position = items[-1].seq
        db.session.remove()
        db.engine.dispose()
    return sorted(out)


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM enrollments WHERE source = 'xapi' AND status = "
                "'completed'), (SELECT count(*) FROM certificates), "
                "(SELECT count(*) FROM users), (SELECT count(*) FROM bridge_unmatched), "
                "(SELECT count(*) FROM bridge_runs), (SELECT max(seq) FROM xapi_statements)"
            )
        ).one()
    engine.dispose()
    keys = ("completed", "certificates", "users", "held", "runs", "last_seq")
    return dict(zip(keys, (int(v or 0) for v in row), strict=True))


def busy_seconds(url: str) -> float:
    """From the first batch's start to the last batch's commit (the followers' start-up is
    not the bridge's work)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        seconds = conn.execute(
            text("SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM bridge_runs")
        ).scalar_one()
    engine.dispose()
    return float(seconds)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    return round(values[min(len(values) - 1, int(len(values) * share))], 3)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def one_run(partitions: int) -> dict[str, Any]:
    """Ingest with the bridge stopped, apply the backlog with ``partitions`` followers, then
    a steady stream."""
    url = database_url()
    key, secret, client_id = prepare(url)
    batches = traffic(TOTAL)
    statements = sum(len(b) for b in batches)
    learners = int(TOTAL * COMPLETION_SHARE)
    port = free_port()
    server = start_gunicorn(url, port)
    followers: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        latencies = ingest(port, key, secret, batches)
        ingested = time.perf_counter() - started
        load_before = load_average()
        started = time.perf_counter()
        followers = start_followers(url, port, partitions)
        drained(url, learners)
        with_start = time.perf_counter() - started
        applied = busy_seconds(url)
        load_after = load_average()
        backlog = counts(url)
        steady: dict[str, Any] = {}
        if STEADY_TOTAL:
            stream = traffic(STEADY_TOTAL, first=learners, batch=STEADY_BATCH)
            ingest_steadily(port, key, secret, stream)
            drained(url, learners + int(STEADY_TOTAL * COMPLETION_SHARE))
            lag = lags(url, client_id, partitions, after=backlog["last_seq"])
            steady = {
                "steady_lag_p50_s": percentile(lag, 0.5),
                "steady_lag_p95_s": percentile(lag, 0.95),
                "steady_lag_max_s": percentile(lag, 1.0),
            }
    finally:
        for process in (*followers, server):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    latencies.sort()
    return {
        "partitions": partitions,
        "ingest_statements_per_s": round(statements / ingested, 1),
        "batch_latency_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "bridge_seconds": round(applied, 2),
        "bridge_seconds_with_start": round(with_start, 2),
        "bridge_statements_per_s": round(statements / applied, 1),
        "bridge_completions_per_s": round(learners / applied, 1),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "completed_enrollments": backlog["completed"],
        "certificates": backlog["certificates"],
        "held_for_review": backlog["held"],
        "bridge_batches": backlog["runs"],
        **steady,
    }


def main() -> None:
    runs = [one_run(n) for n in PARTITIONS]
    print(
        json.dumps(
            {
                "bench": "bridge",
                "statements": TOTAL,
                "completions": int(TOTAL * COMPLETION_SHARE),
                "gunicorn_workers": WORKERS,
                "clients": CLIENTS,
                "batch": BATCH,
                "bridge": "one follower per partition (flask bridge run --follow --partition K)",
                "steady_statements": STEADY_TOTAL,
                "steady_rate_per_s": STEADY_RATE,
                "runs": runs,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
