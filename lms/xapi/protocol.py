"""The HTTP side of xAPI that every resource shares (Communication 1.x, 3.2, 3.3).

A request is first reduced to an :class:`XRequest`: with the alternate request syntax
(``POST ...?method=PUT`` and a form body, 1.3) the form's header fields become headers, its
``content`` the body and its other fields the parameters, so the resources never see the
difference. xAPI 2.0 removed that syntax, so a 2.0 request using it is refused. Then the
version header is checked and the client authenticated. Errors are
:class:`XapiError` (or the validator's / the domain's errors), answered in the spec's
statuses with a JSON, plain-text or HTML body, as the client's ``Accept`` prefers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import NoReturn
from urllib.parse import parse_qsl

import orjson
from flask import Request, Response, request

from lms.xapi.attachments import media_type
from lms.xapi.constants import VERSION_RE, XAPI_2_VERSION, XAPI_VERSION
from lms.xapi.validation import is_v2

#: Header fields the alternate syntax may carry in the form (1.3.s3.b6).
FORM_HEADERS = (
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
)
ALT_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")

CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, "
    "Accept, Accept-Language, X-Requested-With"
)
CORS_EXPOSE_HEADERS = (
    "ETag, Last-Modified, X-Experience-API-Consistent-Through, X-Experience-API-Version, "
    "Content-Type, Location"
)
CORS_ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"


class XapiError(Exception):
    """Answer with ``status`` and ``message`` (and ``headers``), nothing written."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        path: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.path = path
        self.headers = dict(headers or {})


