"""What no handler should ever see, refused in one place before any handler runs.

PostgreSQL refuses a NUL in a text value and an integer past its column's range with an error
the handler did not expect (a 500), Python's ``json`` recurses once per level of nesting, and a
chunked body carries no ``Content-Length`` for Werkzeug to compare with ``LMS_MAX_UPLOAD_MB``.
So every request passes here first:

- :class:`BodyLimit` (WSGI) reads a chunked body up to the limit, so that an oversized one is
  refused with 413 before the handler, exactly as one that says its length;
- :func:`check_request` (the first ``before_request``) refuses NUL characters in the path, the
  query string, form fields, file names and JSON strings (keys and values, at any depth), and
  JSON nested deeper than :data:`MAX_JSON_DEPTH` or that does not parse; unpaired surrogates
  cannot get this far: Werkzeug decodes the URL and forms with replacement characters, and
  :class:`JSONProvider` (orjson) refuses ``"\\ud800"`` as invalid JSON;
- :class:`Int32Converter` replaces Flask's ``int`` converter: an id past the ``INTEGER``
  column range matches no route (404);
- :func:`check_ranges` bounds every ``Integer`` field of a marshmallow schema to the 32-bit
  column range (``metadata={"format": "int64"}`` for a ``BIGINT`` one), called by
  :func:`lms.http.load` and :func:`lms.http.query_args`;
- :class:`FullMatch` is the pattern validator of every schema: marshmallow's ``Regexp`` uses
  ``re.match``, and ``$`` also matches before a final newline (a class code
  ``"LD-2026-01\\n"`` was stored).

The LRS under ``/xapi`` keeps its own rules (the xAPI specification dictates its statuses and
it parses its own bodies); only the body limit applies there, answered in its own format.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, overload

import orjson
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from lms.errors import BadRequest

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
#: Deeper than any document of ours (a class with sessions is 3, an xAPI statement about 8).
MAX_JSON_DEPTH = 64
#: The environ key :class:`BodyLimit` sets when a chunked body went past the limit.
TOO_LARGE = "lms.edge.too_large"
_CHUNK = 64 * 1024
_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def init_app(app: Flask) -> None:
    """Install every part; before the blueprints (their rules bind the converter) and before
    any other ``before_request``, so that nothing runs on input this module refuses."""
    app.url_map.converters["int"] = Int32Converter
    app.json = JSONProvider(app)
    app.wsgi_app = BodyLimit(app.wsgi_app, app)  # type: ignore[method-assign]
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)


class Int32Converter(IntegerConverter):
    """``<int:...>`` bounded to the ``INTEGER`` column range: a larger id finds nothing (404)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, INT32[1] if max is None else max, signed)
        if not signed and not fixed_digits and self.max is not None:
            # Bounded in the pattern, not only in to_python: Werkzeug notes the methods of the
            # rules whose pattern matched before it converts, so a PATCH to /x/99999999999
            # would answer 405 (GET, DELETE allowed) where a GET answers 404.
            self.regex = _up_to(self.max)


def _up_to(limit: int) -> str:
    """A pattern for the decimal numbers from 0 to ``limit`` (leading zeros allowed)."""
    digits = str(limit)
    options = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 and len(digits) > 1 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            options.append(
                f"{digits[:i]}[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    options.append(digits)
    return "0*(?:" + "|".join(options) + ")"


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON with orjson's parser: iterative with a depth limit (no ``RecursionError``
    on 50,000 nested arrays), and it refuses unpaired surrogates and ``NaN``, which are not
    JSON. Serialising stays Flask's."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)


