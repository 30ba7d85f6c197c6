"""Background jobs: eager runs, progress, failures recorded, the CLI, and Redis faults."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import func, select

from lms.db import utcnow
from lms.errors import ServiceUnavailable
from lms.extensions import db
from lms.jobs import queue, services
from lms.jobs.models import Job, JobStatus
from lms.locks import lock_row
from lms.redisclient import RedisLink
from tests.conftest import throwaway_app
from tests.races import PARALLEL, fire
from tests.redis_server import RedisServer


def _count(payload: dict[str, Any], progress: services.Progress) -> dict[str, Any]:
    for done in range(1, payload["n"] + 1):
        progress(done, payload["n"])
    return {"counted": payload["n"]}


def _fail(payload: dict[str, Any], progress: services.Progress) -> None:
    progress(1, 2)
    raise RuntimeError("the spreadsheet was empty")


@pytest.fixture(autouse=True)
def _test_kinds() -> Iterator[None]:
    """Two job kinds of the tests' own, registered the way ``create_app`` registers the app's."""
    services.register_handler("test.count", _count)
    services.register_handler("test.fail", _fail)
    yield
    del services.HANDLERS["test.count"], services.HANDLERS["test.fail"]


def test_eager_job_runs_to_the_end_with_progress(db: Any) -> None:
    job = services.submit("test.count", {"n": 3})
    assert (job.status, job.done, job.total, job.percent) == (JobStatus.done, 3, 3, 100)
    assert job.result == {"counted": 3}
    assert job.finished_at is not None


def test_a_failing_job_is_recorded_not_lost(db: Any) -> None:
    job = services.submit("test.fail", {})
    assert job.status == JobStatus.failed
    assert job.error == "the spreadsheet was empty"


def test_job_api_shows_progress_to_its_owner_only(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_user

    owner, other = make_user(), make_user()
    job = services.submit("test.count", {"n": 2}, by_id=owner.id)
    seen = client.get(f"/api/v1/jobs/{job.id}", headers=auth_headers(owner))
    assert seen.status_code == 200
    assert (seen.json["status"], seen.json["percent"]) == ("done", 100)
    hidden = client.get(f"/api/v1/jobs/{job.id}", headers=auth_headers(other))
    assert hidden.status_code == 404


def test_cli_lists_and_reruns_jobs(app, db: Any) -> None:  # type: ignore[no-untyped-def]
    job = services.submit("test.count", {"n": 1})
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert job.id in listed.output
    rerun = runner.invoke(args=["jobs", "run", job.id])
    assert rerun.exit_code == 0
    assert "done 1/1" in rerun.output


# --- with Redis: sent after commit, 503 when it is down, stale jobs sent again ---------------


def _waiting(server: RedisServer) -> int:
    return int(server.client().llen(queue.QUEUE))


def _job_rows(kind: str = "test.count") -> int:
    return db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == kind)) or 0


def test_a_job_is_sent_after_its_row_is_committed_and_runs_once(
    redis_app: Flask, redis_server: RedisServer
) -> None:
    job = services.submit("test.count", {"n": 2})
    assert job.status == JobStatus.queued
    assert job.enqueued_at is not None
    assert _waiting(redis_server) == 1
    message = redis_server.client().lpop(queue.QUEUE)
    assert job.id.encode() in message  # type: ignore[operator]
    # What the worker does with it; a second delivery of the same message runs nothing.
    assert services.run(job.id).status == JobStatus.done
    again = services.run(job.id)
    assert (again.status, again.done) == (JobStatus.done, 2)


def test_with_redis_down_a_job_answers_503_and_leaves_no_row(
    redis_app: Flask, redis_server: RedisServer
) -> None:
    redis_server.stop()
    with pytest.raises(ServiceUnavailable):
        services.submit("test.count", {"n": 1})
    assert _job_rows() == 0
    redis_server.start()
    job = services.submit("test.count", {"n": 1})
    assert job.status == JobStatus.queued
    assert _waiting(redis_server) == 1


def test_redis_gone_between_the_check_and_the_send_withdraws_the_row(
    redis_app: Flask, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check passes (as it did a moment before Redis went away); the send is real.
    monkeypatch.setattr(queue, "available", lambda: True)
    redis_server.stop()
    with pytest.raises(ServiceUnavailable):
        services.submit("test.count", {"n": 1})
    assert _job_rows() == 0


def _age(job: Job, seconds: int) -> None:
    job.enqueued_at = utcnow() - timedelta(seconds=seconds)
    job.created_at = job.enqueued_at
    db.session.commit()


def test_a_job_queued_past_the_timeout_is_sent_again_once(
    redis_app: Flask, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(redis_app.config, "JOB_STALE_SECONDS", 60)
    job = services.submit("test.count", {"n": 1})
    redis_server.stop()  # Redis restarts empty: the message is lost, the row says queued
    redis_server.start()
    assert services.requeue_stale() == 0  # not stale yet
    _age(job, 61)
    assert services.requeue_stale() == 1
    assert _waiting(redis_server) == 1
    assert services.requeue_stale() == 0  # sent again just now (and the queue is not empty)
    db.session.refresh(job)
    assert job.requeues == 1
    assert services.run(job.id).status == JobStatus.done


def test_a_job_waiting_behind_a_backlog_is_not_sent_again(
    redis_app: Flask, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(redis_app.config, "JOB_STALE_SECONDS", 60)
    first = services.submit("test.count", {"n": 1})
    services.submit("test.count", {"n": 1})
    _age(first, 61)
    assert services.requeue_stale() == 0
    assert _waiting(redis_server) == 2


def test_requeue_waits_for_redis(
    redis_app: Flask, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(redis_app.config, "JOB_STALE_SECONDS", 60)
    job = services.submit("test.count", {"n": 1})
    redis_server.client().delete(queue.QUEUE)
    _age(job, 61)
    redis_server.stop()
    assert services.requeue_stale() == 0
    db.session.refresh(job)
    assert job.requeues == 0
    redis_server.start()
    assert services.requeue_stale() == 1


def test_without_a_worker_stale_jobs_run_in_the_sweeping_process(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = Job(kind="test.count", payload={"n": 2})
    db.session.add(job)
    db.session.commit()
    _age(job, 3600)
    assert services.requeue_stale() == 1
    db.session.refresh(job)
    assert (job.status, job.result) == (JobStatus.done, {"counted": 2})


def test_the_bridge_trigger_is_not_blocked_by_an_old_queued_row(
    redis_app: Flask, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lms.learning import triggers

    monkeypatch.setitem(redis_app.config, "JOB_STALE_SECONDS", 60)
    triggers.trigger()
    assert _job_rows(triggers.JOB_KIND) == 1
    triggers.trigger()  # one is queued, fresh: it will read these statements too
    assert _job_rows(triggers.JOB_KIND) == 1
    old = db.session.scalar(select(Job).where(Job.kind == triggers.JOB_KIND))
    _age(old, 61)
    triggers.trigger()
    assert _job_rows(triggers.JOB_KIND) == 2
    assert _waiting(redis_server) == 2


def test_cli_requeue(redis_app: Flask, redis_server: RedisServer) -> None:
    job = services.submit("test.count", {"n": 1})
    redis_server.client().delete(queue.QUEUE)
    _age(job, 3600)
    result = redis_app.test_cli_runner().invoke(args=["jobs", "requeue"])
    assert result.exit_code == 0, result.output
    assert "sent again: 1" in result.output


def test_a_real_worker_runs_jobs_and_sends_lost_ones_again(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """``celery -A lms.jobs.worker worker`` against this Redis and a database of the test's
    own: a submitted job runs, and a row whose message was lost is swept up on the worker's
    timer (LMS_JOB_STALE_SECONDS=2) and run."""
    overrides = {"REDIS_URL": redis_server.url, "JOBS_EAGER": False, "JOB_STALE_SECONDS": 2}
    with throwaway_app(tmp_path, **overrides) as app, app.app_context():
        app.extensions["lms_redis"] = RedisLink(redis_server.url, retry_seconds=0.0)
        env = os.environ | {
            "LMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "LMS_REDIS_URL": redis_server.url,
            "LMS_SECRET_KEY": "worker-test",
            "LMS_JOB_STALE_SECONDS": "2",
        }
        celery = Path(sys.executable).parent / "celery"
        log_file = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen(
            [str(celery), "-A", "lms.jobs.worker", "worker", "--pool", "solo", "-l", "INFO"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            job = services.submit("bridge.process", {})
            lost = Job(kind="bridge.process", payload={}, enqueued_at=utcnow())
            db.session.add(lost)
            db.session.commit()
            for waited in (job, lost):
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    db.session.refresh(waited)
                    db.session.commit()
                    if waited.status == JobStatus.done:
                        break
                    time.sleep(0.2)
                log = (tmp_path / "worker.log").read_text()
                assert waited.status == JobStatus.done, log[-3000:]
            assert lost.requeues == 1
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            log_file.close()


# --- races: a job delivered many times, swept by many at once ----------------------------------


def test_a_job_delivered_to_twenty_workers_at_once_runs_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def once(payload: dict[str, Any], progress: services.Progress) -> dict[str, Any]:
        calls.append(1)
        time.sleep(0.05)
        return {}

    services.register_handler("test.once", once)
    try:
        with throwaway_app(tmp_path) as app:
            with app.app_context():
                job = Job(kind="test.once", payload={})
                db.session.add(job)
                db.session.commit()
                job_id = job.id

            def deliver(index: int) -> JobStatus:
                with app.app_context():
                    return services.run(job_id).status

            results = fire(PARALLEL, deliver)
            assert not [r for r in results if isinstance(r, Exception)], results
            assert len(calls) == 1
            with app.app_context():
                assert services.get(job_id).status == JobStatus.done
    finally:
        del services.HANDLERS["test.once"]


def test_a_job_finishes_while_another_writer_holds_the_database(tmp_path: Path) -> None:
    """The job's last write waits for another writer instead of failing.

    On SQLite a transaction that has only read cannot start writing while another connection
    holds the write lock: it is refused at once, whatever the busy timeout. A job that read
    itself, ran, and then wrote its status failed that way when twenty deliveries raced.
    """
    holding = threading.Event()

    def hold(app: Flask, job_id: str) -> None:
        with app.app_context():
            lock_row(Job, job_id)
            holding.set()
            time.sleep(0.5)
            db.session.commit()

    def busy(payload: dict[str, Any], progress: services.Progress) -> dict[str, Any]:
        holder = threading.Thread(
            target=hold, args=(current_app._get_current_object(), payload["id"])
        )
        holder.start()
        holding.wait(timeout=10)
        progress(1, 2)
        holder.join()
        return {"ok": True}

    services.register_handler("test.busy", busy)
    try:
        with throwaway_app(tmp_path) as app, app.app_context():
            job = Job(kind="test.busy", payload={})
            db.session.add(job)
            db.session.commit()
            job.payload = {"id": job.id}
            db.session.commit()
            finished = services.run(job.id)
            assert finished.status == JobStatus.done, finished.error
            assert finished.result == {"ok": True}
    finally:
        del services.HANDLERS["test.busy"]


def _sweep_at_once(app: Flask) -> list[int]:
    """``requeue_stale`` from PARALLEL threads at once; what each sent."""

    def sweep(index: int) -> int:
        with app.app_context():
            return services.requeue_stale()

    results = fire(PARALLEL, sweep)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


def test_twenty_sweepers_at_once_send_a_stale_job_once(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    overrides = {"REDIS_URL": redis_server.url, "JOBS_EAGER": False, "JOB_STALE_SECONDS": 60}
    with throwaway_app(tmp_path, **overrides) as app:
        with app.app_context():
            job = Job(kind="test.count", payload={"n": 1})
            db.session.add(job)
            db.session.commit()
            _age(job, 61)
            job_id = job.id

        results = _sweep_at_once(app)
        assert sum(results) == 1
        assert _waiting(redis_server) == 1
        with app.app_context():
            assert services.get(job_id).requeues == 1


def test_the_bridge_follower_sweeps_stale_jobs(app: Flask, db: Any) -> None:
    job = Job(kind="test.count", payload={"n": 1})
    db.session.add(job)
    db.session.commit()
    _age(job, 3600)
    result = app.test_cli_runner().invoke(args=["bridge", "run"])
    assert result.exit_code == 0, result.output
    db.session.refresh(job)
    assert job.status == JobStatus.done  # no worker (eager): run by the follower itself


def test_cli_reruns_a_job_left_running_only_with_force(app: Flask, db: Any) -> None:
    job = Job(kind="test.count", payload={"n": 1}, status=JobStatus.running)
    db.session.add(job)
    db.session.commit()
    runner = app.test_cli_runner()
    assert "running 0/0" in runner.invoke(args=["jobs", "run", job.id]).output
    forced = runner.invoke(args=["jobs", "run", "--force", job.id])
    assert "done 1/1" in forced.output, forced.output


# --- a worker that died: its job left running -------------------------------------------------


def _slow(payload: dict[str, Any], progress: services.Progress) -> dict[str, Any]:
    time.sleep(payload["seconds"])
    return {"slept": payload["seconds"]}


def test_a_job_left_running_by_a_dead_worker_is_run_again(tmp_path: Path) -> None:
    """A worker killed in the middle of a job leaves its row ``running``: on PostgreSQL (where
    the workers may be on other machines and running jobs beat) the sweep sends it again once
    it has not beaten for LMS_JOB_STALE_SECONDS; on SQLite it is left for ``jobs run --force``
    (no beat there, so a long job could not be told from a dead one)."""
    with throwaway_app(tmp_path, JOB_STALE_SECONDS=60) as app, app.app_context():
        job = Job(kind="test.count", payload={"n": 2}, status=JobStatus.running)
        db.session.add(job)
        db.session.commit()
        job.heartbeat_at = utcnow() - timedelta(seconds=61)
        db.session.commit()
        fresh = Job(kind="test.count", payload={"n": 1}, status=JobStatus.running)
        fresh.heartbeat_at = utcnow() - timedelta(seconds=30)
        db.session.add(fresh)
        db.session.commit()
        sent = services.requeue_stale()
        db.session.refresh(job)
        db.session.refresh(fresh)
        assert fresh.status == JobStatus.running  # beat within the timeout: alive
        if services.beats():
            assert sent == 1
            assert (job.status, job.result, job.requeues) == (JobStatus.done, {"counted": 2}, 1)
        else:
            assert sent == 0
            assert job.status == JobStatus.running


def test_a_running_job_beats_and_is_not_taken_for_dead(tmp_path: Path) -> None:
    """A job that runs longer than LMS_JOB_STALE_SECONDS without reporting progress is alive:
    a sweep in the middle of it sends nothing, and it is run once."""
    services.register_handler("test.slow", _slow)
    try:
        with throwaway_app(tmp_path, JOB_STALE_SECONDS=2) as app:
            with app.app_context():
                job = Job(kind="test.slow", payload={"seconds": 4})
                db.session.add(job)
                db.session.commit()
                job_id = job.id
            swept: list[int] = []

            def sweep_in_the_middle() -> None:
                time.sleep(3.2)
                with app.app_context():
                    swept.append(services.requeue_stale())

            sweeper = threading.Thread(target=sweep_in_the_middle)
            sweeper.start()
            with app.app_context():
                finished = services.run(job_id)
                sweeper.join()
                assert swept == [0]
                assert (finished.status, finished.requeues) == (JobStatus.done, 0)
    finally:
        del services.HANDLERS["test.slow"]


def test_a_job_sent_again_too_often_is_failed_not_sent_for_ever(db: Any) -> None:
    job = Job(kind="test.count", payload={"n": 1}, requeues=services.MAX_REQUEUES)
    db.session.add(job)
    db.session.commit()
    _age(job, 3600)
    assert services.requeue_stale() == 0
    db.session.refresh(job)
    assert job.status == JobStatus.failed
    assert job.result is None  # not run
    assert job.finished_at is not None
    assert str(services.MAX_REQUEUES + 1) in (job.error or "")


def test_twenty_sweepers_at_once_run_a_dead_workers_job_once(tmp_path: Path) -> None:
    with throwaway_app(tmp_path, JOB_STALE_SECONDS=60) as app:
        with app.app_context():
            job = Job(kind="test.count", payload={"n": 1}, status=JobStatus.running)
            db.session.add(job)
            db.session.commit()
            job.heartbeat_at = utcnow() - timedelta(seconds=61)
            db.session.commit()
            job_id = job.id

        results = _sweep_at_once(app)
        with app.app_context():
            job = services.get(job_id)
            if services.beats():
                assert sum(results) == 1
                assert (job.status, job.requeues, job.done) == (JobStatus.done, 1, 1)
            else:
                assert sum(results) == 0
                assert job.status == JobStatus.running
