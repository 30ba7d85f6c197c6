"""The OpenAPI document and a readable API page, served without any CDN."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from lms.openapi import build_spec

bp = Blueprint("apidocs", __name__)

_REF = "#/components/schemas/"


def _spec(app: Flask) -> dict[str, Any]:
    """Build once per process: the URL map does not change after start-up."""
    spec = app.extensions.get("lms_openapi")
    if spec is None:
        spec = build_spec(app)
        app.extensions["lms_openapi"] = spec
    return spec


@bp.get("/api/v1/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(_spec(current_app))


def type_of(schema: dict[str, Any] | None) -> str:
    """A short human type: ``string (date-time)``, ``array of Course``, ``Course``."""
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_REF)
    if schema.get("allOf"):
        return type_of(schema["allOf"][0])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " | ".join(str(k) for k in kind)
    if kind == "array":
        return f"array of {type_of(schema.get('items'))}"
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    if schema.get("enum"):
        return f"{kind}: " + " | ".join(str(v) for v in schema["enum"] if v is not None)
    return str(kind)


def fields_of(schema: dict[str, Any] | None, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of ``schema`` (following one ``$ref``) as rows for a table."""
    if not schema:
        return []
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(_REF)
        schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    if schema.get("type") == "array":
        return fields_of(schema.get("items"), spec)
    required = set(schema.get("required", []))
    rows = []
    for name, prop in (schema.get("properties") or {}).items():
        rows.append(
            {
                "name": name,
                "type": type_of(prop),
                "required": name in required,
                "read_only": bool(prop.get("readOnly")),
                "nullable": bool(prop.get("nullable")),
                "description": prop.get("description", ""),
                "ref": _ref_name(prop),
            }
        )
    return rows


def _ref_name(prop: dict[str, Any]) -> str | None:
    target = prop.get("items", prop) if prop.get("type") == "array" else prop
    ref = target.get("$ref") if isinstance(target, dict) else None
    return str(ref).removeprefix(_REF) if ref else None


def grouped_operations(spec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Operations by their first tag, tags in alphabetical order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, operations in spec.get("paths", {}).items():
        for method, op in operations.items():
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(
                {
                    "method": method,
                    "path": path,
                    "op": op,
                    "anchor": op.get("operationId", f"{method}-{path}"),
                }
            )
    return sorted(groups.items())


@bp.get("/api/docs")
def api_docs() -> ResponseReturnValue:
    spec = _spec(current_app)
    return render_template(
        "web/api_docs.html",
        spec=spec,
        groups=grouped_operations(spec),
        fields_of=lambda schema: fields_of(schema, spec),
        type_of=type_of,
    )
