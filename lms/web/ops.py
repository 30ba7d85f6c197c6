"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from lms.extensions import db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up; says nothing about the database, so a DB outage does not restart it."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready to serve: the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": str(exc.__class__.__name__)}), 503
    return jsonify({"status": "ok", "database": "ok"})
