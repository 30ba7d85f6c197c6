"""A PostgreSQL primary and a streaming replica of it, made on this machine for the test run.

The shared server on 5432 accepts no replication connections (and a test must not change its
configuration), so :class:`ReplicatedPair` builds its own: ``initdb`` of a primary on a free
port, ``pg_basebackup -R -X stream`` of it, and the copy started as a hot standby on another
port; both listen on 127.0.0.1 only and live in one temporary directory, removed afterwards.
PostgreSQL refuses to run as root, so when the tests run as root the server commands run as
the ``postgres`` user (``runuser``) and the directory is given to it. The replica can be paused
(``pg_wal_replay_pause``: it stays up but falls behind), stopped and started again, which is
what the replica tests need; a cluster script can build its pair the same way.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.conftest import free_port

#: Where Debian puts a PostgreSQL version's programs (``initdb``, ``pg_ctl`` are not on PATH).
BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: The app's database: the cluster's own ``postgres`` (creating another would copy a template
#: into the WAL and the base backup, for nothing in a cluster made for one test run).
DATABASE = "postgres"
#: Settings of a throwaway primary: durability is worth nothing here, speed is.
PRIMARY_OPTIONS = (
    "-c fsync=off -c full_page_writes=off "
    "-c wal_level=replica -c max_wal_senders=5 -c shared_buffers=32MB"
)


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's program directory (``LMS_PG_BIN`` overrides)."""
    if os.environ.get("LMS_PG_BIN"):
        return Path(os.environ["LMS_PG_BIN"])
    found = sorted(glob.glob(BIN_GLOB), key=lambda p: int(Path(p).parent.name))
    if not found:
        raise RuntimeError(f"No PostgreSQL server programs under {BIN_GLOB}")
    return Path(found[-1])


class ReplicatedPair:
    """A primary and its streaming replica, each on a port of its own."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="lms-replica-"))
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.primary_dir = self.root / "primary"
        self.replica_dir = self.root / "replica"
        self._admins: dict[int, Engine] = {}

    # --- commands ------------------------------------------------------------------------

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def _pg_ctl_start(self, data: Path, port: int, extra: str = "") -> None:
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
            f"{extra}"
        )
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", f"{data}.log", "-w", "start")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "-N")
        self._pg_ctl_start(self.primary_dir, self.primary_port, PRIMARY_OPTIONS)
        self._run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"),
            *("-D", str(self.replica_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )
        self.start_replica()

    def start_replica(self) -> None:
        self._pg_ctl_start(self.replica_dir, self.replica_port, "-c hot_standby=on")
        self.wait_caught_up()

    def stop_replica(self) -> None:
        self._run("pg_ctl", "-D", str(self.replica_dir), "-m", "fast", "-w", "stop")
        engine = self._admins.pop(self.replica_port, None)
        if engine is not None:
            engine.dispose()

    def close(self) -> None:
        for engine in self._admins.values():
            engine.dispose()
        for data in (self.replica_dir, self.primary_dir):
            if (data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    # --- addresses and admin connections ---------------------------------------------------

    @staticmethod
    def url(port: int, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def admin(self, port: int) -> Engine:
        """An autocommit engine of the tests' own (not the app's) on one of the two servers."""
        if port not in self._admins:
            self._admins[port] = create_engine(self.url(port), isolation_level="AUTOCOMMIT")
        return self._admins[port]

    def _scalar(self, port: int, sql: str) -> object:
        with self.admin(port).connect() as conn:
            return conn.execute(text(sql)).scalar()

    # --- replication -----------------------------------------------------------------------

    def primary_lsn(self) -> int:
        return int(str(self._scalar(self.primary_port, LSN.format("pg_current_wal_flush_lsn"))))

    def replica_lsn(self, which: str = "pg_last_wal_replay_lsn") -> int:
        value = self._scalar(self.replica_port, LSN.format(which))
        return -1 if value is None else int(str(value))

    def _wait(self, which: str, what: str) -> None:
        """Poll (a subprocess's progress, not a fixed sleep) until the replica has ``which``
        reached the primary's present position."""
        target = self.primary_lsn()
        deadline = time.monotonic() + 15
        while self.replica_lsn(which) < target:
            if time.monotonic() > deadline:
                raise RuntimeError(f"The replica has not {what} the primary's WAL in 15 s")
            time.sleep(0.02)

    def wait_caught_up(self) -> None:
        self._wait("pg_last_wal_replay_lsn", "replayed")

    def wait_received(self) -> None:
        self._wait("pg_last_wal_receive_lsn", "received")

    def pause_replay(self) -> None:
        self.wait_caught_up()
        self._scalar(self.replica_port, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self._scalar(self.replica_port, "SELECT pg_wal_replay_resume()")
        self.wait_caught_up()


LSN = "SELECT pg_wal_lsn_diff({}(), '0/0')"


@pytest.fixture(scope="session")
def replicated_pair() -> Iterator[ReplicatedPair]:
    """One primary-and-replica pair for the run; tests leave the replica running and replaying."""
    pair = ReplicatedPair()
    try:
        pair.start()
        yield pair
    finally:
        pair.close()
