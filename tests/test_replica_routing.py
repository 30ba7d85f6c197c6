"""The read-replica rules that need no replica: settings, which statements count as writes,
the lag arithmetic, and that nothing changes without replicas (SQLite, or none configured).

The behaviour against a real streaming replica is in ``tests/test_replicas.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, insert, select, text, update

from lms.config import load_config
from lms.extensions import db
from lms.org.models import Unit
from lms.replicas import Sample, is_write, reads_from_replica, replay_lag, replica_set
from tests.conftest import make_test_app

NOON = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)


def test_replica_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    env = {
        "LMS_SECRET_KEY": "k",
        "LMS_DATABASE_REPLICA_URLS": " postgres://lms@r1/lms146 ,postgresql://lms@r2/lms146,",
        "LMS_REPLICA_MAX_LAG_SECONDS": "2.5",
    }
    config = load_config(str(tmp_path), env)
    assert config["DATABASE_REPLICA_URLS"] == [
        "postgresql+psycopg://lms@r1/lms146",
        "postgresql+psycopg://lms@r2/lms146",
    ]
    assert config["REPLICA_MAX_LAG_SECONDS"] == 2.5
    assert config["REPLICA_CHECK_SECONDS"] == 1
    assert config["REPLICA_RETRY_SECONDS"] == 10
    assert load_config(str(tmp_path), {"LMS_SECRET_KEY": "k"})["DATABASE_REPLICA_URLS"] == []


@pytest.mark.parametrize(
    ("statement", "write"),
    [
        (select(Unit), False),
        (select(Unit).with_for_update(), True),
        (select(Unit.id).union(select(Unit.id)), False),
        (insert(Unit), True),
        (update(Unit).values(name="x"), True),
        (delete(Unit), True),
        (text("SELECT 1"), False),
        (text("  select count(*) FROM units"), False),
        (text("WITH gone AS (DELETE FROM units RETURNING id) SELECT count(*) FROM gone"), True),
        (text("UPDATE units SET name = 'x'"), True),
        (text("SELECT id FROM units").columns(), False),
        (None, True),  # a bare session.connection(): it may be for anything
    ],
)
def test_what_counts_as_a_write(statement: object, write: bool) -> None:
    assert is_write(statement) is write


def _samples(*pairs: tuple[float, int]) -> list[Sample]:
    return [Sample(at=at, lsn=lsn, settled_before=NOON) for at, lsn in pairs]


def test_the_lag_is_the_age_of_the_newest_primary_position_replayed() -> None:
    samples = _samples((100.0, 1000), (101.0, 2000), (102.0, 3000))
    assert replay_lag(3000, samples, now=102.5) == (0.0, samples[2])  # holds the newest
    assert replay_lag(3500, samples, now=102.5) == (0.0, samples[2])
    assert replay_lag(2999, samples, now=102.5) == (1.5, samples[1])
    assert replay_lag(1000, samples, now=110.0) == (10.0, samples[0])
    assert replay_lag(999, samples, now=110.0) == (None, None)  # behind them all: unknown


def test_an_idle_primary_does_not_make_a_caught_up_replica_look_behind() -> None:
    # Nothing written for a minute: every sample has the same position, which it has replayed.
    samples = _samples((0.0, 5000), (30.0, 5000), (60.0, 5000))
    assert replay_lag(5000, samples, now=60.1) == (0.0, samples[2])


def test_without_replicas_nothing_is_routed(tmp_path: Path) -> None:
    """SQLite ignores replica URLs (the embedded default has none); a decorated view runs as
    it is, once, and its reads and writes use the one database."""
    app: Flask = make_test_app(
        f"sqlite:///{tmp_path / 'app.sqlite3'}",
        DATABASE_REPLICA_URLS=["postgresql+psycopg://lms@replica.invalid/lms146"],
    )
    assert replica_set(app) is None
    calls: list[int] = []

    @reads_from_replica
    def read() -> int:
        calls.append(1)
        return int(db.session.execute(text("SELECT 41 + 1")).scalar_one())

    with app.test_request_context("/dashboard"):
        assert read() == 42
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    assert calls == [1]
