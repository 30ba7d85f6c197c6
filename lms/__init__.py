"""The Project 146 learning backend: an LMS, an xAPI LRS, certificates and statistics.

The app factory imports the domains inside its steps, when an app is built: this package's
``__init__`` runs before any ``lms.*`` module is imported (``lms.db`` by a migration,
``lms.events`` by a domain), so importing the domains at its top would import all of them,
half-initialised, from inside each other. The lists below name them as strings for the same
reason.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, request, session
from flask_login import current_user

from lms import (
    edge,
    events,
    extensions,
    formatting,
    headers,
    ratelimit,
    redisclient,
    replicas,
    requestlog,
)
from lms.config import load_config
from lms.db import end_sessions_safely
from lms.errors import register_error_handlers

#: Every blueprint, in one explicit list: ``module:attribute``.
BLUEPRINTS = (
    "lms.web.ops:bp",
    "lms.web.apidocs:bp",
    "lms.web.views:bp",
    "lms.auth.api:bp",
    "lms.auth.views:bp",
    "lms.auth.access_views:bp",
    "lms.auth.sso_views:bp",
    "lms.org.api:bp",
    "lms.org.views:bp",
    "lms.jobs.api:bp",
    "lms.catalog.api:bp",
    "lms.classes.api:bp",
    "lms.classes.views:bp",
    "lms.classes.learner_views:bp",
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
    "lms.privacy.views:bp",
)

#: Every models module: the tables the metadata (and Alembic) must know.
MODELS = (
    "lms.org.models",
    "lms.messages.models",
    "lms.auth.models",
    "lms.jobs.models",
    "lms.catalog.models",
    "lms.classes.models",
    "lms.assessment.models",
    "lms.xapi.models",
    "lms.learning.models",
    "lms.certificates.models",
    "lms.stats.models",
    "lms.audit.models",
    "lms.privacy.models",
)

#: Everything that follows from a fact, in one explicit list: (domain event, receiver as
#: ``module:function``). Receivers run in the sender's transaction, in this order; the senders
#: are named beside each event in ``lms.events``.
RECEIVERS = (
    # The LRS committed statements (POST/PUT /xapi/statements, a results file, cmi5):
    # the bridge turns them into enrollments, progress and completions.
    (events.statements_stored, "lms.learning.triggers:on_statements_stored"),
    # A course package was imported: open enrollments recount their progress against the new
    # lessons, and the bridge refreshes the course's activity IRIs.
    (events.course_imported, "lms.classes.completion:on_course_imported"),
    (events.course_imported, "lms.learning.triggers:on_course_imported"),
    # An enrollment completed (a lesson, a quiz result, attendance, a statement from a MOOC):
    # a course that gives certificates issues one; voiding the completion revokes it.
    (events.enrollment_completed, "lms.certificates.services:on_enrollment_completed"),
    (events.enrollments_completed, "lms.certificates.services:on_enrollments_completed"),
    (events.enrollment_reopened, "lms.certificates.services:on_enrollment_reopened"),
    # People were imported from a spreadsheet on /users, naming a class: they join it.
    (events.people_imported, "lms.classes.csvimport:on_people_imported"),
    # A certificate was issued or revoked, or a unit moved or merged: the indicator figures
    # move with it.
    (events.certificate_issued, "lms.stats.rollups:on_certificate_issued"),
    (events.certificates_issued, "lms.stats.rollups:on_certificates_issued"),
    (events.certificate_revoked, "lms.stats.rollups:on_certificate_revoked"),
    (events.unit_moved, "lms.stats.rollups:on_unit_moved"),
    # Someone's sessions and tokens were ended (new password, deactivation, deletion): the
    # LRS credentials of their open cmi5 launches end too.
    (events.sessions_ended, "lms.learning.cmi5.runtime:on_sessions_ended"),
    # Someone's e-mail changed, was confirmed or lost its confirmation: the bridge's identity
    # derived from it (its mbox_sha1sum) follows, so only a verified address names a learner.
    (events.email_identity_changed, "lms.learning.identities:on_email_identity_changed"),
)

#: Every kind of background job and the function that runs it (``lms.jobs.services.submit``).
JOB_HANDLERS = (
    ("auth.import_users", "lms.auth.importer:run_import"),
    ("classes.assign", "lms.classes.assign:run_assignment"),
    ("bridge.process", "lms.learning.triggers:run_bridge"),
    ("certificates.issue_class", "lms.certificates.services:run_issue_class"),
    ("certificates.issue_awaiting", "lms.certificates.services:run_issue_awaiting"),
    ("messages.deliver", "lms.messages.services:deliver"),
)

#: Files other domains add to the course-package format: (file name, validate, apply).
#: What the quiz and the certificate add to a learner's next step (lms.classes.next_steps).
NEXT_STEP_PROVIDERS = (
    ("quiz", "lms.assessment.steps:quiz_steps"),
    ("certificate", "lms.certificates.steps:certificate_steps"),
)

PACKAGE_PARTS = (
    ("questions.yaml", "lms.assessment.package:validate", "lms.assessment.package:apply"),
    ("cmi5.xml", "lms.learning.cmi5.package:validate_part", "lms.learning.cmi5.package:apply_part"),
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides settings read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    configure(app, config)
    init_proxy(app)
    edge.init_app(app)  # first: no handler or hook runs on what it refuses
    init_extensions(app)
    register_error_handlers(app)
    register_blueprints(app)
    connect_receivers()
    register_job_handlers()
    register_package_parts()
    register_next_step_providers()
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
    from lms.auth.login import init_login  # a domain: imported when the app is built

    # ``extensions.db``: a bare ``db`` here would hide the module ``lms.db`` behind the package.
    extensions.db.init_app(app)
    end_sessions_safely(app)
    replicas.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(_migrations_dir()))
    init_login(app)
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=select_locale)
    redisclient.init_app(app)
    formatting.init_app(app)
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
        if request.path.startswith("/api/") and request.headers.get(
            "Authorization", ""
        ).lower().startswith("bearer "):
            return  # the token alone authenticates it (lms.auth.login), never the cookie
        if request.path.startswith("/api/") and not current_user.is_authenticated:
            return
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and getattr(view, "_csrf_exempt", False):
            return
        extensions.csrf.protect()

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_wtf.csrf import generate_csrf

        from lms.web.nav import nav_items  # a domain: imported when the app is built

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


def _resolve(target: str) -> Any:
    module_name, attr = target.split(":")
    return getattr(importlib.import_module(module_name), attr)


def register_blueprints(app: Flask) -> None:
    for target in BLUEPRINTS:
        app.register_blueprint(_resolve(target))


def connect_receivers() -> None:
    """Connect :data:`RECEIVERS`; signals are process-wide, and connecting twice is a no-op."""
    for signal, target in RECEIVERS:
        signal.connect(_resolve(target), weak=False)


def register_job_handlers() -> None:
    from lms.jobs.services import register_handler  # a domain: imported when the app is built

    for kind, target in JOB_HANDLERS:
        register_handler(kind, _resolve(target))


def register_package_parts() -> None:
    from lms.catalog.packages import register_part  # a domain: imported when the app is built

    for filename, validate, apply in PACKAGE_PARTS:
        register_part(filename, validate=_resolve(validate), apply=_resolve(apply))


def register_next_step_providers() -> None:
    from lms.classes.next_steps import register_provider  # a domain: imported at build time

    for name, target in NEXT_STEP_PROVIDERS:
        register_provider(name, _resolve(target))


def register_cli(app: Flask) -> None:
    from lms.cli import register  # a domain: imported when the app is built

    register(app)


def _import_models() -> None:
    """Import every models module so the metadata (and Alembic) knows all tables."""
    for name in MODELS:
        importlib.import_module(name)


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
