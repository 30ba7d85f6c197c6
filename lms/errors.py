"""Domain errors and the one JSON error envelope of ``/api/v1``.

Services raise :class:`DomainError` subclasses with a message a person can read; the handlers
registered here turn them (and marshmallow's ``ValidationError``, and werkzeug's HTTP errors)
into ``{"code", "status", "message", "errors"}``. The LRS under ``/xapi`` registers its own
handlers, because the xAPI specification dictates its statuses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import cache
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from lms import formatting
from lms.extensions import db, login_manager

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain was broken; the message is shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, *, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    """Input that parsed but does not hold together (per-row CSV errors, package errors)."""

    status_code = 422


class TooManyRequests(DomainError):
    status_code = 429


class ServiceUnavailable(DomainError):
    """A part the request needs (Redis, the database) is down; nothing was written.

    Answered 503 with ``Retry-After``: the client may send the same request again.
    """

    status_code = 503
    retry_after = 30


def N_(message: str) -> str:  # noqa: N802 - the marker name pybabel extracts by default
    """Mark ``message`` for the catalogs without translating it where it is written.

    For the messages of schema validators (``error=N_("At most 300 characters.")``), built
    once at import, outside any request: :func:`readable` translates them when they are
    shown, in the reader's language.
    """
    return message


#: marshmallow's own messages that carry a value, as the catalogs translate them; the values
#: are put back into the translation (numbers written as the reader writes them).
MARSHMALLOW_TEMPLATES = (
    N_("Longer than maximum length {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be greater than {min}."),
    N_("Must be less than {max}."),
    N_("Must be one of: {choices}."),
)
#: Those without a value, marked for the catalogs (marshmallow writes them in English).
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid value."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid time."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Number too large."),
    N_("String does not match expected pattern."),
    N_("Invalid input."),
)


@cache
def _template_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for template in MARSHMALLOW_TEMPLATES:
        parts = re.split(r"\{(\w+)\}", template)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        out.append((re.compile(f"^{pattern}$"), template))
    return tuple(out)


def readable(message: str) -> str:
    """A validation message in the reader's language.

    The schemas' own messages and marshmallow's are written in English (the msgids): the
    one translated here, once, wherever they are shown (the API's 422, a form's errors).
    A message already translated where it was raised finds no msgid and stays as it is.
    """
    translated = _(message)
    if translated != message:
        return translated
    for pattern, template in _template_patterns():
        match = pattern.match(message)
        if match:
            values = {
                k: formatting.number(int(v)) if re.fullmatch("[0-9]+", v) else v
                for k, v in match.groupdict().items()
            }
            return _(template).format(**values)
    return message


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages into ``{"a.b.0.c": [...]}``, each in the
    reader's language (:func:`readable`).

    Clients read one level; a field path tells them where, however deep the error is.
    """
    if isinstance(messages, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_messages(value, path))
        return out
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_schema": [readable(str(m)) for m in messages]}
        out = {}
        for item in messages:
            out.update(flatten_messages(item, prefix))
        return out
    return {prefix or "_schema": [readable(str(messages))]}


def error_body(code: int, message: str, errors: Mapping[str, list[str]] | None = None) -> dict:
    body: dict[str, Any] = {
        "code": code,
        "status": HTTPStatus(code).phrase,
        "message": message,
    }
    if errors:
        body["errors"] = dict(errors)
    return body


def json_error(code: int, message: str, errors: Mapping[str, list[str]] | None = None) -> Response:
    response = jsonify(error_body(code, message, errors))
    response.status_code = code
    return response


def wants_json() -> bool:
    """Whether this request gets a JSON error rather than an HTML page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _html_error(code: int, message: str) -> ResponseReturnValue:
    if request_ctx.url_adapter is None:
        # The Host header could not be bound (Werkzeug's BadHost: a label over 63 characters,
        # not IDNA), so no link of the page can be built: rendering it was a second error, a
        # bare 500. The answer is the status and its message as plain text.
        text = f"{code} {HTTPStatus(code).phrase}\n{message}\n"
        return text, code, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("error.html", code=code, message=message), code


def rollback_quietly() -> None:
    """End the session's transaction after an error; a rollback that fails too (the
    connection is gone) leaves nothing to undo, and the pool replaces the connection."""
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone; the pool replaces it
        logger.warning("Rolling back after an error failed", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError) -> Any:
        if wants_json():
            return json_error(exc.status_code, exc.message, exc.errors)
        return _html_error(exc.status_code, exc.message)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc: ValidationError) -> Any:
        errors = flatten_messages(exc.messages)
        if wants_json():
            return json_error(422, _("Invalid input."), errors)
        return _html_error(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))

    @app.errorhandler(CSRFError)
    def handle_csrf_error(exc: CSRFError) -> Any:
        message = _("The form expired or was not sent from this site. Reload and try again.")
        if wants_json():
            return json_error(400, message)
        return _html_error(400, message)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> Any:
        code = exc.code or 500
        if code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            message = _("Request body too large (limit %(mb)s MB).", mb=limit // (1024 * 1024))
        else:
            message = exc.description or HTTPStatus(code).phrase
        if wants_json():
            response = json_error(code, message)
        else:
            response = app.make_response(_html_error(code, message))
        if code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(StaleDataError)
    def handle_stale_data(exc: StaleDataError) -> Any:
        """A row read by this request was changed or deleted by a parallel one before it wrote
        (e.g. the same thing deleted twice at once): a conflict, not a failure of ours."""
        logger.info("Stale write on %s %s: %s", request.method, request.path, exc)
        conflict = Conflict(_("This was changed by someone else at the same moment; reload it."))
        return handle_domain_error(conflict)

    @app.errorhandler(ServiceUnavailable)
    def handle_unavailable(exc: ServiceUnavailable) -> Any:
        response = app.make_response(handle_domain_error(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeoutError)
    def handle_database_unavailable(exc: Exception) -> Any:
        """The database went away mid-request (restarted, connection killed, failed over) or
        every pooled connection is busy. The transaction died with the connection, so nothing
        of it was written; the pool replaces the connection (``lms.db._alive``) and the client
        may retry."""
        logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
        rollback_quietly()
        # The answer is made without the database: loading the signed-in user (for the
        # language, the page's menu) would fail again, and an already loaded one is expired
        # by the rollback. Flask-Login's own way to set the request's user: as anonymous.
        login_manager._update_request_context_with_user()
        return handle_unavailable(
            ServiceUnavailable(_("The database is unavailable right now. Try again shortly."))
        )

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        # First of all: a failed flush leaves the session unusable (PendingRollbackError)
        # for this handler's own queries (the user, the locale) and for the next request.
        rollback_quietly()
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        message = _("Something went wrong on our side. The error has been logged.")
        if wants_json():
            return json_error(500, message)
        return _html_error(500, message)
