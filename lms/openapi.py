"""The OpenAPI 3 description of ``/api/v1``, built from the marshmallow schemas.

Endpoints declare what they take and return with :func:`doc`; :func:`build_spec` walks the
URL map, so a route that exists is always described and a described route always exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

F = TypeVar("F", bound=Callable[..., Any])

SchemaRef = type[Schema] | Schema
# An extra answer of an operation: its meaning, or its meaning and its body's schema.
Answer = str | tuple[str, SchemaRef | dict[str, Any]]

_BINARY = {"type": "string", "format": "binary"}

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "status", "message"],
    "properties": {
        "code": {"type": "integer", "example": 422},
        "status": {"type": "string", "example": "Unprocessable Entity"},
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Field path -> messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def doc(
    *,
    summary: str,
    tags: list[str] | None = None,
    body: SchemaRef | None = None,
    body_required: bool = True,
    query: SchemaRef | None = None,
    response: SchemaRef | None = None,
    status: int = 200,
    many: bool = False,
    paginated: bool = False,
    content_type: str | None = None,
    responses: Mapping[int, Answer] | None = None,
    produces: Mapping[str, SchemaRef | dict[str, Any] | None] | None = None,
    public: bool = False,
    description: str | None = None,
) -> Callable[[F], F]:
    """Attach OpenAPI metadata to a view function.

    Args:
        summary: one line for the operation.
        body: schema of the JSON request body.
        body_required: false when the body may be left out (the defaults apply).
        query: schema of the query string.
        response: schema of the successful response body.
        status: the successful status code.
        many: the response is a JSON array of ``response``.
        paginated: the response is the list envelope ``{items, page, per_page, total}``.
        content_type: a non-JSON request body (``multipart/form-data``, ``text/csv``).
        responses: extra statuses and what they mean; a pair ``(meaning, schema)`` gives the
            body's schema. An error status answers the error envelope; another success status
            without a schema answers the same body as ``status`` (an open attempt to resume,
            the certificate already issued).
        produces: media types of the successful body besides (or instead of, when there is
            no ``response``) JSON, with their schema (``None``: binary, a PDF or a workbook).
        public: no authentication needed.
    """

    def decorator(func: F) -> F:
        func._api_doc = {  # type: ignore[attr-defined]
            "summary": summary,
            "tags": tags or [],
            "body": body,
            "body_required": body_required,
            "query": query,
            "response": response,
            "status": status,
            "many": many,
            "paginated": paginated,
            "content_type": content_type,
            "responses": dict(responses or {}),
            "produces": dict(produces or {}),
            "public": public,
            "description": description or (func.__doc__ or "").strip() or None,
        }
        return func

    return decorator


_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for match in _CONVERTER.finditer(rule):
        kind = "integer" if match.group("conv") == "int" else "string"
        params.append(
            {"name": match.group("name"), "in": "path", "required": True, "schema": {"type": kind}}
        )
    return _CONVERTER.sub(lambda m: "{" + m.group("name") + "}", rule), params


def _instance(schema: SchemaRef) -> Schema:
    return schema() if isinstance(schema, type) else schema


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="LMS 146 API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "JSON API of the Project 146 learning backend. The xAPI LRS lives "
            "at /xapi and follows the xAPI 1.0.3 specification instead.",
        },
        servers=[{"url": app.config.get("BASE_URL", "")}],
    )
    spec.components.schema("Error", _ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    marshmallow = spec.plugins[0]
    assert isinstance(marshmallow, MarshmallowPlugin)  # noqa: S101 - narrows the type
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1"):
            continue
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "_api_doc", None)
        if meta is None:
            continue
        path, params = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                marshmallow, meta, params, rule.endpoint, method
            )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


# What any operation may answer besides its own statuses, and why.
_MALFORMED = "Malformed request: a body that is not JSON, a bad parameter"
_INVALID = "Invalid input: `errors` maps each field to its messages"
_NOT_FOUND = "Not found (or not yours to see)"
_CONFLICT = (
    "Conflicts with the current state (the message says which), or changed by someone else at "
    "the same moment"
)
_TOO_LARGE = "Request body over the upload limit (LMS_MAX_UPLOAD_MB)"
_UNAVAILABLE = (
    "A part the service needs (database, Redis) is unreachable; try again after Retry-After"
)


def _operation(
    plugin: MarshmallowPlugin,
    meta: dict[str, Any],
    params: list[dict],
    endpoint: str,
    method: str,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": meta["summary"],
        "operationId": endpoint.replace(".", "_"),
        "tags": meta["tags"],
        "parameters": list(params),
        "responses": {},
    }
    if meta["description"]:
        op["description"] = meta["description"]
    if meta["query"] is not None:
        op["parameters"] += plugin.converter.schema2parameters(  # type: ignore[union-attr]
            _instance(meta["query"]), location="query"
        )
    if meta["body"] is not None:
        op["requestBody"] = {
            "required": meta["body_required"],
            "content": {"application/json": {"schema": _instance(meta["body"])}},
        }
    elif meta["content_type"]:
        op["requestBody"] = {
            "required": True,
            "content": {meta["content_type"]: {"schema": _BINARY}},
        }
    content: dict[str, Any] = {}
    if meta["response"] is not None:
        schema: Any = _instance(meta["response"])
        if meta["paginated"]:
            schema = {
                "type": "object",
                "required": ["items", "page", "per_page", "total"],
                "properties": {
                    "items": {"type": "array", "items": schema},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "total": {"type": "integer"},
                },
            }
        elif meta["many"]:
            schema = {"type": "array", "items": schema}
        content["application/json"] = {"schema": schema}
    for media_type, body in meta["produces"].items():
        content[media_type] = {"schema": _BINARY if body is None else _schema(body)}
    ok: dict[str, Any] = {"description": "OK"}
    if content:
        ok["content"] = content
    op["responses"][str(meta["status"])] = ok
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    defaults: dict[int, Answer] = {400: _MALFORMED, 422: _INVALID}
    if not meta["public"]:
        defaults |= {401: "Not authenticated", 403: "Not allowed"}
        op["security"] = [{"bearer": []}, {"session": []}]
    if params:
        defaults[404] = _NOT_FOUND
    if method != "GET":
        defaults[409] = _CONFLICT
    if "requestBody" in op:
        defaults[413] = _TOO_LARGE
    defaults[503] = _UNAVAILABLE
    for code, answer in sorted({**defaults, **meta["responses"]}.items()):
        text, body = answer if isinstance(answer, tuple) else (answer, None)
        response: dict[str, Any] = {"description": text}
        if body is not None:
            response["content"] = {"application/json": {"schema": _schema(body)}}
        elif code >= 400:
            response["content"] = error_ref
        elif content:
            response["content"] = content
        op["responses"][str(code)] = response
    if "503" in op["responses"]:
        op["responses"]["503"]["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return op


def _schema(body: SchemaRef | dict[str, Any]) -> Any:
    return body if isinstance(body, dict) else _instance(body)
