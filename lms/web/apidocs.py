"""The OpenAPI document and a readable API page, served without any CDN."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from lms.openapi import build_spec

bp = Blueprint("apidocs", __name__)


@bp.get("/api/v1/openapi.json")
def openapi_json() -> ResponseReturnValue:
    spec = current_app.extensions.get("lms_openapi")
    if spec is None:
        spec = build_spec(current_app)
        current_app.extensions["lms_openapi"] = spec
    return jsonify(spec)


@bp.get("/api/docs")
def api_docs() -> ResponseReturnValue:
    spec = current_app.extensions.get("lms_openapi") or build_spec(current_app)
    current_app.extensions["lms_openapi"] = spec
    return render_template("web/api_docs.html", spec=spec)
