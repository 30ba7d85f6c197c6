"""The Project 146 learning backend: an LMS, an xAPI LRS, certificates and statistics."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, request, session
from flask_login import current_user

from lms.config import load_config

#: Every blueprint, in one explicit list: ``module:attribute``.
BLUEPRINTS = (
    "lms.web.ops:bp",
    "lms.web.apidocs:bp",
    "lms.web.views:bp",
    "lms.auth.api:bp",
    "lms.auth.views:bp",
    "lms.org.api:bp",
    "lms.org.views:bp",
    "lms.jobs.api:bp",
    "lms.catalog.api:bp",
    "lms.catalog.views:bp",
    "lms.classes.api:bp",
    "lms.classes.views:bp",
    "lms.assessment.api:bp",
    "lms.assessment.views:bp",
    "lms.xapi.api:bp",
    "lms.xapi.admin_api:bp",
    "lms.learning.api:bp",
    "lms.learning.views:bp",
    "lms.certificates.api:bp",
    "lms.certificates.views:bp",
    "lms.stats.api:bp",
    "lms.stats.views:bp",
    "lms.audit.api:bp",
    "lms.audit.views:bp",
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides settings read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    configure(app, config)
    init_proxy(app)
    init_extensions(app)
    from lms.errors import register_error_handlers

    register_error_handlers(app)
    register_blueprints(app)
    register_cli(app)
    return app


def configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    overrides = dict(config or {})
    app.config.update(load_config(app.instance_path, secret_key=overrides.get("SECRET_KEY")))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories(app.root_path)
    app.config.update(overrides)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.basicConfig(
        level=app.config.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def init_proxy(app: Flask) -> None:
    """Trust ``X-Forwarded-*`` from the given number of proxies (client address, scheme)."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )


def init_extensions(app: Flask) -> None:
    from lms import headers, ratelimit, requestlog
    from lms.auth.services import init_login
    from lms.extensions import babel, csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    init_login(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    ratelimit.init_app(app)
    requestlog.init_app(app)
    headers.init_app(app)
    _import_models()

    @app.before_request
    def _csrf_protect() -> None:
        """CSRF applies where a cookie authenticates the request.

        Bearer-token API calls, the LRS (HTTP Basic) and endpoints marked
        ``csrf_exempt`` (getting a token with a password) carry no ambient authority, and
        neither does an API call without a live session: it gets its 401 from the view.
        """
        if request.method in {"GET", "HEAD", "OPTIONS", "TRACE"}:
            return
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.path.startswith("/xapi") or request.path.startswith("/cmi5"):
            return
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return
        if request.path.startswith("/api/") and not current_user.is_authenticated:
            return
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and getattr(view, "_csrf_exempt", False):
            return
        csrf.protect()

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_wtf.csrf import generate_csrf

        from lms.web.nav import nav_items

        return {
            "csrf_token": generate_csrf,
            "current_locale": str(select_locale()),
            "nav_items": nav_items,
        }


def translation_directories(root: str) -> str:
    """Every domain keeps its own catalog in ``lms/<domain>/translations``; Babel merges them."""
    from pathlib import Path

    base = Path(root)
    domains = sorted(str(p.relative_to(base)) for p in base.glob("*/translations") if p.is_dir())
    return ";".join(["translations", *domains])


def select_locale() -> str:
    """Session choice, then the user's saved language, then the configured default."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    try:
        chosen = session.get("lang")
    except RuntimeError:
        chosen = None
    if chosen in languages:
        return str(chosen)
    try:
        if current_user and current_user.is_authenticated and current_user.locale in languages:
            return str(current_user.locale)
        if request.path.startswith("/api/") and request.headers.get(
            "Authorization", ""
        ).lower().startswith("bearer "):
            # Programs say what they want; people in a browser get Vietnamese first.
            best = request.accept_languages.best_match(languages)
            if best:
                return str(best)
    except RuntimeError:
        pass
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def register_blueprints(app: Flask) -> None:
    for target in BLUEPRINTS:
        module_name, attr = target.split(":")
        app.register_blueprint(getattr(importlib.import_module(module_name), attr))


def register_cli(app: Flask) -> None:
    from lms.cli import register

    register(app)


def _import_models() -> None:
    """Import every models module so the metadata (and Alembic) knows all tables."""
    for name in (
        "org",
        "auth",
        "jobs",
        "catalog",
        "classes",
        "assessment",
        "xapi",
        "learning",
        "certificates",
        "stats",
        "audit",
    ):
        importlib.import_module(f"lms.{name}.models")


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
