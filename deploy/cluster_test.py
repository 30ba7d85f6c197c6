"""The deployment of ``deploy/cluster.sh`` under load while an app server and a worker die.

Run: ``make cluster-test`` (as root; not part of ``make test``: it starts a dozen servers and
takes a few minutes). It brings up a fresh cluster under ``CLUSTER_DIR``
(``/tmp/lms-cluster-test``), then:

1. prepares the database as ``bench/bridge.py`` does (units, five MOOC courses with external
   IRIs, the MOOC's LRS client registered as a source platform that may provision learners);
2. sends MOOC statements through nginx (``bench/bridge.py``'s generator: 20 % ``completed`` by
   learners the LMS does not know, with the unit-code extension) at a steady rate from
   several clients, while learners log in and read their pages through nginx;
3. meanwhile SIGKILLs app server ``app1`` and Celery worker ``worker1`` (their whole process
   groups, as a host that dies) and starts them again;
4. once the bridge has applied everything, checks that every acknowledged statement is stored
   exactly once, every completion gave exactly one completed enrollment and one certificate,
   nothing was held for review, the replica has caught up, and the statistics counters equal
   what ``flask reports rebuild`` computes from scratch.

A client whose batch is refused by the outage (502 from nginx, a reset connection) sends the
same batch again, as an LRS client must; statement ids make that safe. Prints one JSON line
of figures; exits 1 when a check fails. Settings (environment): CLUSTER_DIR, CLUSTER_PORT
(16500), CLUSTER_TEST_STATEMENTS (4000), CLUSTER_TEST_RATE (statements/s, 200),
CLUSTER_TEST_KEEP=1 (leave the cluster running), BRIDGE_PARTITIONS.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import requests
from sqlalchemy import create_engine, make_url, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRIPT = ROOT / "deploy" / "cluster.sh"
WORK = Path(os.environ.get("CLUSTER_DIR", "/tmp/lms-cluster-test"))
PORT_BASE = os.environ.get("CLUSTER_PORT", "16500")
TOTAL = int(os.environ.get("CLUSTER_TEST_STATEMENTS", "4000"))
RATE = float(os.environ.get("CLUSTER_TEST_RATE", "200"))
KEEP = os.environ.get("CLUSTER_TEST_KEEP") == "1"
CLIENTS = 4
BATCH = 50
LEARNERS = 8
LEARNER_PASSWORD = "mat-khau-cum-may-146"  # test accounts, throwaway cluster
RETRY_FOR = 180.0  #: seconds a client keeps sending a refused batch again
#: When, after the traffic starts, each piece is killed and started again (seconds).
CHAOS = (
    (4.0, "kill", "app1"),
    (8.0, "kill", "worker1"),
    (14.0, "start", "app1"),
    (16.0, "start", "worker1"),
)


def load_bench() -> ModuleType:
    """``bench/bridge.py``: its statement generator and database preparation."""
    spec = importlib.util.spec_from_file_location("bench_bridge", ROOT / "bench" / "bridge.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cluster(*args: str) -> None:
    env = dict(os.environ, CLUSTER_DIR=str(WORK), CLUSTER_PORT=PORT_BASE, LMS_LOG_LEVEL="WARNING")
    subprocess.run(["bash", str(SCRIPT), *args], check=True, env=env, stdout=subprocess.DEVNULL)


def cluster_env() -> dict[str, str]:
    pairs = re.findall(r"^export (\w+)=(.*)$", (WORK / "lms.env").read_text(), flags=re.M)
    return dict(pairs)


# --- the database before the traffic -------------------------------------------------------------


def make_learners(url: str) -> tuple[list[str], str]:
    """Learners with a password, each enrolled in one of the courses (their pages have rows),
    a signer for every unit (without one, certificates wait, as in production), and an
    administrator's API token (to ask the bridge how far it is)."""
    from lms import create_app
    from lms.auth.models import Role
    from lms.catalog.models import Course
    from lms.certificates.models import CertificateTemplate
    from lms.classes.enrollments import enroll
    from lms.classes.models import EnrollmentSource
    from lms.extensions import db
    from lms.org.models import Unit
    from tests.factories import make_signer, make_token, make_user

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    emails = []
    with app.app_context():
        if db.session.scalar(select(CertificateTemplate.id).limit(1)) is None:
            make_signer(None)
        unit = db.session.scalars(select(Unit).where(Unit.code == "HP-LECHAN")).one()
        courses = list(db.session.scalars(select(Course).order_by(Course.id)))
        for n in range(LEARNERS):
            email = f"hocvien{n}@cluster.example.vn"
            user = make_user(
                email,
                unit=unit,
                target_group="citizen",
                password=LEARNER_PASSWORD,
            )
            enroll(user, courses[n % len(courses)], by=user, source=EnrollmentSource.self)
            emails.append(email)
        token = make_token(make_user("quantri@cluster.example.vn", roles=(Role.admin,)))
        db.session.commit()
        db.engine.dispose()
    return emails, token


