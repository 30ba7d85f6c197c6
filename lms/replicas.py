"""Reads that may go to PostgreSQL streaming replicas; everything else goes to the primary.

Statistics, reports, exports and LRS queries are heavy reads that can be served by hot-standby
replicas (``LMS_DATABASE_REPLICA_URLS``). Routing is opt-in and explicit: only code run under
:func:`reads_from_replica` (a view or function decorator) or :func:`replica_reads` may read
from a replica, and even there

- only reads go to it: a flush, an INSERT/UPDATE/DELETE, ``SELECT ... FOR UPDATE``, a textual
  statement that is not a plain SELECT and a bare ``session.connection()`` go to the primary,
  and once the session has written, its reads do too (it reads its own writes);
- only GET and HEAD requests use it, and not those of a client that wrote in the last
  ``max lag + check interval`` seconds (a cookie set on its writing response says so);
- only a replica that is up, still in recovery and at most ``LMS_REPLICA_MAX_LAG_SECONDS``
  behind is used; otherwise the primary answers.

A replica's lag is measured against the primary's WAL: every check samples the primary's WAL
flush position (not the insert position, which may point past a page header where no record
ends, so that an idle replica would never seem to reach it), and the lag is the age of the
newest sample the replica has replayed (0 when it has replayed the one just taken). Unlike
``now() - pg_last_xact_replay_timestamp()`` this does not grow while the primary is idle, and
a sample tells which primary state the replica holds (``visible_through``, which bounds the
LRS's ``X-Experience-API-Consistent-Through``).
Checks run at most every ``LMS_REPLICA_CHECK_SECONDS`` per process, inside a request but one
thread at a time. A replica that fails (a check or a query) is skipped for
``LMS_REPLICA_RETRY_SECONDS`` without being asked (the breaker of :mod:`lms.redisclient`), so a
stopped replica costs no timeout per request; a view whose replica fails mid-request is run
again on the primary. Without replicas configured (and always on SQLite) none of this runs.

This module imports nothing of ``lms.db`` (which builds its session class from it).
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_sqlalchemy.session import Session
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import Select, TextualSelect

from lms.redisclient import Breaker

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: The cookie a writing response sets: until the time it holds, this client reads the primary.
PRIMARY_COOKIE = "lms_primary_until"
#: ``Session.info`` key: the session has written (or will: a flush, a write statement).
WROTE = "lms_wrote"
#: Seconds to wait for a replica to accept a connection; a stopped one refuses at once.
CONNECT_TIMEOUT = 2
#: Primary samples kept: at one per check they cover minutes, far beyond any sensible bound.
SAMPLES = 256
READING_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Sample:
    """The primary at one instant: its WAL flush position, and before when every transaction
    that had written by then had committed (the primary's clock). With ``synchronous_commit``
    on (PostgreSQL's default, which the LMS keeps) a commit is flushed before its transaction
    leaves ``pg_stat_activity``, so a replica holding ``lsn`` holds those commits."""

    at: float
    lsn: int
    settled_before: datetime


def replay_lag(
    replayed: int, samples: Sequence[Sample], now: float
) -> tuple[float | None, Sample | None]:
    """How far behind a replica that has replayed the primary's WAL up to ``replayed`` is, and
    the newest sample it holds: 0 when it holds the newest one (taken just before it was
    asked), else that sample's age; None when it holds none of them."""
    held = next((s for s in reversed(samples) if s.lsn <= replayed), None)
    if held is None:
        return None, None
    return (0.0 if held is samples[-1] else max(0.0, now - held.at)), held


class Replica:
    """One replica: its engine, its breaker and what its last check found."""

    def __init__(self, url: str, options: Mapping[str, Any], retry_seconds: float) -> None:
        self.url = make_url(url)
        self.name = self.url.render_as_string(hide_password=True)
        connect_args = {"connect_timeout": CONNECT_TIMEOUT, **options.get("connect_args", {})}
        self.engine = create_engine(
            self.url, **{**options, "connect_args": connect_args, "pool_pre_ping": True}
        )
        self.breaker = Breaker(retry_seconds, name=f"Replica {self.name}")
        #: Seconds behind the primary at the last check; None: down, promoted or unknown.
        self.lag: float | None = None
        #: Every statement stored on the primary before this instant is on this replica.
        self.visible_through: datetime | None = None
        #: Whether the last check found it usable (None before the first): logged on change.
        self._was_usable: bool | None = None
        event.listen(self.engine, "handle_error", self._failed)

    def usable(self, max_lag: float) -> bool:
        return self.lag is not None and self.lag <= max_lag and not self.breaker.is_open()

    def check(self, samples: deque[Sample], max_lag: float) -> None:
        """Ask the replica how far it has replayed; a failure opens its breaker. Logs when it
        starts or stops being used, not at every check."""
        self.lag, why_not = self._ask(samples)
        usable = self.usable(max_lag)
        if usable != self._was_usable:
            if usable:
                logger.info("Replica %s is %.1f s behind; reading from it", self.name, self.lag)
            elif not self.breaker.is_open():  # else the breaker has said why
                if why_not is None:
                    why_not = f"{self.lag:.1f} s behind, more than {max_lag} s"
                logger.warning("Replica %s %s; reading from the primary", self.name, why_not)
        self._was_usable = usable

    def _ask(self, samples: deque[Sample]) -> tuple[float | None, str | None]:
        """The replica's lag, or None and why it has none."""
        if self.breaker.is_open():
            return None, "is down"
        try:
            with self.engine.begin() as conn:
                in_recovery, replayed = conn.execute(
                    text(
                        "SELECT pg_is_in_recovery(), "
                        "pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')"
                    )
                ).one()
        except SQLAlchemyError as exc:  # an OperationalError also tripped the breaker
            return None, f"could not be asked its lag ({type(exc).__name__})"
        self.breaker.reset()
        if not in_recovery or replayed is None:
            # Promoted (or not a standby at all): its data may part from the primary's.
            return None, "is not in recovery (promoted?)"
        lag, held = replay_lag(int(replayed), samples, time.monotonic())
        if held is None:
            return None, "is behind every position sampled on the primary"
        self.visible_through = held.settled_before
        return lag, None

    def _failed(self, context: ExceptionContext) -> None:
        """A connection or a statement failed on this replica: skip it for a while."""
        if isinstance(context.sqlalchemy_exception, OperationalError | InterfaceError):
            self.breaker.trip(context.original_exception, "reading from it")
            self.lag = None


class ReplicaSet:
    """The configured replicas, their health checks and the round-robin choice among them."""

    def __init__(
        self,
        urls: list[str],
        *,
        max_lag: float,
        check_seconds: float,
        retry_seconds: float,
        options: Mapping[str, Any],
    ) -> None:
        self.replicas = [Replica(url, options, retry_seconds) for url in urls]
        self.max_lag = max_lag
        self.check_seconds = check_seconds
        self.samples: deque[Sample] = deque(maxlen=SAMPLES)
        self._checked_at: float | None = None
        self._lock = threading.Lock()
        self._turn = itertools.count()

    @property
    def primary_window(self) -> float:
        """How long a client that wrote reads from the primary: a usable replica holds the
        primary's state of at most ``max_lag`` before its last check."""
        return self.max_lag + self.check_seconds + 1

    def choose(self, primary: Engine) -> Replica | None:
        """A usable replica, or None for the primary; checks them first when a check is due."""
        due = self._checked_at is None or time.monotonic() - self._checked_at >= self.check_seconds
        if due and self._lock.acquire(blocking=False):
            try:
                self.check(primary)
            finally:
                self._lock.release()
        usable = [r for r in self.replicas if r.usable(self.max_lag)]
        if not usable:
            return None
        return usable[next(self._turn) % len(usable)]

    def check(self, primary: Engine) -> None:
        """Sample the primary, then ask each replica how much of it it holds."""
        self._checked_at = time.monotonic()
        try:
            self.samples.append(_sample(primary))
        except SQLAlchemyError:
            logger.warning("Could not sample the primary's WAL position", exc_info=True)
            return
        for replica in self.replicas:
            replica.check(self.samples, self.max_lag)

    def report(self, primary: Engine) -> list[dict[str, Any]]:
        """Each replica's state after a check now, for ``/readyz`` (numbered: no host names)."""
        with self._lock:
            self.check(primary)
        return [
            {"replica": number, "ok": r.usable(self.max_lag), "lag_seconds": r.lag}
            for number, r in enumerate(self.replicas, start=1)
        ]

    def dispose(self) -> None:
        for replica in self.replicas:
            replica.engine.dispose()


#: Before when every transaction that has written (holds an id) on this database began: the
#: oldest open writer, or now. The database's own clock, the one ``stored`` times are read from.
SETTLED_BEFORE = text(
    "SELECT min(xact_start), clock_timestamp() FROM pg_stat_activity "
    "WHERE datname = current_database() AND backend_xid IS NOT NULL "
    "AND pid <> pg_backend_pid()"
)


def settled_before(executor: Connection | OrmSession) -> datetime:
    """Before this instant every write transaction on the (primary) database has committed or
    will commit nothing older; shared by the LRS's Consistent-Through and the replica samples."""
    oldest, now = executor.execute(SETTLED_BEFORE).one()
    settled: datetime = oldest if oldest is not None and oldest < now else now
    return settled.astimezone(UTC)


def _sample(primary: Engine) -> Sample:
    """The primary's open writers are read before its WAL position: a transaction gone from
    the first has its commit flushed before the second."""
    with primary.begin() as conn:
        settled = settled_before(conn)
        lsn = conn.execute(
            text("SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')")
        ).scalar_one()
    return Sample(at=time.monotonic(), lsn=int(lsn), settled_before=settled)


# --- routing ---------------------------------------------------------------------------------


class _Unchosen:
    """The scope has not asked for a replica yet."""


UNCHOSEN = _Unchosen()


@dataclass
class _Scope:
    replicas: ReplicaSet
    chosen: Replica | _Unchosen | None = UNCHOSEN
    visible_through: datetime | None = None

    def pick(self, primary: Engine) -> Replica | None:
        if isinstance(self.chosen, _Unchosen):
            self.chosen = self.replicas.choose(primary)
            if self.chosen is not None:
                self.visible_through = self.chosen.visible_through
        return self.chosen


_scope: ContextVar[_Scope | None] = ContextVar("lms_replica_scope", default=None)


def is_write(clause: Any) -> bool:
    """Whether a statement must run on the primary; when in doubt, it must."""
    if clause is None:
        return True
    if isinstance(clause, Select):
        return clause._for_update_arg is not None
    if isinstance(clause, TextualSelect):
        clause = clause.element
    if isinstance(clause, TextClause):
        return not clause.text.lstrip()[:7].lower().startswith("select")
    return not getattr(clause, "is_select", False)


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, sending reads to a replica inside a replica scope."""

    def get_bind(
        self,
        mapper: Any | None = None,
        clause: Any | None = None,
        bind: Engine | Any | None = None,
        **kwargs: Any,
    ) -> Any:
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is not None:
            return engine
        if self._flushing or is_write(clause):
            if clause is not None or self._flushing:
                self.info[WROTE] = True
            return engine
        scope = _scope.get()
        if scope is None or self.info.get(WROTE) or not isinstance(engine, Engine):
            return engine
        replica = scope.pick(engine)
        return engine if replica is None else replica.engine


def _wrote_recently() -> bool:
    if not has_request_context():
        return False
    if request.method not in READING_METHODS:
        return True
    try:
        return float(request.cookies.get(PRIMARY_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def _open_scope() -> tuple[_Scope, Token[_Scope | None]] | None:
    replicas = replica_set()
    if replicas is None or _wrote_recently() or _scope.get() is not None:
        return None
    scope = _Scope(replicas)
    return scope, _scope.set(scope)


def _close_scope(opened: tuple[_Scope, Token[_Scope | None]] | None) -> None:
    if opened is None:
        return
    scope, token = opened
    _scope.reset(token)
    if isinstance(scope.chosen, Replica) and has_request_context():
        g.lms_replica_through = scope.visible_through


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads inside go to a replica (see the module's rules)."""
    opened = _open_scope()
    try:
        yield
    finally:
        _close_scope(opened)


def reads_from_replica(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` under :func:`replica_reads`; if its replica fails meanwhile, run it again
    on the primary (a read is safe to repeat), so a replica going down answers no 500."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        opened = _open_scope()
        if opened is None:
            return func(*args, **kwargs)
        chosen = None
        try:
            return func(*args, **kwargs)
        except DBAPIError:
            chosen = opened[0].chosen
            if not isinstance(chosen, Replica) or not chosen.breaker.is_open():
                raise
        finally:
            _close_scope(opened)
        logger.warning("Replica %s failed in %s; reading from the primary", chosen.name, func)
        current_app.extensions["sqlalchemy"].session.rollback()
        g.pop("lms_replica_through", None)
        return func(*args, **kwargs)

    return wrapper


def replica_visible_through() -> datetime | None:
    """When this request read from a replica: before when the primary's writes are all on it."""
    if not has_request_context():
        return None
    through: datetime | None = g.get("lms_replica_through")
    return through


def remember_writes(response: Response) -> Response:
    """After a write, read from the primary for a while (read your own writes)."""
    replicas = replica_set()
    if replicas is None or response.status_code >= 400:
        return response
    session = current_app.extensions["sqlalchemy"].session
    wrote = request.method not in READING_METHODS or (
        session.registry.has() and session().info.get(WROTE)
    )
    if wrote:
        window = replicas.primary_window
        response.set_cookie(
            PRIMARY_COOKIE,
            f"{time.time() + window:.0f}",
            max_age=int(window) + 1,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def init_app(app: Flask) -> None:
    urls = [u.strip() for u in app.config.get("DATABASE_REPLICA_URLS") or [] if u.strip()]
    primary = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    if not urls or not primary.startswith("postgresql"):
        app.extensions["lms_replicas"] = None
        return
    app.extensions["lms_replicas"] = ReplicaSet(
        urls,
        max_lag=float(app.config.get("REPLICA_MAX_LAG_SECONDS", 5)),
        check_seconds=float(app.config.get("REPLICA_CHECK_SECONDS", 1)),
        retry_seconds=float(app.config.get("REPLICA_RETRY_SECONDS", 10)),
        options=app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {},
    )
    app.after_request(remember_writes)


def replica_set(app: Flask | None = None) -> ReplicaSet | None:
    """The app's replicas, or None when it reads only from the primary."""
    found = (app or current_app).extensions.get("lms_replicas")
    return found if isinstance(found, ReplicaSet) else None