@dataclass(slots=True)
class XRequest:
    method: str
    headers: dict[str, str]  #: lower-cased names
    params: dict[str, str]
    body: bytes
    alternate: bool = False
    version: str = XAPI_VERSION
    extra: dict[str, object] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def read_request(req: Request) -> XRequest:
    """Normalise ordinary and alternate-syntax requests to one shape."""
    headers = {name.lower(): value for name, value in req.headers.items()}
    params = _single(req.args.items(multi=True), "query string")
    if "method" not in params:
        return XRequest(method=req.method, headers=headers, params=params, body=req.get_data())
    if is_v2(headers.get("x-experience-api-version", "")):
        raise_removed_in_v2()
    if req.method != "POST":
        raise XapiError(400, "The method parameter (alternate request syntax) needs a POST.")
    if len(params) > 1:
        others = ", ".join(sorted(k for k in params if k != "method"))
        raise XapiError(
            400,
            "With the alternate request syntax the query string holds only method; send "
            f"{others} as form fields.",
        )
    method = params["method"].upper()
    if method not in ALT_METHODS:
        raise XapiError(400, f"method={params['method']!r} is not an xAPI method.")
    if media_type(headers.get("content-type")) != "application/x-www-form-urlencoded":
        raise XapiError(
            400,
            "An alternate-syntax request must be application/x-www-form-urlencoded.",
        )
    try:
        fields = parse_qsl(req.get_data().decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise XapiError(400, "The form is not UTF-8 encoded.") from None
    form = _single(fields, "form")
    body = b""
    new_params: dict[str, str] = {}
    headers.pop("content-type", None)
    headers.pop("content-length", None)
    for name, value in form.items():
        if name == "content":
            body = value.encode("utf-8")
        elif name.lower() in FORM_HEADERS:
            headers[name.lower()] = value
        else:
            new_params[name] = value
    return XRequest(method=method, headers=headers, params=new_params, body=body, alternate=True)


def _single(items: Iterable[tuple[str, str]], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in items:
        if name in out:
            raise XapiError(400, f"Parameter {name} is given twice in the {where}.")
        if "\x00" in name or ("\x00" in value and name != "content"):
            raise XapiError(400, f"Parameter {name} contains a NUL character.")
        out[name] = value
    return out


_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def has_nul(body: bytes) -> bool:
    """Whether JSON text holds the character U+0000, which no text column can store.

    The common case costs one substring search; the regex only tells a real ``\\u0000``
    escape from the six characters ``\\u0000`` written out in a string.
    """
    return b"\\u0000" in body and _NUL_ESCAPE.search(body) is not None


def reject_nul(body: bytes) -> None:
    if has_nul(body):
        raise XapiError(400, "The statement contains the character U+0000, which is not allowed.")


def raise_removed_in_v2() -> NoReturn:
    raise XapiError(
        400,
        "The alternate request syntax (method parameter and form body) was removed in xAPI "
        "2.0; send the request with its own HTTP method, headers and body.",
    )


def check_version(value: str | None) -> str:
    """The request's xAPI version, or 400 (Communication 3.3.s3.b3-b7; the same in 2.0).

    ``1.0`` is read as ``1.0.0`` and ``2.0`` as ``2.0.0``; any ``1.0.x`` and ``2.0.x`` is
    accepted, anything else (0.9, 1.1.0, 2.1.0...) refused.
    """
    if value is None or not value.strip():
        raise XapiError(400, "The X-Experience-API-Version header is required (1.0.3 or 2.0.0).")
    value = value.strip()
    if value == "1.0":
        return "1.0.0"
    if value == "2.0":
        return XAPI_2_VERSION
    if VERSION_RE.match(value):
        return value
    raise XapiError(
        400,
        f"X-Experience-API-Version {value!r} is not supported; this LRS speaks 1.0.x "
        "(latest 1.0.3) and 2.0.x (2.0.0).",
    )


def response_version(version: str | None) -> str:
    """The X-Experience-API-Version of a response: the latest patch of the request's version.

    Communication 3.3.s3.b1-b2 for 1.0.x; xAPI 2.0 answers 2.0 requests with ``2.0.0``.
    Requests without a usable version (refused, or /about asked without one) get 1.0.3.
    """
    return XAPI_2_VERSION if version is not None and is_v2(version) else XAPI_VERSION


def check_params(
    params: Mapping[str, str], allowed: Iterable[str], *, required: Iterable[str] = ()
) -> None:
    """400 for a parameter not defined here, or defined in another case (3.2.s3.b7-b8)."""
    allowed_set = set(allowed)
    lowered = {a.lower(): a for a in allowed_set}
    for name in params:
        if name in allowed_set:
            continue
        if name.lower() in lowered:
            raise XapiError(400, f"Unknown parameter {name}; did you mean {lowered[name.lower()]}?")
        raise XapiError(400, f"Unknown parameter {name} for this resource.")
    for name in required:
        if name not in params:
            raise XapiError(400, f"The {name} parameter is required.")


def parse_bool(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value in ("true", "false"):
        return value == "true"
    raise XapiError(400, f"{name} must be true or false.", path=name)


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type="application/json")


def error_response(status: int, message: str, path: str | None = None) -> Response:
    """The error in the format ``Accept`` prefers: JSON by default (3.2.s3.b3-b4)."""
    phrase = HTTPStatus(status).phrase
    best = request.accept_mimetypes.best_match(
        ["application/json", "text/plain", "text/html"], default="application/json"
    )
    if best == "text/plain":
        return Response(f"{status} {phrase}: {message}\n", status=status, mimetype="text/plain")
    if best == "text/html":
        page = (
            f"<!doctype html><title>{status} {phrase}</title>"
            f"<h1>{status} {phrase}</h1><p>{html.escape(message)}</p>"
        )
        return Response(page, status=status, mimetype="text/html")
    body: dict[str, object] = {"error": phrase, "code": status, "message": message}
    if path:
        body["path"] = path
    return json_response(orjson.dumps(body), status)


def add_cors(response: Response) -> None:
    """CORS for browser-based content on other origins (Communication 1.3, Appendix C).

    Credentials travel in the Authorization header, never in cookies, so any origin may
    call; the origin is echoed so caches keep answers per origin.
    """
    origin = request.headers.get("Origin")
    response.headers["Access-Control-Allow-Origin"] = origin or "*"
    if origin:
        response.vary.add("Origin")
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS


def preflight() -> Response:
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = CORS_ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = "86400"
    return response