# --- the traffic ----------------------------------------------------------------------------------


class Tally:
    """What the clients saw, shared between their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acknowledged: list[str] = []
        self.errors: Counter[str] = Counter()
        self.error_times: list[float] = []
        self.resent = 0
        self.pages = 0
        self.page_errors: Counter[str] = Counter()
        self.sending = True

    def error(self, kind: str, *, page: bool = False) -> None:
        with self.lock:
            (self.page_errors if page else self.errors)[kind] += 1
            self.error_times.append(time.monotonic())


def send_statements(
    base: str,
    headers: dict[str, str],
    batches: list[list[dict[str, Any]]],
    tally: Tally,
    started: float,
    offset: int,
) -> None:
    """One client: its share of the batches, paced to RATE / CLIENTS, each until acknowledged."""
    session = requests.Session()
    rate = RATE / CLIENTS
    sent = 0
    for batch in batches:
        body = json.dumps(batch).encode()
        deadline = time.monotonic() + RETRY_FOR
        first = True
        while True:
            if not first:
                with tally.lock:
                    tally.resent += 1
            first = False
            try:
                response = session.post(
                    f"{base}/xapi/statements", data=body, headers=headers, timeout=120
                )
                status = response.status_code
            except requests.RequestException as exc:
                status, kind = 0, type(exc).__name__
            else:
                kind = f"HTTP {status}"
            if status == 200:
                with tally.lock:
                    tally.acknowledged.extend(s["id"] for s in batch)
                break
            tally.error(kind)
            if time.monotonic() > deadline or 400 <= status < 500:
                raise RuntimeError(f"batch not acknowledged: {kind} {response.text[:200]}")
            time.sleep(0.5)
        sent += len(batch)
        pause = started + (offset + sent) / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)


def browse(base: str, email: str, tally: Tally) -> None:
    """A learner: logs in (the CSRF token from one app server, the login on whichever), then
    reads their pages until the statements are all sent."""
    session = requests.Session()
    for _attempt in range(10):  # a login cut off by the outage is tried again, as people do
        try:
            form = session.get(f"{base}/login", timeout=60)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            login = session.post(
                f"{base}/login",
                data={"login": email, "password": LEARNER_PASSWORD, "csrf_token": token.group(1)},
                timeout=60,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            tally.error(f"login {type(exc).__name__}", page=True)
        else:
            if login.status_code == 302:
                break
            tally.error(f"login HTTP {login.status_code}", page=True)
        time.sleep(1)
    else:
        raise RuntimeError(f"{email} could not log in")
    pages = ("/my-learning", "/courses", "/courses/khoa-mooc-0", "/certificates", "/")
    n = 0
    while tally.sending:
        path = pages[n % len(pages)]
        n += 1
        try:
            response = session.get(f"{base}{path}", timeout=60, allow_redirects=False)
        except requests.RequestException as exc:
            tally.error(type(exc).__name__, page=True)
        else:
            if response.status_code != 200:
                tally.error(f"HTTP {response.status_code} {path}", page=True)
        with tally.lock:
            tally.pages += 1
        time.sleep(0.2)


def watch_pgbouncer(url: str, stop: threading.Event, peaks: Counter[str]) -> None:
    """pgbouncer's own count, every second: client connections (every app and worker
    process's pool) against the server connections it really holds on the primary."""
    u = make_url(url)
    with psycopg.connect(
        host=u.host,
        port=u.port,
        user=u.username,
        password=u.password,
        dbname="pgbouncer",  # its admin console, which speaks only the simple protocol
        autocommit=True,
        cursor_factory=psycopg.ClientCursor,
    ) as conn:
        while not stop.is_set():
            cursor = conn.execute("SHOW POOLS")
            names = [c.name for c in cursor.description or ()]
            for row in cursor.fetchall():
                pool = dict(zip(names, row, strict=True))
                if pool["database"] != make_url(url).database:
                    continue
                now = {
                    "clients": pool["cl_active"] + pool["cl_waiting"],
                    "clients_waiting": pool["cl_waiting"],
                    "servers": sum(pool[k] for k in ("sv_active", "sv_idle", "sv_used")),
                    "servers_active": pool["sv_active"],
                    "max_wait_ms": pool["maxwait"] * 1000 + pool["maxwait_us"] // 1000,
                }
                for key, value in now.items():
                    peaks[key] = max(peaks[key], value)
            stop.wait(1.0)


