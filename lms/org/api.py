"""JSON API of the org domain under /api/v1."""

from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/api/v1")
