"""The xAPI Learning Record Store under /xapi: 1.0.3 and 2.0 side by side (Communication 2).

Each resource is one view taking every method, so that unsupported methods and unknown
paths get the LRS's own 405/404 (with the xAPI headers) rather than the app's. A request
is normalised (alternate syntax, 1.3), version-checked (3.3) and authenticated (4.0)
before the resource runs; the handlers registered here give errors the spec's statuses.
The request's ``X-Experience-API-Version`` picks the rules (1.0.x or 2.0) and the version
the response announces.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import orjson
from flask import Blueprint, Response, g, request
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from lms.db import utcnow
from lms.errors import DomainError, ServiceUnavailable, rollback_quietly
from lms.extensions import db
from lms.xapi import clients, queries
from lms.xapi.clients import ClientInfo
from lms.xapi.constants import ABOUT_1_VERSIONS, ABOUT_VERSIONS
from lms.xapi.documents import (
    PreconditionFailed,
    etag_of,
)
from lms.xapi.keys import xapi_time
from lms.xapi.protocol import (
    XapiError,
    XRequest,
    add_cors,
    check_params,
    check_version,
    error_response,
    json_response,
    preflight,
    raise_removed_in_v2,
    read_request,
    response_version,
)
from lms.xapi.validation import (
    XapiValidationError,
    agent_ifi,
    is_v2,
    parse_json,
    validate_agent_param,
)

logger = logging.getLogger(__name__)

bp = Blueprint("xapi", __name__, url_prefix="/xapi")

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
REALM = 'Basic realm="LMS 146 xAPI", charset="UTF-8"'


# --- request pipeline --------------------------------------------------------------------


@bp.before_request
def _prepare() -> Response | None:
    if request.method == "OPTIONS":
        return preflight()
    # Known before anything can fail, so that errors are answered in the request's version;
    # a missing or unsupported one is refused below (except by /about, Communication 2.8.s5.b4).
    with contextlib.suppress(XapiError):
        g.xapi_version = check_version(request.headers.get("X-Experience-API-Version"))
    xreq = read_request(request)
    g.xapi_request = xreq
    if request.endpoint == "xapi.about":
        return None
    if request.endpoint != "xapi.not_found":
        xreq.version = check_version(xreq.header("X-Experience-API-Version"))
        g.xapi_version = xreq.version
        if xreq.alternate and is_v2(xreq.version):
            raise_removed_in_v2()
    return None


@bp.after_request
def _finish(response: Response) -> Response:
    response.headers["X-Experience-API-Version"] = response_version(g.get("xapi_version"))
    add_cors(response)
    if request.endpoint == "xapi.statements" and request.method != "OPTIONS":
        response.headers["X-Experience-API-Consistent-Through"] = _consistent_through()
    xreq: XRequest | None = g.get("xapi_request")
    if xreq is not None and xreq.alternate and xreq.method == "HEAD":
        response.set_data(b"")
    return response


def _consistent_through() -> str:
    try:
        return xapi_time(queries.consistent_through())
    except SQLAlchemyError:
        db.session.rollback()
        logger.warning("Could not read the open transactions for Consistent-Through")

        return xapi_time(utcnow())


def current_request() -> XRequest:
    xreq: XRequest = g.xapi_request
    return xreq


def authenticated_client() -> ClientInfo:
    info = clients.authenticate(current_request().header("Authorization"))
    if info is None:
        raise XapiError(
            401,
            "Valid LRS credentials are required (HTTP Basic with the client's key and secret).",
            headers={"WWW-Authenticate": REALM},
        )
    if db.session().in_transaction():
        # End the read transaction of the lookup: on SQLite a write must not start from an
        # older snapshot (it would be refused once another writer has committed).
        db.session.commit()
    return info


def forbid(what: str) -> XapiError:
    return XapiError(403, f"These credentials do not allow {what}.")


def not_allowed(allowed: str) -> XapiError:
    return XapiError(405, f"Method not allowed here; use {allowed}.", headers={"Allow": allowed})


# --- errors ------------------------------------------------------------------------------


@bp.errorhandler(XapiError)
def _xapi_error(exc: XapiError) -> Response:
    db.session.rollback()
    response = error_response(exc.status, exc.message, exc.path)
    response.headers.update(exc.headers)
    return response


@bp.errorhandler(XapiValidationError)
def _validation_error(exc: XapiValidationError) -> Response:
    db.session.rollback()
    return error_response(400, f"{exc.path}: {exc.message}", exc.path)


@bp.errorhandler(PreconditionFailed)
def _precondition_failed(exc: PreconditionFailed) -> Response:
    db.session.rollback()
    return error_response(412, exc.message)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    db.session.rollback()
    status = 400 if exc.status_code == 422 else exc.status_code
    response = error_response(status, exc.message)
    if status == 401:
        response.headers["WWW-Authenticate"] = REALM
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    db.session.rollback()
    code = exc.code or 500
    message = exc.description or ""
    if code == 413:
        message = "The request is larger than this LRS accepts."
    return error_response(code, message)


@bp.errorhandler(OperationalError)
@bp.errorhandler(PoolTimeoutError)
def _database_unavailable(exc: Exception) -> Response:
    """The database went away mid-request: the statements were not stored; send them again."""
    rollback_quietly()
    logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
    response = error_response(503, "The database is unavailable right now; send this again.")
    response.headers["Retry-After"] = str(ServiceUnavailable.retry_after)
    return response


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    db.session.rollback()
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500, "Something went wrong in the LRS; the error has been logged.")


def agent_param(raw: str, name: str) -> dict[str, Any]:
    try:
        value = parse_json(raw)
    except XapiValidationError as exc:
        raise XapiError(400, f"{name} {exc.message}", path=name) from None
    except RecursionError:
        raise XapiError(400, f"{name} is nested too deeply.", path=name) from None
    agent = validate_agent_param(value, path=name)
    if "\x00" in agent_ifi(agent):
        raise XapiError(400, f"{name} contains a NUL character.", path=name)
    return agent


def json_with_etag(value: Any) -> Response:
    body = orjson.dumps(value)
    response = json_response(body)
    response.headers["ETag"] = f'"{etag_of(body)}"'
    return response


# --- about, and nothing else -----------------------------------------------------------


@bp.route("/about", methods=METHODS)
def about() -> Response:
    xreq = current_request()
    if xreq.method not in ("GET", "HEAD"):
        raise not_allowed("GET, HEAD")
    check_params(xreq.params, ())
    # 1.0.x askers get the versions 1.0.3 can name (2.8.s5.b1; 1.0.x clients such as tincan
    # refuse any other value); 2.0 askers and askers without a version get 2.0.0 as well.
    asked = g.get("xapi_version")
    versions = ABOUT_VERSIONS if asked is None or is_v2(asked) else ABOUT_1_VERSIONS
    response = json_with_etag(
        {
            "version": list(versions),
            "extensions": {
                "https://lms146.gov.vn/xapi/extensions/lrs": {
                    "name": "LMS 146 Learning Record Store",
                }
            },
        }
    )
    response.vary.add("X-Experience-API-Version")
    return response


@bp.route("/", methods=METHODS, endpoint="not_found")
@bp.route("/<path:rest>", methods=METHODS, endpoint="not_found")
def not_found(rest: str = "") -> Response:
    raise XapiError(404, f"There is no xAPI resource at /xapi/{rest}.")


# The resources register their routes on ``bp`` when imported.
from lms.xapi import documents_api, statements_api  # noqa: E402, F401 - after bp exists