def chaos(started: float, events: list[dict[str, Any]]) -> None:
    for at, action, piece in CHAOS:
        pause = started + at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        t0 = time.monotonic()
        cluster(action, piece)
        events.append(
            {
                "at_s": round(t0 - started, 1),
                "action": action,
                "piece": piece,
                "took_s": round(time.monotonic() - t0, 1),
            }
        )


# --- the checks -----------------------------------------------------------------------------------

STATS_TABLES = {
    "stat_holdings": "code, year, in_year, user_id, unit_id, unassigned, target_group, 1",
    "stat_rollups": "code, year, in_year, unit_id, target_group, unassigned, count",
    "stat_cert_counts": "unit_id, year, dim, key, count",
}


def stats_state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The statistics counters as rows (zero counters are no figure, and ids differ)."""
    engine = create_engine(url)
    state = {}
    with engine.connect() as conn:
        for table, columns in STATS_TABLES.items():
            rows = conn.execute(text(f"SELECT {columns} FROM {table}")).all()  # noqa: S608 - our table names
            state[table] = sorted((tuple(r) for r in rows if r[-1]), key=repr)
    engine.dispose()
    return state


def wait_for_bridge(base: str, token: str, timeout: float = 3600) -> dict[str, Any]:
    """Ask the bridge through nginx (``GET /api/v1/bridge/status``, as a monitor would) until
    no statement is pending: every effect is committed with the cursor that passed it."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = session.get(f"{base}/api/v1/bridge/status", timeout=60)
        except requests.RequestException:
            response = None
        if response is not None and response.status_code == 200:
            state: dict[str, Any] = response.json()
            if state["pending"] == 0:
                return state
        time.sleep(1.0)
    raise RuntimeError("the bridge did not catch up")


def replica_caught_up(replica_url: str, primary_url: str, timeout: float = 60) -> bool:
    query = text("SELECT count(*) FROM xapi_statements")
    primary = create_engine(primary_url)
    replica = create_engine(replica_url)
    try:
        with primary.connect() as conn:
            expected = conn.execute(query).scalar_one()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with replica.connect() as conn:
                if conn.execute(query).scalar_one() == expected:
                    return True
            time.sleep(0.5)
        return False
    finally:
        primary.dispose()
        replica.dispose()