class BodyLimit:
    """Reads a chunked request body (no ``Content-Length``) before the app sees it.

    Werkzeug only truncates such a body at ``MAX_CONTENT_LENGTH`` (a handler reading it stores
    the first 20 MiB of a larger document); here it is read into memory up to the limit (the
    handler reads it whole anyway) and handed on with its length, or dropped and flagged for
    :func:`check_request` to answer 413 in the envelope of the part of the site it was sent to.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if limit and chunked and environ.get("wsgi.input_terminated"):
            body, size = _spool(environ["wsgi.input"], limit)
            if body is None:
                environ[TOO_LARGE] = True
                body, size = io.BytesIO(), 0
            environ["wsgi.input"] = body
            environ["CONTENT_LENGTH"] = str(size)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self.wsgi_app(environ, start_response)


def _spool(stream: IO[bytes], limit: int) -> tuple[IO[bytes] | None, int]:
    """The body, rewound, and its size; ``None`` when it is longer than ``limit``."""
    spool = io.BytesIO()
    size = 0
    while size <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            spool.seek(0)
            return spool, size
        spool.write(chunk)
        size += len(chunk)
    spool.close()
    return None, size


def check_request() -> None:
    """Refuse what no handler should see (the module docstring says what and why)."""
    limit = request.max_content_length
    too_long = limit is not None and (request.content_length or 0) > limit
    if request.environ.get(TOO_LARGE) or too_long:
        raise RequestEntityTooLarge()
    if request.path.startswith("/xapi"):
        return
    errors: dict[str, list[str]] = {}
    if _bad_text(request.path):
        errors["path"] = [_not_allowed()]
    for key, value in request.args.items(multi=True):
        if _bad_text(key) or _bad_text(value):
            errors[_name(key)] = [_not_allowed()]
    if request.mimetype in _FORM_TYPES:
        for key, value in request.form.items(multi=True):
            if _bad_text(key) or _bad_text(value):
                errors[_name(key)] = [_not_allowed()]
        for key, upload in request.files.items(multi=True):
            if _bad_text(key) or _bad_text(upload.filename or ""):
                errors[_name(key)] = [_not_allowed()]
    if errors:
        raise BadRequest(_("Invalid input."), errors=errors)
    if request.is_json and request.content_length:
        _check_json()


def _check_json() -> None:
    try:
        data = orjson.loads(request.get_data(cache=True))
    except orjson.JSONDecodeError as exc:
        if "depth limit" in exc.msg:
            raise _too_deep() from None  # deeper than orjson's own limit (1,024)
        message = _(
            "The request body is not valid JSON (line %(line)s, column %(column)s).",
            line=exc.lineno,
            column=exc.colno,
        )
        raise BadRequest(message, errors={"body": [message]}) from None
    errors: dict[str, list[str]] = {}
    for path, value, depth in _walk(data):
        if depth >= MAX_JSON_DEPTH and isinstance(value, dict | list):
            raise _too_deep()
        if isinstance(value, str) and _bad_text(value):
            errors[path or "body"] = [_not_allowed()]
        elif isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
            errors[path or "body"] = [_out_of_range(INT64)]
    if errors:
        raise BadRequest(_("Invalid input."), errors=errors)


def _walk(data: Any) -> Iterator[tuple[str, Any, int]]:
    """Every key and value of a parsed JSON document with its path (``a.0.b``) and depth,
    without recursion."""
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        yield path, value, depth
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                yield child, key, depth + 1
                stack.append((child, item, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((f"{path}.{index}" if path else str(index), item, depth + 1))


class FullMatch(validate.Regexp):
    """``validate.Regexp`` over the whole text, whatever the pattern's anchors say.

    The pattern stays as written (``^...$``) for the OpenAPI document, where a pattern is an
    ECMAScript one and ``$`` is the end of the text; Python's ``$`` is not, so the match is
    ``fullmatch``. Spell digits ``[0-9]``: Python's ``\\d`` takes every script's digits.
    """

    @overload
    def __call__(self, value: str) -> str: ...

    @overload
    def __call__(self, value: bytes) -> bytes: ...

    def __call__(self, value: str | bytes) -> str | bytes:
        if self.regex.fullmatch(value) is None:  # type: ignore[arg-type]
            raise ValidationError(self._format_error(value))
        return value


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is ASCII digits only. ``str.isdigit`` also takes "²" and "①", which
    ``int()`` refuses (a ``ValueError``, a 500 wherever it was trusted)."""
    return text.isascii() and text.isdigit()


def row_id(text: str) -> int | None:
    """``text`` as the id of a row (ASCII digits within the ``INTEGER`` range), else None:
    past the range PostgreSQL fails the query that looks it up."""
    if not ascii_digits(text):
        return None
    value = int(text)
    return value if value <= INT32[1] else None


def check_ranges(schema: Schema, data: Any) -> None:
    """Refuse (422) a value for an ``Integer`` field past its column's range, at any depth.

    marshmallow takes ``9999999999`` for an id and PostgreSQL then fails the query with
    "integer out of range". A field for a ``BIGINT`` column says
    ``metadata={"format": "int64"}``.
    """
    errors: dict[str, list[str]] = {}
    stack: list[tuple[str, Schema, Any]] = [("", schema, data)]
    while stack:
        prefix, current, value = stack.pop()
        if current.many and isinstance(value, list):
            stack.extend((_join(prefix, str(i)), _one(current), v) for i, v in enumerate(value))
            continue
        if not isinstance(value, Mapping):
            continue
        for name, field in current.load_fields.items():
            key = field.data_key or name
            if key in value:
                _check_field(_join(prefix, key), field, value[key], errors, stack)
    if errors:
        raise ValidationError(errors)


def _check_field(
    path: str,
    field: fields.Field,
    value: Any,
    errors: dict[str, list[str]],
    stack: list[tuple[str, Schema, Any]],
) -> None:
    if isinstance(field, fields.Integer):
        bounds = INT64 if field.metadata.get("format") == "int64" else INT32
        number = _as_number(value)
        if number is not None and not bounds[0] <= number <= bounds[1]:
            errors[path] = [_out_of_range(bounds)]
    elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        nested = field.schema
        if field.many and isinstance(value, list):
            stack.extend((_join(path, str(i)), _one(nested), v) for i, v in enumerate(value))
        else:
            stack.append((path, nested, value))
    elif isinstance(field, fields.List) and isinstance(value, list):
        for index, item in enumerate(value):
            _check_field(_join(path, str(index)), field.inner, item, errors, stack)
    elif isinstance(field, fields.Tuple) and isinstance(value, list | tuple):
        for index, (inner, item) in enumerate(zip(field.tuple_fields, value, strict=False)):
            _check_field(_join(path, str(index)), inner, item, errors, stack)
    elif isinstance(field, fields.Dict) and isinstance(value, Mapping) and field.value_field:
        for key, item in value.items():
            _check_field(_join(path, str(key)), field.value_field, item, errors, stack)


def _one(schema: Schema) -> Schema:
    """The same schema for one item (``many`` unset), so each item of a list is checked."""
    if not schema.many:
        return schema
    single = copy.copy(schema)
    single.many = False
    return single


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _bad_text(text: str) -> bool:
    """A NUL (PostgreSQL refuses it in text) or an unpaired surrogate (not encodable)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _name(key: str) -> str:
    """A refused field's name as it can be shown (the NUL or surrogate escaped)."""
    return key.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")


def _not_allowed() -> str:
    return _("Contains a character that is not allowed (NUL or an unpaired surrogate).")


def _out_of_range(bounds: tuple[int, int]) -> str:
    return _("Must be between %(low)s and %(high)s.", low=bounds[0], high=bounds[1])


def _too_deep() -> BadRequest:
    message = _("The JSON body is nested deeper than %(n)s levels.", n=MAX_JSON_DEPTH)
    return BadRequest(message, errors={"body": [message]})
