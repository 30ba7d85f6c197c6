"""Settings, read once from ``LMS_*`` environment variables.

Every setting has a default that runs with no setup (an SQLite file under ``instance/``), so a
newcomer needs nothing but ``make run``. Production overrides them through the environment;
the README lists every variable.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path, env: Mapping[str, str]) -> str:
    """Return ``LMS_SECRET_KEY`` or a key generated once and kept under ``instance/``.

    A constant in the code would let anyone who reads the source forge sessions; a key
    generated per start would log everybody out on every restart.
    """
    if env.get("LMS_SECRET_KEY"):
        return env["LMS_SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _database_url(raw: str) -> str:
    """Accept the URLs operators usually paste and pick the psycopg 3 driver for them."""
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
    return raw


def _engine_options(env: Mapping[str, str]) -> dict[str, Any]:
    """Connection-pool options; ``LMS_DATABASE_PGBOUNCER`` turns off server-side prepared
    statements.

    PostgreSQL connections are checked before use by ``lms.db._alive`` (a local check of the
    socket, a ping after an idle while) rather than ``pool_pre_ping``'s round trip each time;
    an SQLite file has nothing to check.

    psycopg prepares a query on the server after it ran five times on a connection. Behind
    pgbouncer in transaction mode the next transaction may get another server connection,
    where that prepared statement does not exist (or another of the same name does): the
    query fails. ``prepare_threshold=None`` keeps every query unprepared.
    """
    options: dict[str, Any] = {"pool_pre_ping": False}
    if _bool(env.get("LMS_DATABASE_PGBOUNCER"), False):
        options["connect_args"] = {"prepare_threshold": None}
    return options


def load_config(
    instance_path: str, env: Mapping[str, str] | None = None, *, secret_key: str | None = None
) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    env = os.environ if env is None else env
    instance = Path(instance_path)
    base_url = env.get("LMS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    db_url = env.get("LMS_DATABASE_URL") or f"sqlite:///{instance / 'lms.sqlite3'}"
    redis_url = env.get("LMS_REDIS_URL") or None
    timezone = env.get("LMS_TIMEZONE") or "Asia/Ho_Chi_Minh"
    return {
        "SECRET_KEY": secret_key or _secret_key(instance, env),
        "SQLALCHEMY_DATABASE_URI": _database_url(db_url),
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(env),
        # PostgreSQL streaming replicas that statistics, reports, exports and LRS queries may
        # read from (``lms.replicas``); one skipped when more than the bound behind.
        "DATABASE_REPLICA_URLS": [
            _database_url(u.strip())
            for u in (env.get("LMS_DATABASE_REPLICA_URLS") or "").split(",")
            if u.strip()
        ],
        "REPLICA_MAX_LAG_SECONDS": float(env.get("LMS_REPLICA_MAX_LAG_SECONDS") or "5"),
        "REPLICA_CHECK_SECONDS": float(env.get("LMS_REPLICA_CHECK_SECONDS") or "1"),
        "REPLICA_RETRY_SECONDS": float(env.get("LMS_REPLICA_RETRY_SECONDS") or "10"),
        "REDIS_URL": redis_url,
        # After Redis failed, treat it as down (counters in memory, job submissions 503) for
        # this long before asking it again, so requests do not each wait for a timeout.
        "REDIS_RETRY_SECONDS": float(env.get("LMS_REDIS_RETRY_SECONDS", "5")),
        "BASE_URL": base_url,
        "BABEL_DEFAULT_LOCALE": env.get("LMS_DEFAULT_LOCALE", "vi"),
        "BABEL_DEFAULT_TIMEZONE": timezone,
        #: Where days, months and years are cut (``lms.periods``); times are stored in UTC.
        "TIMEZONE": timezone,
        "LANGUAGES": ("vi", "en"),
        "MAX_CONTENT_LENGTH": int(env.get("LMS_MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "API_TOKEN_TTL_HOURS": int(env.get("LMS_API_TOKEN_TTL_HOURS", "720")),
        "LOGIN_FAILURE_LIMIT": int(env.get("LMS_LOGIN_FAILURE_LIMIT", "10")),
        "SESSION_COOKIE_SECURE": _bool(
            env.get("LMS_SESSION_COOKIE_SECURE"), base_url.startswith("https://")
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(
            env.get("LMS_SESSION_COOKIE_SECURE"), base_url.startswith("https://")
        ),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "JOBS_EAGER": _bool(env.get("LMS_JOBS_EAGER"), redis_url is None),
        # A job still queued this long after it was sent (its message lost with a Redis that
        # restarted empty, or never sent) is sent again by the worker or the bridge follower.
        "JOB_STALE_SECONDS": int(env.get("LMS_JOB_STALE_SECONDS", "300")),
        "LOG_LEVEL": env.get("LMS_LOG_LEVEL", "INFO"),
        "PASSWORD_HASH_FAST": False,
        "PROXY_HOPS": int(env.get("LMS_PROXY_HOPS", "0")),
        "COURSE_PACKAGE_MAX_MB": int(env.get("LMS_COURSE_PACKAGE_MAX_MB", "50")),
        "CERTIFICATE_SERIAL_PREFIX": env.get("LMS_CERTIFICATE_SERIAL_PREFIX", "VN"),
        "PDF_SIGNING_DIR": env.get("LMS_PDF_SIGNING_DIR") or str(instance / "pdf-signing"),
        "PDF_SIGNING_PASSWORD": env.get("LMS_PDF_SIGNING_PASSWORD") or None,
        "PDF_SIGNING_DEMO_CA": _bool(env.get("LMS_PDF_SIGNING_DEMO_CA"), True),
        "XAPI_AUTH_CACHE_SECONDS": int(env.get("LMS_XAPI_AUTH_CACHE_SECONDS", "60")),
        "BRIDGE_ENABLED": _bool(env.get("LMS_BRIDGE_ENABLED"), True),
        "BRIDGE_BATCH_SIZE": int(env.get("LMS_BRIDGE_BATCH_SIZE", "2000")),
        "BRIDGE_PARTITIONS": int(env.get("LMS_BRIDGE_PARTITIONS", "1")),
        "BRIDGE_EAGER_LIMIT": int(env.get("LMS_BRIDGE_EAGER_LIMIT", "1000")),
        "CMI5_SESSION_HOURS": int(env.get("LMS_CMI5_SESSION_HOURS", "8")),
        **_messages(env),
        "OIDC_PROVIDERS": _oidc_providers(env.get("LMS_OIDC_PROVIDERS")),
        "UNACTIVATED_RETENTION_DAYS": int(env.get("LMS_UNACTIVATED_RETENTION_DAYS") or "180"),
    }


def _oidc_providers(raw: str | None) -> list[dict[str, Any]]:
    """``LMS_OIDC_PROVIDERS``: a JSON list of identity providers (see the README's *Single
    sign-on*). A setting that does not parse stops the start, rather than hiding the buttons."""
    if not raw or not raw.strip():
        return []
    try:
        providers = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"LMS_OIDC_PROVIDERS is not JSON: {exc}") from exc
    if not isinstance(providers, list) or not all(isinstance(p, dict) for p in providers):
        raise ValueError("LMS_OIDC_PROVIDERS must be a JSON list of objects")
    for provider in providers:
        missing = {"name", "issuer", "client_id"} - set(provider)
        if missing:
            raise ValueError(f"LMS_OIDC_PROVIDERS: {sorted(missing)} missing in {provider}")
    return providers


def _messages(env: Mapping[str, str]) -> dict[str, Any]:
    """E-mail (SMTP), SMS (an HTTP gateway) and the one-time codes they carry.

    With neither ``LMS_SMTP_HOST`` nor ``LMS_SMS_URL`` set, messages are written as files
    under ``instance/outbox/`` (or ``LMS_OUTBOX_DIR``), so the demo works with no setup.
    """
    port = int(env.get("LMS_SMTP_PORT") or "587")
    security = env.get("LMS_SMTP_SECURITY") or {465: "ssl", 25: "none"}.get(port, "starttls")
    return {
        "MAIL_BACKEND": env.get("LMS_MAIL_BACKEND")
        or ("smtp" if env.get("LMS_SMTP_HOST") else "file"),
        "SMTP_HOST": env.get("LMS_SMTP_HOST") or "",
        "SMTP_PORT": port,
        "SMTP_SECURITY": security,
        "SMTP_USERNAME": env.get("LMS_SMTP_USERNAME") or "",
        "SMTP_PASSWORD": env.get("LMS_SMTP_PASSWORD") or "",
        "SMTP_TIMEOUT": float(env.get("LMS_SMTP_TIMEOUT") or "20"),
        "MAIL_FROM": env.get("LMS_MAIL_FROM") or "LMS 146 <no-reply@lms146.localhost>",
        "SMS_BACKEND": env.get("LMS_SMS_BACKEND") or ("http" if env.get("LMS_SMS_URL") else "file"),
        "SMS_URL": env.get("LMS_SMS_URL") or "",
        "SMS_USERNAME": env.get("LMS_SMS_USERNAME") or "",
        "SMS_PASSWORD": env.get("LMS_SMS_PASSWORD") or "",
        "SMS_BRANDNAME": env.get("LMS_SMS_BRANDNAME") or "LMS146",
        "SMS_UNICODE": _bool(env.get("LMS_SMS_UNICODE"), False),
        "SMS_TIMEOUT": float(env.get("LMS_SMS_TIMEOUT") or "10"),
        "OUTBOX_DIR": env.get("LMS_OUTBOX_DIR") or None,
        "MESSAGE_ATTEMPTS": int(env.get("LMS_MESSAGE_ATTEMPTS") or "3"),
        "MESSAGE_RETRY_SECONDS": float(env.get("LMS_MESSAGE_RETRY_SECONDS") or "2"),
        "INVITATION_TTL_HOURS": int(env.get("LMS_INVITATION_TTL_HOURS") or "336"),
        "RESET_TTL_MINUTES": int(env.get("LMS_RESET_TTL_MINUTES") or "30"),
        "RESET_LIMIT_PER_HOUR": int(env.get("LMS_RESET_LIMIT_PER_HOUR") or "5"),
    }


class TestConfig:
    """Overrides for the test suite: fixed secret, fast hashing, eager jobs, no Redis."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    JOBS_EAGER = True
    REDIS_URL = None
    DATABASE_REPLICA_URLS = ()
    PASSWORD_HASH_FAST = True
    BASE_URL = "http://localhost"
    SERVER_NAME = None
    # Nothing leaves the process: sent messages are kept in ``app.extensions["lms_sent"]``.
    MAIL_BACKEND = "memory"
    SMS_BACKEND = "memory"
    MESSAGE_RETRY_SECONDS = 0.0


def config_for_tests() -> dict[str, Any]:
    """Return :class:`TestConfig` as a mapping, for ``create_app(config_for_tests() | {...})``."""
    return {k: v for k, v in vars(TestConfig).items() if k.isupper()}