def main() -> int:
    bench = load_bench()
    if WORK.exists():
        cluster("down")
    shutil.rmtree(WORK, ignore_errors=True)
    t_up = time.monotonic()
    cluster("up")
    up_seconds = time.monotonic() - t_up
    env = cluster_env()
    primary = env["CLUSTER_PRIMARY_URL"]
    base = env["LMS_BASE_URL"]
    try:
        key, secret, client_id = bench.prepare(primary)
        emails, admin_token = make_learners(primary)
        batches = bench.traffic(TOTAL, batch=BATCH)
        completions = sum(1 for b in batches for s in b if s["verb"]["id"].endswith("/completed"))
        statements = sum(len(b) for b in batches)
        headers = bench._headers(key, secret)
        tally = Tally()
        events: list[dict[str, Any]] = []
        started = time.monotonic()
        shares = [batches[k::CLIENTS] for k in range(CLIENTS)]
        senders = [
            threading.Thread(target=send_statements, args=(base, headers, share, tally, started, 0))
            for share in shares
        ]
        learners = [threading.Thread(target=browse, args=(base, e, tally)) for e in emails]
        killer = threading.Thread(target=chaos, args=(started, events))
        stop_watch, pool_peaks = threading.Event(), Counter[str]()
        watcher = threading.Thread(
            target=watch_pgbouncer, args=(env["LMS_DATABASE_URL"], stop_watch, pool_peaks)
        )
        watcher.start()
        for thread in [*senders, *learners, killer]:
            thread.start()
        for thread in senders:
            thread.join()
        ingest_seconds = time.monotonic() - started
        tally.sending = False
        for thread in [*learners, killer]:
            thread.join()
        bridge = wait_for_bridge(base, admin_token)
        done_seconds = time.monotonic() - started
        stop_watch.set()
        watcher.join()
        time.sleep(5)  # a bridge job that found nothing left to do ends
        engine = create_engine(primary)
        with engine.connect() as conn:
            completed, certificates, users, runs = conn.execute(
                text("SELECT (SELECT count(*) FROM enrollments WHERE source = 'xapi' "
                     "AND status = 'completed'), (SELECT count(*) FROM certificates), "
                     "(SELECT count(*) FROM users), (SELECT count(*) FROM bridge_runs)")
            ).one()  # fmt: skip
            stored = conn.execute(
                text("SELECT count(*), count(DISTINCT statement_id) FROM xapi_statements "
                     "WHERE client_id = :c"),
                {"c": client_id},
            ).one()  # fmt: skip
            missing = conn.execute(
                text("SELECT count(*) FROM unnest(CAST(:ids AS uuid[])) AS a(id) "
                     "WHERE NOT EXISTS (SELECT 1 FROM xapi_statements s "
                     "WHERE s.statement_id = a.id)"),
                {"ids": tally.acknowledged},
            ).scalar_one()  # fmt: skip
            twice_certified = conn.execute(
                text("SELECT count(*) FROM (SELECT user_id, course_id FROM certificates "
                     "GROUP BY user_id, course_id HAVING count(*) > 1) AS d"),
            ).scalar_one()  # fmt: skip
            # What the killed worker had taken stays "running" (a job it was in) or "queued"
            # (a message it had reserved: sent again after LMS_JOB_STALE_SECONDS); the others
            # did the work meanwhile.
            jobs: dict[str, int] = dict(
                conn.execute(
                    text("SELECT status, count(*) FROM jobs WHERE kind = 'bridge.process' "
                         "GROUP BY status")
                ).all()
            )  # fmt: skip
        engine.dispose()
        incremental = stats_state(primary)
        rebuild_env = dict(os.environ, **env)
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "reports", "rebuild"],
            cwd=ROOT,
            env=rebuild_env,
            check=True,
            capture_output=True,
        )
        rebuilt = stats_state(primary)
        all_up = (
            subprocess.run(
                ["bash", str(SCRIPT), "status"],
                env=dict(os.environ, CLUSTER_DIR=str(WORK), CLUSTER_PORT=PORT_BASE),
                capture_output=True,
            ).returncode
            == 0
        )
        replica_ok = replica_caught_up(env["LMS_DATABASE_REPLICA_URLS"].split(",")[0], primary)
    finally:
        if not KEEP:
            cluster("down")
    checks = {
        "every_statement_acknowledged": len(tally.acknowledged) == statements,
        "acknowledged_stored_once": missing == 0 and stored[0] == stored[1] == statements,
        "every_completion_certified_once": completed == completions == certificates
        and twice_certified == 0,
        "nothing_held_for_review": bridge["unmatched_open"] == 0,
        "figures_equal_a_rebuild": incremental == rebuilt and bool(incremental["stat_holdings"]),
        "replica_caught_up": replica_ok,
        "every_piece_up_again": all_up,
    }
    print(
        json.dumps(
            {
                "test": "cluster",
                "ok": all(checks.values()),
                "checks": checks,
                "statements_sent": statements,
                "statements_acknowledged": len(tally.acknowledged),
                "statements_stored": stored[0],
                "completions": completions,
                "completed_enrollments": completed,
                "certificates": certificates,
                "learners_provisioned": users - LEARNERS - 1,
                "errors_during_kill": dict(tally.errors),
                "batches_sent_again": tally.resent,
                "learner_pages": tally.pages,
                "learner_page_errors": dict(tally.page_errors),
                "kills": events,
                "pgbouncer_peaks": dict(pool_peaks),
                "bridge_batches": runs,
                "bridge_jobs": jobs,
                "rate_per_s": RATE,
                "ingest_seconds": round(ingest_seconds, 1),
                "processed_all_seconds": round(done_seconds, 1),
                "bridge_done_after_last_statement_s": round(done_seconds - ingest_seconds, 1),
                "stat_rows": {t: len(rows) for t, rows in rebuilt.items()},
                "cluster_up_seconds": round(up_seconds, 1),
                "duration_s": round(time.monotonic() - t_up, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            },
            ensure_ascii=False,
        )
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
