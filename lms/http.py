"""Request parsing and response helpers shared by every ``api.py``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Response, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy import Select, func, select

from lms.edge import check_ranges
from lms.errors import BadRequest, Invalid
from lms.extensions import db

T = TypeVar("T")

MAX_PER_PAGE = 200


def json_body() -> Any:
    """Return the parsed JSON body, or raise 400 when the body is missing or not JSON."""
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest(_("The request body must be valid JSON (Content-Type: application/json)."))
    return data


def optional_json_body() -> Any:
    """The JSON body of an operation whose body may be left out: ``{}`` when there is none.

    A body that is there must be JSON (400 otherwise): ``A~;`` is a client's mistake, not an
    empty request to carry out with the defaults.
    """
    if not request.get_data(cache=True):
        return {}
    return json_body()


def load(schema: Schema, data: Any = None, **kwargs: Any) -> Any:
    """Validate ``data`` (default: the JSON body) with ``schema``; errors become 422."""
    if data is None:
        data = json_body()
    check_ranges(schema, data)
    return schema.load(data, **kwargs)


def query_args(schema: Schema) -> Any:
    """Validate the query string with ``schema``; repeated keys become lists where declared."""
    raw: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        field = schema.fields.get(key)
        is_list = field is not None and field.__class__.__name__ == "List"
        raw[key] = values if is_list else values[-1]
    check_ranges(schema, raw)
    return schema.load(raw)


def whole_number(raw: str | None, default: int, low: int, high: int) -> int:
    """A number typed into a page's address or form, ``default`` unless it is one in range.

    Pages forgive what a person edits in the address bar (the API's :func:`page_args` refuses
    with 422); without the bounds ``?page=99999999999999999999`` reaches the database as an
    OFFSET it refuses.
    """
    try:
        value = int(raw or default)
    except ValueError:
        return default
    return value if low <= value <= high else default


def page_args(default_per_page: int = 50) -> tuple[int, int]:
    """Read ``page`` and ``per_page`` from the query string, bounded and validated."""
    errors: dict[str, list[str]] = {}
    values: dict[str, int] = {}
    for name, default, low, high in (
        ("page", 1, 1, 1_000_000),
        ("per_page", default_per_page, 1, MAX_PER_PAGE),
    ):
        raw = request.args.get(name)
        if raw is None or raw == "":
            values[name] = default
            continue
        try:
            value = int(raw)
        except ValueError:
            errors[name] = [_("Must be a whole number.")]
            continue
        if not low <= value <= high:
            errors[name] = [_("Must be between %(low)s and %(high)s.", low=low, high=high)]
            continue
        values[name] = value
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)
    return values["page"], values["per_page"]


def paginate(
    stmt: Select[Any],
    dump: Callable[[Any], Any],
    *,
    default_per_page: int = 50,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """Run ``stmt`` one page at a time and answer the standard list envelope."""
    page, per_page = page_args(default_per_page)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    body = {
        "items": [dump(row) for row in rows],
        "page": page,
        "per_page": per_page,
        "total": total or 0,
    }
    if extra:
        body.update(extra)
    return jsonify(body)


def created(body: Any, location: str) -> Response:
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def no_content() -> Response:
    return Response(status=204)
